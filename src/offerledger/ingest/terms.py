"""What a Schedule TO-I states of its offer's terms: when the offer expires, and the plans.

Expiration: every sentence of the filing that says when the offer expires ("The offer expires
at 12:00 midnight, Eastern Time, on October 30, 2001", "THE OFFER AND WITHDRAWAL RIGHTS EXPIRE
AT ...", 'The term "expiration date" means 11:59 p.m., Eastern Time, on ...'), in any of its
documents, each with its line. "12:00 midnight ... on D" is 00:00 of the day after D, the end of
D; "11:59 p.m." is that minute. The zone is the one stated (Eastern, Central, Mountain, Pacific,
New York City time); a statement without a zone takes the zone of a statement of the same day and
clock time elsewhere in the filing, else it means nothing (not guessed). Two different instants
are an ambiguity the ingest refuses, listing every statement with its line.

Plans: option plans the Schedule TO and the Offer to Exchange (up to its Section 1) define with a
term ('the 1998 Stock Option Plan (the "1998 Plan")'), by their names as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from offerledger.events import normalize_text
from offerledger.ingest.blocks import Para
from offerledger.ingest.dates import DATE, parse_date
from offerledger.ingest.model import ExpirationStatement, OfferTerms, PlanName, Problem

_TIME = (
    r"(?P<time>12:00\s+(?:midnight|noon|[ap]\.?\s?m\.?)|midnight|noon|"
    r"\d{1,2}(?::\d{2})?\s*[ap]\.?\s?m\.?)"
)
_ZONE = (
    r"(?:,?\s*(?P<zone>(?:Eastern|Central|Mountain|Pacific)(?:\s+(?:Daylight|Standard|"
    r"Prevailing))?(?:\s+Savings)?\s+Time|New\s+York\s+(?:City\s+)?time|[ECMP][DS]T|"
    r"[ECMP]\.[DS]\.T\.))?"
)
_WEEKDAY = r"(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+)?"
_TIME_FIRST = re.compile(rf"{_TIME}{_ZONE},?\s*(?:on\s+)?{_WEEKDAY}{DATE}", re.I)
_DATE_FIRST = re.compile(rf"{_WEEKDAY}{DATE},?\s+at\s+{_TIME}{_ZONE}", re.I)
_LEAD_TIME = re.compile(
    r"(?:\bexpire[sd]?|\bexpiration\s+date[\"\u201d]?\s+(?:means|is|shall\s+mean|will\s+be))"
    r"\s+(?:at\s+)?$",
    re.I,
)
_LEAD_DATE = re.compile(r"\bexpire[sd]?\s+(?:on\s+)?$", re.I)
_SUBJECT = re.compile(
    r"\b(?:offer|offering|exchange|program|election\s+period|expiration\s+date)\b", re.I
)
_ZONES = {
    "eastern": "America/New_York",
    "newyork": "America/New_York",
    "e": "America/New_York",
    "central": "America/Chicago",
    "c": "America/Chicago",
    "mountain": "America/Denver",
    "m": "America/Denver",
    "pacific": "America/Los_Angeles",
    "p": "America/Los_Angeles",
}
_SENTENCE_END = re.compile(
    r"(?<![ap]\.m)(?<!\bNo)(?<!\bInc)[.;!?][\"\u201d]?\s+(?=[\"\u201c(]?[A-Z])"
)


def line_at(para: Para, offset: int) -> int:
    """The file line of the character at ``offset`` of ``para.text`` (normalized text)."""
    for k in range(len(para.lines)):
        prefix = normalize_text("\n".join(line.text for line in para.lines[: k + 1]))
        if len(prefix) > offset:
            return para.lines[k].no
    return para.last_line


def _zone(written: str | None) -> str | None:
    if not written:
        return None
    key = re.sub(r"[^a-z]", "", written.lower())
    for name, zone in _ZONES.items():
        if key.startswith(name) and (len(name) > 1 or len(key) <= 3):
            return zone
    return None


def _clock(written: str) -> tuple[int, int, int] | None:
    """(hour, minute, days to add) of a stated time; None for "12:00 a.m." (ambiguous)."""
    w = written.lower().replace(" ", "")
    if "midnight" in w:
        return 0, 0, 1
    if "noon" in w:
        return 12, 0, 0
    m = re.match(r"(\d{1,2})(?::(\d{2}))?([ap])", w)
    assert m is not None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour == 12 and minute == 0 and m.group(3) == "a":
        return None
    if not 1 <= hour <= 12 or minute > 59:
        return None
    return hour % 12 + (12 if m.group(3) == "p" else 0), minute, 0


def _instant(day: date, clock: tuple[int, int, int], zone: str) -> datetime:
    hour, minute, add = clock
    local = datetime.combine(day + timedelta(days=add), time(hour, minute))
    return local.replace(tzinfo=ZoneInfo(zone))


def _lead(text: str, start: int) -> str:
    """The words of the sentence before ``start``."""
    window = text[max(0, start - 240) : start]
    ends = list(_SENTENCE_END.finditer(window))
    return window[ends[-1].end() :] if ends else window


def _statements(
    label: str, para: Para
) -> list[tuple[ExpirationStatement, str, tuple[int, int, int]]]:
    """Expiration statements of one paragraph, each with its zone and (day, minute, +days)."""
    text = para.text
    found: list[tuple[ExpirationStatement, str, tuple[int, int, int]]] = []
    for rx, lead in ((_TIME_FIRST, _LEAD_TIME), (_DATE_FIRST, _LEAD_DATE)):
        for m in rx.finditer(text):
            before = _lead(text, m.start())
            if not lead.search(before) or not _SUBJECT.search(before):
                continue
            if re.search(r"\bif\s+we\s+have\s+not\s+accepted\b", before, re.I):
                continue
            day = parse_date(m.group(0))
            clock = _clock(m.group("time"))
            if day is None or clock is None:
                continue
            zone = _zone(m.group("zone"))
            line = line_at(para, m.start())
            stmt = ExpirationStatement(
                first_line=line,
                last_line=line_at(para, m.end() - 1),
                written=m.group(0),
                at=_instant(day, clock, zone) if zone else None,
                zone=zone,
                document=label,
            )
            key = (day.toordinal(), clock[0] * 60 + clock[1], clock[2])
            found.append((stmt, zone or "", key))
    return found


def _plans(paras: Sequence[Para]) -> list[PlanName]:
    out: list[PlanName] = []
    for para in paras:
        for m in _PLAN.finditer(para.text):
            words = m.group("name").split()
            possessive = [k for k, w in enumerate(words) if w.endswith(("'s", "\u2019s"))]
            if possessive:
                words = words[possessive[-1] + 1 :]
            while len(words) > 1 and words[0].lower().strip(",") in _LEADING:
                words = words[1:]
            name = " ".join(words)
            if len(words) < 2 or any(_key(p.name) == _key(name) for p in out):
                continue
            line = line_at(para, m.start("name"))
            out.append(PlanName(first_line=line, last_line=line, name=name, alias=m.group("alias")))
    aliases = {_key(p.alias or "") for p in out}
    return [p for p in out if _key(p.name) not in aliases]


_PLAN = re.compile(
    r"(?P<name>(?:(?:[A-Z0-9][\w.&'\u2019,\-]*|of|for|and\s+Restated)\s+){1,12}?Plan)"
    r"(?:,?\s+as\s+amended(?:\s+and\s+restated)?)?,?\s*\(\s*(?:as\s+amended,?\s+)?"
    r"(?:the\s+|our\s+)?[\"\u201c](?P<alias>[^\"\u201d]{1,60})[\"\u201d]"
)
_LEADING = frozenset(
    "the our its options option under outstanding granted pursuant to and this these each".split()
)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def read_terms(
    documents: Sequence[tuple[str, Sequence[Para]]], plan_scope: Sequence[Para]
) -> tuple[OfferTerms, list[Problem]]:
    """The expiration statements of ``documents`` (label, paragraphs) and the plans defined in
    ``plan_scope``; problems (blocking when the expiration is ambiguous or has no zone)."""
    found = [s for label, paras in documents for para in paras for s in _statements(label, para)]
    zoned = {key: zone for _, zone, key in found if zone}
    statements: list[ExpirationStatement] = []
    meanings: set[object] = set()
    for stmt, zone, key in found:
        if not zone and key in zoned:
            day = date.fromordinal(key[0])
            clock = (key[1] // 60, key[1] % 60, key[2])
            stmt = stmt.model_copy(update={"at": _instant(day, clock, zoned[key])})
        statements.append(stmt)
        meanings.add(stmt.at or key)
    terms = OfferTerms(statements=tuple(statements), plans=tuple(_plans(plan_scope)))
    problems: list[Problem] = []
    instants = terms.expirations()
    if len(meanings) > 1:
        for s in statements:
            meaning = s.at.isoformat() if s.at else "no time zone stated"
            problems.append(
                Problem(
                    first_line=s.first_line,
                    last_line=s.last_line,
                    what=f"{s.document} states the expiration as {s.written!r} ({meaning}); "
                    f"the filing states {len(meanings)} different expirations",
                    blocking=True,
                )
            )
    elif statements and not instants:
        s = statements[0]
        problems.append(
            Problem(
                first_line=s.first_line,
                last_line=s.last_line,
                what=f"{s.document} states the expiration as {s.written!r} with no time zone, "
                "and no statement of it elsewhere gives one",
                blocking=True,
            )
        )
    return terms, problems


__all__ = ["line_at", "read_terms"]
