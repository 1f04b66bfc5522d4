"""Recorded time is the clock at recording: the write side's rule (DESIGN §4 "Truth in outputs").

An event's recorded time may not precede an instant it records (its effective time, a form's
``received_at``, a confirmation's ``sent_at``: :func:`offerledger.events.records_floor`) nor the
recorded time of the event before it in log order. The store calls :func:`check_recorded` on
every save, the second half under the lock that orders the log; ``verify`` reports a stored
event that breaks either rule (``recorded-before-effective``, ``recorded-out-of-order``) with
the same function, :func:`offerledger.events.recorded_problems`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from offerledger.errors import RuleViolation
from offerledger.events import RECORDS_FIELDS, LedgerEvent, recorded_problems, records_floor

__all__ = ["check_recorded"]

_HINT = {
    "recorded-before-effective": "an event is recorded when the ledger learns of it, never "
    "before: check the effective and received times, or the clock of the recording machine",
    "recorded-out-of-order": "recorded time is the clock at recording and never goes back in "
    "log order: check the recording machine's clock and record again",
}


def check_recorded(events: Iterable[LedgerEvent], *, previous: datetime | None) -> datetime | None:
    """Refuse the first event recorded before what it records or before ``previous`` (the
    recorded time of the event before it in log order; None: no check against the log);
    returns the last event's recorded time (or ``previous`` when there are none)."""
    for event in events:
        effective = event.effective.model_dump(mode="json")
        instants = {name: getattr(event, name, None) for name in RECORDS_FIELDS}
        found = recorded_problems(event.recorded, records_floor(effective, instants), previous)
        if found:
            reason, detail = found[0]
            raise RuleViolation(
                f"{event.action} (stream {event.originator_id}, version "
                f"{event.originator_version}) {detail}",
                rule=reason,
                hint=_HINT[reason],
            )
        previous = event.recorded
    return previous
