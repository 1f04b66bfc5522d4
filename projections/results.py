"""The results of the offer, from the ledger alone: what the final amendment and letters report.

Every figure is read from events: eligibility and elections from the employee streams, the
expiration from the offer's commencement and extensions, the options accepted and cancelled
from ``TenderedOptionsAccepted``, the new options from ``NewOptionsGranted`` (the figures those
events carry beside their committed lists, so no list is opened here). Figures that
come from events marked synthetic make the whole result synthetic, and the renderers say so.

**What the document could know.** The results are dated (``--date``, else the acceptance's
effective date) and rest only on what the ledger had, effective and recorded, by the end of that
day, US Eastern (and by ``--as-of`` / ``--as-recorded`` when those are earlier): a later event
(the grant of the new options six months on) is not yet known, never stated as fact. The cover
and the introduction's defined terms come from the filings on record
(:mod:`~offerledger.projections.filed`), the new options' terms from the offer document
(:mod:`~offerledger.projections.offer_terms`).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from offerledger.events import (
    NewOptionsGranted,
    NewOptionsGrantedV1,
    OfferCommenced,
    OfferDocumentRegistered,
    OfferExpired,
    OfferTerminated,
    TenderedOptionsAccepted,
    TenderedOptionsAcceptedV1,
)
from offerledger.projections.catalog import (
    Change,
    FilingRef,
    QueryError,
    commenced,
    expiration_in_force,
    filings,
    key_holders,
    offer_changes,
)
from offerledger.projections.core import NOW, Moment, Stamp
from offerledger.projections.disclosed import ACCEPTANCES, NEW_GRANTS, NOTICES
from offerledger.projections.elections import (
    ElectionSummary,
    EmployeeStatus,
    election_statuses,
    summarize,
)
from offerledger.projections.filed import FiledCover, filed_cover
from offerledger.projections.offer_terms import Quote, offer_terms
from offerledger.projections.state import LedgerState

Day = date  # a type name the ``Results.date`` field does not shadow


@dataclass(frozen=True, slots=True)
class PlanResult:
    plan: str
    employees: int
    grants: int
    options: int


@dataclass(frozen=True, slots=True)
class NewGrantResult:
    plan: str
    employees: int
    grants: int
    options: int
    grant_date: date
    exercise_price: Decimal | None
    stamp: Stamp


@dataclass(frozen=True, slots=True)
class Results:
    offer: uuid.UUID
    issuer: str
    securities: str
    cusip: str | None
    plans: tuple[str, ...]
    original: FilingRef | None
    amendments: tuple[FilingRef, ...]
    amendment_number: int
    document_title: str | None
    document_dated: date | None
    expiration: datetime | None
    expired: Stamp | None
    terminated: Stamp | None
    eligibility: ElectionSummary
    accepted: tuple[PlanResult, ...]
    accepted_total: PlanResult
    acceptance: Stamp | None
    cancelled_on: date | None
    new_grants: tuple[NewGrantResult, ...]
    exhibits: tuple[tuple[str, str], ...]
    signer_name: str | None
    signer_title: str | None
    date: date | None
    synthetic: bool
    missing: tuple[str, ...]
    moment: Moment = NOW
    known_on: Day | None = None
    cik: str = ""
    file_number: str = ""
    commenced_at: Stamp | None = None
    cover: FiledCover | None = None
    terms: tuple[tuple[str, Quote], ...] = ()
    sender: str | None = None
    results_exhibit: str = "(a)(1)"

    @property
    def final(self) -> bool:
        return not self.missing

    def term(self, name: str) -> Quote | None:
        """The offer document's sentence stating ``name`` (price, grant, vesting,
        employment), or None."""
        return dict(self.terms).get(name)

    @property
    def filings_cited(self) -> tuple[FilingRef, ...]:
        return (self.original, *self.amendments) if self.original else self.amendments

    @property
    def accepted_percent(self) -> Decimal | None:
        eligible = self.eligibility.total.options_eligible
        if not eligible:
            return None
        share = Decimal(self.accepted_total.options) * 100 / Decimal(eligible)
        return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _plan_results(
    events: list[TenderedOptionsAccepted | TenderedOptionsAcceptedV1],
) -> tuple[list[PlanResult], PlanResult]:
    """Per plan and in total: the figures a version 2 acceptance carries beside its committed
    list (one acceptance: the offer's own figures), or those a version 1 event's list gives."""
    if len(events) == 1 and isinstance(only := events[0], TenderedOptionsAccepted):
        by_plan = [PlanResult(p.plan, p.employees, p.grants, p.options) for p in only.by_plan]
        return by_plan, PlanResult("all plans", only.employees, only.grants.count, only.options)
    employees: dict[str, set[str]] = defaultdict(set)
    grants: dict[str, int] = defaultdict(int)
    options: dict[str, int] = defaultdict(int)
    for event in events:
        if not isinstance(event, TenderedOptionsAcceptedV1):
            raise QueryError(
                "the ledger records more than one acceptance of tendered options; the results "
                "cannot add up their employees without their lists",
                field="offer",
            )
        for g in event.grants:
            employees[g.plan].add(g.employee_id)
            grants[g.plan] += 1
            options[g.plan] += g.options
    by_plan = [
        PlanResult(plan, len(employees[plan]), grants[plan], options[plan])
        for plan in sorted(grants)
    ]
    everyone = set().union(*employees.values()) if employees else set()
    total = PlanResult("all plans", len(everyone), sum(grants.values()), sum(options.values()))
    return by_plan, total


def _new_grants(
    items: list[tuple[Stamp, NewOptionsGranted | NewOptionsGrantedV1]],
) -> list[NewGrantResult]:
    out = []
    for stamp, event in items:
        if isinstance(event, NewOptionsGranted):
            employees, grants, options = event.employees, event.grants.count, event.options
        else:
            employees = len({g.employee_id for g in event.grants})
            grants, options = len(event.grants), sum(g.options for g in event.grants)
        out.append(
            NewGrantResult(
                plan=event.plan,
                employees=employees,
                grants=grants,
                options=options,
                grant_date=event.grant_date,
                exercise_price=event.exercise_price,
                stamp=stamp,
            )
        )
    return out


def _signer(
    state: LedgerState, stamp: Stamp | None, refs: list[FilingRef]
) -> tuple[str | None, str | None]:
    """The officer whose key signs: the holder of the key that recorded the acceptance."""
    name = None
    if stamp is not None:
        holder = key_holders(state).get(stamp.key_id)
        name = holder.holder if holder is not None else stamp.actor
    signers = [f.signer for f in refs if f.signer is not None]
    if name is None and signers:
        name = signers[-1].name
    titles = [s.title for s in signers if s.name == name]
    return name, (titles[-1] if titles else None)


def _next_exhibit(refs: list[FilingRef], changes: list[Change]) -> str:
    """The exhibit the form of results letter is filed as: a results letter's own exhibit when
    one was sent, else the next "(a)(N)" after the highest the filings on record list."""
    for _, event in changes:
        if isinstance(event, NOTICES) and event.notice_kind == "results_letter" and event.exhibit:
            return event.exhibit
    numbers = [
        int(found.group(1))
        for f in refs
        for x in f.exhibits
        if (found := re.match(r"^\(a\)\((\d+)\)", x.exhibit_id)) is not None
    ]
    return f"(a)({max(numbers, default=0) + 1})"


def _sender(state: LedgerState, changes: list[Change]) -> str | None:
    """Who sent the offer's communications to employees: the holder of the key that recorded
    its last notice."""
    stamps = [s for s, e in changes if isinstance(e, NOTICES)]
    if not stamps:
        return None
    holder = key_holders(state).get(stamps[-1].key_id)
    return holder.holder if holder is not None else stamps[-1].actor


def offer_results(
    state: LedgerState,
    offer_id: uuid.UUID,
    *,
    on: date | None = None,
    moment: Moment = NOW,
    statuses: list[EmployeeStatus] | None = None,
) -> Results:
    """The results as the ledger holds them; ``on`` is the amendment's date (``--date``), else
    the acceptance's effective date at ``moment``; what is shown is known by the end of it."""
    commenced(state, offer_id, moment)
    if on is None:
        seen = [s for s, e in offer_changes(state, offer_id, moment) if isinstance(e, ACCEPTANCES)]
        on = seen[-1].effective_day if seen else None
    known = moment if on is None else moment.until_end_of(on)
    return _results(state, offer_id, on, known, statuses)


def _results(
    state: LedgerState,
    offer_id: uuid.UUID,
    on: date | None,
    moment: Moment,
    statuses: list[EmployeeStatus] | None,
) -> Results:
    offer = commenced(state, offer_id, moment)
    changes = offer_changes(state, offer_id, moment)
    refs = filings(state, offer_id, moment)
    accepted = [(s, e) for s, e in changes if isinstance(e, ACCEPTANCES)]
    granted = [(s, e) for s, e in changes if isinstance(e, NEW_GRANTS)]
    expired = next((s for s, e in changes if isinstance(e, OfferExpired)), None)
    terminated = next((s for s, e in changes if isinstance(e, OfferTerminated)), None)
    documents = [e for _, e in changes if isinstance(e, OfferDocumentRegistered)]
    by_plan, total = _plan_results([e for _, e in accepted])
    acceptance = accepted[-1][0] if accepted else None
    statuses = statuses if statuses is not None else election_statuses(state, offer_id, moment)
    eligibility = summarize(statuses)
    filed_exhibits = {x.exhibit_id for f in refs for x in f.exhibits}
    exhibits = sorted(
        {
            (e.exhibit, f"{e.notice_id} ({e.notice_kind.replace('_', ' ')})")
            for _, e in changes
            if isinstance(e, NOTICES)
            and e.notice_kind == "results_letter"
            and e.exhibit
            and e.exhibit not in filed_exhibits
        }
    )
    missing = []
    if terminated is not None:
        missing.append("the offer was terminated")
    if expired is None:
        missing.append("the offer has not expired")
    if acceptance is None:
        missing.append("no acceptance of tendered options is recorded")
    name, title = _signer(state, acceptance, refs)
    expiration = expiration_in_force(changes)
    # generated figures, or any change of the offer a synthetic demonstration recorded
    synthetic = eligibility.synthetic or any(s.synthetic for s, _ in changes)
    numbers = [f.amendment_number for f in refs if f.amendment_number is not None]
    return Results(
        offer=offer_id,
        issuer=offer.issuer,
        securities=offer.securities,
        cusip=offer.cusip,
        plans=offer.plans,
        original=next((f for f in refs if f.amendment_number is None), None),
        amendments=tuple(
            sorted(
                (f for f in refs if f.amendment_number is not None),
                key=lambda f: f.amendment_number or 0,
            )
        ),
        amendment_number=max(numbers, default=0) + 1,
        document_title=documents[0].document.title if documents else None,
        document_dated=documents[0].document.dated if documents else None,
        expiration=None if expiration is None else expiration[0],
        expired=expired,
        terminated=terminated,
        eligibility=eligibility,
        accepted=tuple(by_plan),
        accepted_total=total,
        acceptance=acceptance,
        cancelled_on=accepted[-1][1].cancelled_on if accepted else None,
        new_grants=tuple(_new_grants(granted)),
        exhibits=tuple(exhibits),
        signer_name=name,
        signer_title=title,
        date=on,
        synthetic=synthetic,
        missing=tuple(missing),
        moment=moment,
        known_on=on,
        cik=offer.cik,
        file_number=offer.file_number,
        commenced_at=next((s for s, e in changes if isinstance(e, OfferCommenced)), None),
        cover=filed_cover(state, refs, cik=offer.cik, file_number=offer.file_number),
        terms=tuple(sorted(offer_terms(state, offer_id, moment).items())),
        sender=_sender(state, changes),
        results_exhibit=_next_exhibit(refs, changes),
    )


def require_final(results: Results, *, draft: bool) -> None:
    """Refuse a final amendment before the offer expired and tendered options were accepted."""
    if results.missing and not draft:
        raise QueryError(
            "no final amendment yet: " + "; ".join(results.missing),
            field="draft",
            hint="a final amendment reports the results after expiration and acceptance; "
            "pass --draft to see a draft with what the ledger holds so far",
        )


__all__ = ["NewGrantResult", "PlanResult", "Results", "offer_results", "require_final"]
