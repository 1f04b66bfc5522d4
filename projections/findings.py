"""Timing findings: the offer's history checked against the SEC's tender-offer timing rules.

A pure fold ``(state, event) -> state`` over :mod:`offerledger.events` and a function from the
state to findings. No database, clock or file: the same events give the same findings, byte for
byte. Each finding names the rule, the events and dates it rests on, the counting convention,
and whether the rule is met. History that broke a rule is still recorded; this only reports.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from offerledger.events import (
    ElectionRefused,
    ElectionWithdrawn,
    ExpirationExtended,
    FilingRecorded,
    LedgerEvent,
    NewOptionsGranted,
    NewOptionsGrantedV1,
    OfferCommenced,
    OfferExpired,
    OfferTerminated,
    TenderedOptionsAccepted,
    TenderedOptionsAcceptedV1,
    TimeNotOnFile,
    deadline_exclusive,
)
from offerledger.projections.calendar import (
    EASTERN,
    add_business_days,
    at_nine_eastern,
    business_days,
    closures_counted,
    eastern_date,
    excluded_days,
    next_business_day,
)

PROMPT_PAYMENT_DAYS = 3
PROMPT_FINAL_AMENDMENT_DAYS = 10
CONVENTION = (
    "Rule 14d-1(g)(3): a business day is any day other than a Saturday, Sunday or federal "
    "holiday, from 12:01 a.m. through 12:00 midnight Eastern time; federal holidays from the "
    "'holidays' package (US, observed dates included). Periods are counted inclusively: the "
    "commencement day is day 1, and the expiration day counts when the offer expires at 11:59 "
    "p.m. or midnight Eastern."
)


@dataclass(frozen=True, slots=True)
class Ref:
    """An event a finding rests on."""

    stream: str
    version: int
    action: str
    effective: str

    def as_json(self) -> dict[str, object]:
        return {
            "stream": self.stream,
            "version": self.version,
            "action": self.action,
            "effective": self.effective,
        }


def _ref(event: LedgerEvent) -> Ref:
    eff = event.effective
    when = "not on file" if isinstance(eff, TimeNotOnFile) else eff.earliest().isoformat()
    return Ref(str(event.originator_id), event.originator_version, event.action, when)


@dataclass(frozen=True, slots=True)
class OfferTiming:
    offer_id: uuid.UUID
    name: str
    commenced: datetime
    commenced_ref: Ref
    expirations: tuple[tuple[datetime, datetime, Ref], ...]
    filings: tuple[tuple[date | None, int | None, bool, Ref], ...] = ()
    expired: tuple[datetime, Ref] | None = None
    terminated: tuple[datetime, Ref] | None = None
    accepted: tuple[datetime, Ref] | None = None
    granted: tuple[date, Ref] | None = None
    withdrawals: int = 0
    refused_withdrawals: tuple[tuple[datetime, str, Ref], ...] = ()

    def expiration_at(self, at: datetime) -> datetime:
        current = self.expirations[0][1]
        for since, expiration, _ in self.expirations[1:]:
            if since <= at:
                current = expiration
        return current

    @property
    def final_expiration(self) -> datetime:
        return self.expirations[-1][1]


@dataclass(frozen=True, slots=True)
class FindingsState:
    offers: dict[uuid.UUID, OfferTiming] = field(default_factory=dict)
    latest: datetime | None = None


def _offer_of(event: LedgerEvent) -> uuid.UUID:
    return getattr(event, "offer_id", None) or event.originator_id


def fold(state: FindingsState, event: LedgerEvent) -> FindingsState:
    """``(state, event) -> state``: pure; times and ids come from the event."""
    eff = event.effective
    latest = state.latest
    if not isinstance(eff, TimeNotOnFile):
        at = eff.earliest()
        latest = at if latest is None or at > latest else latest
    state = replace(state, latest=latest)
    if isinstance(event, OfferCommenced):
        start = event.effective.earliest()
        timing = OfferTiming(
            event.originator_id,
            event.offer_name,
            start,
            _ref(event),
            ((start, event.expiration, _ref(event)),),
        )
        return replace(state, offers={**state.offers, event.originator_id: timing})
    offer = state.offers.get(_offer_of(event))
    if offer is None:
        return state
    new = _fold_offer(offer, event)
    if new is offer:
        return state
    return replace(state, offers={**state.offers, offer.offer_id: new})


def _fold_offer(offer: OfferTiming, event: LedgerEvent) -> OfferTiming:
    at = event.effective.earliest()
    if isinstance(event, ExpirationExtended):
        return replace(
            offer, expirations=(*offer.expirations, (at, event.new_expiration, _ref(event)))
        )
    if isinstance(event, FilingRecorded):
        entry = (event.filed_on, event.amendment_number, event.final_amendment, _ref(event))
        return replace(offer, filings=(*offer.filings, entry))
    if isinstance(event, OfferExpired):
        return replace(offer, expired=(at, _ref(event)))
    if isinstance(event, OfferTerminated):
        return replace(offer, terminated=(at, _ref(event)))
    if isinstance(event, TenderedOptionsAccepted | TenderedOptionsAcceptedV1):
        return replace(offer, accepted=(at, _ref(event)))
    if isinstance(event, NewOptionsGranted | NewOptionsGrantedV1):
        return replace(offer, granted=(event.grant_date, _ref(event)))
    if isinstance(event, ElectionWithdrawn):
        return replace(offer, withdrawals=offer.withdrawals + 1)
    if isinstance(event, ElectionRefused) and event.attempted == "withdraw":
        item = (event.received_at, event.reason, _ref(event))
        return replace(offer, refused_withdrawals=(*offer.refused_withdrawals, item))
    return offer


def fold_all(events: list[LedgerEvent], state: FindingsState | None = None) -> FindingsState:
    state = state or FindingsState()
    for event in events:
        state = fold(state, event)
    return state


@dataclass(frozen=True, slots=True)
class Finding:
    offer: str
    rule: str
    title: str
    status: str  # met | not_met | not_applicable | pending
    detail: str
    dates: dict[str, str]
    events: tuple[Ref, ...]
    convention: str = CONVENTION

    def as_json(self) -> dict[str, object]:
        return {
            "offer": self.offer,
            "rule": self.rule,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "dates": dict(self.dates),
            "events": [e.as_json() for e in self.events],
            "convention": self.convention,
        }


def last_full_day(expiration: datetime) -> date:
    """The last business-day candidate an offer is open for in full."""
    local = expiration.astimezone(EASTERN)
    if local.hour == 0 and local.minute == 0:
        return local.date() - timedelta(days=1)
    if (local.hour, local.minute) >= (23, 59):
        return local.date()
    return local.date() - timedelta(days=1)


def _counting_note(first: date, last: date) -> str:
    parts = []
    excluded = excluded_days(first, last)
    if excluded:
        parts.append("excluded: " + ", ".join(f"{d.isoformat()} {n}" for d, n in excluded))
    closures = closures_counted(first, last)
    if closures:
        days = ", ".join(d.isoformat() for d, _ in closures)
        why = sorted({w for _, w in closures})
        parts.append(
            f"counted: {days} ({'; '.join(why)}: not federal holidays, so business "
            "days under Rule 14d-1(g)(3))"
        )
    return "; ".join(parts)


def _rule_14e1a(o: OfferTiming, latest: datetime | None) -> Finding:
    exp = o.final_expiration
    first, last = eastern_date(o.commenced), last_full_day(exp)
    days = business_days(first, last)
    ok = len(days) >= 20
    note = _counting_note(first, last)
    refs = (o.commenced_ref, *(r for _, _, r in o.expirations[1:]))
    scheduled = "" if o.expired else " (scheduled; the offer has not expired on record)"
    detail = (
        f"commenced {first.isoformat()}, expires {exp.astimezone(EASTERN).isoformat()}"
        f"{scheduled}: {len(days)} business days counted inclusively "
        f"({first.isoformat()} through {last.isoformat()}); at least 20 required"
        + (f"; {note}" if note else "")
    )
    return Finding(
        o.name,
        "Rule 14e-1(a)",
        "open at least 20 business days",
        "met" if ok else "not_met",
        detail,
        {
            "commenced": first.isoformat(),
            "expiration": exp.isoformat(),
            "business_days": str(len(days)),
        },
        refs,
    )


def _rule_14e1b(o: OfferTiming, latest: datetime | None) -> Finding:
    exp = o.final_expiration
    lines = []
    for filed, number, final, _ in o.filings:
        if filed is None or number is None or final:
            continue
        left = business_days(filed, last_full_day(exp))
        lines.append(
            f"Amendment No. {number} filed {filed.isoformat()}: {len(left)} business "
            "days to expiration, counting the filing day"
        )
    detail = (
        "no event records a change in the consideration offered or the percentage of "
        "securities sought, so no 10-business-day period is required; text amendments "
        "are not classified by materiality here"
    )
    if lines:
        detail += "; for reference: " + "; ".join(lines)
    refs = tuple(r for filed, n, final, r in o.filings if n is not None and not final)
    return Finding(
        o.name,
        "Rule 14e-1(b)",
        "10 business days after a change in consideration or percentage sought",
        "not_applicable",
        detail,
        {},
        refs,
    )


def _rule_14e1c(o: OfferTiming, latest: datetime | None) -> Finding:
    title = "prompt payment or return after the offer ends"
    end = o.terminated or o.expired
    if end is None:
        return Finding(
            o.name,
            "Rule 14e-1(c)",
            title,
            "not_applicable",
            "the offer has not expired or been terminated on record",
            {},
            (),
        )
    if o.accepted is None:
        return Finding(
            o.name,
            "Rule 14e-1(c)",
            title,
            "pending",
            f"the offer ended {end[0].isoformat()}; no acceptance and cancellation "
            "of tendered options is recorded yet",
            {"ended": end[0].isoformat()},
            (end[1],),
        )
    after = business_days(eastern_date(end[0]) + timedelta(days=1), eastern_date(o.accepted[0]))
    ok = len(after) <= PROMPT_PAYMENT_DAYS
    granted = (
        f"; new options granted on {o.granted[0].isoformat()} under the offer's terms"
        if o.granted
        else "; no new-option grant is recorded yet"
    )
    detail = (
        f"tendered options accepted and cancelled {o.accepted[0].isoformat()}, "
        f"{len(after)} business day(s) after the offer ended on "
        f"{eastern_date(end[0]).isoformat()} (promptly read as within "
        f"{PROMPT_PAYMENT_DAYS} business days){granted}"
    )
    refs = (end[1], o.accepted[1], *((o.granted[1],) if o.granted else ()))
    return Finding(
        o.name,
        "Rule 14e-1(c)",
        title,
        "met" if ok else "not_met",
        detail,
        {"ended": end[0].isoformat(), "accepted": o.accepted[0].isoformat()},
        refs,
    )


def _rule_14e1d(o: OfferTiming, latest: datetime | None) -> Finding:
    title = "notice of extension by 9:00 a.m. Eastern on the next business day"
    if len(o.expirations) == 1:
        return Finding(
            o.name,
            "Rule 14e-1(d)",
            title,
            "not_applicable",
            "no extension of the expiration is recorded",
            {},
            (),
        )
    problems: list[str] = []
    notes: list[str] = []
    for k in range(1, len(o.expirations)):
        announced, new, ref = o.expirations[k]
        previous = o.expirations[k - 1][1]
        due = at_nine_eastern(next_business_day(eastern_date(previous)))
        text = (
            f"extension to {new.isoformat()} announced {announced.isoformat()}; due by "
            f"{due.isoformat()} (the business day after the expiration then scheduled, "
            f"{previous.isoformat()})"
        )
        (notes if announced <= due else problems).append(text)
    return Finding(
        o.name,
        "Rule 14e-1(d)",
        title,
        "not_met" if problems else "met",
        "; ".join(problems or notes),
        {},
        tuple(r for _, _, r in o.expirations[1:]),
    )


def _rule_13e4c4(o: OfferTiming, latest: datetime | None) -> Finding:
    title = "final amendment reporting the results promptly"
    finals = [(f, r) for f, _, final, r in o.filings if final]
    end = o.terminated or o.expired
    if end is None:
        return Finding(
            o.name,
            "Rule 13e-4(c)(4)",
            title,
            "not_applicable",
            "the offer has not ended on record",
            {},
            (),
        )
    ended = eastern_date(end[0])
    if not finals:
        since = business_days(ended + timedelta(days=1), eastern_date(latest)) if latest else []
        return Finding(
            o.name,
            "Rule 13e-4(c)(4)",
            title,
            "pending",
            f"no final amendment is recorded; {len(since)} business day(s) from the "
            f"end of the offer ({ended.isoformat()}) to the latest event on record",
            {"ended": end[0].isoformat()},
            (end[1],),
        )
    filed, ref = finals[0]
    if filed is None:
        return Finding(
            o.name,
            "Rule 13e-4(c)(4)",
            title,
            "pending",
            "a final amendment is recorded without a filing date",
            {},
            (ref,),
        )
    after = business_days(ended + timedelta(days=1), filed)
    ok = len(after) <= PROMPT_FINAL_AMENDMENT_DAYS
    return Finding(
        o.name,
        "Rule 13e-4(c)(4)",
        title,
        "met" if ok else "not_met",
        f"final amendment filed {filed.isoformat()}, {len(after)} business day(s) "
        f"after the offer ended on {ended.isoformat()} (promptly read as within "
        f"{PROMPT_FINAL_AMENDMENT_DAYS} business days)",
        {"ended": end[0].isoformat(), "filed": filed.isoformat()},
        (end[1], ref),
    )


def _rule_13e4f2(o: OfferTiming, latest: datetime | None) -> Finding:
    title = "withdrawal rights while the offer is open and after 40 business days"
    fortieth = add_business_days(eastern_date(o.commenced), 40)
    problems = []
    for received, reason, _ in o.refused_withdrawals:
        open_until = deadline_exclusive(o.expiration_at(received))
        if o.commenced <= received < open_until:
            problems.append(
                f"a withdrawal received {received.isoformat()} while the offer was "
                f"open was refused ({reason})"
            )
        elif eastern_date(received) > fortieth and (o.accepted is None or received < o.accepted[0]):
            problems.append(
                f"a withdrawal received {received.isoformat()}, after the 40th "
                f"business day ({fortieth.isoformat()}) and before acceptance, was "
                "refused"
            )
    accepted = f"; tendered options accepted {o.accepted[0].isoformat()}" if o.accepted else ""
    detail = (
        "; ".join(problems)
        if problems
        else (
            f"{o.withdrawals} withdrawal(s) recorded while the offer was open, none refused in the "
            f"withdrawal period; the 40th business day after commencement is "
            f"{fortieth.isoformat()}{accepted}"
        )
    )
    refs = tuple(r for _, _, r in o.refused_withdrawals)
    return Finding(
        o.name,
        "Rule 13e-4(f)(2)",
        title,
        "not_met" if problems else "met",
        detail,
        {"fortieth_business_day": fortieth.isoformat()},
        refs,
    )


RULES = (_rule_14e1a, _rule_14e1b, _rule_14e1c, _rule_14e1d, _rule_13e4c4, _rule_13e4f2)


def findings_for(offer: OfferTiming, latest: datetime | None) -> list[Finding]:
    return [rule(offer, latest) for rule in RULES]


def findings(state: FindingsState) -> list[Finding]:
    """Every finding for every offer, offers in commencement order."""
    out: list[Finding] = []
    for offer in sorted(state.offers.values(), key=lambda o: (o.commenced, o.name)):
        out.extend(findings_for(offer, state.latest))
    return out


def render_text(items: list[Finding]) -> str:
    lines = []
    for f in items:
        lines.append(f"[{f.status.upper()}] {f.rule} — {f.title} ({f.offer})")
        lines.append(f"  {f.detail}")
        for e in f.events:
            lines.append(
                f"  rests on: {e.action} (stream {e.stream[:8]}…, v{e.version}, "
                f"effective {e.effective})"
            )
    return "\n".join(lines) + ("\n" if lines else "")


__all__ = [
    "CONVENTION",
    "Finding",
    "FindingsState",
    "OfferTiming",
    "Ref",
    "findings",
    "findings_for",
    "fold",
    "fold_all",
    "last_full_day",
    "render_text",
]
