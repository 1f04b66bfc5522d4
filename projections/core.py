"""What every projection shares: log entries, stamps, moments and the effective-time order.

A projection folds ``(position, event)`` pairs in log order. Each change it keeps carries a
:class:`Stamp` (log position, effective and recorded time, actor, key); queries select from
that state at a :class:`Moment` (``--as-of`` by effective time, ``--as-recorded`` by recorded
time) and order what they select by effective time, ties broken by log position.

Nothing here reads a clock, a file or a database.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from offerledger.events import (
    EASTERN,
    CorrectionRecorded,
    EffectiveTime,
    Instant,
    LedgerEvent,
    OnDate,
    TimeNotOnFile,
    corrected_value,
    end_of_day_eastern,
)

Entry = tuple[int, LedgerEvent]
"""One log entry: the 0-based log position and the decoded event."""

_FAR_FUTURE = datetime.max.replace(tzinfo=EASTERN)


def effective_key(effective: EffectiveTime) -> datetime:
    """The instant an effective time sorts and selects by.

    An instant is itself; a date is 00:00 US Eastern that day; a time not on file counts from
    its upper bound (by then it had certainly happened), and with no upper bound it sorts after
    everything and is selected only when no ``--as-of`` is given.
    """
    if isinstance(effective, TimeNotOnFile):
        return effective.before if effective.before is not None else _FAR_FUTURE
    return effective.earliest()


def effective_label(effective: EffectiveTime) -> str:
    """How an effective time is shown: ISO in US Eastern, a date, or the not-on-file bounds."""
    if isinstance(effective, Instant):
        return effective.at.astimezone(EASTERN).isoformat()
    if isinstance(effective, OnDate):
        return effective.on.isoformat()
    bounds = []
    if effective.after is not None:
        bounds.append(f"after {effective.after.astimezone(EASTERN).date().isoformat()}")
    if effective.before is not None:
        bounds.append(f"before {effective.before.astimezone(EASTERN).date().isoformat()}")
    note = f": {effective.note}" if effective.note else ""
    inside = ", ".join(bounds)
    return f"not on file ({inside}){note}" if inside else f"not on file{note}"


def eastern(at: datetime) -> str:
    """An instant shown in US Eastern time, ISO 8601 with its offset."""
    return at.astimezone(EASTERN).isoformat()


_ACTIONS: dict[type[LedgerEvent], str] = {}
_HAS_SYNTHETIC: dict[type[LedgerEvent], bool] = {}


def _is_synthetic(event: LedgerEvent) -> bool:
    """``event.is_synthetic``, without asking an event whose class has no ``synthetic`` for
    one (pydantic answers a missing attribute by raising inside ``__getattr__``: 3 µs a receipt
    confirmation)."""
    if event.synthetic_record:
        return True
    kind = type(event)
    has = _HAS_SYNTHETIC.get(kind)
    if has is None:
        has = _HAS_SYNTHETIC[kind] = "synthetic" in kind.model_fields or hasattr(kind, "synthetic")
    return has and getattr(event, "synthetic", False) is True


@dataclass(frozen=True, slots=True)
class Stamp:
    """Where a change came from: log position, version, times, actor and key.

    Compact on purpose (a large ledger keeps a million of them): the effective time is kept as
    the instant it sorts by (:func:`effective_key`) and ``effective_note``: None for an instant,
    ``""`` for a date, the label (:func:`effective_label`) for a time not on file.
    """

    position: int
    version: int
    action: str
    effective_at: datetime
    effective_note: str | None
    recorded: datetime
    actor: str
    key_id: str
    # the event is synthetic (:attr:`~offerledger.events.LedgerEvent.is_synthetic`): an output
    # that rests on this change says SYNTHETIC (and ``"synthetic": true`` in JSON)
    synthetic: bool = False

    @classmethod
    def of(cls, entry: Entry) -> Stamp:
        position, event = entry
        last = _Memo.stamp
        if _Memo.event is event and last is not None and last.position == position:
            return last  # the fold and the timeline stamp the same entry in a row
        stamp = cls.of_event(position, event)
        _Memo.event, _Memo.stamp = event, stamp
        return stamp

    @classmethod
    def of_event(cls, position: int, event: LedgerEvent) -> Stamp:
        """The stamp of the event at ``position`` (:meth:`of` without its one-slot memo: a
        build stamps each event once and hands the stamp to its timeline row and its fold)."""
        effective = event.effective
        kind = type(effective)
        if kind is Instant:
            at, note = effective.at, None  # type: ignore[union-attr]
        elif kind is OnDate:
            at, note = effective.earliest(), ""
        else:
            at, note = effective_key(effective), effective_label(effective)
        action = _ACTIONS.get(type(event))
        if action is None:
            action = _ACTIONS[type(event)] = sys.intern(event.action)
        return cls(
            position,
            event.originator_version,
            action,
            at,
            note,
            event.recorded,
            sys.intern(event.actor),
            sys.intern(event.key_id),
            _is_synthetic(event),
        )

    @property
    def order(self) -> tuple[datetime, int]:
        """Effective order, ties broken by log position."""
        return (self.effective_at, self.position)

    @property
    def effective_text(self) -> str:
        if self.effective_note is None:
            return eastern(self.effective_at)
        if self.effective_note == "":
            return self.effective_at.astimezone(EASTERN).date().isoformat()
        return self.effective_note

    @property
    def effective_day(self) -> date | None:
        """The effective date in US Eastern time (None when not on file)."""
        if self.effective_note is None or self.effective_note == "":
            return self.effective_at.astimezone(EASTERN).date()
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "version": self.version,
            "action": self.action,
            "effective": self.effective_text,
            "effective_sort_key": eastern(self.effective_at),
            "recorded": eastern(self.recorded),
            "actor": self.actor,
            "key_id": self.key_id,
            "synthetic": self.synthetic,
        }


class _Memo:
    """The last entry stamped: a one-slot cache of a pure function."""

    event: LedgerEvent | None = None
    stamp: Stamp | None = None


@dataclass(frozen=True, slots=True)
class Moment:
    """Which changes a query sees.

    ``as_of``: changes effective strictly before this instant (``--as-of DATE`` is the end of
    that day in US Eastern time, ``--as-of INSTANT`` the instant itself, included); None: every
    change on record. ``as_recorded``: changes the ledger had recorded by this instant
    (inclusive); None: every change recorded. ``as_of_day``, ``as_recorded_day`` and
    ``as_of_at`` keep what was asked for, to say it back.
    """

    as_of: datetime | None = None
    as_recorded: datetime | None = None
    as_of_day: date | None = None
    as_recorded_day: date | None = None
    as_of_at: datetime | None = None

    @classmethod
    def on(cls, day: date | None = None, *, recorded: datetime | None = None) -> Moment:
        """``--as-of DATE``: the end of that day in US Eastern time."""
        return cls(None if day is None else end_of_day_eastern(day), recorded, day)

    @classmethod
    def at(
        cls, as_of: date | datetime | None = None, as_recorded: date | datetime | None = None
    ) -> Moment:
        """A moment from what ``--as-of`` and ``--as-recorded`` name: a date is the end of that
        day, US Eastern; an instant is itself (aware)."""
        of_at = as_of if isinstance(as_of, datetime) else None
        of_day = as_of if isinstance(as_of, date) and of_at is None else None
        rec_day = (
            as_recorded
            if isinstance(as_recorded, date) and not isinstance(as_recorded, datetime)
            else None
        )
        if of_at is not None:
            bound: datetime | None = of_at + _TICK
        else:
            bound = None if of_day is None else end_of_day_eastern(of_day)
        if rec_day is not None:
            recorded: datetime | None = end_of_day_eastern(rec_day) - _TICK
        else:
            recorded = as_recorded if isinstance(as_recorded, datetime) else None
        return cls(bound, recorded, of_day, rec_day, of_at)

    def until_end_of(self, day: date) -> Moment:
        """This moment, seeing nothing effective or recorded after the end of ``day`` (US
        Eastern): what a document dated that day could know."""
        end = end_of_day_eastern(day)
        as_of, of_day, of_at = self.as_of, self.as_of_day, self.as_of_at
        if as_of is None or as_of > end:
            as_of, of_day, of_at = end, day, None
        recorded, recorded_day = self.as_recorded, self.as_recorded_day
        if recorded is None or recorded > end - _TICK:
            recorded, recorded_day = end - _TICK, day
        return Moment(as_of, recorded, of_day, recorded_day, of_at)

    def admits(self, stamp: Stamp) -> bool:
        if self.as_recorded is not None and stamp.recorded > self.as_recorded:
            return False
        return self.as_of is None or stamp.effective_at < self.as_of

    def recorded_by(self, stamp: Stamp) -> bool:
        """Whether the ledger knew of ``stamp`` at this moment's recorded time."""
        return self.as_recorded is None or stamp.recorded <= self.as_recorded

    @property
    def as_of_text(self) -> str:
        if self.as_of is None:
            return "every change on record"
        if self.as_of_day is not None:
            return f"{self.as_of_day.isoformat()} (end of day, US Eastern)"
        if self.as_of_at is not None:
            return eastern(self.as_of_at)
        return eastern(self.as_of)

    @property
    def as_recorded_text(self) -> str:
        if self.as_recorded is None:
            return "everything recorded"
        if self.as_recorded_day is not None:
            return f"{self.as_recorded_day.isoformat()} (end of day, US Eastern)"
        return eastern(self.as_recorded)

    @property
    def text(self) -> str:
        """One line: "As of: …; as recorded: …"."""
        return f"As of: {self.as_of_text}; as recorded: {self.as_recorded_text}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": None if self.as_of is None else eastern(self.as_of_at or self.as_of),
            "as_of_date": None if self.as_of_day is None else self.as_of_day.isoformat(),
            "as_recorded": None if self.as_recorded is None else eastern(self.as_recorded),
            "as_recorded_date": (
                None if self.as_recorded_day is None else self.as_recorded_day.isoformat()
            ),
        }


_TICK = timedelta(microseconds=1)


NOW = Moment()


@dataclass(frozen=True, slots=True)
class Correction:
    """A correction on record: it supersedes ``version`` of the same stream; the original stays."""

    stamp: Stamp
    supersedes_version: int
    supersedes_topic: str
    reason: str
    corrected: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, entry: Entry) -> Correction:
        event = entry[1]
        assert isinstance(event, CorrectionRecorded)
        return cls.stamped(event, Stamp.of(entry))

    @classmethod
    def stamped(cls, event: CorrectionRecorded, stamp: Stamp) -> Correction:
        """The correction ``event`` records, with its ``stamp``."""
        return cls(
            stamp,
            event.supersedes_version,
            event.supersedes_topic,
            event.reason,
            tuple(sorted(event.corrected.items())),
        )


def superseding(corrections: Iterable[Correction], moment: Moment) -> dict[int, Correction]:
    """Version -> the last correction the ledger had recorded by ``moment`` that supersedes it.

    A correction is a statement about the record, so it counts from when it was recorded
    (``--as-recorded``), whatever ``--as-of`` asks.
    """
    out: dict[int, Correction] = {}
    for c in corrections:
        if moment.recorded_by(c.stamp):
            out[c.supersedes_version] = c
    return out


def corrected_event(event: LedgerEvent, correction: Correction) -> LedgerEvent | None:
    """The superseded event with the correction's fields, or None when they do not make one.

    Field values are strings: ISO dates and times, numbers, or JSON for lists and objects;
    ``effective`` takes a date or an instant.
    """
    if not correction.corrected:
        return None
    data = event.model_dump()
    for name, value in correction.corrected:
        if name not in data:
            return None
        data[name] = corrected_value(name, value)
    try:
        return type(event).model_validate(data)
    except ValueError:
        return None


def in_effective_order(stamps: Iterable[Stamp]) -> list[Stamp]:
    return sorted(stamps, key=lambda s: s.order)


def not_on_file(note: str) -> str:
    """The explicit marker for text the filings on hand do not give."""
    return f"[not on file: {note}]"


__all__ = [
    "NOW",
    "Correction",
    "Entry",
    "Moment",
    "Stamp",
    "corrected_event",
    "eastern",
    "effective_key",
    "effective_label",
    "in_effective_order",
    "not_on_file",
    "superseding",
]
