"""The locator grammar: an amendment instruction's sentence into a small AST.

``parse_head`` reads the instruction as the filing wrote it ("The last paragraph in \"Section 7.
Conditions of the Offer\" on page 27 of Exhibit (a)(1) ... has been deleted in its entirety and
has been replaced with the following:") into a :class:`Locator`: an action, its targets, and the
locator phrase as written. It needs no document: resolving targets to ids is
:mod:`offerledger.ingest.resolve`. The grammar is documented in ``docs/amendments.md``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
_FROM_END = {
    "last": -1,
    "final": -1,
    "ultimate": -1,
    "penultimate": -2,
    "second-to-last": -2,
    "second to last": -2,
    "next-to-last": -2,
    "next to last": -2,
    "third-to-last": -3,
    "third to last": -3,
}
ORD = (
    r"(?:second[- ]to[- ]last|next[- ]to[- ]last|third[- ]to[- ]last|penultimate|ultimate|"
    r"last|final|" + "|".join(_WORDS) + r"|\d{1,2}(?:st|nd|rd|th))"
)
_Q = '"\u201c\u201d'
_KIND = r"(?:paragraphs?|bullet(?:ed)?[- ]points?|bullets?|bulleted paragraphs?|sentences?)"
_PREP = r"(?:of|in|under|within|contained in|appearing in|set forth in|included in|from)"

Kind = Literal["paragraph", "bullet", "sentence"]
Action = Literal[
    "replace",
    "delete",
    "insert_after",
    "insert_before",
    "insert_sentence",
    "append_to_section",
    "supplement_item",
    "restate_item",
    "file_exhibit",
    "preamble",
]


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SectionRef(Node):
    """A section by number and/or caption; ``page`` and ``document`` as the filing gave them."""

    ref: Literal["section"] = "section"
    number: str | None = None
    title: str | None = None
    page: str | None = None
    document: str | None = None


class BlockRef(Node):
    """A paragraph or bullet point by ordinal (1-based; negative from the end; 0 = the only)."""

    ref: Literal["block"] = "block"
    kind: Literal["paragraph", "bullet"]
    ordinal: int
    section: SectionRef


class SentenceRef(Node):
    ref: Literal["sentence"] = "sentence"
    ordinal: int
    block: BlockRef


class ItemRef(Node):
    ref: Literal["item"] = "item"
    item: str


class ExhibitRef(Node):
    ref: Literal["exhibit"] = "exhibit"
    exhibit_id: str


Target = SectionRef | BlockRef | SentenceRef | ItemRef | ExhibitRef


class Locator(Node):
    """An instruction read: what to do, where, and the locator phrase as the filing wrote it.

    ``where`` qualifies insertions: ``after``/``before`` a block or sentence, ``end``/``start``
    of a paragraph; ``new_kind`` is what the payload is (paragraph, bullet, sentence).
    """

    action: Action
    targets: tuple[Target, ...] = ()
    where: Literal["after", "before", "end", "start"] | None = None
    new_kind: Kind | None = None
    written: str


class GrammarError(ValueError):
    """The instruction does not fit the grammar; ``reason`` says which part."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def ordinal_value(word: str) -> int:
    w = word.lower().replace("\u2011", "-")
    if w in _FROM_END:
        return _FROM_END[w]
    if w in _WORDS:
        return _WORDS.index(w) + 1
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", w)
    if m and int(m.group(1)) > 0:
        return int(m.group(1))
    raise GrammarError(f"{word!r} is not an ordinal")


def _ordinals(text: str) -> list[int]:
    return [ordinal_value(w) for w in re.findall(ORD, text, flags=re.IGNORECASE)]


# --- section references -------------------------------------------------------------------------

_CAPTION = rf"[{_Q}](?P<cap>[^{_Q}]+?)[,.]?[{_Q}]"
_SECTION_FORMS = [
    re.compile(
        rf"^(?:the\s+)?(?:section|heading|caption)\s+(?:of\s+the\s+[\w ]+?\s+)?"
        rf"(?:captioned|entitled|titled|headed|called)\s+{_CAPTION}",
        re.I,
    ),
    re.compile(
        rf"^(?:the\s+)?(?:section|subsection)\s+(?P<num>\d+[A-Za-z]?)\.?"
        rf"(?:\s*,?\s*\(?\s*(?:captioned|entitled|titled)?\s*{_CAPTION}\)?)?",
        re.I,
    ),
    re.compile(rf"^(?:the\s+)?(?:section\s+(?:captioned\s+)?)?{_CAPTION}(?:\s+section)?", re.I),
]
_PAGE = re.compile(
    r"^,?\s*(?:on|beginning on|at|appearing on)\s+pages?\s+(?P<page>[0-9ivxlc]+"
    r"(?:\s*(?:-|through|to|and)\s*[0-9ivxlc]+)?)",
    re.I,
)
_DOC = re.compile(
    r"^,?\s*(?:of|in|to)\s+(?P<doc>(?:the\s+)?Exhibit\s+(?:\([a-z0-9.]+\))+(?:\s+(?:to|of)\s+"
    r"(?:the|this)\s+(?:Tender Offer Statement|Schedule TO(?:-I)?|Statement|Amendment))?|"
    r"the\s+(?:Offer to Exchange|Offer to Purchase|Offering Circular|Election Form|"
    r"Letter of Transmittal|Summary Term Sheet)(?:\s+\(Exhibit\s+(?:\([a-z0-9.]+\))+[^)]*\))?)",
    re.I,
)


def parse_section(text: str) -> tuple[SectionRef, str]:
    """A section reference at the start of ``text`` and what follows it."""
    for form in _SECTION_FORMS:
        m = form.match(text)
        if not m:
            continue
        groups = m.groupdict()
        number = groups.get("num")
        title = groups.get("cap")
        if title:
            title = title.strip()
            inner = re.match(r"^Section\s+(\d+[A-Za-z]?)\.?\s*(.*)$", title, re.I)
            if inner:
                number, title = inner.group(1), inner.group(2).strip().rstrip(".") or None
        rest = text[m.end() :]
        page = document = None
        for _ in range(2):
            pm = _PAGE.match(rest)
            if pm and page is None:
                page, rest = pm.group("page"), rest[pm.end() :]
            dm = _DOC.match(rest)
            if dm and document is None:
                document, rest = dm.group("doc"), rest[dm.end() :]
        return SectionRef(number=number, title=title, page=page, document=document), rest
    raise GrammarError(f"no section reference in {text[:60]!r}")


# --- block and sentence references --------------------------------------------------------------

_ORDLIST = rf"(?P<ords>{ORD}(?:\s*,\s*(?:the\s+)?{ORD})*(?:\s*,?\s*and\s+(?:the\s+)?{ORD})?)"
_BLOCK = re.compile(rf"^(?:the\s+)?{_ORDLIST}\s+(?P<kind>{_KIND})\s+{_PREP}\s+", re.I)
_ONLY = re.compile(
    rf"^the\s+(?P<kind>paragraph|bullet(?:ed)?[- ]point|sentence)\s+{_PREP}\s+", re.I
)


def _kind(word: str) -> Kind:
    w = word.lower()
    if w.startswith("sentence"):
        return "sentence"
    if w.startswith("bullet"):
        return "bullet"
    return "paragraph"


def parse_targets(text: str) -> tuple[list[SectionRef | BlockRef | SentenceRef], str]:
    """Targets at the start of ``text`` ("the fifth, ninth and tenth bullet points in ...")."""
    page = None
    pm = re.match(r"^on\s+page\s+(?P<page>[0-9ivxlc]+),?\s+", text, re.I)
    if pm:
        page, text = pm.group("page"), text[pm.end() :]
    m = _BLOCK.match(text) or _ONLY.match(text)
    if m is None:
        section, rest = parse_section(text)
        if page and not section.page:
            section = section.model_copy(update={"page": page})
        return [section], rest
    ords = _ordinals(m.group("ords")) if "ords" in m.groupdict() and m.group("ords") else [0]
    kind = _kind(m.group("kind"))
    rest = text[m.end() :]
    if kind == "sentence":
        inner, rest = parse_targets(rest)
        if len(inner) != 1 or not isinstance(inner[0], BlockRef):
            raise GrammarError("a sentence is located within one paragraph or bullet point")
        return [SentenceRef(ordinal=o, block=inner[0]) for o in ords], rest
    if re.match(r"^(?:this|such|that)\s+section\b", rest, re.I):
        raise GrammarError("'this section' refers to a heading the grammar does not follow")
    section, rest = parse_section(rest)
    if page and not section.page:
        section = section.model_copy(update={"page": page})
    return [BlockRef(kind=kind, ordinal=o, section=section) for o in ords], rest


def _done(rest: str) -> bool:
    return (
        re.fullmatch(
            r"[\s,.:;]*(?:thereof|hereof|of the Offer(?: to Exchange)?)?[\s,.:;]*", rest, re.I
        )
        is not None
    )


# --- instruction sentences ----------------------------------------------------------------------

_TERMS = r"(?:has\s+been|have\s+been|is|are|shall\s+be|will\s+be)\s+(?:hereby\s+)?"
_ENTIRETY = r"(?:\s+in\s+(?:its|their)\s+entirety)?"
_REPLACE = re.compile(
    rf"\s+{_TERMS}(?:deleted{_ENTIRETY}\s+and\s+(?:{_TERMS})?replaced|amended\s+and\s+restated|"
    rf"(?:amended|changed|modified|revised){_ENTIRETY}\s+to\s+read|restated|revised|replaced|"
    rf"amended\s+in\s+(?:its|their)\s+entirety)\b(?P<tail>.*)$",
    re.I,
)
_DELETE = re.compile(rf"\s+{_TERMS}(?:deleted|removed){_ENTIRETY}[\s.]*$", re.I)
_WHERE = (
    r"(?P<where>immediately\s+after|immediately\s+following|immediately\s+before|immediately\s+"
    r"preceding|after|following|before|preceding|at\s+the\s+end\s+of|to\s+the\s+end\s+of|at\s+"
    r"the\s+beginning\s+of|to\s+the\s+beginning\s+of|between)"
)
_INSERT_PASSIVE = re.compile(
    rf"^the\s+following\s+(?:new\s+|additional\s+)?(?P<kind>{_KIND})\s+{_TERMS}(?:been\s+)?"
    rf"(?:inserted|added|included)\s+{_WHERE}\s+(?P<anchor>.+)$",
    re.I,
)
_INSERT_ACTIVE = re.compile(
    rf"^(?P<subject>.+?)\s+{_TERMS}(?:amended(?:\s+and\s+supplemented)?|supplemented)\s+"
    rf"(?:by|to)\s+(?:adding|inserting|add|insert)\s+(?:the\s+following|a\s+new)\s+"
    rf"(?:new\s+|additional\s+)?(?P<kind>{_KIND})?\s*(?:{_WHERE}\s+(?P<anchor>.+?)|"
    rf"(?P<atend>at\s+the\s+end\s+(?:thereof|of\s+(?:such|the|that)\s+section)))?$",
    re.I,
)
_ITEM = re.compile(
    r"^(?:the\s+information\s+(?:set\s+forth\s+)?(?:in|under)\s+)?Items?\s+"
    r"(?P<item>\d+(?:\s*\([a-z0-9]+\))*)(?P<more>(?:\s*(?:,|and|through|to)\s*(?:Items?\s+)?"
    r"\d+(?:\([a-z0-9]+\))*)*)(?P<ext>.*?)\s+"
    + _TERMS
    + r"amended(?:\s+and\s+(?P<mode>supplemented|restated))?(?P<tail>.*)$",
    re.I,
)
_PREAMBLE = re.compile(
    r"^(?:the\s+)?(?:Offer\s+to\s+(?:Exchange|Purchase)|Schedule\s+TO(?:-I)?|Tender\s+Offer\s+"
    r"Statement|Offer|Items?\s+[\d\s,]+(?:through\s+\d+)?.*?)\s+"
    + _TERMS
    + r"(?:amended|supplemented|restated)(?:\s+and\s+(?:amended|supplemented|restated))?"
    r"\s+as\s+follows$",
    re.I,
)
_IDS = r"(?:\([a-z0-9.]+\))+"
_EXHIBIT_FILED = re.compile(
    rf"^Exhibits?\s+(?P<ids>{_IDS}(?:\s*(?:,|and|,\s*and)\s*{_IDS})*)\s+(?:to\s+this\s+Amendment\s+"
    r"|hereto\s+|attached\s+hereto\s+)?(?:is|are)\s+(?:hereby\s+)?(?:filed|attached|added)",
    re.I,
)
_INCORPORATED = re.compile(
    rf"Exhibit\s+(?P<id>{_IDS}).*\bincorporated\s+(?:herein\s+)?by\s+reference", re.I
)


def _where(word: str) -> Literal["after", "before", "end", "start"]:
    w = word.lower()
    if "end" in w:
        return "end"
    if "beginning" in w:
        return "start"
    if "before" in w or "preceding" in w:
        return "before"
    return "after"


def _ids(text: str) -> list[str]:
    return re.findall(_IDS, text, re.I)


def _insert(
    kind_word: str | None,
    where_word: str | None,
    anchor: str,
    written: str,
    subject: str | None = None,
) -> Locator:
    kind: Kind = _kind(kind_word) if kind_word else "paragraph"
    where = _where(where_word) if where_word else "end"
    if subject and re.search(r"\bthereof$", anchor, re.I):
        anchor = re.sub(r"\s+thereof$", "", anchor, flags=re.I) + " of " + subject
    if where_word and where_word.lower() == "between":
        m = re.match(
            rf"^the\s+(?P<a>{ORD})\s+and\s+(?P<b>{ORD})\s+(?P<rest>{_KIND}\s+.+)$", anchor, re.I
        )
        if m is None:
            raise GrammarError(
                "'between' takes two ordinals ('between the second and third paragraphs of ...')"
            )
        a, b = ordinal_value(m.group("a")), ordinal_value(m.group("b"))
        if a <= 0 or b != a + 1:
            raise GrammarError(
                f"'between' names paragraphs {m.group('a')} and {m.group('b')}, "
                "which are not neighbours"
            )
        anchor, where = f"the {m.group('a')} {m.group('rest')}", "after"
    targets, rest = parse_targets(anchor)
    if not _done(rest):
        raise GrammarError(f"unread words after the locator: {rest.strip()[:60]!r}")
    if len(targets) != 1:
        raise GrammarError("an insertion names one place")
    target = targets[0]
    if kind == "sentence":
        if isinstance(target, SectionRef):
            raise GrammarError("a sentence is inserted into a paragraph, not a section")
        if where in ("after", "before") and isinstance(target, BlockRef):
            raise GrammarError(
                "a sentence goes before or after a sentence, or at the start or end of a paragraph"
            )
        return Locator(
            action="insert_sentence", targets=(target,), where=where, new_kind=kind, written=written
        )
    if isinstance(target, SentenceRef):
        raise GrammarError("a paragraph cannot be inserted inside a sentence")
    if isinstance(target, SectionRef):
        if where != "end":
            raise GrammarError(
                "a paragraph goes at the end of a section, or before or after a paragraph"
            )
        return Locator(
            action="append_to_section",
            targets=(target,),
            where="end",
            new_kind=kind,
            written=written,
        )
    if where in ("end", "start"):
        raise GrammarError(
            "paragraphs go after or before a paragraph; sentences go at the end of one"
        )
    return Locator(
        action="insert_after" if where == "after" else "insert_before",
        targets=(target,),
        where=where,
        new_kind=kind,
        written=written,
    )


def parse_head(head: str) -> Locator:
    """Read one instruction sentence (label already removed). Raises :class:`GrammarError`."""
    text = re.sub(r"\s+", " ", head).strip().rstrip(":.;").strip()
    m = _EXHIBIT_FILED.match(text)
    if m:
        ids = _ids(m.group("ids"))
        return Locator(
            action="file_exhibit",
            targets=tuple(ExhibitRef(exhibit_id=i) for i in ids),
            written=text,
        )
    if _PREAMBLE.match(text):
        return Locator(action="preamble", written=text)
    m = _INSERT_PASSIVE.match(text)
    if m:
        written = f"{m.group('where')} {m.group('anchor')}"
        return _insert(m.group("kind"), m.group("where"), m.group("anchor"), written)
    m = _INSERT_ACTIVE.match(text)
    if m and not re.match(
        r"^(?:the\s+information\s+(?:set\s+forth\s+)?(?:in|under)\s+)?Items?\b",
        m.group("subject"),
        re.I,
    ):
        subject = re.sub(
            r"^the\s+information\s+(?:set\s+forth\s+)?(?:in|under)\s+",
            "",
            m.group("subject"),
            flags=re.I,
        )
        if m.group("anchor"):
            written = f"{m.group('where')} {m.group('anchor')}"
            return _insert(
                m.group("kind"), m.group("where"), m.group("anchor"), written, subject=subject
            )
        return _insert(m.group("kind"), None, subject, subject)
    if m and m.group("anchor"):
        anchor = m.group("anchor")
        return _insert(m.group("kind"), m.group("where"), anchor, f"{m.group('where')} {anchor}")
    m = _ITEM.match(text)
    if m:
        item = re.sub(r"\s+", "", m.group("item"))
        tail = m.group("tail") or ""
        if re.search(r"\bexhibits?\b", tail, re.I) and item == "12":
            return Locator(
                action="file_exhibit", targets=(ItemRef(item=item),), written=f"Item {item}"
            )
        restate = (m.group("mode") or "").lower() == "restated" or "entirety" in tail.lower()
        return Locator(
            action="restate_item" if restate else "supplement_item",
            targets=(ItemRef(item=item),),
            written=f"Item {item}",
        )
    m = _INCORPORATED.search(text)
    if m:
        return Locator(
            action="file_exhibit",
            targets=(ExhibitRef(exhibit_id=m.group("id")),),
            written=f"Exhibit {m.group('id')}",
        )
    for pattern, action in ((_REPLACE, "replace"), (_DELETE, "delete")):
        m = pattern.search(text)
        if m is None:
            continue
        subject = text[: m.start()]
        targets, rest = parse_targets(subject)
        if not _done(rest):
            raise GrammarError(f"unread words after the locator: {rest.strip()[:60]!r}")
        return Locator(
            action="replace" if action == "replace" else "delete",
            targets=tuple(targets),
            written=subject,
        )
    raise GrammarError(
        "no action of the grammar (replace, delete, insert, add, file an exhibit, amend an item) "
        "was recognized"
    )


__all__ = [
    "BlockRef",
    "ExhibitRef",
    "GrammarError",
    "ItemRef",
    "Locator",
    "SectionRef",
    "SentenceRef",
    "Target",
    "ordinal_value",
    "parse_head",
    "parse_section",
    "parse_targets",
]
