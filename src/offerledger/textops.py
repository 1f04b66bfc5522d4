"""Apply text operations to an offer document: one pure function for the write side and the folds.

The write side calls :func:`apply_operation` to refuse an amendment whose target does not exist
at that point; projections call it to rebuild the text. Re-exported by :mod:`offerledger.events`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from offerledger.errors import RuleViolation
from offerledger.values import (
    AddSection,
    AmendScheduleItem,
    Block,
    DeleteParagraph,
    DeleteSentence,
    Document,
    Gap,
    IncorporateExhibit,
    InsertParagraphAfter,
    InsertSentence,
    Paragraph,
    Part,
    ReplaceParagraph,
    ReplaceSection,
    ReplaceSentence,
    Section,
    TextOperation,
    UnresolvedInstruction,
)

RULE = "amendment-target"


class AmendmentTargetMissing(RuleViolation):
    """An amendment addresses a section, paragraph or sentence the document lacks at that point."""

    def __init__(self, message: str, *, locator: str) -> None:
        super().__init__(
            f"{message} (the filing says: {locator!r})",
            rule=RULE,
            hint="amendments only address sections, paragraphs and sentences that exist "
            "when the amendment takes effect",
        )
        self.locator = locator


def _section(doc: Document, section_id: str, locator: str) -> tuple[int, Section]:
    for i, part in enumerate(doc.parts):
        if isinstance(part, Section) and part.id == section_id:
            return i, part
    raise AmendmentTargetMissing(
        f"document {doc.id!r} has no section {section_id!r}", locator=locator
    )


def _block(section: Section, block_id: str, locator: str) -> tuple[int, Block]:
    for i, block in enumerate(section.blocks):
        if block.id == block_id:
            return i, block
    raise AmendmentTargetMissing(
        f"section {section.id!r} has no paragraph {block_id!r}", locator=locator
    )


def _paragraph(section: Section, paragraph_id: str, locator: str) -> tuple[int, Paragraph]:
    i, block = _block(section, paragraph_id, locator)
    if not isinstance(block, Paragraph):
        raise AmendmentTargetMissing(
            f"{paragraph_id!r} in section {section.id!r} is a gap, not a paragraph",
            locator=locator,
        )
    return i, block


def all_ids(doc: Document) -> set[str]:
    """Every part, block id in the document (ids are unique across the document)."""
    ids: set[str] = set()
    for part in doc.parts:
        ids.add(part.id)
        if isinstance(part, Section):
            ids.update(block.id for block in part.blocks)
    return ids


def _fresh(doc: Document, ids: Iterable[str], locator: str) -> None:
    taken = all_ids(doc)
    for new_id in ids:
        if new_id in taken:
            raise AmendmentTargetMissing(f"id {new_id!r} is already in use", locator=locator)


def _with_section(doc: Document, index: int, section: Section) -> Document:
    parts: list[Part] = list(doc.parts)
    parts[index] = section
    return doc.model_copy(update={"parts": tuple(parts)})


def _with_blocks(doc: Document, index: int, section: Section, blocks: list[Block]) -> Document:
    return _with_section(doc, index, section.model_copy(update={"blocks": tuple(blocks)}))


def _sentences_op(
    doc: Document, op: ReplaceSentence | InsertSentence | DeleteSentence
) -> tuple[Document, tuple[str, ...]]:
    si, section = _section(doc, op.section_id, op.locator)
    bi, para = _paragraph(section, op.paragraph_id, op.locator)
    sentences = list(para.sentences)
    limit = len(sentences) + (1 if isinstance(op, InsertSentence) else 0)
    if op.index >= limit:
        raise AmendmentTargetMissing(
            f"paragraph {para.id!r} has {len(sentences)} sentence(s); "
            f"there is no sentence {op.index + 1}",
            locator=op.locator,
        )
    if isinstance(op, ReplaceSentence):
        sentences[op.index] = op.text
    elif isinstance(op, InsertSentence):
        sentences.insert(op.index, op.text)
    else:
        if len(sentences) == 1:
            raise AmendmentTargetMissing(
                f"deleting the only sentence of {para.id!r} would leave an empty paragraph; "
                "delete the paragraph instead",
                locator=op.locator,
            )
        del sentences[op.index]
    blocks = list(section.blocks)
    blocks[bi] = para.model_copy(update={"sentences": tuple(sentences)})
    return _with_blocks(doc, si, section, blocks), (para.id,)


def apply_operation(doc: Document, op: TextOperation) -> tuple[Document, tuple[str, ...]]:
    """The document after ``op`` and the ids of the paragraphs (or sections) it touched.

    Raises :class:`AmendmentTargetMissing` when the operation addresses something the
    document does not have.
    """
    if isinstance(op, (AmendScheduleItem, IncorporateExhibit, UnresolvedInstruction)):
        return doc, ()
    if isinstance(op, (ReplaceSentence, InsertSentence, DeleteSentence)):
        return _sentences_op(doc, op)
    if isinstance(op, AddSection):
        _fresh(doc, [op.new.id, *(b.id for b in op.new.blocks)], op.locator)
        parts: list[Part] = list(doc.parts)
        at = 0
        if op.after_id is not None:
            ids = [p.id for p in parts]
            if op.after_id not in ids:
                raise AmendmentTargetMissing(
                    f"document {doc.id!r} has no section {op.after_id!r}", locator=op.locator
                )
            at = ids.index(op.after_id) + 1
        parts.insert(at, op.new)
        return doc.model_copy(update={"parts": tuple(parts)}), (op.new.id,)
    si, section = _section(doc, op.section_id, op.locator)
    if isinstance(op, ReplaceSection):
        if op.new.id != section.id:
            raise AmendmentTargetMissing(
                f"a replacement section keeps the id {section.id!r}", locator=op.locator
            )
        old_ids = {b.id for b in section.blocks}
        _fresh(doc, [b.id for b in op.new.blocks if b.id not in old_ids], op.locator)
        return _with_section(doc, si, op.new), (section.id,)
    blocks = list(section.blocks)
    if isinstance(op, ReplaceParagraph):
        bi, _ = _paragraph(section, op.paragraph_id, op.locator)
        if op.new.id != op.paragraph_id:
            raise AmendmentTargetMissing(
                f"a replacement paragraph keeps the id {op.paragraph_id!r}", locator=op.locator
            )
        blocks[bi] = op.new
        return _with_blocks(doc, si, section, blocks), (op.paragraph_id,)
    if isinstance(op, InsertParagraphAfter):
        bi, _ = _block(section, op.after_id, op.locator)
        _fresh(doc, [op.new.id], op.locator)
        blocks.insert(bi + 1, op.new)
        return _with_blocks(doc, si, section, blocks), (op.new.id,)
    if isinstance(op, DeleteParagraph):
        bi, _ = _block(section, op.paragraph_id, op.locator)
        del blocks[bi]
        return _with_blocks(doc, si, section, blocks), (op.paragraph_id,)
    raise AssertionError(f"unhandled text operation {type(op).__name__}")  # pragma: no cover


def apply_operations(
    doc: Document, ops: Iterable[TextOperation]
) -> tuple[Document, tuple[str, ...]]:
    """Apply a filing's operations in order (all or nothing: the caller keeps the old document)."""
    touched: list[str] = []
    for op in ops:
        doc, ids = apply_operation(doc, op)
        touched.extend(ids)
    return doc, tuple(touched)


# --- stored text: normalized once, the same way everywhere ----------------------------------------

_PAGE_MARK = re.compile(r"^\s*<PAGE>\s*$", re.IGNORECASE | re.MULTILINE)
_PAGE_NUMBER = re.compile(r"^\s*(?:-\s*)?\d{1,3}(?:\s*-)?\s*$", re.MULTILINE)
_SPACE = re.compile(r"\s+")
_QUOTES = (('"', '"'), ("\u201c", "\u201d"), ("'", "'"), ("\u2018", "\u2019"))


def normalize_text(text: str, *, drop_quotes: bool = False) -> str:
    """NFC; EDGAR ``<PAGE>`` markers and running page-number lines removed; whitespace folded.

    ``drop_quotes`` removes the enclosing quotation marks of an inserted passage.
    """
    text = unicodedata.normalize("NFC", text)
    text = _PAGE_MARK.sub(" ", text)
    text = _PAGE_NUMBER.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    if drop_quotes:
        for left, right in _QUOTES:
            if len(text) >= 2 and text.startswith(left) and text.endswith(right):
                text = text[len(left) : -len(right)].strip()
                break
    return text


_ABBREVIATIONS = (
    "Inc.",
    "Corp.",
    "Co.",
    "Ltd.",
    "No.",
    "Nos.",
    "Esq.",
    "Mr.",
    "Ms.",
    "Mrs.",
    "Dr.",
    "U.S.",
    "S.E.C.",
    "i.e.",
    "e.g.",
    "etc.",
    "vs.",
    "Sec.",
    "p.m.",
    "a.m.",
    "St.",
    "Jr.",
)
_BOUNDARY = re.compile(r"(?<=[.!?])[\"\u201d']?\s+(?=[\"\u201c(]?[A-Z0-9])")


def split_sentences(text: str) -> tuple[str, ...]:
    """Split normalized text into sentences (legal-text abbreviations kept whole)."""
    text = normalize_text(text)
    if not text:
        return ()
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        candidate = text[start : m.start()].rstrip()
        if any(candidate.endswith(a) for a in _ABBREVIATIONS):
            continue
        end = m.start() + len(m.group(0).rstrip())
        out.append(text[start:end].strip())
        start = m.end()
    out.append(text[start:].strip())
    return tuple(s for s in out if s)


def inserted_paragraph_id(*, filing: str, label: str, index: int) -> str:
    """The stable id of a paragraph a filing inserts: from the filing, the op's label and index."""
    digest = hashlib.sha256(f"{filing}|{label}|{index}".encode()).hexdigest()
    return f"p-{digest[:12]}"


__all__ = [
    "AmendmentTargetMissing",
    "Gap",
    "all_ids",
    "apply_operation",
    "apply_operations",
    "inserted_paragraph_id",
    "normalize_text",
    "split_sentences",
]
