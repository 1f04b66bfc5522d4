"""The rules of the offer period, one function each: how long the offer stays open, after a
change, with notice of an extension, and with withdrawal rights.

Each function takes an offer's :class:`~offerledger.domain.timing.OfferFacts` and returns one
:class:`~offerledger.domain.timing.Judgement` that quotes the rule, says how the ledger reads
it, and names the events it rests on. History that broke a rule is still recordable; these
only judge. :data:`RULES` lists every timing rule, the filing and after-the-offer rules of
:mod:`offerledger.domain.timing_after` included, in the order reports give them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from offerledger.domain.calendar import (
    EASTERN,
    at_nine_eastern,
    business_days,
    counting_note,
    eastern_date,
    next_business_day,
    nth_business_day,
    period_start,
)
from offerledger.domain.rule_texts import (
    C_13E4E3,
    C_13E4F1,
    C_13E4F2,
    C_14E1A,
    C_14E1B,
    C_14E1D,
)
from offerledger.domain.timing import (
    Announcement,
    ChangeFact,
    Citation,
    Judgement,
    OfferFacts,
    Ref,
    clock,
    effective_order,
    in_force_before,
    last_day_counted,
    outside_window,
    stated_day,
)
from offerledger.domain.timing_after import (
    document_changes,
    rule_13e4c1,
    rule_13e4c3,
    rule_13e4c4,
    rule_13e4f5,
    rule_13e4f6,
    rule_13e4f8,
    rule_14e1c,
)

MINIMUM_DAYS = 20
AFTER_TERMS_DAYS = 10
AFTER_CHANGE_DAYS = 5
WITHDRAWAL_DAYS = 40
TERMS = {
    "consideration": "the consideration offered",
    "percentage_sought": "the percentage of the class sought",
    "dealer_soliciting_fee": "the dealer's soliciting fee",
}


@dataclass(frozen=True, slots=True)
class Period:
    """The days an offer is open: from its commencement's period start through its last day
    counted whole, under the expiration in force at its end (or scheduled, when not ended)."""

    first: date
    last: date
    stated: Announcement
    ended: bool
    how: str

    @property
    def days(self) -> list[date]:
        return business_days(self.first, self.last)

    def left_from(self, day: date) -> list[date]:
        return business_days(period_start(day), self.last)

    def refs(self, facts: OfferFacts) -> tuple[Ref, ...]:
        found = [facts.commenced_ref]
        if self.stated.ref is not None and self.stated.ref != facts.commenced_ref:
            found.append(self.stated.ref)
        end = facts.terminated or facts.expired
        if end is not None:
            found.append(end[1])
        return tuple(found)


def open_period(facts: OfferFacts) -> Period:
    first = period_start(eastern_date(facts.commenced))
    if facts.terminated is not None:
        at = facts.terminated[0]
        return Period(first, last_day_counted(at), facts.in_force(at), True, "terminated")
    at_end = facts.expired[0] if facts.expired is not None else None
    stated = facts.in_force(at_end)
    how = "expired" if at_end is not None else "scheduled"
    return Period(first, last_day_counted(stated.expiration), stated, at_end is not None, how)


def _last_day_words(stated: datetime, last: date) -> str:
    if stated_day(stated) != last:
        return f"it ends at {clock(stated)}, before midnight, so that day does not count"
    if stated.astimezone(EASTERN).time() == time(0, 0):
        return f"it runs to 12:00 midnight ending {last}, so that day counts whole"
    return f"it runs to {clock(stated)}, the day's last minute, so {last} counts whole"


def _period_detail(p: Period, note_from: date) -> str:
    days = p.days
    state = {
        "expired": "the expiration in force when it expired",
        "scheduled": "scheduled; the offer has not expired on record",
        "terminated": "terminated then",
    }[p.how]
    out = (
        f"commenced {p.first}, expires {clock(p.stated.expiration)} ({state}): {len(days)} "
        f"business days, {p.first} through {p.last} (the commencement day is day 1; "
        f"{_last_day_words(p.stated.expiration, p.last)})"
    )
    if len(days) >= MINIMUM_DAYS:
        out += f"; the 20th business day is {nth_business_day(p.first, MINIMUM_DAYS)}"
    note = counting_note(note_from, p.last)
    return out + (f"; {note}" if note else "")


def rule_14e1a(facts: OfferFacts) -> Judgement:
    p = open_period(facts)
    return _minimum("Rule 14e-1(a)", C_14E1A, facts, p, [])


def rule_13e4f1(facts: OfferFacts) -> Judgement:
    p = open_period(facts)
    terms = [c for c in facts.changes if c.kind == "terms"]
    return _minimum("Rule 13e-4(f)(1)", C_13E4F1, facts, p, terms)


def _minimum(
    rule: str, cite: Citation, facts: OfferFacts, p: Period, terms: list[ChangeFact]
) -> Judgement:
    days = len(p.days)
    short = days < MINIMUM_DAYS
    detail = _period_detail(p, p.first) + f"; at least {MINIMUM_DAYS} required"
    lines, late = _after_changes(p, terms, AFTER_TERMS_DAYS)
    if lines:
        detail += "; (ii): " + "; ".join(lines)
    bad = short or late
    status = "met" if not bad else ("not_met" if p.ended else "pending")
    dates = (
        ("business_days", str(days)),
        ("commenced", p.first.isoformat()),
        ("expiration", p.stated.expiration.isoformat()),
        ("last_day_counted", p.last.isoformat()),
    )
    return Judgement(
        rule,
        "open at least 20 business days" + (" (10 after a change in terms)" if terms else ""),
        status,
        detail,
        cite,
        reading="Rule 14d-1(g)(3): the day the offer is first published or sent is day 1; a "
        "business day runs through 12:00 midnight Eastern time, so the stated expiration day "
        "counts whole when the offer runs to 11:59 p.m. or midnight",
        dates=dates,
        refs=(*p.refs(facts), *(c.ref for c in terms)),
    )


def _after_changes(p: Period, changes: list[ChangeFact], need: int) -> tuple[list[str], bool]:
    lines, late = [], False
    for c in changes:
        day = eastern_date(c.at)
        left = p.left_from(day)
        ok = len(left) >= need
        late = late or not ok
        what = TERMS.get(c.terms, c.terms) if c.kind == "terms" else c.description
        lines.append(
            f"{what} changed, notice first sent {day}: {len(left)} business days from "
            f"{period_start(day)} through {p.last} (that day is day 1); at least {need} required"
            + ("" if ok else f" — the offer must stay open through {nth_business_day(day, need)}")
        )
    return lines, late


def rule_14e1b(facts: OfferFacts) -> Judgement:
    terms = [c for c in facts.changes if c.kind == "terms"]
    title = "10 business days after a change in consideration or percentage sought"
    undated = facts.undated_lines("TermsChanged")
    if undated and not terms:
        return Judgement("Rule 14e-1(b)", title, "not_on_file", "; ".join(undated), C_14E1B)
    if not terms:
        return Judgement(
            "Rule 14e-1(b)",
            title,
            "not_applicable",
            "no event records an increase or decrease in the consideration offered, the "
            "percentage of the class sought or the dealer's soliciting fee (TermsChanged); "
            "changes to the offer's text are judged under Rule 13e-4(e)(3)",
            C_14E1B,
        )
    p = open_period(facts)
    lines, late = _after_changes(p, terms, AFTER_TERMS_DAYS)
    lines.extend(undated)
    status = "met" if not late else ("not_met" if p.ended else "pending")
    status = "not_on_file" if status == "met" and undated else status
    note = counting_note(min(eastern_date(c.at) for c in terms), p.last)
    return Judgement(
        "Rule 14e-1(b)",
        title,
        status,
        "; ".join(lines) + (f"; {note}" if note else ""),
        C_14E1B,
        reading="the day notice of the change is first sent is day 1 (Rule 14d-1(g)(3)); the "
        "event's effective time is when that notice was first published, sent or given",
        dates=(("last_day_counted", p.last.isoformat()),),
        refs=(*(c.ref for c in terms), *p.refs(facts)),
    )


def rule_13e4e3(facts: OfferFacts) -> Judgement:
    title = "open 5 business days after a material change (10 after a change in terms)"
    p = open_period(facts)
    groups = document_changes(facts)
    lines: list[str] = []
    refs: list[Ref] = []
    late = False
    for g in groups:
        sent = g.sent_on
        left = p.left_from(sent)
        ok = len(left) >= AFTER_CHANGE_DAYS
        late = late or not ok
        lines.append(
            f"{g.label}, sent to holders {sent}: {len(left)} business days from "
            f"{period_start(sent)} through {p.last} (that day is day 1); at least "
            f"{AFTER_CHANGE_DAYS} required"
            + ("" if ok else f" — open through {nth_business_day(sent, AFTER_CHANGE_DAYS)}")
        )
        refs.extend(g.refs)
    terms = [c for c in facts.changes if c.kind == "terms"]
    more, late_terms = _after_changes(p, terms, AFTER_TERMS_DAYS)
    lines.extend(more)
    refs.extend(c.ref for c in terms)
    unknown = [
        f.name
        for f in facts.filings
        if f.amendment_number is not None
        and not f.final
        and f.stream not in {g.filing for g in groups}
    ]
    if unknown:
        lines.append(
            f"{', '.join(unknown)}: what it changed is not on file, so it is not judged here"
        )
    undated = facts.undated_lines("DocumentAmended", "TermsChanged", "NoticeDispatched")
    lines.extend(undated)
    if not groups and not terms:
        status = "not_on_file" if undated else "not_applicable"
    else:
        status = "met" if not (late or late_terms) else ("not_met" if p.ended else "pending")
        status = "not_on_file" if status == "met" and undated else status
    starts = [g.sent_on for g in groups] + [eastern_date(c.at) for c in terms]
    note = counting_note(min(starts), p.last) if starts else ""
    return Judgement(
        "Rule 13e-4(e)(3)",
        title,
        status,
        ("; ".join(lines) or "no change in what holders were told is recorded")
        + (f"; {note}" if note else ""),
        C_13E4E3,
        reading="every recorded amendment of the offer document is treated as a material "
        "change (materiality is not judged); it counts from the day holders were sent it "
        "(the earliest notice carrying the amendment's exhibits, else the amendment's "
        "effective day), that day being day 1",
        dates=(("last_day_counted", p.last.isoformat()),),
        refs=(*refs, *p.refs(facts)),
    )


def rule_14e1d(facts: OfferFacts) -> Judgement:
    title = "notice of extension by 9:00 a.m. Eastern on the next business day"
    order = effective_order(facts.announcements)
    if not order:
        return Judgement(
            "Rule 14e-1(d)",
            title,
            "not_applicable",
            "no extension of the expiration is recorded",
            C_14E1D,
        )
    lines: list[str] = []
    verdicts: list[str] = []
    refs: list[Ref] = []
    for i in order:
        ext = facts.announcements[i]
        before = in_force_before(facts.announcements, i)
        day = stated_day(before.expiration)
        due = at_nine_eastern(next_business_day(day))
        if ext.day_only and eastern_date(ext.announced) == due.date():
            verdict, how = "not_on_file", "on the due day, its hour not on file"
        elif ext.announced <= due:
            verdict, how = "met", "in time"
        else:
            verdict, how = "not_met", "late"
        when = str(eastern_date(ext.announced)) if ext.day_only else clock(ext.announced)
        lines.append(
            f"extension to {clock(ext.expiration)} announced {when} ({how}): due by "
            f"{clock(due)}, the business day after the expiration date it replaced "
            f"({day}, from {clock(before.expiration)})"
        )
        verdicts.append(verdict)
        refs.extend(r for r in (ext.ref, before.ref) if r is not None and r not in refs)
    status = next((v for v in ("not_met", "not_on_file") if v in verdicts), "met")
    return Judgement(
        "Rule 14e-1(d)",
        title,
        status,
        "; ".join(lines),
        C_14E1D,
        reading="the scheduled expiration date is the day the replaced expiration is stated "
        'for ("12:00 midnight", stored as 00:00 the next day, belongs to the day it ends); '
        "extensions are taken in effective order, each measured from the expiration in force "
        "just before it; the notice's content is not judged",
        refs=tuple(refs),
    )


def rule_13e4f2(facts: OfferFacts) -> Judgement:
    first = eastern_date(facts.commenced)
    fortieth = nth_business_day(first, WITHDRAWAL_DAYS)
    accepted = facts.accepted[0] if facts.accepted else None
    terminated = facts.terminated[0] if facts.terminated else None
    problems: list[str] = []
    refs: list[Ref] = []
    for act in (a for a in facts.acts if a.refused):
        received = act.received_at
        closed = outside_window(
            commenced=facts.commenced,
            terminated=terminated,
            announcements=facts.announcements,
            at=received,
        )
        if closed is None:
            problems.append(
                f"a withdrawal received {clock(received)} while the offer was open was "
                f"refused ({act.reason})"
            )
            refs.append(act.ref)
        elif eastern_date(received) > fortieth and (accepted is None or received < accepted):
            problems.append(
                f"a withdrawal received {clock(received)}, after the 40th business day "
                f"({fortieth}) and before acceptance, was refused ({act.reason})"
            )
            refs.append(act.ref)
    kept = [a for a in facts.acts if not a.refused]
    synthetic = sum(1 for a in kept if a.ref.synthetic)
    detail = "; ".join(problems) or (
        f"{len(kept)} withdrawal(s) recorded while the offer was open; none refused while "
        f"withdrawal rights ran; the 40th business day after commencement is {fortieth}"
        + (f"; tendered options accepted {clock(accepted)}" if accepted else "")
    )
    return Judgement(
        "Rule 13e-4(f)(2)",
        "withdrawal rights while the offer is open and after 40 business days",
        "not_met" if problems else "met",
        detail,
        C_13E4F2,
        reading="open means received before the expiration in force at receipt (the whole "
        "stated minute counts), the same window the write side applies to every election form",
        dates=(("fortieth_business_day", fortieth.isoformat()),),
        refs=tuple(refs),
        synthetic_note=f"{synthetic} synthetic withdrawal(s) counted" if synthetic else "",
    )


RULES = (
    rule_14e1a,
    rule_13e4f1,
    rule_13e4e3,
    rule_14e1b,
    rule_14e1d,
    rule_13e4f2,
    rule_13e4c1,
    rule_13e4c3,
    rule_14e1c,
    rule_13e4f5,
    rule_13e4c4,
    rule_13e4f6,
    rule_13e4f8,
)
"""Every timing rule, in the order reports give them."""


def judge(facts: OfferFacts) -> list[Judgement]:
    """Every rule judged on one offer's facts, in :data:`RULES` order."""
    return [rule(facts) for rule in RULES]


__all__ = [
    "RULES",
    "Period",
    "judge",
    "open_period",
    "rule_13e4e3",
    "rule_13e4f1",
    "rule_13e4f2",
    "rule_14e1a",
    "rule_14e1b",
    "rule_14e1d",
]
