"""The cover page, introductory statement, signature block and exhibit index of a Schedule TO."""

from __future__ import annotations

import re
from collections.abc import Sequence

from offerledger.ingest.blocks import Para
from offerledger.ingest.dates import parse_date
from offerledger.ingest.model import CoverPage, ExhibitIndexEntry, IntroStatement, SignatureBlock

_NUMBER_WORDS = {
    w: i + 1
    for i, w in enumerate("one two three four five six seven eight nine ten eleven twelve".split())
}
_SEPARATOR = re.compile(r"^[\s\-=_*]{3,}$")
_BOX = r"(?:\[\s*[xX_✓√]?\s*\]|\|\s*/?\s*[xX_]?\s*/?\s*\||/\s*[xX]?\s*/|[☒☐⌧þýo¨■□✓]|\b[xX]\b)"
_LABELS = (
    ("fee_offset_rule_0_11_a_2", r"(?:check (?:the )?box if )?any part of the fee is offset"),
    (
        "preliminary_communications",
        r"(?:check (?:the )?box if )?the filing relates solely to "
        r"preliminary communications",
    ),
    ("cross_border_issuer_13e4i", r"Rule 13e-4\(i\)"),
    ("cross_border_third_party_14d1d", r"Rule 14d-1\(d\)"),
    ("third_party_tender_offer_14d1", r"third[- ]party tender offer subject to Rule 14d-1"),
    ("issuer_tender_offer_13e4", r"issuer tender offer subject to Rule 13e-4"),
    ("going_private_13e3", r"going[- ]private transaction subject to Rule 13e-3"),
    ("amendment_13d2", r"amendment to Schedule 13D under Rule 13d-2"),
    (
        "final_amendment",
        r"(?:check the following box )?if the filing is a final amendment "
        r"reporting the results of the tender offer[.:]?",
    ),
)
_CHECKED = re.compile(r"[xX✓√☒⌧þý■]")
INTRO = re.compile(
    r"^(?:This|The)\s+(?:Amendment\s+No\.?\s*\S+|Final\s+Amendment|Amendment|(?:Issuer\s+)?"
    r"Tender\s+Offer\s+Statement|Schedule\s+TO)\b.*\b(?:amends|supplements|relates|is\s+filed)",
    re.I,
)


def _before(lines: list[str], pattern: str) -> str | None:
    """The cover text printed above a caption such as "(Title of Class of Securities)"."""
    rx = re.compile(pattern, re.I)
    for i, line in enumerate(lines):
        m = rx.search(line)
        if not m:
            continue
        head = line[: m.start()].strip()
        if head and not head.startswith("("):
            return _tail(head)
        found: list[str] = []
        for prev in reversed(lines[:i]):
            if not prev.strip() or _SEPARATOR.match(prev) or prev.strip().endswith(")"):
                if found:
                    break
                if prev.strip().endswith(")") and prev.strip().startswith("("):
                    break
                continue
            found.insert(0, prev.strip())
        return " ".join(found) or None
    return None


def _tail(head: str) -> str:
    parts = re.split(
        r"-{3,}|={3,}|_{3,}|\)\s+(?=[A-Z])|\(AMENDMENT NO\.?\s*\w+\)|"
        r"AMENDMENT NO\.?\s*\d+\s+",
        head,
        flags=re.I,
    )
    return parts[-1].strip()


def parse_cover(paras: Sequence[Para], header: dict[str, str]) -> CoverPage:
    # a blank line between paragraphs: a caption's text ends where its paragraph does (HTML
    # covers put each caption in a paragraph of its own, with nothing between them)
    lines = [text for p in paras for text in (*(line.text for line in p.lines), "")]
    text = " ".join(p.text for p in paras)
    amendment: int | None = None
    m = re.search(r"Amendment\s+No\.?\s*(\d+|[a-z]+)\b", text, re.I)
    if m:
        word = m.group(1).lower()
        amendment = int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
    boxes = _boxes(text)
    final = bool(re.search(r"[(\-—–]\s*final\s+amendment\s*\)", text, re.I)) or boxes.get(
        "final_amendment", False
    )
    filed_form = header.get("CONFORMED SUBMISSION TYPE") or header.get("FORM TYPE")
    if boxes.get("preliminary_communications"):
        form = "SC TO-C"
    elif amendment is not None or final or (filed_form or "").endswith("/A"):
        form = "SC TO-I/A"
    else:
        form = "SC TO-I"
    cusip = _before(lines, r"\(CUSIP Number")
    if cusip and re.fullmatch(r"(?i)none|n/?a|not applicable", cusip):
        cusip = None
    return CoverPage(
        first_line=paras[0].first_line if paras else 1,
        last_line=paras[-1].last_line if paras else 1,
        form=form,
        form_as_filed=filed_form,
        amendment_number=amendment,
        final_amendment=final,
        issuer=_before(lines, r"\(Name of (?:Subject Company|Filing Person)"),
        securities=_before(lines, r"\(Title of Class of Securities"),
        cusip=cusip,
        check_boxes=boxes,
    )


def _boxes(text: str) -> dict[str, bool]:
    found: list[tuple[int, int, str]] = []
    for key, label in _LABELS:
        m = re.search(label, text, re.I)
        if m:
            found.append((m.start(), m.end(), key))
    found.sort()
    boxes: dict[str, bool] = {}
    previous_end = 0
    for k, (start, end, key) in enumerate(found):
        window = text[max(previous_end, start - 16) : start]
        tokens = list(re.finditer(_BOX, window))
        if key == "final_amendment" or not tokens:
            after_end = found[k + 1][0] if k + 1 < len(found) else len(text)
            after = list(re.finditer(_BOX, text[end : min(after_end, end + 12)]))
            tokens = after[:1] or tokens
        if tokens:
            boxes[key] = bool(_CHECKED.search(tokens[-1].group(0)))
        previous_end = end
    return boxes


def parse_intro(paras: Sequence[Para], amendment: int | None) -> IntroStatement:
    text = " ".join(p.text for p in paras)
    m = re.search(
        r"(?:amends|supplements)(?:\s+and\s+supplements)?\s+the\s+(?P<stmt>.+?Schedule\s+TO(?:-I)?)"
        r"(?P<rest>.*)",
        text,
        re.I,
    )
    amends = None
    filed = None
    as_amended = False
    prior: tuple[int, ...] = ()
    if m:
        amends = re.sub(r"\s*\(the\s+[\"\u201c].*$", "", m.group("stmt"))
        rest = m.group("rest")[:600]
        fm = re.search(
            r"filed\s+with\s+the\s+Securities\s+and\s+Exchange\s+Commission\s+on\s+"
            r"(?:or\s+about\s+)?(.{0,30})",
            rest,
            re.I,
        )
        filed = parse_date(fm.group(1)) if fm else None
        am = re.search(r"as\s+(?:previously\s+)?amended(?P<by>\s+by\s+[^(]{0,300})?", rest, re.I)
        if am:
            as_amended = True
            by = am.group("by") or ""
            numbers = [int(n) for n in re.findall(r"Amendment\s+No\.?\s*(\d+)", by)]
            if numbers:
                prior = tuple(sorted(set(numbers)))
            elif amendment is not None:
                prior = tuple(range(1, amendment))
    doc = re.search(
        r"the\s+(?P<doc>Offer\s+to\s+(?:Exchange|Purchase))[^.]{0,60}?dated\s+"
        r"(?P<date>[A-Z][a-z]+\.?\s+\d{1,2},\s+\d{4})",
        text,
    )
    return IntroStatement(
        first_line=paras[0].first_line,
        last_line=paras[-1].last_line,
        text=text,
        amends=amends,
        amended_filed_on=filed,
        as_amended=as_amended,
        prior_amendments=prior,
        offer_document=doc.group("doc") if doc else None,
        offer_document_dated=parse_date(doc.group("date")) if doc else None,
    )


def parse_signature(paras: Sequence[Para]) -> SignatureBlock:
    lines = [line.text.strip() for p in paras for line in p.lines]
    company = name = title = None
    signed_on = None
    for i, line in enumerate(lines):
        dm = re.match(r"^Dated?:?\s*(.+)$", line, re.I)
        if dm and signed_on is None:
            signed_on = parse_date(dm.group(1))
        nm = re.match(r"^Name:\s*(.+)$", line, re.I)
        if nm:
            name = nm.group(1).strip()
        tm = re.match(r"^Title:\s*(.+)$", line, re.I)
        if tm:
            title = tm.group(1).strip()
        if line.startswith("/s/") or re.match(r"^By:\s*/s/", line, re.I):
            for prev in reversed(lines[:i]):
                if prev and prev.isupper() and not prev.startswith("SIGNATURE"):
                    company = prev
                    break
            rest = [x for x in lines[i + 1 :] if x and not _SEPARATOR.match(x)]
            if name is None and rest and not rest[0].lower().startswith(("name:", "date")):
                name = rest[0]
                title_lines = []
                for x in rest[1:]:
                    if re.match(r"^(?:Date|Dated|Name|Title)\b", x, re.I):
                        break
                    title_lines.append(x)
                title = " ".join(title_lines) or None
            if name is None:
                name = re.sub(r"^(?:By:\s*)?/s/\s*", "", line, flags=re.I).strip().title()
    return SignatureBlock(
        first_line=paras[0].first_line,
        last_line=paras[-1].last_line,
        company=company,
        name=name,
        title=title,
        signed_on=signed_on,
    )


_ENTRY = re.compile(
    r"^\s*(?:Exhibit\s+)?(?:99\.?\s*)?(?P<id>(?:\([a-zA-Z0-9]{1,4}\)){1,4})"
    r"\s+(?P<title>\S.*)$"
)


def parse_exhibit_index(paras: Sequence[Para]) -> list[ExhibitIndexEntry]:
    entries: list[ExhibitIndexEntry] = []
    current: dict[str, object] | None = None
    for p in paras:
        for line in p.lines:
            m = _ENTRY.match(line.text)
            if m:
                if current:
                    entries.append(ExhibitIndexEntry.model_validate(current))
                current = {
                    "first_line": line.no,
                    "last_line": line.no,
                    "exhibit_id": m.group("id"),
                    "title": m.group("title").strip(),
                }
            elif current and line.text.strip() and line.text.startswith(" "):
                current["title"] = f"{current['title']} {line.text.strip()}"
                current["last_line"] = line.no
        if current:
            entries.append(ExhibitIndexEntry.model_validate(current))
            current = None
    return [e.model_copy(update={"title": e.title.rstrip(". ")}) for e in entries]


__all__ = ["INTRO", "parse_cover", "parse_exhibit_index", "parse_intro", "parse_signature"]
