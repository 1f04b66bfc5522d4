"""Business days as the SEC defines them, once, for the write side and every report.

Rule 14d-1(g)(3) (and Rule 13e-4(a)(3) in the same words): a business day is any day other than a
Saturday, a Sunday or a federal holiday, and runs from 12:01 a.m. through 12:00 midnight Eastern
time; in computing a period, the day of the event that starts it is included, and an event on
a day that is not a business day starts the period on the next business day.

Federal holidays come from the maintained ``holidays`` package (its US calendar, observed dates
included), never from a hand-written list. Days the markets closed that were not federal
holidays (11-14 September 2001, Hurricane Sandy, national days of mourning) are business days
under the rule; the package's NYSE calendar names them so a finding can say how it counted them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from offerledger.events import EASTERN


@lru_cache(maxsize=128)
def _federal(year: int) -> dict[date, str]:
    return {day: str(name) for day, name in holidays.country_holidays("US", years=year).items()}


@lru_cache(maxsize=128)
def _exchange(year: int) -> dict[date, str]:
    return {day: str(name) for day, name in holidays.financial_holidays("NYSE", years=year).items()}


def federal_holiday(day: date) -> str | None:
    """The federal holiday's name on ``day`` (observed dates included), or None."""
    return _federal(day.year).get(day)


def market_closure(day: date) -> str | None:
    """Why the New York Stock Exchange was closed on a weekday that was not a federal holiday
    (None when it was open, or the day is a weekend or a federal holiday)."""
    if day.weekday() >= 5 or federal_holiday(day) is not None:
        return None
    return _exchange(day.year).get(day)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and federal_holiday(day) is None


def eastern_date(at: datetime) -> date:
    """The calendar day of an instant in US Eastern time."""
    return at.astimezone(EASTERN).date()


def business_days(first: date, last: date) -> list[date]:
    """The business days from ``first`` to ``last``, both included."""
    out = []
    day = first
    while day <= last:
        if is_business_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def period_start(day: date) -> date:
    """The first day of a period an event on ``day`` starts: that day when it is a business
    day, else the next business day (Rule 14d-1(g)(3))."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def nth_business_day(day: date, n: int) -> date:
    """The ``n``-th business day of a period an event on ``day`` starts (``day`` counts as the
    first when it is a business day)."""
    if n < 1:
        raise ValueError("n counts from 1")
    current = period_start(day)
    for _ in range(n - 1):
        current = next_business_day(current)
    return current


def next_business_day(day: date) -> date:
    """The first business day after ``day``."""
    return period_start(day + timedelta(days=1))


def business_days_after(day: date, n: int) -> date:
    """The ``n``-th business day after ``day`` (``day`` itself not counted)."""
    return nth_business_day(day + timedelta(days=1), n)


def at_nine_eastern(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=EASTERN)


def holidays_between(first: date, last: date) -> list[tuple[date, str]]:
    """Weekdays in the range that are federal holidays, with the holiday's name."""
    return [
        (d, name)
        for d in _days(first, last)
        if d.weekday() < 5 and (name := federal_holiday(d)) is not None
    ]


def closures_between(first: date, last: date) -> list[tuple[date, str]]:
    """Market closures in the range that are business days all the same, with the reason."""
    return [(d, why) for d in _days(first, last) if (why := market_closure(d)) is not None]


def counting_note(first: date, last: date) -> str:
    """What a count from ``first`` to ``last`` left out, and what it counted that a reader
    might expect left out ("" when neither)."""
    parts = []
    excluded = holidays_between(first, last)
    if excluded:
        parts.append("excluded: " + ", ".join(f"{d.isoformat()} {n}" for d, n in excluded))
    closures = closures_between(first, last)
    if closures:
        days = ", ".join(d.isoformat() for d, _ in closures)
        why = "; ".join(sorted({w for _, w in closures}))
        parts.append(
            f"counted: {days} (markets closed: {why}; not federal holidays, so business days "
            "under Rule 14d-1(g)(3))"
        )
    return "; ".join(parts)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


__all__ = [
    "EASTERN",
    "at_nine_eastern",
    "business_days",
    "business_days_after",
    "closures_between",
    "counting_note",
    "eastern_date",
    "federal_holiday",
    "holidays_between",
    "is_business_day",
    "market_closure",
    "next_business_day",
    "nth_business_day",
    "period_start",
]
