"""One employee's stream folded compactly: eligible grants, election acts, receipts, corrections.

A large offer has a hundred thousand of these, so the state keeps small slotted records rather
than the events themselves. The fold is pure and keeps every act with its stamp; the standing
choice at a moment is computed by :mod:`offerledger.projections.elections`.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from offerledger.events import (
    CorrectionRecorded,
    ElectionChanged,
    ElectionReceiptConfirmed,
    ElectionRefused,
    ElectionSubmitted,
    ElectionWithdrawn,
    EligibleGrantsRegistered,
    LedgerEvent,
)
from offerledger.projections.core import Correction, Entry, Stamp

ELECTION_EVENTS = (ElectionSubmitted, ElectionChanged, ElectionWithdrawn, ElectionRefused)
_KIND = {
    ElectionSubmitted: "submit",
    ElectionChanged: "change",
    ElectionWithdrawn: "withdraw",
    ElectionRefused: "refused",
}


@dataclass(frozen=True, slots=True)
class GrantRec:
    """An eligible grant as registered."""

    grant_id: str
    plan: str
    grant_date: date
    exercise_price: Decimal
    options: int


@dataclass(frozen=True, slots=True)
class Registration:
    stamp: Stamp
    name: str
    email: bool
    synthetic: bool
    grants: tuple[GrantRec, ...]


@dataclass(frozen=True, slots=True)
class Act:
    """An election form received: submitted, changed, withdrawn, or refused (with the rule)."""

    stamp: Stamp
    kind: str
    form_id: str
    received_at: datetime
    channel: str
    acted_by: str
    choices: tuple[tuple[str, str], ...] = ()
    grant_ids: tuple[str, ...] = ()
    attempted: str | None = None
    rule: str | None = None
    reason: str | None = None
    synthetic: bool = False


@dataclass(frozen=True, slots=True)
class Receipt:
    """A "Confirmation of Receipt of Election Form" sent to the employee."""

    stamp: Stamp
    form_id: str
    channel: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class EmployeeState:
    stream: uuid.UUID
    offer_id: uuid.UUID | None
    employee_id: str
    registrations: tuple[Registration, ...] = ()
    acts: tuple[Act, ...] = ()
    receipts: tuple[Receipt, ...] = ()
    corrections: tuple[Correction, ...] = ()

    @property
    def name(self) -> str:
        return self.registrations[-1].name if self.registrations else ""

    @property
    def synthetic(self) -> bool:
        return any(r.synthetic for r in self.registrations) or any(a.synthetic for a in self.acts)


def act_of(event: LedgerEvent, stamp: Stamp) -> Act:
    """The act an election event records (submitted, changed, withdrawn or refused)."""
    kind = _KIND[type(event)]
    intern = sys.intern
    e: Any = event  # one of ELECTION_EVENTS (the _KIND lookup above refuses any other)
    choices: tuple[tuple[str, str], ...] = ()
    grant_ids: tuple[str, ...] = ()
    if kind == "withdraw":
        grant_ids = e.grant_ids
    else:
        choices = tuple([(intern(c.grant_id), c.choice) for c in e.choices])
    refused = kind == "refused"
    return Act(
        stamp,
        kind,
        e.form_id,
        e.received_at,
        intern(e.channel),
        intern(e.acted_by),
        choices,
        grant_ids,
        e.attempted if refused else None,
        e.rule if refused else None,
        e.reason if refused else None,
        stamp.synthetic,  # the event's is_synthetic, as the stamp has it
    )


def registration_of(event: LedgerEvent, stamp: Stamp) -> Registration:
    """The registration an ``EligibleGrantsRegistered`` event records."""
    assert isinstance(event, EligibleGrantsRegistered)
    intern = sys.intern
    return Registration(
        stamp,
        event.employee_name,
        event.email,
        stamp.synthetic,
        tuple(
            [
                GrantRec(
                    g.grant_id,
                    intern(g.plan),
                    g.grant_date,
                    g.exercise_price,
                    g.options_outstanding,
                )
                for g in event.grants
            ]
        ),
    )


def receipt_of(event: LedgerEvent, stamp: Stamp) -> Receipt:
    """The receipt an ``ElectionReceiptConfirmed`` event records."""
    assert isinstance(event, ElectionReceiptConfirmed)
    return Receipt(stamp, event.form_id, event.channel, event.sent_at)


def correction_of(event: LedgerEvent, stamp: Stamp) -> Correction:
    assert isinstance(event, CorrectionRecorded)
    return Correction.stamped(event, stamp)


Record = Registration | Act | Receipt | Correction

RECORDS: dict[type[LedgerEvent], tuple[int, Callable[[LedgerEvent, Stamp], Record]]] = {
    EligibleGrantsRegistered: (0, registration_of),
    **{kind: (1, act_of) for kind in ELECTION_EVENTS},
    ElectionReceiptConfirmed: (2, receipt_of),
    CorrectionRecorded: (3, correction_of),
}
"""An employee stream's event type -> which of the state's record tuples its record joins
(0 registrations, 1 acts, 2 receipts, 3 corrections) and what makes the record."""


def fold_employee(state: EmployeeState | None, entry: Entry) -> EmployeeState:
    """``(state, entry) -> state`` for one employee's stream."""
    event = entry[1]
    if state is None:
        state = EmployeeState(
            stream=event.originator_id,
            offer_id=getattr(event, "offer_id", None),
            employee_id=getattr(event, "employee_id", ""),
        )
    found = RECORDS.get(type(event))
    if found is None:
        return state
    index, make = found
    record: Any = make(event, Stamp.of(entry))
    s = state
    # Constructor calls, not dataclasses.replace: this runs once per event of a large ledger.
    if index == 1:
        acts = (*s.acts, record)
        return EmployeeState(
            s.stream, s.offer_id, s.employee_id, s.registrations, acts, s.receipts, s.corrections
        )
    if index == 0:
        assert isinstance(event, EligibleGrantsRegistered)
        return EmployeeState(
            s.stream,
            event.offer_id,
            event.employee_id,
            (*s.registrations, record),
            s.acts,
            s.receipts,
            s.corrections,
        )
    if index == 2:
        receipts = (*s.receipts, record)
        return EmployeeState(
            s.stream, s.offer_id, s.employee_id, s.registrations, s.acts, receipts, s.corrections
        )
    corrections = (*s.corrections, record)
    return EmployeeState(
        s.stream, s.offer_id, s.employee_id, s.registrations, s.acts, s.receipts, corrections
    )


def delta_for(stream: uuid.UUID) -> EmployeeState:
    """The empty state an incremental run folds a known employee's new events into."""
    return EmployeeState(stream=stream, offer_id=None, employee_id="")


def merge(stored: EmployeeState, delta: EmployeeState) -> EmployeeState:
    """``stored`` followed by the events folded into ``delta`` (from :func:`delta_for`):
    ``merge(fold(s, a), fold(delta_for(id), b)) == fold(fold(s, a), b)``."""
    registered = bool(delta.registrations)
    return EmployeeState(
        stored.stream,
        delta.offer_id if registered else stored.offer_id,
        delta.employee_id if registered else stored.employee_id,
        stored.registrations + delta.registrations,
        stored.acts + delta.acts,
        stored.receipts + delta.receipts,
        stored.corrections + delta.corrections,
    )


__all__ = [
    "ELECTION_EVENTS",
    "RECORDS",
    "Act",
    "EmployeeState",
    "GrantRec",
    "Receipt",
    "Record",
    "Registration",
    "act_of",
    "correction_of",
    "delta_for",
    "fold_employee",
    "merge",
    "receipt_of",
    "registration_of",
]
