"""What changed in the offer document between two moments, paragraph by paragraph."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from offerledger.projections.catalog import FilingRef
from offerledger.projections.core import Moment
from offerledger.projections.text import BlockView, DocumentView, Origin, PartView


@dataclass(frozen=True, slots=True)
class DiffEntry:
    """One paragraph (or section) added, removed or changed, and the change that did it."""

    status: str  # added | removed | changed
    kind: str  # paragraph | gap | section | section_gap
    id: str
    heading: str
    origin: Origin | None
    lines: tuple[tuple[str, str], ...]  # ("-" | "+", text)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "kind": self.kind,
            "id": self.id,
            "section": self.heading,
            "changed_by": None if self.origin is None else self.origin.as_dict(),
            "lines": [{"sign": sign, "text": text} for sign, text in self.lines],
        }


@dataclass(frozen=True, slots=True)
class ExhibitAdded:
    """An exhibit a filing seen at the later moment lists and none seen at the earlier did."""

    exhibit_id: str
    title: str
    filing: FilingRef

    @property
    def label(self) -> str:
        return (
            f"Exhibit {self.exhibit_id}: {self.title}; filed with {self.filing.label}; "
            f"{self.filing.accession_text}; event {self.filing.stamp.position}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"exhibit": self.exhibit_id, "title": self.title, "filing": self.filing.as_dict()}


@dataclass(frozen=True, slots=True)
class DocumentDiff:
    title: str
    before: Moment
    after: Moment
    entries: tuple[DiffEntry, ...]
    exhibits: tuple[ExhibitAdded, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "document": self.title,
            "from": self.before.as_dict(),
            "to": self.after.as_dict(),
            "changes": [e.as_dict() for e in self.entries],
            "exhibits_added": [x.as_dict() for x in self.exhibits],
        }


def exhibits_added(before: Sequence[FilingRef], after: Sequence[FilingRef]) -> list[ExhibitAdded]:
    """The exhibits the filings ``after`` list that the filings ``before`` did not, each with
    the first filing (in effective order) that lists it."""
    known = {x.exhibit_id for f in before for x in f.exhibits}
    out: dict[str, ExhibitAdded] = {}
    for f in after:
        for x in f.exhibits:
            if x.exhibit_id not in known and x.exhibit_id not in out:
                out[x.exhibit_id] = ExhibitAdded(x.exhibit_id, x.title, f)
    return list(out.values())


def _sentences(block: BlockView) -> list[str]:
    if block.kind == "gap":
        return [block.text]
    parts = []
    for s in block.sentences:
        parts.append(s if isinstance(s, str) else f"[not on file: {s.note}]")
    return parts


def _sentence_lines(old: list[str], new: list[str]) -> tuple[tuple[str, str], ...]:
    lines: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lines.extend(("-", s) for s in old[i1:i2])
        lines.extend(("+", s) for s in new[j1:j2])
    return tuple(lines)


def _flatten(view: DocumentView) -> list[tuple[str, PartView, BlockView | None]]:
    """Every section and block in document order: (id, part, block or None for the part)."""
    out: list[tuple[str, PartView, BlockView | None]] = []
    for part in view.parts:
        out.append((part.id, part, None))
        out.extend((b.id, part, b) for b in part.blocks)
    return out


def _kind(part: PartView, block: BlockView | None) -> str:
    if block is None:
        return part.kind
    return "paragraph" if block.kind == "paragraph" else block.kind


def _lines_of(part: PartView, block: BlockView | None) -> list[str]:
    return [part.heading] if block is None else _sentences(block)


def diff_documents(before: DocumentView, after: DocumentView) -> DocumentDiff:
    """Paragraph-by-paragraph changes from ``before`` to ``after`` (same document)."""
    old = _flatten(before)
    new = _flatten(after)
    old_ids = {i: (p, b) for i, p, b in old}
    new_index = {i: n for n, (i, _, _) in enumerate(new)}
    removed_by = dict(after.removed)
    keyed: list[tuple[tuple[int, int], DiffEntry]] = []
    for n, (item_id, part, block) in enumerate(new):
        origin = part.changed if block is None else block.changed
        introduced = part.introduced if block is None else block.introduced
        if item_id not in old_ids:
            entry = DiffEntry(
                "added",
                _kind(part, block),
                item_id,
                part.heading,
                introduced,
                tuple(("+", s) for s in _lines_of(part, block)),
            )
            keyed.append(((n, 0), entry))
            continue
        old_part, old_block = old_ids[item_id]
        lines = _sentence_lines(_lines_of(old_part, old_block), _lines_of(part, block))
        if lines:
            keyed.append(
                (
                    (n, 0),
                    DiffEntry("changed", _kind(part, block), item_id, part.heading, origin, lines),
                )
            )
    anchor = -1
    offset = 0
    for item_id, part, block in old:
        if item_id in new_index:
            anchor, offset = new_index[item_id], 0
            continue
        offset += 1
        entry = DiffEntry(
            "removed",
            _kind(part, block),
            item_id,
            part.heading,
            removed_by.get(item_id),
            tuple(("-", s) for s in _lines_of(part, block)),
        )
        keyed.append(((anchor, offset), entry))
    keyed.sort(key=lambda k: k[0])
    return DocumentDiff(after.title, before.moment, after.moment, tuple(e for _, e in keyed))


__all__ = ["DiffEntry", "DocumentDiff", "ExhibitAdded", "diff_documents", "exhibits_added"]
