"""The timing rules in the domain, one table of hand-counted cases per rule.

Calendar used throughout (2001, US Eastern): Monday 2001-08-27 is the Mpower commencement;
Labor Day Monday 2001-09-03 and Columbus Day Monday 2001-10-08 are federal holidays; the markets
were closed 2001-09-11 to 2001-09-14, which are business days all the same (Rule 14d-1(g)(3)
excludes only Saturdays, Sundays and federal holidays).

    August/September 2001         October 2001
    Mo Tu We Th Fr                Mo Tu We Th Fr
    27 28 29 30 31   days 1-5      1  2  3  4  5   days 25-29 (from 8/27)
     3h  4  5  6  7  days 6-9      8h  9 10 11 12  days 30-33
    10 11m 12m 13m 14m  10-14     15 16 17 18 19  days 34-38
    17 18 19 20 21   days 15-19   22 23           days 39-40
    24 25 26 27 28   days 20-24
    (h: federal holiday, not counted; m: markets closed, counted)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from offerledger.domain import calendar as cal
from offerledger.domain.timing import (
    ActFact,
    Announcement,
    ChangeFact,
    FilingFact,
    Judgement,
    NoticeFact,
    OfferFacts,
    Ref,
    correct_announcements,
    expiration_in_force,
    last_day_counted,
    outside_window,
    stated_day,
)
from offerledger.domain.timing_rules import RULES, judge
from offerledger.events import EASTERN


def at(m: int, d: int, h: int = 0, mi: int = 0, y: int = 2001) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=EASTERN)


START = at(8, 27)
EXPIRES = at(9, 27, 23, 59)  # "11:59 p.m., Eastern Daylight Time, on September 27, 2001"
MIDNIGHT_27 = at(9, 28)  # "12:00 midnight on September 27", stored as 00:00 the next day


def ref(position: int, action: str = "E", synthetic: bool = False) -> Ref:
    return Ref(position, position, action, f"p{position}", synthetic)


def facts(
    *,
    commenced: datetime = START,
    expiration: datetime = EXPIRES,
    extensions: tuple[tuple[datetime, datetime], ...] = (),
    expired: datetime | None = None,
    **more: Any,
) -> OfferFacts:
    """An offer's facts: ``extensions`` as (announced, new expiration) in log order."""
    announcements = (
        Announcement(commenced, expiration, 1, False, ref(1, "OfferCommenced")),
        *(
            Announcement(a, e, 10 + i, False, ref(10 + i, "ExpirationExtended"))
            for i, (a, e) in enumerate(extensions)
        ),
    )
    return OfferFacts(
        name="o",
        commenced=commenced,
        commenced_ref=announcements[0].ref,  # type: ignore[arg-type]
        announcements=announcements,
        expired=None if expired is None else (expired, ref(90, "OfferExpired")),
        **more,
    )


def one(rule: str, f: OfferFacts) -> Judgement:
    found = [j for j in judge(f) if j.rule == rule]
    assert len(found) == 1
    return found[0]


# --- the calendar: Rule 14d-1(g)(3) -------------------------------------------------------------


def test_calendar_counts_by_rule_14d_1_g_3() -> None:
    # 8/27-31 (5) + 9/4-7 (4, Labor Day out) + 9/10-14 (5) + 9/17-21 (5) + 9/24-27 (4) = 23
    assert len(cal.business_days(date(2001, 8, 27), date(2001, 9, 27))) == 23
    assert cal.holidays_between(date(2001, 8, 27), date(2001, 9, 27)) == [
        (date(2001, 9, 3), "Labor Day")
    ]
    # the markets' closure after September 11 is named, and counted
    assert [d for d, _ in cal.closures_between(date(2001, 9, 1), date(2001, 9, 30))] == [
        date(2001, 9, d) for d in (11, 12, 13, 14)
    ]
    assert all(cal.is_business_day(date(2001, 9, d)) for d in (11, 12, 13, 14))
    assert not cal.is_business_day(date(2001, 11, 12))  # Veterans Day (observed): a Monday
    assert cal.period_start(date(2001, 9, 1)) == date(2001, 9, 4)  # Sat -> Tue after Labor Day
    assert cal.nth_business_day(date(2001, 8, 27), 20) == date(2001, 9, 24)
    assert cal.nth_business_day(date(2001, 8, 27), 40) == date(2001, 10, 23)
    # ten business days after Thu 9/27: 9/28, 10/1-5, 10/9-12 (Columbus Day out) -> 10/12
    assert cal.business_days_after(date(2001, 9, 27), 10) == date(2001, 10, 12)
    assert cal.next_business_day(date(2001, 10, 5)) == date(2001, 10, 9)


@pytest.mark.parametrize(
    "expiration,stated,last",
    [
        (EXPIRES, date(2001, 9, 27), date(2001, 9, 27)),  # 11:59 p.m.: the day counts whole
        (MIDNIGHT_27, date(2001, 9, 27), date(2001, 9, 27)),  # 12:00 midnight ending 9/27
        (at(9, 27, 17), date(2001, 9, 27), date(2001, 9, 26)),  # 5:00 p.m.: 9/27 not whole
    ],
)
def test_which_day_an_expiration_belongs_to(expiration: datetime, stated: date, last: date) -> None:
    assert (stated_day(expiration), last_day_counted(expiration)) == (stated, last)


# --- the expiration in force ---------------------------------------------------------------------


def test_expiration_in_force_by_effective_order_ties_by_log_position() -> None:
    # recorded in this order: extended on 9/25 to 10/12, then (late) on 9/20 to 10/5
    late = [(START, EXPIRES), (at(9, 25), at(10, 12, 23, 59)), (at(9, 20), at(10, 5, 23, 59))]
    assert expiration_in_force(late, at(9, 19)) == EXPIRES
    assert expiration_in_force(late, at(9, 22)) == at(10, 5, 23, 59)
    assert expiration_in_force(late, at(9, 26)) == at(10, 12, 23, 59)
    assert expiration_in_force(late) == at(10, 12, 23, 59)  # everything on record
    assert expiration_in_force(late, at(8, 1)) == EXPIRES  # before the offer: as commenced
    # two announcements with one effective time: the later in the log is in force
    tie = [(START, EXPIRES), (at(9, 20), at(10, 5)), (at(9, 20), at(10, 4))]
    assert expiration_in_force(tie) == at(10, 4)


def test_corrections_replace_or_void_an_announcement_where_it_stood() -> None:
    ext = "offerledger.ExpirationExtended.v1"
    base = (
        Announcement(START, EXPIRES, 1),
        Announcement(at(9, 20), at(10, 5, 23, 59), 4),
        Announcement(at(9, 25), at(10, 12, 23, 59), 6),
    )
    fixed = correct_announcements(
        base, version=6, topic=ext, corrected={"new_expiration": "2001-10-19T23:59:00-04:00"}
    )
    assert expiration_in_force(fixed) == at(10, 19, 23, 59)
    voided = correct_announcements(base, version=6, topic=ext, corrected={})
    assert expiration_in_force(voided) == at(10, 5, 23, 59)
    bad = correct_announcements(base, version=4, topic=ext, corrected={"new_expiration": "x"})
    assert [a.version for a in bad] == [1, 6]
    moved = correct_announcements(base, version=4, topic=ext, corrected={"effective": "2001-09-26"})
    assert expiration_in_force(moved) == at(10, 5, 23, 59) and moved[1].day_only
    start = correct_announcements(
        base,
        version=1,
        topic="offerledger.OfferCommenced.v1",
        corrected={"expiration": "2001-09-28T00:00:00-04:00"},
    )
    assert expiration_in_force(start, at(9, 1)) == MIDNIGHT_27
    assert (
        correct_announcements(base, version=4, topic="offerledger.Other.v1", corrected={}) == base
    )


@pytest.mark.parametrize(
    "received,inside",
    [
        (at(8, 26, 23, 59), False),  # before the commencement
        (EXPIRES.replace(second=59), True),  # 23:59:59 EDT: inside the stated minute
        (at(9, 28), False),  # 00:00:00 EDT: the stated minute is over
    ],
)
def test_the_window_is_the_write_sides_window(received: datetime, inside: bool) -> None:
    closed = outside_window(
        commenced=START, terminated=None, announcements=[(START, EXPIRES)], at=received
    )
    assert (closed is None) == inside


# --- Rules 14e-1(a) and 13e-4(f)(1): twenty business days ---------------------------------------


@pytest.mark.parametrize(
    "commenced,expiration,expired,days,status",
    [
        # the Mpower case: 23 business days (see the module docstring), expired
        (START, EXPIRES, at(9, 28), 23, "met"),
        # a 20-business-day offer ending 11:59 p.m. on day 20 (Mon 9/24): 9/24 counts whole
        (START, at(9, 24, 23, 59), at(9, 25), 20, "met"),
        # the same offer ending "12:00 midnight" on 9/24 (stored 9/25 00:00): still 20
        (START, at(9, 25), at(9, 25), 20, "met"),
        # ending 5:00 p.m. on 9/24: 9/24 is not open in full, 19 days
        (START, at(9, 24, 17), at(9, 24, 17, 1), 19, "not_met"),
        # ending 11:59 p.m. on day 19 (Fri 9/21), not yet expired on record: must be extended
        (START, at(9, 21, 23, 59), None, 19, "pending"),
        # commenced Saturday 9/1: the period starts Tuesday 9/4 (Labor Day): 9/4-7 (4),
        # 9/10-14 (9), 9/17-21 (14), 9/24-28 (19), Mon 10/1 (20)
        (at(9, 1), at(10, 1, 23, 59), at(10, 2), 20, "met"),
    ],
)
def test_twenty_business_days(
    commenced: datetime, expiration: datetime, expired: datetime | None, days: int, status: str
) -> None:
    f = facts(commenced=commenced, expiration=expiration, expired=expired)
    for rule in ("Rule 14e-1(a)", "Rule 13e-4(f)(1)"):
        j = one(rule, f)
        assert (j.status, dict(j.dates)["business_days"]) == (status, str(days)), rule


def test_the_mpower_period_says_how_it_counted() -> None:
    j = one("Rule 14e-1(a)", facts(expired=at(9, 28)))
    assert "23 business days, 2001-08-27 through 2001-09-27" in j.detail
    assert "the 20th business day is 2001-09-24" in j.detail
    assert "excluded: 2001-09-03 Labor Day" in j.detail
    assert "counted: 2001-09-11, 2001-09-12, 2001-09-13, 2001-09-14" in j.detail
    assert "not federal holidays, so business days under Rule 14d-1(g)(3)" in j.detail
    assert j.citation.source == "17 CFR 240.14e-1(a)" and "twenty business days" in j.citation.quote
    assert [r.position for r in j.refs] == [1, 90]


def test_an_extension_recorded_late_counts_in_effective_order() -> None:
    # log order: 9/25 -> 10/12, then (late) 9/20 -> 10/5; in force at the end: 10/12
    # 8/27 .. 10/12: 23 (to 9/27) + 9/28 (24) + 10/1-5 (29) + 10/9-12 (33, Columbus Day out)
    f = facts(
        extensions=((at(9, 25), at(10, 12, 23, 59)), (at(9, 20), at(10, 5, 23, 59))),
        expired=at(10, 13),
    )
    j = one("Rule 14e-1(a)", f)
    assert (j.status, dict(j.dates)["business_days"]) == ("met", "33")
    assert "excluded: 2001-09-03 Labor Day, 2001-10-08 Columbus Day" in j.detail


# --- Rule 14e-1(d): notice of an extension by 9:00 a.m. on the next business day ----------------


@pytest.mark.parametrize(
    "prior,announced,status,due",
    [
        # expires Thu 9/27 11:59 p.m.: due Fri 9/28 9:00
        (EXPIRES, at(9, 28, 8, 59), "met", "2001-09-28 09:00 EDT"),
        (EXPIRES, at(9, 28, 9, 1), "not_met", "2001-09-28 09:00 EDT"),
        # "12:00 midnight" on 9/27 (stored 9/28 00:00): the stated day is 9/27, due 9/28 9:00
        # (not Monday 10/1, which counting from the stored date would give)
        (MIDNIGHT_27, at(9, 28, 9, 30), "not_met", "2001-09-28 09:00 EDT"),
        (MIDNIGHT_27, at(9, 28, 8), "met", "2001-09-28 09:00 EDT"),
        # expires Fri 9/28: due Mon 10/1 9:00
        (at(9, 28, 23, 59), at(10, 1, 8, 30), "met", "2001-10-01 09:00 EDT"),
        # expires Fri 10/5: Mon 10/8 is Columbus Day, due Tue 10/9 9:00
        (at(10, 5, 23, 59), at(10, 9, 8, 45), "met", "2001-10-09 09:00 EDT"),
        (at(10, 5, 23, 59), at(10, 9, 9, 15), "not_met", "2001-10-09 09:00 EDT"),
    ],
)
def test_notice_of_extension(prior: datetime, announced: datetime, status: str, due: str) -> None:
    f = facts(expiration=prior, extensions=((announced, prior + timedelta(days=14)),))
    j = one("Rule 14e-1(d)", f)
    assert j.status == status and f"due by {due}" in j.detail


def test_notice_of_extension_known_only_by_its_date() -> None:
    day_only = Announcement(at(9, 28), at(10, 12, 23, 59), 10, True, ref(10))
    f = facts()
    f = OfferFacts(**{**_fields(f), "announcements": (*f.announcements, day_only)})
    assert one("Rule 14e-1(d)", f).status == "not_on_file"  # on the due day, hour unknown
    earlier = day_only._replace(announced=at(9, 27))
    f = OfferFacts(**{**_fields(f), "announcements": (f.announcements[0], earlier)})
    assert one("Rule 14e-1(d)", f).status == "met"


def test_late_recorded_extensions_are_measured_in_effective_order() -> None:
    f = facts(extensions=((at(9, 25), at(10, 12, 23, 59)), (at(9, 20), at(10, 5, 23, 59))))
    j = one("Rule 14e-1(d)", f)
    assert j.status == "met"
    # 9/20 replaced 9/27 (due Fri 9/28); 9/25 replaced 10/5 (due Tue 10/9, Columbus Day)
    assert j.detail.index("due by 2001-09-28 09:00") < j.detail.index("due by 2001-10-09 09:00")


def test_no_extension_no_14e1d() -> None:
    assert one("Rule 14e-1(d)", facts()).status == "not_applicable"


def _fields(f: OfferFacts) -> dict[str, Any]:
    return {name: getattr(f, name) for name in OfferFacts.__dataclass_fields__}


# --- Rule 13e-4(e)(3), 14e-1(b), 13e-4(f)(1)(ii): open after a change -------------------------


AMENDMENT = FilingFact(ref(9, "FilingRecorded"), "SC TO-I/A", 2, date(2001, 9, 13), False,
                       ("(a)(11)",), "f2")  # fmt: skip


def document_change(day: date, filing: FilingFact = AMENDMENT) -> ChangeFact:
    when = datetime.combine(day, datetime.min.time(), tzinfo=EASTERN)
    return ChangeFact(ref(10, "DocumentAmended"), when, "document", filing=filing.stream)


@pytest.mark.parametrize(
    "sent,days,status",
    [
        (date(2001, 9, 13), 11, "met"),  # 9/13, 9/14, 9/17-21, 9/24-27: 2 + 5 + 4
        (date(2001, 9, 21), 5, "met"),  # 9/21, 9/24-27
        (date(2001, 9, 24), 4, "not_met"),  # 9/24-27
    ],
)
def test_five_business_days_after_a_material_change(sent: date, days: int, status: str) -> None:
    filing = FilingFact(AMENDMENT.ref, "SC TO-I/A", 2, sent, False, ("(a)(11)",), "f2")
    f = facts(expired=at(9, 28), filings=(filing,), changes=(document_change(sent, filing),))
    j = one("Rule 13e-4(e)(3)", f)
    assert j.status == status and f"{days} business days from {sent}" in j.detail


def test_a_change_counts_from_the_notice_sent_to_holders() -> None:
    # the amendment took effect 9/13 but the notice went out on 9/24: 9/24-27, four days
    notice = NoticeFact(ref(11, "NoticeDispatched"), at(9, 24), "n", "amendment_notice",
                        "(a)(11)", "email")  # fmt: skip
    f = facts(
        expired=at(9, 28),
        filings=(AMENDMENT,),
        changes=(document_change(date(2001, 9, 13)),),
        notices=(notice,),
    )
    j = one("Rule 13e-4(e)(3)", f)
    assert j.status == "not_met" and "4 business days from 2001-09-24" in j.detail


def terms(day: date) -> ChangeFact:
    when = datetime.combine(day, datetime.min.time(), tzinfo=EASTERN)
    return ChangeFact(ref(20, "TermsChanged"), when, "terms", terms="consideration")


@pytest.mark.parametrize(
    "sent,days,status",
    [
        (date(2001, 9, 14), 10, "met"),  # 9/14, 9/17-21, 9/24-27: 1 + 5 + 4
        (date(2001, 9, 17), 9, "not_met"),  # 9/17-21, 9/24-27
    ],
)
def test_ten_business_days_after_a_change_in_terms(sent: date, days: int, status: str) -> None:
    f = facts(expired=at(9, 28), changes=(terms(sent),))
    for rule in ("Rule 14e-1(b)", "Rule 13e-4(f)(1)", "Rule 13e-4(e)(3)"):
        j = one(rule, f)
        assert j.status == status, rule
        assert f"{days} business days from {sent}" in j.detail, rule
    if status == "not_met":  # how long it had to stay open: the 10th business day from 9/17
        assert "must stay open through 2001-09-28" in one("Rule 14e-1(b)", f).detail


def test_a_change_in_terms_before_the_end_is_pending() -> None:
    assert one("Rule 14e-1(b)", facts(changes=(terms(date(2001, 9, 24)),))).status == "pending"


def test_no_change_in_terms_14e1b_not_applicable() -> None:
    j = one("Rule 14e-1(b)", facts())
    assert j.status == "not_applicable" and "TermsChanged" in j.detail


# --- Rule 13e-4(f)(2): withdrawal rights ------------------------------------------------------


@pytest.mark.parametrize(
    "received,accepted,status",
    [
        (at(9, 20, 10), None, "not_met"),  # refused while the offer was open
        (at(10, 1, 10), None, "met"),  # after expiration, before the 40th business day
        (at(10, 23, 10), None, "met"),  # on the 40th business day (10/23): not after it
        (at(10, 24, 10), None, "not_met"),  # after the 40th, nothing accepted yet
        (at(10, 24, 10), at(10, 1), "met"),  # after the 40th, but accepted already
    ],
)
def test_withdrawal_rights(received: datetime, accepted: datetime | None, status: str) -> None:
    act = ActFact(ref(300, "ElectionRefused"), received, True, "clerk error")
    acc = None if accepted is None else (accepted, ref(91, "TenderedOptionsAccepted"))
    j = one("Rule 13e-4(f)(2)", facts(acts=(act,), accepted=acc))
    assert j.status == status and dict(j.dates)["fortieth_business_day"] == "2001-10-23"


# --- Rule 13e-4(c)(1) and (c)(3): filed the day sent; amendments promptly ----------------------


def notice(day: date, exhibit: str | None = "(a)(11)") -> NoticeFact:
    when = datetime.combine(day, datetime.min.time(), tzinfo=EASTERN)
    return NoticeFact(ref(11, "NoticeDispatched"), when, "n", "amendment_notice", exhibit, "email")


@pytest.mark.parametrize(
    "sent,filed,exhibit,status",
    [
        (date(2001, 9, 13), date(2001, 9, 13), "(a)(11)", "met"),
        (date(2001, 9, 14), date(2001, 9, 13), "(a)(11)", "met"),  # filed before it went out
        (date(2001, 9, 13), date(2001, 9, 14), "(a)(11)", "not_met"),  # a business day later
        (date(2001, 9, 13), date(2001, 9, 13), "(a)(12)", "not_on_file"),  # no filing lists it
        (date(2001, 9, 13), date(2001, 9, 13), None, "not_on_file"),  # no exhibit reference
    ],
)
def test_a_notice_is_filed_the_day_it_is_sent(
    sent: date, filed: date, exhibit: str | None, status: str
) -> None:
    filing = FilingFact(AMENDMENT.ref, "SC TO-I/A", 2, filed, False, ("(a)(11)",), "f2")
    f = facts(filings=(filing,), notices=(notice(sent, exhibit),))
    assert one("Rule 13e-4(c)(1)", f).status == status


def test_no_notice_13e4c1_not_applicable() -> None:
    assert one("Rule 13e-4(c)(1)", facts()).status == "not_applicable"


@pytest.mark.parametrize(
    "filed,now,status",
    [
        (date(2001, 9, 25), None, "met"),  # the day of the extension
        (date(2001, 9, 26), None, "met"),  # the next business day
        (date(2001, 9, 27), None, "not_met"),
        (None, at(9, 26, 12), "pending"),  # none yet, due by the end of 9/26
        (None, at(9, 27), "overdue"),  # 9/26 has ended
    ],
)
def test_an_extension_is_reported_by_an_amendment_promptly(
    filed: date | None, now: datetime | None, status: str
) -> None:
    ext = ChangeFact(ref(12, "ExpirationExtended"), at(9, 25, 8), "extension")
    filings = () if filed is None else (FilingFact(ref(13), "SC TO-I/A", 3, filed, False),)
    f = facts(changes=(ext,), filings=filings, now=now)
    assert one("Rule 13e-4(c)(3)", f).status == status


def test_a_document_change_is_reported_by_the_amendment_that_made_it() -> None:
    f = facts(filings=(AMENDMENT,), changes=(document_change(date(2001, 9, 13)),))
    j = one("Rule 13e-4(c)(3)", f)
    assert j.status == "met" and "Amendment No. 2 (filed 2001-09-13)" in j.detail


# --- Rules 14e-1(c) and 13e-4(f)(5): prompt payment --------------------------------------------


@pytest.mark.parametrize(
    "expiration,accepted,now,status,after",
    [
        # Mpower: ended 11:59 p.m. EDT 9/27 (the OfferExpired instant is 9/28 00:00);
        # accepted Fri 9/28 9:00: one business day later
        (EXPIRES, at(9, 28, 9), None, "met", "1 business day(s) later"),
        (EXPIRES, at(10, 2, 9), None, "met", "3 business day(s) later"),  # 9/28, 10/1, 10/2
        (EXPIRES, at(10, 3, 9), None, "not_met", "4 business day(s) later"),
        # "12:00 midnight" on 9/27 ends on 9/27 too
        (MIDNIGHT_27, at(10, 2, 9), None, "met", "3 business day(s) later"),
        (EXPIRES, None, at(10, 2, 12), "pending", "due by 2001-10-02"),
        (EXPIRES, None, at(10, 3), "overdue", "due by 2001-10-02"),
    ],
)
def test_prompt_payment(
    expiration: datetime, accepted: datetime | None, now: datetime | None, status: str, after: str
) -> None:
    acc = None if accepted is None else (accepted, ref(91, "TenderedOptionsAccepted", True))
    f = facts(expiration=expiration, expired=at(9, 28), accepted=acc, now=now)
    for rule in ("Rule 14e-1(c)", "Rule 13e-4(f)(5)"):
        j = one(rule, f)
        assert j.status == status and after in j.detail, rule
        assert "on 2001-09-27" in j.detail  # the day the offer ended, not 9/28
        assert j.synthetic == (accepted is not None)


# --- Rule 13e-4(c)(4): the final amendment ------------------------------------------------------


@pytest.mark.parametrize(
    "filed,now,status",
    [
        # ten business days after 9/27: 9/28, 10/1-5, 10/9-12 (Columbus Day out) -> 10/12
        (date(2001, 10, 12), None, "met"),
        (date(2001, 10, 15), None, "not_met"),
        (None, at(10, 12, 12), "pending"),
        (None, at(10, 13), "overdue"),
    ],
)
def test_final_amendment_promptly(filed: date | None, now: datetime | None, status: str) -> None:
    filings = () if filed is None else (FilingFact(ref(95), "SC TO-I/A", 3, filed, True),)
    f = facts(expired=at(9, 28), filings=filings, now=now)
    j = one("Rule 13e-4(c)(4)", f)
    assert j.status == status and "due by 2001-10-12" in j.detail


def test_final_amendment_overdue_after_124_business_days_not_pending() -> None:
    # 9/28/2001 to 3/29/2002: Sep 1; Oct 23-1 (Columbus) = 22 -> 23; Nov 22-2 (Veterans Day
    # observed, Thanksgiving) = 20 -> 43; Dec 21-1 (Christmas) = 20 -> 63; Jan 23-2 (New Year,
    # King) = 21 -> 84; Feb 20-1 (Washington's Birthday) = 19 -> 103; Mar 1-29: 21 -> 124
    latest = ref(578, "NewOptionsGranted", synthetic=True)
    f = facts(expired=at(9, 28), now=at(3, 29, 9, y=2002), now_ref=latest)
    j = one("Rule 13e-4(c)(4)", f)
    assert j.status == "overdue" and "124 business day(s) after the offer ended" in j.detail
    assert j.synthetic  # the moment judged at is a synthetic event's


# --- Rule 13e-4(f)(6) and (f)(8) -----------------------------------------------------------------


def test_no_purchases_for_ten_business_days() -> None:
    pending = one("Rule 13e-4(f)(6)", facts(expired=at(9, 28), now=at(10, 5)))
    assert pending.status == "pending" and "2001-09-28 through 2001-10-12" in pending.detail
    after = one("Rule 13e-4(f)(6)", facts(expired=at(9, 28), now=at(10, 13)))
    assert after.status == "not_on_file" and "cannot show that none was made" in after.detail
    assert one("Rule 13e-4(f)(6)", facts()).status == "not_applicable"


def test_all_holders_best_price_notes_the_2001_exemptive_order() -> None:
    j = one("Rule 13e-4(f)(8)", facts(plans=("Holding Plan", "PNH Plan")))
    assert j.status == "not_on_file"
    assert "exemptive order of March 21, 2001" in j.detail
    assert "Conducted for Compensatory Purposes" in j.citation.source


def test_every_rule_cites_its_text_and_judges_deterministically() -> None:
    f = facts(
        expired=at(9, 28), filings=(AMENDMENT,), changes=(document_change(date(2001, 9, 13)),)
    )
    first, again = judge(f), judge(f)
    assert first == again and len(first) == len(RULES) == 13
    assert len({j.rule for j in first}) == 13
    for j in first:
        assert j.citation.quote and j.citation.source.startswith("17 CFR 240.")
        assert j.status in {"met", "not_met", "pending", "overdue", "not_applicable", "not_on_file"}
