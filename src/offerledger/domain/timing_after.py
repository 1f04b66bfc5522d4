"""The filing rules and the rules after the offer ends, one function each: written
communications filed the day they are sent, amendments filed promptly, prompt payment, the final
amendment, no purchases for ten business days, and all holders / best price.

Same contract as :mod:`offerledger.domain.timing_rules`: facts in, one quoted, explained
:class:`~offerledger.domain.timing.Judgement` out, naming the events it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from offerledger.domain.calendar import (
    EASTERN,
    business_days,
    business_days_after,
    eastern_date,
    next_business_day,
)
from offerledger.domain.rule_texts import (
    C_13E4C1,
    C_13E4C3,
    C_13E4C4,
    C_13E4F5,
    C_13E4F6,
    C_13E4F8,
    C_14E1C,
)
from offerledger.domain.timing import (
    Citation,
    FilingFact,
    Judgement,
    OfferFacts,
    Ref,
    clock,
)

PROMPT_PAYMENT_DAYS = 3
PROMPT_FINAL_AMENDMENT_DAYS = 10
NO_PURCHASE_DAYS = 10
ORDER = ("not_met", "overdue", "not_on_file", "pending", "met")


def _worst(verdicts: Iterable[str]) -> str:
    found = set(verdicts)
    return next((v for v in ORDER if v in found), "not_applicable")


def _passed(facts: OfferFacts, day: date) -> bool:
    """Whether ``day`` had ended by the moment judged."""
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=EASTERN)
    return facts.now is not None and facts.now >= end


def _now_words(facts: OfferFacts) -> str:
    if facts.now is None:
        return "nothing else is on record"
    if facts.now_ref is None:
        return f"as of {clock(facts.now)}"
    return f"as of the latest event on record, {facts.now_ref.label}"


def _now_refs(facts: OfferFacts) -> tuple[Ref, ...]:
    return () if facts.now_ref is None else (facts.now_ref,)


@dataclass(frozen=True, slots=True)
class DocumentChange:
    """The amendments of the offer document one filing made, and when holders were sent them."""

    filing: str
    label: str
    changed_on: date
    sent_on: date
    filed_on: date | None
    refs: tuple[Ref, ...]


def document_changes(facts: OfferFacts) -> list[DocumentChange]:
    """The recorded document amendments, one entry per filing that made them."""
    filings = {f.stream: f for f in facts.filings}
    out = []
    for stream in sorted({c.filing for c in facts.changes if c.kind == "document"}):
        changes = [c for c in facts.changes if c.kind == "document" and c.filing == stream]
        filing = filings.get(stream)
        changed_on = min(eastern_date(c.at) for c in changes)
        notices = [
            n for n in facts.notices if filing and n.exhibit and n.exhibit in filing.exhibits
        ]
        sent_on = min((eastern_date(n.at) for n in notices), default=changed_on)
        name = f"{filing.name} (filed {filing.filed_text})" if filing else "a filing not on record"
        label = f"{name}: the offer document amended, effective {changed_on}"
        if notices:
            exhibits = ", ".join(sorted({n.exhibit or "" for n in notices}))
            channels = " and ".join(sorted({n.channel for n in notices}))
            label += f"; notice {exhibits} by {channels}"
        refs = [*(c.ref for c in changes), *(n.ref for n in notices)]
        if filing:
            refs.insert(0, filing.ref)
        out.append(
            DocumentChange(
                stream, label, changed_on, sent_on, filing.filed_on if filing else None, tuple(refs)
            )
        )
    return sorted(out, key=lambda d: (d.changed_on, d.label))


def rule_13e4c1(facts: OfferFacts) -> Judgement:
    title = "each notice to holders filed the day it is sent"
    groups: dict[tuple[str, str], list[int]] = {}
    for i, n in enumerate(facts.notices):
        groups.setdefault((n.notice_id, n.exhibit or ""), []).append(i)
    lines: list[str] = []
    verdicts: list[str] = []
    refs: list[Ref] = []
    for (notice_id, exhibit), idx in sorted(groups.items()):
        notices = [facts.notices[i] for i in idx]
        sent = min(eastern_date(n.at) for n in notices)
        how = ", ".join(sorted({n.channel for n in notices}))
        refs.extend(n.ref for n in notices)
        head = f"notice {notice_id} sent {sent} ({how})"
        listing = [f for f in facts.filings if exhibit and exhibit in f.exhibits]
        dated = sorted((f for f in listing if f.filed_on), key=lambda f: f.filed_on or sent)
        if not exhibit:
            verdict, text = "not_on_file", "no exhibit reference is recorded, so no filing matches"
        elif not dated:
            verdict = "not_on_file"
            text = f"no filing on record lists exhibit {exhibit} with a filing date"
        else:
            filing = dated[0]
            refs.append(filing.ref)
            filed = filing.filed_on or sent
            if filed <= sent:
                verdict = "met"
                when = "the day it was sent" if filed == sent else "before it was sent"
                text = f"filed as exhibit {exhibit} to {filing.name} on {filed}, {when}"
            else:
                late = len(business_days(sent + timedelta(days=1), filed))
                verdict = "not_met"
                text = (
                    f"filed as exhibit {exhibit} to {filing.name} on {filed}, {late} business "
                    "day(s) later"
                )
        lines.append(f"{head}: {text}")
        verdicts.append(verdict)
    undated = facts.undated_lines("NoticeDispatched")
    lines.extend(undated)
    verdicts.extend("not_on_file" for _ in undated)
    return Judgement(
        "Rule 13e-4(c)(1)",
        title,
        _worst(verdicts),
        "; ".join(lines) or "no notice to holders is recorded",
        C_13E4C1,
        reading='a notice is filed when a filing on record lists its exhibit; "as soon as '
        'practicable on the date of the communication" is read as the same day',
        refs=tuple(refs),
    )


def _amendments(facts: OfferFacts) -> list[FilingFact]:
    found = [f for f in facts.filings if f.form == "SC TO-I/A" and not f.final and f.filed_on]
    return sorted(found, key=lambda f: (f.filed_on or date.min, f.ref.position or 0))


def rule_13e4c3(facts: OfferFacts) -> Judgement:
    title = "material changes reported by an amendment filed promptly"
    lines: list[str] = []
    verdicts: list[str] = []
    refs: list[Ref] = []
    for d in document_changes(facts):
        refs.extend(d.refs)
        due = next_business_day(d.changed_on)
        if d.filed_on is None:
            verdicts.append("not_on_file")
            lines.append(f"{d.label}: the filing's date is not on file")
        else:
            ok = d.filed_on <= due
            verdicts.append("met" if ok else "not_met")
            lines.append(
                f"{d.label}: made by that amendment"
                + (", reported when made" if ok else f", filed after {due}")
            )
    for c in (c for c in facts.changes if c.kind in ("extension", "terms")):
        day = eastern_date(c.at)
        due = next_business_day(day)
        refs.append(c.ref)
        after = [f for f in _amendments(facts) if (f.filed_on or day) >= day]
        what = "extension" if c.kind == "extension" else "change in terms"
        if after:
            filed = after[0].filed_on or day
            refs.append(after[0].ref)
            verdict = "met" if filed <= due else "not_met"
            lines.append(
                f"{what} of {day}: first amendment filed after it is {after[0].name} on "
                f"{filed} (due by {due})"
            )
        else:
            verdict = "overdue" if _passed(facts, due) else "pending"
            lines.append(
                f"{what} of {day}: no amendment filed on or after it is on record (due by "
                f"{due}; {_now_words(facts)})"
            )
            refs.extend(_now_refs(facts))
        verdicts.append(verdict)
    undated = facts.undated_lines("DocumentAmended", "ExpirationExtended", "TermsChanged")
    lines.extend(undated)
    verdicts.extend("not_on_file" for _ in undated)
    return Judgement(
        "Rule 13e-4(c)(3)",
        title,
        _worst(verdicts),
        "; ".join(lines) or "no change in the offer or its schedule is recorded",
        C_13E4C3,
        reading='"promptly" is read as filed on the day of the change or the next business '
        "day; an amendment of the offer document is reported by the filing that made it; an "
        "extension or change in terms by the first amendment filed on or after its day",
        refs=tuple(refs),
    )


def rule_14e1c(facts: OfferFacts) -> Judgement:
    return _prompt_payment(facts, "Rule 14e-1(c)", C_14E1C)


def rule_13e4f5(facts: OfferFacts) -> Judgement:
    return _prompt_payment(facts, "Rule 13e-4(f)(5)", C_13E4F5)


def _prompt_payment(facts: OfferFacts, rule: str, cite: Citation) -> Judgement:
    title = "prompt payment or return after the offer ends"
    reading = (
        f'"promptly" is read as within {PROMPT_PAYMENT_DAYS} business days after the day the '
        "offer ended (the settlement cycle of 2001), measured to the acceptance and "
        "cancellation of the tendered options; the new options' grant date, which the offer's "
        "terms set, is reported, not judged"
    )
    end = facts.end()
    if end is None:
        return Judgement(rule, title, "not_applicable", "the offer has not ended on record", cite)
    at, day, end_refs, how = end
    if facts.terminated is not None and facts.accepted is None:
        return Judgement(
            rule,
            title,
            "not_applicable",
            f"the offer was {how}; no tendered option was accepted or cancelled, so the options "
            "stay with their holders",
            cite,
            reading=reading,
            refs=end_refs,
        )
    grants = "; ".join(f"new options granted {d}" for d, _ in facts.granted)
    grant_refs = tuple(r for _, r in facts.granted)
    due = business_days_after(day, PROMPT_PAYMENT_DAYS)
    dates = [("ended", at.isoformat()), ("due", due.isoformat())]
    if facts.accepted is None:
        status = "overdue" if _passed(facts, due) else "pending"
        return Judgement(
            rule,
            title,
            status,
            f"the offer {how}, on {day}; no acceptance and cancellation of tendered options is "
            f"recorded (due by {due}; {_now_words(facts)})",
            cite,
            reading=reading,
            dates=tuple(dates),
            refs=(*end_refs, *_now_refs(facts)),
        )
    accepted, ref = facts.accepted
    after = business_days(day + timedelta(days=1), eastern_date(accepted))
    dates.append(("accepted", accepted.isoformat()))
    return Judgement(
        rule,
        title,
        "met" if len(after) <= PROMPT_PAYMENT_DAYS else "not_met",
        f"the offer {how}, on {day}; tendered options accepted and cancelled {clock(accepted)}, "
        f"{len(after)} business day(s) later (due by {due})" + (f"; {grants}" if grants else ""),
        cite,
        reading=reading,
        dates=tuple(dates),
        refs=(*end_refs, ref, *grant_refs),
    )


def rule_13e4c4(facts: OfferFacts) -> Judgement:
    title = "final amendment reporting the results promptly"
    reading = (
        f'"promptly" is read as within {PROMPT_FINAL_AMENDMENT_DAYS} business days after the '
        "day the offer ended; with none on record once that has passed, the finding is overdue "
        "(or the amendment was filed and is not recorded in this ledger)"
    )
    end = facts.end()
    if end is None:
        return Judgement(
            "Rule 13e-4(c)(4)",
            title,
            "not_applicable",
            "the offer has not ended on record",
            C_13E4C4,
        )
    at, day, end_refs, how = end
    due = business_days_after(day, PROMPT_FINAL_AMENDMENT_DAYS)
    dates = [("ended", at.isoformat()), ("due", due.isoformat())]
    finals = [f for f in facts.filings if f.final]
    dated = sorted((f for f in finals if f.filed_on), key=lambda f: f.filed_on or day)
    if dated:
        filed = dated[0].filed_on or day
        after = business_days(day + timedelta(days=1), filed)
        return Judgement(
            "Rule 13e-4(c)(4)",
            title,
            "met" if filed <= due else "not_met",
            f"the offer {how}, on {day}; {dated[0].name} (final amendment) filed {filed}, "
            f"{len(after)} business day(s) later (due by {due})",
            C_13E4C4,
            reading=reading,
            dates=(*dates, ("filed", filed.isoformat())),
            refs=(*end_refs, dated[0].ref),
        )
    if finals:
        return Judgement(
            "Rule 13e-4(c)(4)",
            title,
            "not_on_file",
            f"the offer {how}, on {day}; a final amendment is recorded without a filing date",
            C_13E4C4,
            reading=reading,
            dates=tuple(dates),
            refs=(*end_refs, *(f.ref for f in finals)),
        )
    passed = _passed(facts, due)
    since = ""
    if facts.now is not None:
        count = len(business_days(day + timedelta(days=1), eastern_date(facts.now)))
        since = f"; {count} business day(s) after the offer ended, {_now_words(facts)}"
    return Judgement(
        "Rule 13e-4(c)(4)",
        title,
        "overdue" if passed else "pending",
        f"the offer {how}, on {day}; no final amendment is on file in this ledger (due by "
        f"{due}){since}",
        C_13E4C4,
        reading=reading,
        dates=tuple(dates),
        refs=(*end_refs, *_now_refs(facts)),
    )


def rule_13e4f6(facts: OfferFacts) -> Judgement:
    title = "no purchases outside the offer for 10 business days after it ends"
    end = facts.end()
    if end is None:
        return Judgement(
            "Rule 13e-4(f)(6)",
            title,
            "not_applicable",
            "the offer has not ended on record",
            C_13E4F6,
        )
    at, day, end_refs, how = end
    first = next_business_day(day)
    last = business_days_after(day, NO_PURCHASE_DAYS)
    window = f"{first} through {last} (10 business days after {day}, which is not counted)"
    if not _passed(facts, last):
        status = "pending"
        detail = f"the offer {how}, on {day}; the period runs {window}"
    else:
        status = "not_on_file"
        detail = (
            f"the offer {how}, on {day}; the period ran {window}; this ledger records the "
            "offer's own actions only, so it holds no purchase outside the offer and cannot "
            "show that none was made"
        )
    return Judgement(
        "Rule 13e-4(f)(6)",
        title,
        status,
        detail,
        C_13E4F6,
        reading='"after the date of termination": the day the offer ended is not counted; '
        "acquisitions under the offer (the acceptance and cancellation) are allowed",
        dates=(("ended", at.isoformat()), ("period_ends", last.isoformat())),
        refs=end_refs,
    )


def rule_13e4f8(facts: OfferFacts) -> Judgement:
    plans = ", ".join(facts.plans) or "plans not on file"
    grants = sorted({d for d, _ in facts.granted})
    granted = (
        f"; new options on record granted on {', '.join(str(d) for d in grants)}"
        if grants
        else "; no new grant is recorded yet"
    )
    return Judgement(
        "Rule 13e-4(f)(8)",
        "all holders and best price (2001 exemptive order for option exchanges)",
        "not_on_file",
        f"the offer is made to eligible employees for options under {plans}, not to every "
        "holder of the class; the SEC's exemptive order of March 21, 2001 exempts such "
        "compensatory option exchanges from Rules 13e-4(f)(8)(i) and (ii) when its conditions "
        "hold (the issuer may use Form S-8; the options were and the new ones will be issued "
        "under an employee benefit plan; a compensatory purpose; the offer discloses its "
        "essential features and risks); this ledger records none of those conditions" + granted,
        C_13E4F8,
        reading="the ledger cannot judge the exemption's conditions; it reports what the offer "
        "is made for and the new grants on record",
        refs=(facts.commenced_ref, *(r for _, r in facts.granted)),
    )


__all__ = [
    "DocumentChange",
    "document_changes",
    "rule_13e4c1",
    "rule_13e4c3",
    "rule_13e4c4",
    "rule_13e4f5",
    "rule_13e4f6",
    "rule_13e4f8",
    "rule_14e1c",
]
