"""Finding what a locator names in a :class:`Document` as it stands; refusing, never guessing.

Counting conventions (``docs/amendments.md``): "paragraph" counts body paragraphs, "bullet
point" counts bullet paragraphs, headings count as neither. A :class:`Gap` (text not on file)
between the counting end and the target makes the target unknowable: refused. Counting
paragraphs across bullet points is ambiguous in the filings' own usage: refused. A sentence
that is :class:`NotOnFile` counts as one sentence, except a paragraph's trailing one, which
stands for an unknown number of sentences.
"""

from __future__ import annotations

import re

from offerledger.events import Document, NotOnFile, Paragraph, Section
from offerledger.ingest.locators import BlockRef, SectionRef, SentenceRef
from offerledger.values import Gap

_ORD_NAMES = {1: "first", 2: "second", 3: "third", -1: "last", -2: "penultimate", 0: "only"}


class TargetNotFound(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _canon(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def ordinal_name(n: int) -> str:
    return _ORD_NAMES.get(n, f"{n}th" if n > 0 else f"{-n}th from last")


def choose_document(documents: dict[str, Document], ref: SectionRef) -> Document:
    """The document a section reference points into ("of Exhibit (a)(1) ...")."""
    if not documents:
        raise TargetNotFound("the offer has no registered document to amend")
    written = ref.document or ""
    ex = re.search(r"(?:\([a-z0-9.]+\))+", written, re.I)
    if ex:
        key = ex.group(0).lower()
        hits = [d for d in documents.values() if (d.exhibit or "").lower() == key]
        if len(hits) == 1:
            return hits[0]
        raise TargetNotFound(f"no registered document is Exhibit {ex.group(0)}")
    if written:
        hits = [
            d for d in documents.values() if _canon(d.title) and _canon(d.title) in _canon(written)
        ]
        if len(hits) == 1:
            return hits[0]
    if len(documents) == 1:
        return next(iter(documents.values()))
    raise TargetNotFound(f"the locator does not say which of {len(documents)} documents it amends")


def find_section(doc: Document, ref: SectionRef) -> Section:
    sections = [p for p in doc.parts if isinstance(p, Section)]
    if ref.number is not None:
        hits = [s for s in sections if s.number == ref.number]
        if not hits:
            raise TargetNotFound(f"document {doc.id!r} has no Section {ref.number} on record")
        section = hits[0]
        if ref.title and _canon(ref.title) != _canon(section.title):
            raise TargetNotFound(
                f"Section {ref.number} is titled {section.title!r} in the document; the filing "
                f"says {ref.title!r}"
            )
        return section
    if ref.title:
        hits = [s for s in sections if _canon(s.title) == _canon(ref.title)]
        if len(hits) == 1:
            return hits[0]
        raise TargetNotFound(
            f"document {doc.id!r} has no section captioned {ref.title!r}"
            if not hits
            else f"several sections are captioned {ref.title!r}"
        )
    raise TargetNotFound("the locator names no section")


def _style_of(kind: str) -> str:
    return "bullet" if kind == "bullet" else "body"


def find_block(section: Section, ref: BlockRef) -> Paragraph:
    """The paragraph or bullet point a block reference names."""
    style = _style_of(ref.kind)
    noun = "bullet point" if ref.kind == "bullet" else "paragraph"
    where = f"the {ordinal_name(ref.ordinal)} {noun} of Section {section.number}"
    blocks = list(section.blocks)
    if ref.ordinal == 0:
        if any(isinstance(b, Gap) for b in blocks):
            raise TargetNotFound(
                f"{where}: part of the section is not on file, so 'the "
                f"{noun}' cannot be told apart from others"
            )
        hits = [b for b in blocks if isinstance(b, Paragraph) and b.style == style]
        if len(hits) != 1:
            raise TargetNotFound(f"{where}: the section has {len(hits)} {noun}s, not one")
        return hits[0]
    order = blocks if ref.ordinal > 0 else list(reversed(blocks))
    wanted = abs(ref.ordinal)
    count = 0
    for block in order:
        if isinstance(block, Gap):
            raise TargetNotFound(
                f"{where}: text not on file ({block.id}) stands between the "
                f"{'start' if ref.ordinal > 0 else 'end'} of the section and the target, so "
                "it cannot be counted"
            )
        if block.style == "heading":
            continue
        if block.style != style:
            if ref.kind == "paragraph":
                raise TargetNotFound(
                    f"{where}: bullet points stand among the paragraphs; "
                    "whether the filing counts them is ambiguous"
                )
            continue
        count += 1
        if count == wanted:
            return block
    raise TargetNotFound(f"{where}: the section has only {count} {noun}(s)")


def sentence_index(para: Paragraph, ref: SentenceRef) -> int:
    items = list(para.sentences)
    where = f"the {ordinal_name(ref.ordinal)} sentence of paragraph {para.id!r}"
    if ref.ordinal > 0:
        index = ref.ordinal - 1
        for k in range(min(index + 1, len(items))):
            if isinstance(items[k], NotOnFile) and k == len(items) - 1:
                raise TargetNotFound(
                    f"{where}: the paragraph's text from sentence {k + 1} on is "
                    "not on file, so its sentences cannot be counted"
                )
        if index >= len(items):
            raise TargetNotFound(f"{where}: the paragraph has {len(items)} sentence(s)")
        return index
    if isinstance(items[-1], NotOnFile):
        raise TargetNotFound(f"{where}: the end of the paragraph is not on file")
    index = len(items) + ref.ordinal
    if index < 0:
        raise TargetNotFound(f"{where}: the paragraph has {len(items)} sentence(s)")
    return index


def block_before(section: Section, block_id: str) -> str | None:
    ids = [b.id for b in section.blocks]
    at = ids.index(block_id)
    return ids[at - 1] if at > 0 else None


__all__ = [
    "TargetNotFound",
    "block_before",
    "choose_document",
    "find_block",
    "find_section",
    "ordinal_name",
    "sentence_index",
]
