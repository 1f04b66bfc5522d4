"""Business days as Rule 14d-1(g)(3) defines them: Eastern time; not a Saturday, a Sunday or a
federal holiday. Federal holidays come from the maintained ``holidays`` package (US federal
calendar, observed dates included), never from a hand-written list.

Markets sometimes closed on days that were not federal holidays (11-14 September 2001 after the
attacks; Hurricane Sandy in 2012; national days of mourning). Those days are business days under
the rule; :data:`MARKET_CLOSURES_COUNTED` names them so a finding can say how it counted them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

EASTERN = ZoneInfo("America/New_York")

MARKET_CLOSURES_COUNTED: dict[date, str] = {
    date(2001, 9, 11): "U.S. equity markets closed after the attacks of September 11, 2001",
    date(2001, 9, 12): "U.S. equity markets closed after the attacks of September 11, 2001",
    date(2001, 9, 13): "U.S. equity markets closed after the attacks of September 11, 2001",
    date(2001, 9, 14): "U.S. equity markets closed after the attacks of September 11, 2001",
    date(2004, 6, 11): "markets closed for the national day of mourning for President Reagan",
    date(2007, 1, 2): "markets closed for the national day of mourning for President Ford",
    date(2012, 10, 29): "markets closed for Hurricane Sandy",
    date(2012, 10, 30): "markets closed for Hurricane Sandy",
    date(2018, 12, 5): "markets closed for the national day of mourning for President G.H.W. Bush",
    date(2025, 1, 9): "markets closed for the national day of mourning for President Carter",
}
"""Market closures that were not federal holidays: counted as business days, and said so."""


@lru_cache(maxsize=64)
def _federal(year: int) -> dict[date, str]:
    calendar = holidays.country_holidays("US", years=year)
    return {day: str(name) for day, name in calendar.items()}


def federal_holiday(day: date) -> str | None:
    """The federal holiday's name on ``day`` (observed dates included), or None."""
    return _federal(day.year).get(day)


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and federal_holiday(day) is None


def eastern_date(at: datetime) -> date:
    return at.astimezone(EASTERN).date()


def business_days(first: date, last: date) -> list[date]:
    """Business days from ``first`` to ``last``, both included."""
    out = []
    day = first
    while day <= last:
        if is_business_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def excluded_days(first: date, last: date) -> list[tuple[date, str]]:
    """Weekdays in the range that are not business days, with the holiday's name."""
    out = []
    day = first
    while day <= last:
        name = federal_holiday(day)
        if day.weekday() < 5 and name:
            out.append((day, name))
        day += timedelta(days=1)
    return out


def closures_counted(first: date, last: date) -> list[tuple[date, str]]:
    return [(d, why) for d, why in sorted(MARKET_CLOSURES_COUNTED.items()) if first <= d <= last]


def next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, n: int) -> date:
    """The ``n``-th business day counting ``day`` as the first when it is one."""
    count = 1 if is_business_day(day) else 0
    while count < n or not is_business_day(day):
        day += timedelta(days=1)
        if is_business_day(day):
            count += 1
    return day


def at_nine_eastern(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=EASTERN)


def counts_whole_day(at: datetime) -> bool:
    """An expiration at 11:59 p.m. or later (Eastern) counts its day as a whole business day."""
    local = at.astimezone(EASTERN)
    return local.time() >= time(23, 59) or local.time() == time(0, 0)


__all__ = [
    "EASTERN",
    "MARKET_CLOSURES_COUNTED",
    "add_business_days",
    "at_nine_eastern",
    "business_days",
    "closures_counted",
    "counts_whole_day",
    "eastern_date",
    "excluded_days",
    "federal_holiday",
    "is_business_day",
    "next_business_day",
]
