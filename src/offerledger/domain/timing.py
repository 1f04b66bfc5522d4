"""The offer's clock, once: which expiration is in force, when the window closes, which day an
expiration belongs to, and the facts and judgements of the timing rules.

The write side (:mod:`offerledger.domain.offer`) and every report
(:mod:`offerledger.projections.findings`, :mod:`offerledger.projections.catalog`) call these
functions; none of them keeps its own copy. The rules themselves, one function each, are in
:mod:`offerledger.domain.timing_rules` and :mod:`offerledger.domain.timing_after`.

**The expiration in force** at a moment is the one stated last, in *effective* order, by the
commencement or an extension announced at or before that moment; ties in effective time are
broken by log position (the later one was announced knowing the earlier). An extension recorded
late with an earlier effective time therefore takes its place in effective order, and a
correction of an announcement replaces it where it stood (a correction with no fields voids
it; the original stays in the log).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from offerledger.events import (
    EASTERN,
    ExpirationExtended,
    OfferCommenced,
    corrected_value,
    deadline_exclusive,
)

EXTENSION_TOPIC = ExpirationExtended.TOPIC
COMMENCEMENT_TOPIC = OfferCommenced.TOPIC


@dataclass(frozen=True, slots=True)
class Ref:
    """An event a judgement rests on: its log position (None on the write side, before the
    event is in the log), stream version, action, effective time as shown, and whether it is
    synthetic."""

    position: int | None
    version: int
    action: str
    effective: str
    synthetic: bool = False
    stream: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "action": self.action,
            "effective": self.effective,
            "position": self.position,
            "stream": self.stream,
            "synthetic": self.synthetic,
            "version": self.version,
        }

    @property
    def label(self) -> str:
        where = f"#{self.position}" if self.position is not None else f"v{self.version}"
        return f"{where} {self.action} (effective {self.effective})" + (
            " SYNTHETIC" if self.synthetic else ""
        )


class Announcement(NamedTuple):
    """A stated expiration and when it was announced: the commencement's or an extension's.

    A sequence of announcements is in log order, the commencement's first; ``version`` is the
    offer stream's version of the event that stated it (corrections name it). ``day_only``: the
    announcement's effective time is a date, its hour not on file.
    """

    announced: datetime
    expiration: datetime
    version: int = 0
    day_only: bool = False
    ref: Ref | None = None


Stated = Announcement | tuple[datetime, datetime]
"""An announcement, or a plain ``(announced, expiration)`` pair."""


def in_force_index(announcements: Sequence[Stated], at: datetime | None) -> int:
    """The index of the announcement in force at ``at`` (None: after everything on record).

    The greatest (effective time, log order) among those announced at or before ``at``; the
    commencement's (index 0) when none was. ``announcements`` is in log order; plain
    ``(announced, expiration)`` pairs are accepted.
    """
    if not announcements:
        raise ValueError("an offer states its expiration when it commences")
    best, best_key = 0, None
    for i in range(1, len(announcements)):
        announced = announcements[i][0]
        if at is not None and announced > at:
            continue
        if best_key is None or (announced, i) > best_key:
            best, best_key = i, (announced, i)
    return best


def expiration_in_force(announcements: Sequence[Stated], at: datetime | None = None) -> datetime:
    """The stated expiration in force at ``at`` (see the module docstring)."""
    return announcements[in_force_index(announcements, at)][1]


def in_force_before(announcements: Sequence[Announcement], index: int) -> Announcement:
    """The announcement that was in force just before ``announcements[index]`` was made: the
    greatest (effective time, log order) below it. Rule 14e-1(d) measures an extension's notice
    from the expiration it replaced."""
    mine = (announcements[index].announced, index)
    best, best_key = 0, None
    for i in range(1, len(announcements)):
        key = (announcements[i].announced, i)
        if key < mine and (best_key is None or key > best_key):
            best, best_key = i, key
    return announcements[best]


def effective_order(announcements: Sequence[Announcement]) -> list[int]:
    """Indexes of the extensions (not the commencement) in effective order, ties by log order."""
    return sorted(range(1, len(announcements)), key=lambda i: (announcements[i].announced, i))


class Window:
    """The election window one sequence of announcements makes, worked out once: the
    announcements in effective order (ties by log order) and each one's exclusive deadline, so
    that the expiration in force at a moment is a binary search (:func:`in_force_index` gives
    the same index; an ingest asks for every form of a file).
    """

    __slots__ = ("announced", "deadlines", "indexes", "source")

    def __init__(self, announcements: Sequence[Stated]) -> None:
        if not announcements:
            raise ValueError("an offer states its expiration when it commences")
        order = sorted(range(1, len(announcements)), key=lambda i: (announcements[i][0], i))
        self.source = announcements
        self.announced = [announcements[i][0] for i in order]
        self.indexes = [0, *order]  # in force once the first k of ``announced`` were made
        self.deadlines = [deadline_exclusive(announcements[i][1]) for i in self.indexes]

    def index(self, at: datetime) -> int:
        """:func:`in_force_index` at ``at``."""
        return self.indexes[bisect_right(self.announced, at)]

    def deadline(self, at: datetime) -> datetime:
        return self.deadlines[bisect_right(self.announced, at)]


class _LastWindow:
    """The window of the last announcements asked about (a tuple: an offer's state keeps its
    own while it does not change): a one-slot cache of a pure function."""

    window: Window | None = None


def window_of(announcements: Sequence[Stated]) -> Window:
    """The :class:`Window` of ``announcements`` (the same tuple is worked out once)."""
    last = _LastWindow.window
    if last is not None and last.source is announcements:
        return last
    window = Window(announcements)
    if type(announcements) is tuple:
        _LastWindow.window = window
    return window


def deadline(announcements: Sequence[Stated], at: datetime) -> datetime:
    """Exclusive bound of the election window for an act received at ``at``: the whole stated
    minute counts ("11:59 p.m." admits 23:59:59.999)."""
    return window_of(announcements).deadline(at)


def outside_window(
    *,
    commenced: datetime,
    terminated: datetime | None,
    announcements: Sequence[Stated],
    at: datetime,
) -> str | None:
    """Why an act received at ``at`` falls outside the offer (None: inside): before the
    commencement, at or after a termination, or at or after the expiration then in force."""
    if at < commenced:
        return f"the offer commenced at {commenced.isoformat()}"
    if terminated is not None and at >= terminated:
        return f"the offer was terminated at {terminated.isoformat()}"
    window = window_of(announcements)
    if at >= window.deadline(at):
        stated = announcements[window.index(at)][1]
        return f"the offer expired at {stated.isoformat()} (the whole stated minute counts)"
    return None


def correct_announcements(
    announcements: Sequence[Announcement],
    *,
    version: int,
    topic: str,
    corrected: Mapping[str, str],
) -> tuple[Announcement, ...]:
    """The announcements after a correction of the event at stream ``version``.

    The same reading as every report's (:func:`offerledger.projections.core.corrected_event`):
    the corrected fields replace the original's (``new_expiration`` or ``expiration``, and
    ``effective`` as a date or an instant); a correction with no fields, or with a value that
    does not make a valid time, voids an extension. The commencement is never voided here.
    """
    if topic not in (EXTENSION_TOPIC, COMMENCEMENT_TOPIC):
        return tuple(announcements)
    out: list[Announcement] = []
    for item in announcements:
        if item.version != version:
            out.append(item)
            continue
        fixed = _corrected(item, corrected, "expiration" if topic == COMMENCEMENT_TOPIC else "")
        if fixed is not None:
            out.append(fixed)
        elif topic == COMMENCEMENT_TOPIC:
            out.append(item)
    return tuple(out)


def _corrected(item: Announcement, fields: Mapping[str, str], name: str) -> Announcement | None:
    if not fields:
        return None
    name = name or "new_expiration"
    new = item
    for key, text in fields.items():
        value = corrected_value(key, text)  # the one reading of a correction's field
        if key == name:
            at = _instant(value)
            if at is None:
                return None
            new = new._replace(expiration=at)
        elif key == "effective":
            when = _effective(value)
            if when is None:
                return None
            new = new._replace(announced=when[0], day_only=when[1])
        else:
            return None
    return new


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _effective(value: object) -> tuple[datetime, bool] | None:
    """A corrected ``effective`` as :func:`offerledger.events.corrected_value` reads it."""
    if not isinstance(value, dict):
        return None
    if value.get("kind") == "date":
        day = date.fromisoformat(value["on"])
        return datetime.combine(day, time(0, 0), tzinfo=EASTERN), True
    at = _instant(value.get("at"))
    return None if at is None else (at, False)


# --- which day an expiration belongs to ----------------------------------------------------------


def stated_day(expiration: datetime) -> date:
    """The day an expiration is stated for, in Eastern time: "12:00 midnight" is stored as 00:00
    of the next day and belongs to the day it ends ("11:59 p.m." belongs to its own day)."""
    local = expiration.astimezone(EASTERN)
    if local.time() == time(0, 0):
        return local.date() - timedelta(days=1)
    return local.date()


def last_day_counted(expiration: datetime) -> date:
    """The last day an offer is open in full. A business day runs through 12:00 midnight
    (Rule 14d-1(g)(3)), so an offer that expires at 11:59 p.m. or at midnight counts its stated
    day whole; one that expires earlier in the day (5:00 p.m.) does not count that day."""
    local = expiration.astimezone(EASTERN)
    if local.time() == time(0, 0) or local.time() < time(23, 59):
        return local.date() - timedelta(days=1)
    return local.date()


def clock(at: datetime) -> str:
    """An instant as a reader states it: ``2001-09-27 23:59 EDT``."""
    local = at.astimezone(EASTERN)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


# --- facts and judgements ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Citation:
    """The rule's words and where they are. ``url``: where the words were checked; a citation
    with one is ``verbatim`` (the source's own words, shortened only with "..."), one without
    is a paraphrase and is never printed as a quote (no quotation marks; labelled)."""

    quote: str
    source: str
    url: str = ""

    @property
    def verbatim(self) -> bool:
        return bool(self.url)

    @property
    def label(self) -> str:
        """How an output introduces the words: a quote with where it was checked, or a
        paraphrase said to be one."""
        if self.verbatim:
            return f'"{self.quote}" ({self.source}; verbatim, as at {self.url})'
        return f"[paraphrase, not the rule's words] {self.quote} ({self.source})"

    def as_json(self) -> dict[str, str | bool | None]:
        """``quote`` holds the words only when verbatim; a paraphrase is under ``paraphrase``."""
        return {
            "quote": self.quote if self.verbatim else None,
            "paraphrase": None if self.verbatim else self.quote,
            "source": self.source,
            "verbatim": self.verbatim,
            "url": self.url,
            "label": self.label,
        }


@dataclass(frozen=True, slots=True)
class Judgement:
    """One rule judged on one offer's facts. ``status``: met, not_met, pending (its time has
    not come as of the moment judged), overdue (its time passed and nothing is on record),
    not_applicable, or not_on_file (the ledger does not hold what the rule turns on)."""

    rule: str
    title: str
    status: str
    detail: str
    citation: Citation
    reading: str = ""
    dates: tuple[tuple[str, str], ...] = ()
    refs: tuple[Ref, ...] = ()
    synthetic_note: str = ""  # synthetic data the judgement rests on besides ``refs``

    @property
    def synthetic(self) -> bool:
        return bool(self.synthetic_note) or any(r.synthetic for r in self.refs)


@dataclass(frozen=True, slots=True)
class FilingFact:
    ref: Ref
    form: str
    amendment_number: int | None
    filed_on: date | None
    final: bool
    exhibits: tuple[str, ...] = ()
    stream: str = ""

    @property
    def name(self) -> str:
        if self.amendment_number is not None:
            return f"Amendment No. {self.amendment_number}"
        return "Schedule TO-I" if self.form == "SC TO-I" else self.form

    @property
    def filed_text(self) -> str:
        return self.filed_on.isoformat() if self.filed_on else "on a date not on file"


@dataclass(frozen=True, slots=True)
class ChangeFact:
    """A change in what holders were told: ``document`` (an amendment of the offer document,
    made by ``filing``), ``terms`` (consideration, percentage sought or dealer's soliciting
    fee: ``terms`` names which), or ``extension``."""

    ref: Ref
    at: datetime
    kind: str
    filing: str = ""  # stream of the filing that made it
    terms: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class NoticeFact:
    ref: Ref
    at: datetime
    notice_id: str
    kind: str
    exhibit: str | None
    channel: str


@dataclass(frozen=True, slots=True)
class ActFact:
    """An election act of an employee stream that a rule turns on (a withdrawal, or a refused
    withdrawal with its reason)."""

    ref: Ref
    received_at: datetime
    refused: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OfferFacts:
    """What the timing rules judge, for one offer, as of one moment (corrections applied).

    ``now`` is the moment judged at: the ``--as-of`` bound when one is asked for, else the
    latest effective time on record (``now_ref`` is that event); no clock is read.
    """

    name: str
    commenced: datetime
    commenced_ref: Ref
    announcements: tuple[Announcement, ...]
    securities: str = ""
    plans: tuple[str, ...] = ()
    filings: tuple[FilingFact, ...] = ()
    changes: tuple[ChangeFact, ...] = ()
    notices: tuple[NoticeFact, ...] = ()
    acts: tuple[ActFact, ...] = ()
    expired: tuple[datetime, Ref] | None = None
    terminated: tuple[datetime, Ref] | None = None
    accepted: tuple[datetime, Ref] | None = None
    granted: tuple[tuple[date, Ref], ...] = ()
    now: datetime | None = None
    now_ref: Ref | None = None
    undated: tuple[Ref, ...] = ()  # events whose time is not on file, with no upper bound

    def in_force(self, at: datetime | None = None) -> Announcement:
        return self.announcements[in_force_index(self.announcements, at)]

    def undated_lines(self, *actions: str) -> list[str]:
        """One line per event of ``actions`` whose time is not on file (it cannot be counted)."""
        return [
            f"{r.label}: its time is not on file, so it is not judged"
            for r in self.undated
            if r.action in actions
        ]

    def end(self) -> tuple[datetime, date, tuple[Ref, ...], str] | None:
        """When the offer ended on record: (instant, day, refs, how), or None.

        An expired offer ended at the stated expiration in force when it expired (11:59 p.m.
        EDT on 2001-09-27 for Mpower, whatever instant the expiration event carries); a
        terminated one at its termination.
        """
        if self.terminated is not None:
            at, ref = self.terminated
            return at, at.astimezone(EASTERN).date(), (ref,), f"terminated {clock(at)}"
        if self.expired is not None:
            at, ref = self.expired
            stated = self.in_force(at)
            refs = tuple(r for r in (stated.ref, ref) if r is not None)
            return (
                stated.expiration,
                stated_day(stated.expiration),
                refs,
                f"expired at {clock(stated.expiration)} (the expiration in force)",
            )
        return None


__all__ = [
    "ActFact",
    "Announcement",
    "ChangeFact",
    "Citation",
    "FilingFact",
    "Judgement",
    "NoticeFact",
    "OfferFacts",
    "Ref",
    "Stated",
    "Window",
    "clock",
    "correct_announcements",
    "deadline",
    "effective_order",
    "expiration_in_force",
    "in_force_before",
    "in_force_index",
    "last_day_counted",
    "outside_window",
    "stated_day",
    "window_of",
]
