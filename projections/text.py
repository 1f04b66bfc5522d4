"""The offer document at a moment, paragraph by paragraph, with where each part came from.

Selects the document's registration and amendments the moment admits, applies them in
effective order (ties by log position) with :func:`offerledger.events.apply_operation`, and
keeps for every section and paragraph the change that introduced it and the last that changed
it. An amendment whose operations no longer apply in that order is left out whole (as the write
side would have refused it) and reported, never half-applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from offerledger.events import (
    AmendmentTargetMissing,
    DocumentAmended,
    NotOnFile,
    OfferDocumentRegistered,
    Paragraph,
    Section,
    TextOperation,
    apply_operation,
)
from offerledger.events import Document as DocumentModel
from offerledger.projections.catalog import (
    FilingRef,
    QueryError,
    commenced,
    filing_index,
    offer_changes,
)
from offerledger.projections.core import NOW, Moment, Stamp, eastern, not_on_file
from offerledger.values import AmendScheduleItem, IncorporateExhibit, UnresolvedInstruction

SentenceText = str | NotOnFile


@dataclass(frozen=True, slots=True)
class Origin:
    """The change behind a part of the text: event, filing, operation and locator."""

    stamp: Stamp
    filing: FilingRef | None
    operation: str
    locator: str | None = None

    @property
    def label(self) -> str:
        filing = self.filing.label if self.filing is not None else not_on_file("filing")
        what = self.operation.replace("_", " ")
        where = f" at: {self.locator}" if self.locator else ""
        return (
            f"{filing}; {what}{where}; event {self.stamp.position}, effective "
            f"{self.stamp.effective_text}, recorded {eastern(self.stamp.recorded)}"
            f", by {self.stamp.actor}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "filing": None if self.filing is None else self.filing.as_dict(),
            "operation": self.operation,
            "locator": self.locator,
            "event": self.stamp.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class BlockView:
    """A paragraph, or a gap of paragraphs not on file, with its provenance."""

    id: str
    kind: str
    style: str
    sentences: tuple[SentenceText, ...]
    note: str | None
    introduced: Origin
    changed: Origin | None
    page: int | None = None  # the printed page the paragraph starts on, when on record

    @property
    def text(self) -> str:
        if self.kind == "gap":
            return not_on_file(self.note or "")
        return " ".join(
            not_on_file(s.note) if isinstance(s, NotOnFile) else s for s in self.sentences
        )


@dataclass(frozen=True, slots=True)
class PartView:
    """A section (with its blocks), or a run of sections not on file."""

    id: str
    kind: str
    number: str | None
    title: str | None
    page: int | None
    note: str | None
    blocks: tuple[BlockView, ...]
    introduced: Origin
    changed: Origin | None

    @property
    def heading(self) -> str:
        if self.kind == "section_gap":
            return not_on_file(self.note or "")
        if not self.number:  # an unnumbered part (Cover page, Summary Term Sheet): its title
            return self.title or ""
        return f"Section {self.number}. {self.title}"


@dataclass(frozen=True, slots=True)
class Incorporated:
    """A change outside the document's text: an exhibit, a Schedule TO item, an instruction."""

    origin: Origin
    text: str


@dataclass(frozen=True, slots=True)
class DocumentView:
    offer: uuid.UUID
    document_id: str
    title: str
    exhibit: str | None
    dated: date | None
    moment: Moment
    parts: tuple[PartView, ...]
    removed: tuple[tuple[str, Origin], ...] = ()
    incorporated: tuple[Incorporated, ...] = ()
    not_applied: tuple[tuple[Origin, str], ...] = ()
    changes: tuple[Origin, ...] = field(default=())

    def blocks(self) -> dict[str, tuple[PartView, BlockView]]:
        return {b.id: (p, b) for p in self.parts for b in p.blocks}


def _origins_for_document(doc: DocumentModel, origin: Origin) -> dict[str, Origin]:
    out = {}
    for part in doc.parts:
        out[part.id] = origin
        if isinstance(part, Section):
            for block in part.blocks:
                out[block.id] = origin
    return out


def _apply(
    doc: DocumentModel, ops: tuple[TextOperation, ...], origin: Origin
) -> tuple[DocumentModel, list[tuple[str, Origin]], list[Incorporated]]:
    """Apply one event's operations: (document, [(touched id, origin)], incorporated)."""
    touched: list[tuple[str, Origin]] = []
    extra: list[Incorporated] = []
    for op in ops:
        op_origin = Origin(origin.stamp, origin.filing, op.op, op.locator)
        before = _ids(doc)
        doc, ids = apply_operation(doc, op)
        note = _outside_text(op)
        if note is not None:
            extra.append(Incorporated(op_origin, note))
        after = _ids(doc)
        for touched_id in ids:
            touched.append((touched_id, op_origin))
            for part in doc.parts:
                if part.id == touched_id and isinstance(part, Section):
                    touched.extend((b.id, op_origin) for b in part.blocks)
        touched.extend((gone, op_origin) for gone in before - after)
    return doc, touched, extra


def _outside_text(op: TextOperation) -> str | None:
    """What an operation that does not edit the text says (None for text edits)."""
    if isinstance(op, IncorporateExhibit):
        return f"Exhibit {op.exhibit}: {op.title}"
    if isinstance(op, AmendScheduleItem):
        return f"Item {op.item} ({op.mode}): {' '.join(op.text)}"
    if isinstance(op, UnresolvedInstruction):
        return f"unresolved instruction: {op.text}"
    return None


def _ids(doc: DocumentModel) -> set[str]:
    out = set()
    for part in doc.parts:
        out.add(part.id)
        if isinstance(part, Section):
            out.update(b.id for b in part.blocks)
    return out


def document_at(
    state: Any,
    offer_id: uuid.UUID,
    moment: Moment = NOW,
    document_id: str | None = None,
    *,
    named_by: str | None = None,
) -> DocumentView:
    """The offer document as it stood at ``moment`` (see the module docstring).

    ``named_by``: what the user gave that set ``moment`` (an option such as ``from``, or an
    argument such as ``FROM``), named when no document stood at it; ``""``: a default the user
    did not give, named as such; None: ``as-of`` or ``as-recorded`` as the moment says. An
    offer with no document on record at all is said to be so, naming nothing the user gave (the
    moment is not what is wrong)."""
    commenced(state, offer_id, moment, named_by=named_by)
    filing_of = filing_index(state, offer_id)
    doc: DocumentModel | None = None
    introduced: dict[str, Origin] = {}
    changed: dict[str, Origin] = {}
    removed: dict[str, Origin] = {}
    incorporated: list[Incorporated] = []
    not_applied: list[tuple[Origin, str]] = []
    changes: list[Origin] = []
    for stamp, event in offer_changes(state, offer_id, moment):
        if isinstance(event, OfferDocumentRegistered):
            if doc is not None or (document_id and event.document.id != document_id):
                continue
            origin = Origin(stamp, filing_of.get(event.filing_id), "registered")
            doc = event.document
            introduced = _origins_for_document(doc, origin)
            changes.append(origin)
        elif isinstance(event, DocumentAmended) and doc is not None:
            if event.document_id != doc.id:
                continue
            origin = Origin(stamp, filing_of.get(event.filing_id), "amended")
            try:
                new_doc, touched, extra = _apply(doc, event.operations, origin)
            except AmendmentTargetMissing as e:
                not_applied.append((origin, e.message))
                continue
            existing = _ids(doc)
            doc = new_doc
            now = _ids(doc)
            for tid, op_origin in touched:
                if tid not in now:
                    removed[tid] = op_origin
                elif tid in existing:
                    changed[tid] = op_origin
                else:
                    introduced[tid] = op_origin
                    removed.pop(tid, None)
            incorporated.extend(extra)
            changes.append(origin)
    if doc is None:
        which = f" {document_id!r}" if document_id else ""
        if not _on_record(state, offer_id, document_id):
            # not a question of the moment: naming --as-of (or FROM) would blame what was given
            raise QueryError(
                f"no offer document{which} is registered for this offer",
                hint="record offer-document-registered (docs/recording.md), or ingest the "
                "offer's SC TO-I with its Offer to Exchange",
            )
        if named_by == "" and not document_id:
            day = moment.as_of_day.isoformat() if moment.as_of_day else "the moment read"
            raise QueryError(
                f"no offer document was registered by {day}, where the output starts by default",
                hint="give a start on or after the document's registration",
            )
        raise QueryError(
            f"no offer document{which} was registered at the moment asked for",
            field="document"
            if document_id
            else named_by
            or (
                "as-recorded"
                if moment.as_recorded is not None and moment.as_of is None
                else "as-of"
            ),
        )
    return _view(
        offer_id, doc, moment, introduced, changed, removed, incorporated, not_applied, changes
    )


def _on_record(state: Any, offer_id: uuid.UUID, document_id: str | None) -> bool:
    """Whether the ledger holds a registration of the offer's document (``document_id``'s, when
    given) at any moment."""
    return any(
        isinstance(event, OfferDocumentRegistered)
        and (not document_id or event.document.id == document_id)
        for _, event in offer_changes(state, offer_id, NOW)
    )


def _view(
    offer_id: uuid.UUID,
    doc: DocumentModel,
    moment: Moment,
    introduced: dict[str, Origin],
    changed: dict[str, Origin],
    removed: dict[str, Origin],
    incorporated: list[Incorporated],
    not_applied: list[tuple[Origin, str]],
    changes: list[Origin],
) -> DocumentView:
    parts: list[PartView] = []
    for part in doc.parts:
        if isinstance(part, Section):
            blocks = tuple(
                BlockView(
                    id=b.id,
                    kind=b.kind,
                    style=b.style if isinstance(b, Paragraph) else "body",
                    sentences=b.sentences if isinstance(b, Paragraph) else (),
                    note=None if isinstance(b, Paragraph) else b.note,
                    introduced=introduced[b.id],
                    changed=changed.get(b.id),
                    page=b.page if isinstance(b, Paragraph) else None,
                )
                for b in part.blocks
            )
            parts.append(
                PartView(
                    part.id,
                    "section",
                    part.number,
                    part.title,
                    part.page,
                    None,
                    blocks,
                    introduced[part.id],
                    changed.get(part.id),
                )
            )
        else:
            parts.append(
                PartView(
                    part.id,
                    "section_gap",
                    None,
                    None,
                    None,
                    part.note,
                    (),
                    introduced[part.id],
                    changed.get(part.id),
                )
            )
    return DocumentView(
        offer=offer_id,
        document_id=doc.id,
        title=doc.title,
        exhibit=doc.exhibit,
        dated=doc.dated,
        moment=moment,
        parts=tuple(parts),
        removed=tuple(sorted(removed.items())),
        incorporated=tuple(incorporated),
        not_applied=tuple(not_applied),
        changes=tuple(changes),
    )


def select_section(view: DocumentView, number: str) -> DocumentView:
    """Only the section numbered ``number`` ("7"); refuses a section the document lacks."""
    parts = tuple(p for p in view.parts if p.kind == "section" and p.number == number)
    if not parts:
        have = ", ".join(p.number for p in view.parts if p.number is not None)
        raise QueryError(
            f"the document has no section {number!r} on file (sections on file: {have})",
            field="section",
        )
    return DocumentView(
        offer=view.offer,
        document_id=view.document_id,
        title=view.title,
        exhibit=view.exhibit,
        dated=view.dated,
        moment=view.moment,
        parts=parts,
        removed=view.removed,
        incorporated=view.incorporated,
        not_applied=view.not_applied,
        changes=view.changes,
    )


__all__ = [
    "BlockView",
    "DocumentView",
    "Incorporated",
    "Origin",
    "PartView",
    "document_at",
    "select_section",
]
