"""One employee's stream folded compactly: eligible grants, election acts, receipts, corrections.

A large offer has a hundred thousand of these, so the state keeps small slotted records rather
than the events themselves. The fold is pure and keeps every act with its stamp; the standing
choice at a moment is computed by :mod:`offerledger.projections.elections`.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from offerledger.events import (
    CorrectionRecorded,
    ElectionChanged,
    ElectionReceiptConfirmed,
    ElectionRefused,
    ElectionSubmitted,
    ElectionWithdrawn,
    EligibleGrantsRegistered,
)
from offerledger.projections.core import Correction, Entry, Stamp

ELECTION_EVENTS = (ElectionSubmitted, ElectionChanged, ElectionWithdrawn, ElectionRefused)
_ACT_TYPES = frozenset(ELECTION_EVENTS)
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


def _act(entry: Entry) -> Act:
    event = entry[1]
    assert isinstance(event, ELECTION_EVENTS)
    choices: tuple[tuple[str, str], ...] = ()
    if isinstance(event, ElectionSubmitted | ElectionChanged | ElectionRefused):
        choices = tuple((sys.intern(c.grant_id), c.choice) for c in event.choices)
    refused = event if isinstance(event, ElectionRefused) else None
    return Act(
        stamp=Stamp.of(entry),
        kind=_KIND[type(event)],
        form_id=event.form_id,
        received_at=event.received_at,
        channel=sys.intern(event.channel),
        acted_by=sys.intern(event.acted_by),
        choices=choices,
        grant_ids=event.grant_ids if isinstance(event, ElectionWithdrawn) else (),
        attempted=refused.attempted if refused else None,
        rule=refused.rule if refused else None,
        reason=refused.reason if refused else None,
        synthetic=event.is_synthetic,
    )


def _registration(entry: Entry) -> Registration:
    event = entry[1]
    assert isinstance(event, EligibleGrantsRegistered)
    return Registration(
        stamp=Stamp.of(entry),
        name=event.employee_name,
        email=event.email,
        synthetic=event.is_synthetic,
        grants=tuple(
            GrantRec(
                grant_id=g.grant_id,
                plan=sys.intern(g.plan),
                grant_date=g.grant_date,
                exercise_price=g.exercise_price,
                options=g.options_outstanding,
            )
            for g in event.grants
        ),
    )


def fold_employee(state: EmployeeState | None, entry: Entry) -> EmployeeState:
    """``(state, entry) -> state`` for one employee's stream."""
    event = entry[1]
    if state is None:
        employee_id = getattr(event, "employee_id", "")
        state = EmployeeState(
            stream=event.originator_id,
            offer_id=getattr(event, "offer_id", None),
            employee_id=employee_id,
        )
    s = state
    kind = type(event)
    # Constructor calls, not dataclasses.replace: this runs once per event of a large ledger.
    if kind in _ACT_TYPES:
        return EmployeeState(
            s.stream,
            s.offer_id,
            s.employee_id,
            s.registrations,
            (*s.acts, _act(entry)),
            s.receipts,
            s.corrections,
        )
    if isinstance(event, EligibleGrantsRegistered):
        return EmployeeState(
            s.stream,
            event.offer_id,
            event.employee_id,
            (*s.registrations, _registration(entry)),
            s.acts,
            s.receipts,
            s.corrections,
        )
    if isinstance(event, ElectionReceiptConfirmed):
        receipt = Receipt(Stamp.of(entry), event.form_id, event.channel, event.sent_at)
        return EmployeeState(
            s.stream,
            s.offer_id,
            s.employee_id,
            s.registrations,
            s.acts,
            (*s.receipts, receipt),
            s.corrections,
        )
    if isinstance(event, CorrectionRecorded):
        return EmployeeState(
            s.stream,
            s.offer_id,
            s.employee_id,
            s.registrations,
            s.acts,
            s.receipts,
            (*s.corrections, Correction.of(entry)),
        )
    return state


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
    "Act",
    "EmployeeState",
    "GrantRec",
    "Receipt",
    "Registration",
    "delta_for",
    "fold_employee",
    "merge",
]
