"""Recorded time is the clock at recording: the write side's rule (DESIGN §4 "Truth in outputs").

An event's recorded time may not precede an instant it records (its effective time, a form's
``received_at``, a confirmation's ``sent_at``: :func:`offerledger.events.records_floor`) nor the
recorded time of the event before it in log order. The store calls :func:`check_records` on
every save before it takes the lock and :func:`check_order` under the lock that orders the log;
``verify`` reports a stored event that breaks either rule (``recorded-before-effective``,
``recorded-out-of-order``) in the words of :func:`offerledger.events.recorded_problems`.

Both run on every event of every save, so they read the models' own fields (about 1 µs an event)
rather than their JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from offerledger.errors import RuleViolation
from offerledger.events import (
    RECORDS_FIELDS,
    Instant,
    LedgerEvent,
    OnDate,
    recorded_problems,
)

__all__ = ["check_order", "check_records", "records_at"]

_HINT = {
    "recorded-before-effective": "an event is recorded when the ledger learns of it, never "
    "before: check the effective and received times, or the clock of the recording machine",
    "recorded-out-of-order": "recorded time is the clock at recording and never goes back in "
    "log order: check the recording machine's clock (or another writer saved first after this "
    "one read it) and record again",
}


def records_at(event: LedgerEvent) -> tuple[datetime, str] | None:
    """The latest instant ``event`` records and the field that gives it (the model's reading of
    :func:`offerledger.events.records_floor`)."""
    effective = event.effective
    if isinstance(effective, Instant):
        floor: tuple[datetime, str] | None = (effective.at, "effective")
    elif isinstance(effective, OnDate):
        floor = (effective.earliest(), "effective")
    else:
        floor = None if effective.after is None else (effective.after, "effective")
    for name in _fields(type(event)):
        at = getattr(event, name)
        if isinstance(at, datetime) and (floor is None or at > floor[0]):
            floor = (at, name)
    return floor


_RECORDS_OF: dict[type[LedgerEvent], tuple[str, ...]] = {}


def _fields(cls: type[LedgerEvent]) -> tuple[str, ...]:
    """The RECORDS_FIELDS a class has (a missing attribute costs a pydantic exception)."""
    found = _RECORDS_OF.get(cls)
    if found is None:
        found = _RECORDS_OF[cls] = tuple(n for n in RECORDS_FIELDS if n in cls.model_fields)
    return found


def _refuse(event: LedgerEvent, reason: str, detail: str) -> RuleViolation:
    return RuleViolation(
        f"{event.action} (stream {event.originator_id}, version {event.originator_version}) "
        f"{detail}",
        rule=reason,
        hint=_HINT[reason],
    )


def check_records(events: Iterable[LedgerEvent]) -> None:
    """Refuse the first event recorded before an instant it records."""
    for event in events:
        floor = records_at(event)
        if floor is not None and event.recorded < floor[0]:
            reason, detail = recorded_problems(event.recorded, floor, None)[0]
            raise _refuse(event, reason, detail)


def check_order(events: Iterable[LedgerEvent], *, previous: datetime | None) -> datetime | None:
    """Refuse the first event recorded before the one before it in log order (``previous``:
    the log's last recorded time; None: nothing to compare with); returns the last recorded
    time (``previous`` when there are no events)."""
    for event in events:
        if previous is not None and event.recorded < previous:
            reason, detail = recorded_problems(event.recorded, None, previous)[0]
            raise _refuse(event, reason, detail)
        previous = event.recorded
    return previous
