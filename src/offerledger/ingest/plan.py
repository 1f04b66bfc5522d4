"""What ingesting one filing records (or, in a dry run, would record), as data and as JSON."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from offerledger.documents import SourceDocument
from offerledger.events import LedgerEvent
from offerledger.ingest.errors import Unparsed
from offerledger.ingest.model import ParsedFiling
from offerledger.ingest.notices import CrossCheck


@dataclass
class FilingIngest:
    """What ingesting one filing records (or, in a dry run, would record): the events in
    groups by signing key id, the source documents stored with them, cross-checks, notes."""

    parsed: ParsedFiling
    offer_id: uuid.UUID | None = None
    groups: list[tuple[list[LedgerEvent], str]] = field(default_factory=list)
    documents: list[SourceDocument] = field(default_factory=list)
    checks: list[CrossCheck] = field(default_factory=list)
    unresolved: list[Unparsed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    already_recorded: bool = False
    recorded: bool = False

    @property
    def events(self) -> list[LedgerEvent]:
        return [e for events, _ in self.groups for e in events]

    def as_json(self) -> dict[str, Any]:
        p = self.parsed
        return {
            "filing": {
                "source": p.source,
                "sha256": p.sha256,
                "stream": p.stream_name,
                "form": p.cover.form,
                "amendment_number": p.cover.amendment_number,
                "issuer": p.cover.issuer,
                "accession_number": p.accession,
                "cik": p.cik,
                "file_number": p.file_number,
                "filed_on": p.filed_on.isoformat() if p.filed_on else None,
            },
            "offer_id": str(self.offer_id) if self.offer_id else None,
            "already_recorded": self.already_recorded,
            "recorded": self.recorded,
            "events": [event_json(e) for e in self.events],
            "documents": [document_json(d) for d in self.documents],
            "cross_checks": [c.as_json() for c in self.checks],
            "unresolved": [
                {
                    "label": u.label,
                    "first_line": u.first_line,
                    "last_line": u.last_line,
                    "reason": u.reason,
                }
                for u in self.unresolved
            ],
            "problems": [
                {"first_line": x.first_line, "last_line": x.last_line, "what": x.what}
                for x in p.problems
            ],
            "notes": list(self.notes),
        }


def event_json(event: LedgerEvent) -> dict[str, Any]:
    return {
        "action": event.action,
        "topic": event.TOPIC,
        "stream": str(event.originator_id),
        "version": event.originator_version,
        "effective": event.effective.model_dump(mode="json"),
        "actor": event.actor,
        "key_id": event.key_id,
        "payload": event.payload(),
    }


def document_json(document: SourceDocument) -> dict[str, Any]:
    """A stored (or to be stored) source document's metadata, without its bytes."""
    return {
        "sha256": document.sha256,
        "media_type": document.media_type,
        "name": document.name,
        "size": len(document.content),
    }


__all__ = ["FilingIngest", "document_json", "event_json"]
