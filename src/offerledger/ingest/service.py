"""Filings into the ledger: plan the events, cross-check, and save all of them or none.

The filing's stream is ``filing:<sha256 of its bytes>``; a filing whose stream exists is already
recorded and a second ingest records nothing (a race ends in a version conflict, never two
copies). Which events a filing makes depends on its form and on what the ledger holds:

* a Schedule TO-I for an issuer with no offer in the ledger starts the offer
  (:func:`offerledger.ingest.commence.plan_commencement`);
* a Schedule TO-C records the filing under the offer it announces, commenced or not;
* an amendment (and a TO-I of an offer already on record) records the filing, the text
  operations its instructions make, and the notices it carries.

Every cross-check made on the way (a notice's stated deadline against the expiration in force,
the amendments a notice repeats, …) is recorded in the same save as a CrossCheckRecorded in the
offer's stream, signed by the key that records the filing, so ``findings`` shows it later.

Officer events and the notices communications dispatched are saved in one transaction, with the
source documents they cite (:mod:`offerledger.ingest.sourcedocs`). A dry run plans the same
events and saves nothing; it needs no key (:data:`offerledger.ingest.signers.UNSIGNED`).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from offerledger.errors import InputError, RuleViolation
from offerledger.events import (
    CrossCheckRecorded,
    DocumentAmended,
    FilingRecorded,
    LedgerEvent,
    OnDate,
    offer_stream_name,
    stream_id,
)
from offerledger.ingest.commence import (
    filed_date,
    filing_event,
    offer_names,
    plan_commencement,
    plan_communication,
)
from offerledger.ingest.dispatch import plan_notices
from offerledger.ingest.filing import parse_filing
from offerledger.ingest.model import ParsedFiling
from offerledger.ingest.notices import CrossCheck
from offerledger.ingest.plan import FilingIngest, document_json, event_json
from offerledger.ingest.resolve import resolve
from offerledger.ingest.signers import actor_of, default_key
from offerledger.ingest.sourcedocs import filing_document
from offerledger.ledger import Ledger
from offerledger.signing.keys import SigningKey


def _same_name(a: str, b: str) -> bool:
    def key(name: str) -> str:
        return "".join(ch for ch in name.casefold() if ch.isalnum())

    return key(a) == key(b)


def offer_on_record(
    ledger: Ledger,
    parsed: ParsedFiling,
    *,
    offer: str | None = None,
    cik: str | None = None,
    file_number: str | None = None,
) -> uuid.UUID | None:
    """The offer in the ledger the filing belongs to (None: the ledger holds none for its
    issuer): named by ``--offer``, else by CIK (and file number), else by the issuer's name."""
    if offer is not None:
        return ledger.resolve_offer(offer)
    cik, file_number = parsed.cik or cik, parsed.file_number or file_number
    offers = ledger.offers()
    if cik:
        hits = [
            o
            for o in offers
            if o.cik.lstrip("0") == cik.lstrip("0")
            and (not file_number or o.file_number == file_number)
        ]
    else:
        issuer = parsed.cover.issuer or parsed.subject_company or ""
        hits = [o for o in offers if issuer and _same_name(issuer, o.issuer)]
    if len(hits) > 1:
        raise InputError(
            f"{len(hits)} offers of this issuer are on record; choose one",
            field="--offer",
            hint=", ".join(o.offer_name for o in hits),
        )
    return hits[0].originator_id if hits else None


def _amended_offer(ledger: Ledger, parsed: ParsedFiling, offer: str | None) -> uuid.UUID:
    """The offer an amendment belongs to; the ledger's only offer when the file names none."""
    found = offer_on_record(ledger, parsed, offer=offer)
    if found is not None:
        return found
    if not ledger.offers():
        issuer = parsed.cover.issuer or parsed.subject_company or "its issuer"
        raise InputError(
            f"the ledger holds no offer of {issuer}: an amendment amends the offer its "
            "Schedule TO-I commenced",
            file=parsed.source,
            hint="ingest the offer's SC TO-I first ('offerledger ingest filing TO-I.txt'), or "
            "record offer-commenced by hand; 'offerledger parse FILE' needs no ledger",
        )
    return ledger.resolve_offer(None)


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
    cik: str | None = None,
    file_number: str | None = None,
) -> FilingIngest:
    """The events ingesting ``parsed`` (read from the file bytes ``raw``) records, and the source
    documents stored with them; raises UnparsedInstructions or FilingAmbiguous when refused."""
    out = _plan_filing(
        ledger,
        parsed,
        raw=raw,
        key_id=key_id,
        notice_key_id=notice_key_id,
        offer=offer,
        allow_unparsed=allow_unparsed,
        cik=cik,
        file_number=file_number,
    )
    _record_checks(ledger, out)
    return out


# what each outcome of an ingest cross-check is recorded as
OUTCOMES = {"met": "agree", "not_met": "disagree", "not_checked": "not_checked"}


def _record_checks(ledger: Ledger, out: FilingIngest) -> None:
    """The plan's cross-checks as CrossCheckRecorded events in the offer's stream, after every
    other event of the plan in that stream, signed by the key that records the filing: saved
    with the filing, so what the ingest compared is not printed once and lost."""
    filing = next((e for e in out.events if isinstance(e, FilingRecorded)), None)
    if not out.checks or out.offer_id is None or filing is None:
        return
    offer_id = out.offer_id
    planned = [e.originator_version for e in out.events if e.originator_id == offer_id]
    version = max(planned) if planned else ledger.offer_state(offer_id).version
    key_id = next(kid for events, kid in out.groups if any(e is filing for e in events))
    events: list[LedgerEvent] = []
    for check in out.checks:
        version += 1
        events.append(
            CrossCheckRecorded(
                originator_id=offer_id,
                originator_version=version,
                effective=filing.effective,  # about the filing, as of its date
                recorded=filing.recorded,
                actor=filing.actor,
                key_id=key_id,
                filing_id=filing.originator_id,
                check=check.check,
                compared=check.compared or check.check,
                outcome=OUTCOMES[check.status],
                values=dict(check.evidence),
                detail=check.detail,
                source_sha256=filing.source_sha256,
                source_lines=check.lines,
            )
        )
    out.groups.append((events, key_id))


def _plan_filing(
    ledger: Ledger,
    parsed: ParsedFiling,
    *,
    raw: bytes,
    key_id: str,
    notice_key_id: str | None,
    offer: str | None,
    allow_unparsed: bool,
    cik: str | None,
    file_number: str | None,
) -> FilingIngest:
    sid = stream_id(parsed.stream_name)
    if ledger.stream_exists(sid):
        out = FilingIngest(parsed, already_recorded=True)
        out.notes.append(
            f"this filing (SHA-256 {parsed.sha256[:16]}…) is already recorded in "
            f"stream {parsed.stream_name}; nothing to record"
        )
        return out
    form = parsed.cover.form
    if form == "SC TO-I/A":
        return _plan_amendment(
            ledger,
            parsed,
            raw=raw,
            key_id=key_id,
            notice_key_id=notice_key_id,
            offer_id=_amended_offer(ledger, parsed, offer),
            allow_unparsed=allow_unparsed,
        )
    found = offer_on_record(ledger, parsed, offer=offer, cik=cik, file_number=file_number)
    if form == "SC TO-C":
        if found is None:
            names = offer_names(parsed, cik=cik, file_number=file_number)
            found = stream_id(offer_stream_name(cik=names[0], file_number=names[1]))
        else:
            _check_belongs(ledger, parsed, found)
        return plan_communication(ledger, parsed, raw=raw, key_id=key_id, offer_id=found)
    if found is None:
        return plan_commencement(
            ledger,
            parsed,
            raw=raw,
            key_id=key_id,
            notice_key_id=notice_key_id,
            cik=cik,
            file_number=file_number,
        )
    out = _plan_amendment(
        ledger,
        parsed,
        raw=raw,
        key_id=key_id,
        notice_key_id=notice_key_id,
        offer_id=found,
        allow_unparsed=allow_unparsed,
    )
    out.notes.append(
        "the offer is already on record: this Schedule TO-I is recorded as a filing; its offer "
        "document is not registered again"
    )
    _check_commencement(ledger, out, found)
    return out


def _check_commencement(ledger: Ledger, out: FilingIngest, offer_id: uuid.UUID) -> None:
    """A Schedule TO-I of an offer on record: does its stated expiration match the offer's?"""
    terms = out.parsed.terms
    stated = terms.expirations() if terms else []
    commenced = next(o for o in ledger.offers() if o.originator_id == offer_id)
    if len(stated) != 1:
        return
    met = stated[0] == commenced.expiration
    out.checks.append(
        CrossCheck(
            "commencement-expiration",
            "met" if met else "not_met",
            f"the filing states the expiration {stated[0].isoformat()}; the offer on record "
            f"commenced with {commenced.expiration.isoformat()}",
            evidence={
                "stated": stated[0].isoformat(),
                "ledger": commenced.expiration.isoformat(),
            },
            compared="the expiration this Schedule TO-I states against the one the offer on "
            "record commenced with",
        )
    )


def _plan_amendment(
    ledger: Ledger,
    parsed: ParsedFiling,
    *,
    raw: bytes,
    key_id: str,
    notice_key_id: str | None,
    offer_id: uuid.UUID,
    allow_unparsed: bool,
) -> FilingIngest:
    out = FilingIngest(parsed, offer_id=offer_id)
    sid = stream_id(parsed.stream_name)
    state = ledger.offer_state(offer_id)
    _check_belongs(ledger, parsed, offer_id)
    resolved = resolve(parsed, dict(state.documents), allow_unparsed=allow_unparsed)
    out.unresolved = resolved.unparsed
    recorded = ledger.clock()
    head: dict[str, Any] = {
        "recorded": recorded,
        "actor": actor_of(ledger, key_id),
        "key_id": key_id,
        "effective": OnDate(on=filed_date(parsed)),
    }
    intro = parsed.intro
    amends = None
    if intro and intro.amends:
        amends = intro.amends + (
            f" filed {_long_date(intro.amended_filed_on)}" if intro.amended_filed_on else ""
        )
        amends += ", as amended" if intro.as_amended else ""
    filing = filing_event(parsed, sid=sid, offer_id=offer_id, head=head)
    events: list[LedgerEvent] = [filing.model_copy(update={"amends": amends})]
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
    notices = plan_notices(
        ledger,
        out,
        raw,
        offer_id=offer_id,
        expiration_at=state.expiration_in_force,
        key_id=notice_key_id,
        version=version,
        recorded=recorded,
    )
    if notices:
        out.groups.append((notices, str(notice_key_id)))
    return out


def _primary(state: Any) -> str | None:
    docs = state.documents
    main = [d for d in docs.values() if (d.exhibit or "").lower() == "(a)(1)"]
    if main:
        return str(main[0].id)
    return next(iter(docs)) if len(docs) == 1 else None


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
    cik: str | None = None,
    file_number: str | None = None,
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
        cik=cik,
        file_number=file_number,
    )
    if not dry_run:
        save_plan(ledger, plan, [signer, *([notice_signer] if notice_signer else [])])
    return plan


def save_plan(ledger: Ledger, plan: FilingIngest, signers: list[SigningKey]) -> None:
    """Save a plan's events, each group signed by its key, with its documents: all or none."""
    if not plan.groups:
        return
    keys: dict[str, SigningKey] = {s.key_id: s for s in signers}
    ledger.save_groups(
        [(events, keys[kid]) for events, kid in plan.groups], documents=plan.documents
    )
    plan.recorded = True


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
    "offer_on_record",
    "plan_filing",
    "save_plan",
]
