"""Timing findings: each offer, as the ledger shows it at a moment, judged by the domain's timing
rules (:mod:`offerledger.domain.timing_rules`, one function per rule, the same functions and the
same expiration in force the write side uses).

This module only gathers the facts (:func:`offer_facts`: corrections applied, ``--as-of`` and
``--as-recorded`` honoured, every event named by its log position) and renders what the rules
say. No database, clock or file: the same state and moment give the same findings, byte for
byte. A finding that rests on a synthetic event says SYNTHETIC and carries ``synthetic: true``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from offerledger.domain.timing import (
    ActFact,
    Announcement,
    ChangeFact,
    Citation,
    FilingFact,
    Judgement,
    NoticeFact,
    OfferFacts,
    Ref,
)
from offerledger.domain.timing_rules import judge
from offerledger.events import (
    CrossCheckRecorded,
    DocumentAmended,
    ExpirationExtended,
    LedgerEvent,
    NewOptionsGranted,
    NewOptionsGrantedV1,
    OfferCommenced,
    OfferExpired,
    OfferTerminated,
    TenderedOptionsAccepted,
    TenderedOptionsAcceptedV1,
    TermsChanged,
)
from offerledger.projections.catalog import filings, offer_changes, offers
from offerledger.projections.core import NOW, Moment, Stamp
from offerledger.projections.disclosed import NOTICES
from offerledger.projections.elections import offer_employees, valid_acts
from offerledger.projections.employee import Act
from offerledger.projections.late_recorded import late_recorded
from offerledger.projections.state import LedgerState

CONVENTION = (
    "Rule 14d-1(g)(3): a business day is any day other than a Saturday, Sunday or federal "
    "holiday, from 12:01 a.m. through 12:00 midnight Eastern time; federal holidays from the "
    "'holidays' package (US, observed dates included); market closures that were not federal "
    "holidays count as business days. The day of the event that starts a period is day 1."
)
STATUS_TEXT = {
    "met": "MET",
    "not_met": "NOT MET",
    "pending": "PENDING",
    "overdue": "OVERDUE",
    "not_applicable": "NOT APPLICABLE",
    "not_on_file": "NOT ON FILE",
    "not_checked": "NOT CHECKED",
}


def _synthetic(event: LedgerEvent) -> bool:
    """Whether a finding resting on ``event`` says SYNTHETIC: its data are generated, or a
    synthetic demonstration recorded it (the header's mark)."""
    return event.is_synthetic


def ref_of(stamp: Stamp, event: LedgerEvent) -> Ref:
    return Ref(
        position=stamp.position,
        version=stamp.version,
        action=stamp.action,
        effective=stamp.effective_text,
        synthetic=_synthetic(event),
        stream=str(event.originator_id),
    )


def _act_ref(act: Act, stream: uuid.UUID) -> Ref:
    s = act.stamp
    return Ref(s.position, s.version, s.action, s.effective_text, act.synthetic, str(stream))


def _known(stamp: Stamp) -> bool:
    """Whether the effective time is on file (an instant or a date)."""
    return stamp.effective_note is None or stamp.effective_note == ""


def _dated(stamp: Stamp) -> bool:
    """Whether the effective time can be counted: on file, or not on file with an upper bound
    (by then it had certainly happened; the read side's rule, docs/projections.md "Time")."""
    return stamp.effective_at.year < datetime.max.year


def offer_facts(state: LedgerState, offer_id: uuid.UUID, moment: Moment = NOW) -> OfferFacts | None:
    """The facts the timing rules judge, as the ledger shows them at ``moment`` (None: the
    offer had not commenced then)."""
    changes = offer_changes(state, offer_id, moment)
    start = next(((s, e) for s, e in changes if isinstance(e, OfferCommenced)), None)
    if start is None:
        return None
    commenced_stamp, commencement = start
    assert isinstance(commencement, OfferCommenced)
    if not _dated(commenced_stamp):
        return None  # nothing can be counted from a commencement whose time is not on file
    undated = tuple(ref_of(s, e) for s, e in changes if not _dated(s))
    changes = [(s, e) for s, e in changes if _dated(s)]
    in_log_order = sorted(changes, key=lambda c: c[0].position)
    announcements = tuple(
        Announcement(
            s.effective_at,
            e.expiration if isinstance(e, OfferCommenced) else e.new_expiration,
            s.version,
            s.effective_note == "",
            ref_of(s, e),
        )
        for s, e in in_log_order
        if isinstance(e, OfferCommenced | ExpirationExtended)
    )
    on_file = filings(state, offer_id, moment)
    facts: dict[str, Any] = {
        "filings": tuple(
            FilingFact(
                ref=Ref(
                    f.stamp.position,
                    f.stamp.version,
                    f.stamp.action,
                    f.stamp.effective_text,
                    stream=str(f.stream),
                ),
                form=f.form,
                amendment_number=f.amendment_number,
                filed_on=f.filed_on,
                final=f.final,
                exhibits=tuple(x.exhibit_id for x in f.exhibits),
                stream=str(f.stream),
            )
            for f in on_file
        ),
        "changes": tuple(_change(s, e) for s, e in changes if _change(s, e) is not None),
        "notices": tuple(
            NoticeFact(
                ref_of(s, e), s.effective_at, e.notice_id, e.notice_kind, e.exhibit, e.channel
            )
            for s, e in changes
            if isinstance(e, NOTICES)
        ),
        "acts": _acts(state, offer_id, moment),
        "granted": tuple(
            (e.grant_date, ref_of(s, e))
            for s, e in changes
            if isinstance(e, NewOptionsGranted | NewOptionsGrantedV1)
        ),
    }
    for name, kinds in (
        ("expired", OfferExpired),
        ("terminated", OfferTerminated),
        ("accepted", TenderedOptionsAccepted | TenderedOptionsAcceptedV1),
    ):
        found = next(((s, e) for s, e in changes if isinstance(e, kinds)), None)
        facts[name] = None if found is None else (found[0].effective_at, ref_of(*found))
    now, now_ref = _now(changes, [(f.stamp, None) for f in on_file], moment)
    return OfferFacts(
        name=commencement.offer_name,
        commenced=commenced_stamp.effective_at,
        commenced_ref=ref_of(commenced_stamp, commencement),
        announcements=announcements,
        securities=commencement.securities,
        plans=commencement.plans,
        now=now,
        now_ref=now_ref,
        undated=undated,
        **facts,
    )


def _change(stamp: Stamp, event: LedgerEvent) -> ChangeFact | None:
    if isinstance(event, DocumentAmended):
        ops = len(event.operations)
        return ChangeFact(
            ref_of(stamp, event),
            stamp.effective_at,
            "document",
            filing=str(event.filing_id),
            description=f"{ops} text operation(s) on {event.document_id}",
        )
    if isinstance(event, ExpirationExtended):
        return ChangeFact(ref_of(stamp, event), stamp.effective_at, "extension")
    if isinstance(event, TermsChanged):
        return ChangeFact(
            ref_of(stamp, event),
            stamp.effective_at,
            "terms",
            terms=event.change,
            description=event.description,
        )
    return None


def _acts(state: LedgerState, offer_id: uuid.UUID, moment: Moment) -> tuple[ActFact, ...]:
    out = []
    for employee in offer_employees(state, offer_id):
        for act in valid_acts(employee, moment):
            refused = act.kind == "refused" and act.attempted == "withdraw"
            if act.kind == "withdraw" or refused:
                ref = _act_ref(act, employee.stream)
                out.append(ActFact(ref, act.received_at, refused, act.reason or ""))
    return tuple(sorted(out, key=lambda a: (a.received_at, a.ref.position or 0)))


def _now(
    changes: list[tuple[Stamp, LedgerEvent]],
    filed: list[tuple[Stamp, None]],
    moment: Moment,
) -> tuple[datetime | None, Ref | None]:
    """The moment judged at: the ``--as-of`` bound, else the latest effective time on the
    offer's own record (its stream and its filings), with the event that carries it."""
    if moment.as_of is not None:
        return moment.as_of, None
    best: tuple[Stamp, LedgerEvent | None] | None = None
    for stamp, event in [*changes, *filed]:
        if _known(stamp) and (best is None or stamp.order > best[0].order):
            best = (stamp, event)
    if best is None:
        return None, None
    stamp, event = best
    synthetic = event is not None and _synthetic(event)
    ref = Ref(stamp.position, stamp.version, stamp.action, stamp.effective_text, synthetic)
    return stamp.effective_at, ref


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's judgement on one offer."""

    offer: str
    judgement: Judgement
    convention: str = CONVENTION
    # the offer's commencement, when a synthetic demonstration recorded it: every finding on
    # that offer rests on a synthetic record, even one that names no event (NOT APPLICABLE)
    synthetic_offer: Ref | None = None
    # a cross-check made at ingest (CrossCheckRecorded), as recorded: None for a rule's finding
    cross_check: dict[str, Any] | None = None

    @property
    def rule(self) -> str:
        return self.judgement.rule

    @property
    def status(self) -> str:
        return self.judgement.status

    @property
    def detail(self) -> str:
        return self.judgement.detail

    @property
    def dates(self) -> dict[str, str]:
        return dict(self.judgement.dates)

    @property
    def synthetic(self) -> bool:
        return self.judgement.synthetic or self.synthetic_offer is not None

    @property
    def synthetic_basis(self) -> str:
        j = self.judgement
        parts = [r.label.removesuffix(" SYNTHETIC") for r in j.refs if r.synthetic]
        if j.synthetic_note:
            parts.append(j.synthetic_note)
        if not parts and self.synthetic_offer is not None:
            offer = self.synthetic_offer.label.removesuffix(" SYNTHETIC")
            parts.append(f"the offer's synthetic record (commenced: {offer})")
        return "SYNTHETIC: rests on " + "; ".join(parts) if parts else ""

    def as_json(self) -> dict[str, object]:
        j = self.judgement
        return {
            "citation": j.citation.as_json(),
            "convention": self.convention,
            "cross_check": self.cross_check,
            "dates": self.dates,
            "detail": j.detail,
            "events": [r.as_json() for r in j.refs],
            "offer": self.offer,
            "reading": j.reading,
            "rule": j.rule,
            "status": j.status,
            "synthetic": self.synthetic,
            "synthetic_basis": self.synthetic_basis,
            "title": j.title,
        }


def findings(
    state: LedgerState, moment: Moment = NOW, offer_id: uuid.UUID | None = None
) -> list[Finding]:
    """Every rule's finding for every offer (or one), offers in the order they were recorded,
    rules in :data:`offerledger.domain.timing_rules.RULES` order."""
    out: list[Finding] = []
    for stream in offers(state):
        if offer_id is not None and stream.stream != offer_id:
            continue
        facts = offer_facts(state, stream.stream, moment)
        if facts is not None:
            record = facts.commenced_ref if facts.commenced_ref.synthetic else None
            out.extend(Finding(facts.name, j, synthetic_offer=record) for j in judge(facts))
            out.extend(
                replace(f, synthetic_offer=record)
                for f in late_recorded_findings(state, stream.stream, facts.name, moment)
            )
            out.extend(
                replace(f, synthetic_offer=record)
                for f in cross_check_findings(state, stream.stream, facts.name, moment)
            )
    return out


# --- cross-checks made at ingest, as recorded with their filings --------------------------------

# outcome -> status; ingest prints its checks with the same words (cross_check_text)
CROSS_CHECK_STATUS = {"agree": "met", "disagree": "not_met", "not_checked": "not_checked"}


def cross_check_text(outcome: str) -> str:
    """How a cross-check's outcome (agree, disagree, not_checked) is shown, wherever it is:
    MET, NOT MET, NOT CHECKED."""
    return STATUS_TEXT[CROSS_CHECK_STATUS[outcome]]


CROSS_CHECK_CITATION = Citation(
    quote="what a filing states is compared at ingest with the ledger and with the filing "
    "itself (a notice's stated deadline with the expiration in force, the amendments a notice "
    "repeats with those the filing makes); a difference is recorded and reported, never fixed",
    source="offerledger ingest cross-checks (docs/ingest.md)",
)


def cross_check_findings(
    state: LedgerState, offer_id: uuid.UUID, name: str, moment: Moment = NOW
) -> list[Finding]:
    """One finding per cross-check recorded at ingest (CrossCheckRecorded) the moment sees, in
    log order: agree is MET, disagree NOT MET, nothing to compare with NOT CHECKED."""
    out = []
    for stamp, event in offer_changes(state, offer_id, moment):
        if not isinstance(event, CrossCheckRecorded):
            continue
        lines = event.source_lines
        where = f"lines {lines[0]}-{lines[1]} of " if lines else ""
        source = (
            f"{where}the filing file SHA-256 {event.source_sha256}"
            if event.source_sha256
            else "the filing (its file is not on record)"
        )
        judgement = Judgement(
            rule=f"ingest cross-check {event.check}",
            title=f"compared {event.compared}",
            status=CROSS_CHECK_STATUS[event.outcome],
            detail=f"{event.outcome.upper().replace('_', ' ')}: {event.detail}",
            citation=CROSS_CHECK_CITATION,
            reading=f"compared when filing stream {event.filing_id} was ingested, from {source}",
            dates=tuple(
                (what, value) for what, value in sorted(event.values.items()) if _is_time(value)
            ),
            refs=(ref_of(stamp, event),),
        )
        checked = {
            "check": event.check,
            "compared": event.compared,
            "outcome": event.outcome,
            "values": dict(sorted(event.values.items())),
            "filing_stream": str(event.filing_id),
            "source_sha256": event.source_sha256,
            "source_lines": list(lines) if lines else None,
        }
        out.append(Finding(name, judgement, cross_check=checked))
    return out


def _is_time(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return len(value) >= 10


# --- late-recorded receipts (issue 13 item 3): kept apart from the timing rules ------------------


def late_recorded_findings(
    state: LedgerState, offer_id: uuid.UUID, name: str, moment: Moment = NOW
) -> list[Finding]:
    """One finding when forms claiming timely receipt were recorded after the offer's end was
    on record (:mod:`offerledger.projections.late_recorded`); none when there are none."""
    items = late_recorded(state, offer_id, moment)
    if not items:
        return []
    judgement = Judgement(
        rule="late-recorded receipts",
        title="election forms recorded after the offer's end was on record",
        status="not_met",
        detail=f"{len(items)} form(s) claiming receipt before the deadline were recorded after "
        "the offer's end was on record: " + "; ".join(i.describe() for i in items),
        citation=Citation(
            quote="after expiration is recorded, a form claiming receipt before the deadline is "
            "accepted only as a late-recorded receipt with a reason, and every such record is a "
            "finding",
            source="offerledger write-side rules (DESIGN.md §4, Truth in outputs)",
        ),
        reading="found by log order: each form recorded after the offer's expiration or "
        "termination was recorded; the time after the end is its recorded time less the end's "
        "effective time",
        dates=tuple((f"recorded {i.form_id}", i.recorded.isoformat()) for i in items),
        refs=tuple(
            Ref(
                i.position,
                i.version,
                i.action,
                i.received_at.isoformat(),
                i.synthetic,
                str(i.stream),
            )
            for i in items
        ),
    )
    return [Finding(name, judgement)]


def render_text(items: list[Finding], moment: Moment = NOW) -> str:
    lines = []
    if moment != NOW:
        lines.append(f"as of {moment.as_of_text}; as recorded: {moment.as_recorded_text}")
    for f in items:
        j = f.judgement
        mark = " [SYNTHETIC]" if f.synthetic else ""
        lines.append(f"[{STATUS_TEXT[j.status]}]{mark} {j.rule} — {j.title} ({f.offer})")
        lines.append(f"  {j.detail}")
        if f.synthetic:
            lines.append(f"  {f.synthetic_basis}")
        lines.append(f"  rule: {j.citation.label}")
        if j.reading:
            lines.append(f"  read as: {j.reading}")
        if f.cross_check and f.cross_check["values"]:
            values = "; ".join(f"{k} {v}" for k, v in f.cross_check["values"].items())
            lines.append(f"  values compared: {values}")
        for r in j.refs:
            lines.append(f"  rests on: {r.label}")
    return "\n".join(lines) + ("\n" if lines else "")


__all__ = [
    "CONVENTION",
    "Finding",
    "findings",
    "offer_facts",
    "ref_of",
    "cross_check_findings",
    "render_text",
]
