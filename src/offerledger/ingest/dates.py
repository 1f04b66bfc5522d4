"""Dates and times as filings write them ("September 13, 2001", "11:59 p.m., Eastern Daylight
Time, on September 27, 2001")."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
DATE = rf"(?P<month>{MONTH})\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}})"
_DATE = re.compile(DATE, re.I)
_TIME = re.compile(
    r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>a\.?\s?m\.?|p\.?\s?m\.?)|(?P<midnight>12:00\s+"
    r"midnight|midnight)",
    re.I,
)


def parse_date(text: str) -> date | None:
    """The first "Month D, YYYY" in ``text`` (None when there is none or it is impossible)."""
    m = _DATE.search(text)
    if not m:
        return None
    return _date_of(m)


def _date_of(m: re.Match[str]) -> date | None:
    month = _MONTHS[m.group("month").lower().rstrip(".")]
    try:
        return date(int(m.group("year")), month, int(m.group("day")))
    except ValueError:
        return None


def parse_deadline(text: str) -> datetime | None:
    """A stated deadline: the first time of day followed (within a short span) by a date.

    Eastern time is assumed when the text says Eastern, or names no zone; a deadline stated in
    another zone is returned as None (reported, never converted by guess).
    """
    for tm in _TIME.finditer(text):
        window = text[tm.end() : tm.end() + 80]
        dm = _DATE.search(window)
        if dm is None:
            continue
        zone = window[: dm.start()].lower()
        if any(z in zone for z in ("pacific", "central", "mountain", "london", "gmt", "utc")):
            return None
        day = _date_of(dm)
        if day is None:
            return None
        if tm.group("midnight"):
            hour, minute = 0, 0
            day = date.fromordinal(day.toordinal() + 1)
        else:
            hour = int(tm.group("h")) % 12 + (12 if tm.group("ampm").lower().startswith("p") else 0)
            minute = int(tm.group("m") or 0)
            if hour > 23 or minute > 59:
                return None
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=EASTERN)
    return None


__all__ = ["DATE", "EASTERN", "MONTH", "parse_date", "parse_deadline"]
