"""Filings into the ledger: plan the events, cross-check, and save all of them or none.

The filing's stream is ``filing:<sha256 of its bytes>``; a filing whose stream exists is already
recorded and a second ingest records nothing (a race ends in a version conflict, never two
copies). Officer events and the notices communications dispatched are saved in one transaction,
with the source documents they cite (:mod:`offerledger.ingest.sourcedocs`): the filing file as
received and each dispatched notice's text as it stands in the filing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from offerledger.documents import SourceDocument
from offerledger.errors import InputError, RuleViolation
from offerledger.events import (
    DocumentAmended,
    Exhibit,
    FilingRecorded,
    LedgerEvent,
    NoticeDispatched,
    OnDate,
    Signer,
    stream_id,
)
from offerledger.ingest.errors import Unparsed
from offerledger.ingest.filing import parse_filing
from offerledger.ingest.model import ParsedFiling
from offerledger.ingest.notices import (
    CrossCheck,
    check_deadline,
    check_repeated_amendments,
    read_notice,
)
from offerledger.ingest.resolve import resolve
from offerledger.ingest.signers import actor_of, default_key
from offerledger.ingest.sourcedocs import exhibit_document, filing_document
from offerledger.ledger import Ledger
from offerledger.signing.keys import SigningKey
from offerledger.values import EASTERN


@dataclass
class FilingIngest:
    """What ingesting one filing records (or, in a dry run, would record)."""

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


def _offer_for(ledger: Ledger, parsed: ParsedFiling, offer: str | None) -> uuid.UUID:
    if offer is None and parsed.cik:
        hits = [
            o
            for o in ledger.offers()
            if o.cik.lstrip("0") == parsed.cik.lstrip("0")
            and (not parsed.file_number or o.file_number == parsed.file_number)
        ]
        if len(hits) == 1:
            return hits[0].originator_id
    return ledger.resolve_offer(offer)


def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def plan_filing(
    ledger: Ledger,
    parsed: ParsedFiling,
    *,
    raw: bytes,
    key_id: str,
    notice_key_id: str | None = None,
    offer: str | None = None,
    allow_unparsed: bool = False,
) -> FilingIngest:
    """The events ingesting ``parsed`` (read from the file bytes ``raw``) records, and the source
    documents stored with them; raises UnparsedInstructions when refused."""
    out = FilingIngest(parsed)
    sid = stream_id(parsed.stream_name)
    if ledger.app.recorder.select_events(sid, limit=1):
        out.already_recorded = True
        out.notes.append(
            f"this filing (SHA-256 {parsed.sha256[:16]}…) is already recorded in "
            f"stream {parsed.stream_name}; nothing to record"
        )
        return out
    offer_id = out.offer_id = _offer_for(ledger, parsed, offer)
    state = ledger.offer_state(offer_id)
    _check_belongs(ledger, parsed, offer_id)
    resolved = resolve(parsed, dict(state.documents), allow_unparsed=allow_unparsed)
    out.unresolved = resolved.unparsed
    filed = parsed.filed_on or (parsed.signature.signed_on if parsed.signature else None)
    if filed is None:
        raise InputError(
            "the filing gives no filing date (no header and no signature date)",
            file=parsed.source,
            hint="ingest the EDGAR submission file",
        )
    recorded = ledger.clock()
    effective = OnDate(on=filed)
    head: dict[str, Any] = {
        "recorded": recorded,
        "actor": actor_of(ledger, key_id),
        "key_id": key_id,
        "effective": effective,
    }
    intro = parsed.intro
    amends = None
    if intro and intro.amends:
        amends = intro.amends + (
            f" filed {_long_date(intro.amended_filed_on)}" if intro.amended_filed_on else ""
        )
        amends += ", as amended" if intro.as_amended else ""
    sig = parsed.signature
    events: list[LedgerEvent] = [
        FilingRecorded(
            originator_id=sid,
            originator_version=1,
            **head,
            offer_id=offer_id,
            form=parsed.cover.form,
            amendment_number=parsed.cover.amendment_number,
            filed_on=filed,
            final_amendment=parsed.cover.final_amendment,
            check_boxes=parsed.cover.check_boxes,
            signer=Signer(name=sig.name, title=sig.title or "", signed_on=sig.signed_on)
            if sig and sig.name
            else None,
            exhibits=tuple(
                Exhibit(exhibit_id=e.exhibit_id, title=e.title, sha256=e.sha256)
                for e in parsed.exhibits
            ),
            source_sha256=parsed.sha256,
            amends=amends,
        )
    ]
    version = state.version
    primary = next((d for d, _ in resolved.groups if d is not None), None) or _primary(state)
    for doc_id, ops in resolved.groups:
        target = doc_id or primary
        if target is None:
            raise InputError(
                "the offer has no registered document for this filing's operations",
                file=parsed.source,
                hint="register the offer document first",
            )
        version += 1
        events.append(
            DocumentAmended(
                originator_id=offer_id,
                originator_version=version,
                **head,
                filing_id=sid,
                document_id=target,
                operations=tuple(ops),
            )
        )
    out.groups.append((events, key_id))
    out.documents.append(filing_document(raw, name=parsed.source))
    notices = _notices(ledger, out, raw, state, notice_key_id, version, recorded)
    if notices:
        out.groups.append((notices, str(notice_key_id)))
    return out


def _primary(state: Any) -> str | None:
    docs = state.documents
    main = [d for d in docs.values() if (d.exhibit or "").lower() == "(a)(1)"]
    if main:
        return str(main[0].id)
    return next(iter(docs)) if len(docs) == 1 else None


def _notices(
    ledger: Ledger,
    out: FilingIngest,
    raw: bytes,
    state: Any,
    key_id: str | None,
    version: int,
    recorded: Any,
) -> list[LedgerEvent]:
    events: list[LedgerEvent] = []
    for exhibit in out.parsed.exhibits:
        facts = read_notice(exhibit)
        if facts is None:
            continue
        out.checks.append(check_repeated_amendments(out.parsed, exhibit))
        day = facts.dated or out.parsed.filed_on
        at = OnDate(on=day).earliest() if day else recorded.astimezone(EASTERN)
        out.checks.append(check_deadline(facts, state.expiration_in_force(at)))
        if not facts.channels:
            out.checks.append(
                CrossCheck(
                    "notice-channels",
                    "not_met",
                    f"Exhibit {facts.exhibit_id} does not say how it was sent; no dispatch is "
                    "recorded",
                    (facts.first_line, facts.last_line),
                )
            )
            continue
        if key_id is None:
            out.notes.append(
                f"Exhibit {facts.exhibit_id} is a notice sent by "
                f"{' and '.join(facts.channels)}; its dispatch is not recorded "
                "because no communications key was given (--notice-key)"
            )
            continue
        text = exhibit_document(raw, exhibit, name=out.parsed.source)
        out.documents.append(text)
        for channel in facts.channels:
            version += 1
            events.append(
                NoticeDispatched(
                    originator_id=state.id,
                    originator_version=version,
                    effective=OnDate(on=day) if day else {"kind": "instant", "at": recorded},
                    recorded=recorded,
                    actor=actor_of(ledger, key_id),
                    key_id=key_id,
                    notice_id=f"{facts.exhibit_id} {day.isoformat() if day else ''}".strip(),
                    notice_kind=facts.kind,
                    exhibit=facts.exhibit_id,
                    channel=channel,
                    recipient_class=facts.recipient_class or "recipients named in the notice",
                    content_sha256=text.sha256,
                )
            )
    return events


def ingest_filing_bytes(
    ledger: Ledger,
    raw: bytes,
    *,
    signer: SigningKey,
    source: str,
    notice_signer: SigningKey | None = None,
    offer: str | None = None,
    allow_unparsed: bool = False,
    dry_run: bool = False,
) -> FilingIngest:
    """Parse, resolve, cross-check and (unless ``dry_run``) record one filing, all or nothing."""
    parsed = parse_filing(raw, name=source)
    plan = plan_filing(
        ledger,
        parsed,
        raw=raw,
        key_id=signer.key_id,
        notice_key_id=notice_signer.key_id if notice_signer else None,
        offer=offer,
        allow_unparsed=allow_unparsed,
    )
    if dry_run or not plan.groups:
        return plan
    keys: dict[str, SigningKey] = {signer.key_id: signer}
    if notice_signer is not None:
        keys[notice_signer.key_id] = notice_signer
    ledger.save_groups(
        [(events, keys[kid]) for events, kid in plan.groups], documents=plan.documents
    )
    plan.recorded = True
    return plan


def _same_name(a: str, b: str) -> bool:
    def key(name: str) -> str:
        return "".join(ch for ch in name.casefold() if ch.isalnum())

    return key(a) == key(b)


def _check_belongs(ledger: Ledger, parsed: ParsedFiling, offer_id: Any) -> None:
    """A filing names the offer's issuer and securities, and no amendment number twice."""
    commenced = next(o for o in ledger.offers() if o.originator_id == offer_id)
    cover = parsed.cover
    if cover.issuer and not _same_name(cover.issuer, commenced.issuer):
        raise RuleViolation(
            f"{parsed.source}: the filing's issuer is {cover.issuer!r}, the offer's is "
            f"{commenced.issuer!r}",
            rule="filing-offer",
            hint="ingest it into the right offer (--offer)",
        )
    if cover.cusip and commenced.cusip and cover.cusip != commenced.cusip:
        raise RuleViolation(
            f"{parsed.source}: the filing's CUSIP is {cover.cusip}, the offer's is "
            f"{commenced.cusip}",
            rule="filing-offer",
        )
    if cover.amendment_number is not None:
        for filing in ledger.filings(offer_id):
            if filing.form == cover.form and filing.amendment_number == cover.amendment_number:
                raise RuleViolation(
                    f"{parsed.source}: Amendment No. {cover.amendment_number} of this offer is "
                    f"already on record (filing stream {filing.originator_id}) with other "
                    "content",
                    rule="amendment-number",
                    hint="a correction, not a second filing with the same number",
                )


__all__ = [
    "FilingIngest",
    "default_key",
    "document_json",
    "event_json",
    "ingest_filing_bytes",
    "plan_filing",
]
