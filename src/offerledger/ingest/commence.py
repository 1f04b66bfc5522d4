"""A new offer from its Schedule TO-I, and a pre-commencement communication (Schedule TO-C).

A Schedule TO-I on a ledger with no offer for its issuer records, in one transaction:

* ``OfferCommenced`` (offer stream version 1): issuer and securities from the cover page, CIK
  and SEC file number from the SEC header (or ``--cik``/``--file-number`` for a file without
  one), CUSIP, the scheduled expiration as the filing states it, the plans it defines;
* ``FilingRecorded`` (its own stream): form, filing date, check boxes, signer, each exhibit with
  its title and text hash, the accession number, the file's SHA-256;
* ``OfferDocumentRegistered`` (offer stream version 2): the Offer to Exchange as sections,
  paragraphs and sentences (``docs/ingest.md``);
* ``NoticeDispatched`` for each notice to employees it carries (communications key).

All are effective on the filing date. A blocking ambiguity, a missing expiration or a missing
CIK refuses the whole filing with its lines. A Schedule TO-C records the filing only, under the
offer stream its CIK and file number name; no offer is commenced.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from offerledger.errors import InputError
from offerledger.events import (
    Exhibit,
    FilingRecorded,
    LedgerEvent,
    OfferCommenced,
    OfferDocumentRegistered,
    OnDate,
    Signer,
    offer_stream_name,
    stream_id,
)
from offerledger.ingest.dispatch import plan_notices
from offerledger.ingest.errors import FilingAmbiguous
from offerledger.ingest.model import ParsedFiling
from offerledger.ingest.notices import CrossCheck
from offerledger.ingest.plan import FilingIngest
from offerledger.ingest.signers import actor_of
from offerledger.ingest.sourcedocs import filing_document
from offerledger.ledger import Ledger


def offer_names(
    parsed: ParsedFiling, *, cik: str | None = None, file_number: str | None = None
) -> tuple[str, str]:
    """The CIK and SEC file number that name the offer: the SEC header's, or those given for a
    file without one; given ones must agree with the header's."""
    for label, given, found in (
        ("--cik", cik, parsed.cik),
        ("--file-number", file_number, parsed.file_number),
    ):
        if given and found and given.lstrip("0") != found.lstrip("0"):
            raise InputError(
                f"{label} {given} differs from the SEC header's {found}",
                file=parsed.source,
                field=label,
            )
    cik, file_number = parsed.cik or cik, parsed.file_number or file_number
    if not cik or not file_number:
        missing = " and ".join(
            name for name, v in (("CIK", cik), ("SEC file number", file_number)) if not v
        )
        raise InputError(
            f"the file has no SEC header giving the issuer's {missing}, which name the offer",
            file=parsed.source,
            hint="ingest the EDGAR full submission (.txt with its SEC header), or give "
            "--cik and --file-number",
        )
    return cik, file_number


def filed_date(parsed: ParsedFiling) -> date:
    """The filing's date: the SEC header's FILED AS OF DATE, else the signature's date."""
    filed = parsed.filed_on or (parsed.signature.signed_on if parsed.signature else None)
    if filed is None:
        raise InputError(
            "the filing gives no filing date (no header and no signature date)",
            file=parsed.source,
            hint="ingest the EDGAR submission file",
        )
    return filed


def filing_event(
    parsed: ParsedFiling, *, sid: uuid.UUID, offer_id: uuid.UUID, head: dict[str, Any]
) -> FilingRecorded:
    """The filing-recorded event of ``parsed`` in its stream ``sid`` (no ``amends``)."""
    sig = parsed.signature
    return FilingRecorded(
        originator_id=sid,
        originator_version=1,
        **head,
        offer_id=offer_id,
        form=parsed.cover.form,
        amendment_number=parsed.cover.amendment_number,
        filed_on=filed_date(parsed),
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
        accession_number=parsed.accession,
    )


def _expiration(parsed: ParsedFiling, commenced: datetime) -> datetime:
    terms = parsed.terms
    instants = terms.expirations() if terms else []
    if not instants:
        raise InputError(
            'the filing states no expiration of the offer (no sentence such as "the offer '
            'expires at 12:00 midnight, Eastern Time, on ...")',
            file=parsed.source,
            hint="'offerledger parse FILE' shows what was read; record the offer by hand "
            "with 'offerledger record offer-commenced'",
        )
    expiration = instants[0]
    if expiration <= commenced:
        first = next(s for s in terms.statements if s.at == expiration) if terms else None
        raise InputError(
            f"the stated expiration ({expiration.isoformat()}) is not after the filing date "
            f"({commenced.date().isoformat()})",
            file=parsed.source,
            line=first.first_line if first else None,
        )
    return expiration


def _required(parsed: ParsedFiling, value: str | None, what: str) -> str:
    if value:
        return value
    cover = parsed.cover
    raise InputError(
        f"the cover page gives no {what}",
        file=parsed.source,
        line=cover.first_line,
        hint=f"lines {cover.first_line}-{cover.last_line} were read as the cover page",
    )


def plan_commencement(
    ledger: Ledger,
    parsed: ParsedFiling,
    *,
    raw: bytes,
    key_id: str,
    notice_key_id: str | None,
    cik: str | None = None,
    file_number: str | None = None,
) -> FilingIngest:
    """The events that start a new offer from its Schedule TO-I (nothing is saved)."""
    blocking = [p for p in parsed.problems if p.blocking]
    if blocking:
        raise FilingAmbiguous(blocking, file=parsed.source)
    cik, file_number = offer_names(parsed, cik=cik, file_number=file_number)
    filed = filed_date(parsed)
    effective = OnDate(on=filed)
    expiration = _expiration(parsed, effective.earliest())
    name = offer_stream_name(cik=cik, file_number=file_number)
    offer_id, sid = stream_id(name), stream_id(parsed.stream_name)
    out = FilingIngest(parsed, offer_id=offer_id)
    recorded = ledger.clock()
    head: dict[str, Any] = {
        "recorded": recorded,
        "actor": actor_of(ledger, key_id),
        "key_id": key_id,
        "effective": effective,
    }
    cover = parsed.cover
    doc = parsed.offer_document
    try:
        events: list[LedgerEvent] = [
            OfferCommenced(
                originator_id=offer_id,
                originator_version=1,
                **head,
                offer_name=name,
                issuer=_required(parsed, cover.issuer or parsed.subject_company, "issuer"),
                cik=cik,
                file_number=file_number,
                securities=_required(parsed, cover.securities, "title of class of securities"),
                cusip=cover.cusip,
                expiration=expiration,
                plans=tuple(p.name for p in parsed.terms.plans) if parsed.terms else (),
            ),
            filing_event(parsed, sid=sid, offer_id=offer_id, head=head),
        ]
        if doc is not None:
            events.append(
                OfferDocumentRegistered(
                    originator_id=offer_id,
                    originator_version=2,
                    **head,
                    filing_id=sid,
                    document=doc.document(),
                )
            )
    except ValidationError as e:  # a value the parser read that the event schema refuses
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputError(
            f"the filing gives a value the event cannot hold: {where}: {first['msg']}",
            file=parsed.source,
        ) from None
    out.groups.append((events, key_id))
    out.documents.append(filing_document(raw, name=parsed.source))
    if doc is None:
        out.notes.append("the filing holds no Offer to Exchange; no offer document is registered")
    elif doc.dated and doc.dated != filed:
        out.checks.append(
            CrossCheck(
                "offer-document-date",
                "not_met",
                f"the Offer to Exchange is dated {doc.dated}, the filing {filed}; the offer "
                "commences on the filing date",
                (doc.first_line, doc.last_line),
                {"offer_document_dated": str(doc.dated), "filed_on": str(filed)},
                "the date of the Offer to Exchange against the filing's date",
            )
        )
    notices = plan_notices(
        ledger,
        out,
        raw,
        offer_id=offer_id,
        expiration_at=lambda _at: expiration,
        key_id=notice_key_id,
        version=len([e for e in events if e.originator_id == offer_id]),
        recorded=recorded,
    )
    if notices:
        out.groups.append((notices, str(notice_key_id)))
    return out


def plan_communication(
    ledger: Ledger,
    parsed: ParsedFiling,
    *,
    raw: bytes,
    key_id: str,
    offer_id: uuid.UUID,
) -> FilingIngest:
    """A Schedule TO-C: the filing recorded under the offer it announces; nothing else."""
    out = FilingIngest(parsed, offer_id=offer_id)
    head: dict[str, Any] = {
        "recorded": ledger.clock(),
        "actor": actor_of(ledger, key_id),
        "key_id": key_id,
        "effective": OnDate(on=filed_date(parsed)),
    }
    sid = stream_id(parsed.stream_name)
    out.groups.append(([filing_event(parsed, sid=sid, offer_id=offer_id, head=head)], key_id))
    out.documents.append(filing_document(raw, name=parsed.source))
    out.notes.append(
        "a Schedule TO-C is a communication before the offer commences: the filing and its "
        "exhibits are recorded, no offer is commenced and no notice dispatch is recorded"
    )
    return out


__all__ = ["filed_date", "filing_event", "offer_names", "plan_commencement", "plan_communication"]
