"""Source documents and the events that cite them: which hashes an event cites, who cites a
document, the write side's check that a recorded event's documents are stored
(:func:`check_documents`) and the check ``verify`` runs (:func:`documents_problems`).

An event cites a source document by a payload field named ``source_sha256`` (the filing file as
received, the CSV file as ingested), ``content_sha256`` (a notice's text as sent) or
``document_sha256`` (the full list behind a committed list), at any depth of the payload. Each
names the SHA-256 of the document's exact bytes, stored in the ledger with the event
(:mod:`offerledger.documents`). Version 1 notices (``offerledger.NoticeDispatched.v1``) predate
stored documents: their content hash is not a citation.

Hashes that are *not* citations: an exhibit's ``sha256`` in ``FilingRecorded.exhibits`` is of the
exhibit's normalized text (:class:`offerledger.values.Exhibit`), never of stored bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from offerledger.documents import CITING_FIELD, CITING_FIELDS, SourceDocument, cited_hashes
from offerledger.errors import InputError
from offerledger.events import LedgerEvent
from offerledger.ledger import Ledger

__all__ = [
    "CITING_FIELD",
    "CITING_FIELDS",
    "Citation",
    "check_documents",
    "cited_documents",
    "citations_of",
    "documents_problems",
    "stored_document_hashes",
]


@dataclass(frozen=True, slots=True)
class Citation:
    """One event's reference to a document: where the event is and which field names it."""

    position: int
    stream: uuid.UUID
    version: int
    topic: str
    field: str
    sha256: str

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "stream": str(self.stream),
            "version": self.version,
            "topic": self.topic,
            "field": self.field,
        }


def cited_documents(event: LedgerEvent) -> list[tuple[str, str]]:
    """The (field path, SHA-256) of every source document ``event`` cites, in field order."""
    return list(cited_hashes(event.TOPIC, event.payload()))


def _document_hint(event: LedgerEvent) -> str:
    """How to give a missing document: ``--document`` exists only where an action cites one."""
    if type(event).__name__ in CITING_FIELD:
        return "give the document's file with --document FILE"
    return (
        f"{_action_name(event)} takes no --document: it can name only a document already stored "
        "(one an earlier event cites; offerledger show document SHA256 shows it)"
    )


def _action_name(event: LedgerEvent) -> str:
    name = type(event).__name__
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")


def check_documents(
    ledger: Ledger,
    event: LedgerEvent,
    given: Sequence[SourceDocument],
    stored_with: Sequence[SourceDocument],
    *,
    source: str | None,
) -> None:
    """Each document ``event`` cites is given (``given`` by the user, ``stored_with`` it by the
    write path) or already stored; each document the user gave is one it cites."""
    cited = cited_documents(event)
    saved = {d.sha256 for d in (*given, *stored_with)}
    for field, sha in cited:
        if sha not in saved and ledger.document(sha) is None:
            raise InputError(
                f"names document {sha}, which is neither given nor stored in the ledger",
                file=source,
                field=field,
                hint=_document_hint(event),
            )
    names = {sha for _, sha in cited}
    for document in given:
        if document.sha256 not in names:
            raise InputError(
                f"the document {document.name} (SHA-256 {document.sha256}) is not one the "
                f"{event.action} cites",
                field="--document",
                hint=f"its {CITING_FIELD.get(type(event).__name__, 'citing field')} must name it",
            )


def _citations(ledger: Ledger) -> Iterator[Citation]:
    for entry in ledger.log():
        if entry.event is None:  # undecodable rows are verify's to report
            continue
        for field, sha in cited_documents(entry.event):
            yield Citation(entry.position, entry.stream, entry.version, entry.topic, field, sha)


def citations_of(ledger: Ledger, sha256: str) -> list[Citation]:
    """Every event that cites the document ``sha256``, in log order (one pass over the log)."""
    return [c for c in _citations(ledger) if c.sha256 == sha256]


def stored_document_hashes(ledger: Ledger) -> list[str]:
    """The names (SHA-256 hex) of every stored source document, sorted."""
    return ledger.document_hashes()


def documents_problems(ledger: Ledger) -> list[str]:
    """Every stored document whose bytes do not hash to its name, every document an event cites
    that is not stored, and every stored document no event cites; empty when all is well.

    Each problem is one line naming the document and, for a citation, the event's position,
    stream, version and field.
    """
    problems: list[str] = []
    stored = stored_document_hashes(ledger)
    for name in stored:
        document = ledger.document(name)
        if document is None:  # pragma: no cover - listed a moment ago
            problems.append(f"document {name}: listed but not readable")
        elif document.sha256 != name:
            problems.append(
                f"document {name} ({document.name}): its bytes hash to {document.sha256}, "
                "not to its name"
            )
    present = set(stored)
    cited: set[str] = set()
    for c in _citations(ledger):
        cited.add(c.sha256)
        if c.sha256 not in present:
            problems.append(
                f"position {c.position} (stream {c.stream} version {c.version}): {c.field} names "
                f"document {c.sha256}, which is not stored"
            )
    for name in stored:
        if name not in cited:
            problems.append(f"document {name}: stored, but no event cites it")
    return problems
