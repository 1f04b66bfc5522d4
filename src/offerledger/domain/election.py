"""One employee's stream: eligible grants and elections, grant by grant, and their rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from offerledger.domain.offer import Offer, check_outcome_not_recorded
from offerledger.errors import InputError, RuleViolation
from offerledger.events import (
    ElectionChanged,
    ElectionRefused,
    ElectionSubmitted,
    ElectionWithdrawn,
    EligibleGrantsRegistered,
    Grant,
    GrantChoice,
    LedgerEvent,
)


@dataclass(frozen=True, slots=True)
class Employee:
    id: uuid.UUID
    version: int
    offer_id: uuid.UUID
    employee_id: str
    name: str
    grants: dict[str, Grant] = field(default_factory=dict)
    # grant id -> (received at, exchange | keep): the form received last decides, whatever the
    # order in which the forms were recorded
    choices: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    submitted: bool = False
    forms: frozenset[str] = frozenset()
    last_act: datetime | None = None

    def tendered(self) -> list[str]:
        return sorted(g for g, (_, c) in self.choices.items() if c == "exchange")


def fold_employee(emp: Employee | None, event: LedgerEvent) -> Employee | None:
    if isinstance(event, EligibleGrantsRegistered):
        grants = {g.grant_id: g for g in event.grants}
        if emp is None:
            return Employee(
                id=event.originator_id,
                version=event.originator_version,
                offer_id=event.offer_id,
                employee_id=event.employee_id,
                name=event.employee_name,
                grants=grants,
            )
        return replace(emp, version=event.originator_version, grants={**emp.grants, **grants})
    if emp is None:
        return None
    if isinstance(event, (ElectionSubmitted, ElectionChanged, ElectionWithdrawn)):
        withdrawn = isinstance(event, ElectionWithdrawn)
        if isinstance(event, ElectionWithdrawn):
            made = dict.fromkeys(event.grant_ids or emp.tendered(), "keep")
        else:
            made = {c.grant_id: c.choice for c in event.choices}
        at = event.received_at
        choices = dict(emp.choices)
        for grant, choice in made.items():
            old = choices.get(grant)
            if old is None or old[0] <= at:
                choices[grant] = (at, choice)
        # one constructor call (not dataclasses.replace): this fold is an ingest's hot path
        return Employee(
            emp.id,
            event.originator_version,
            emp.offer_id,
            emp.employee_id,
            emp.name,
            emp.grants,
            choices,
            emp.submitted or not withdrawn,
            emp.forms | {event.form_id},
            at if emp.last_act is None else max(emp.last_act, at),
        )
    forms = emp.forms | {event.form_id} if isinstance(event, ElectionRefused) else emp.forms
    return Employee(
        emp.id,
        event.originator_version,
        emp.offer_id,
        emp.employee_id,
        emp.name,
        emp.grants,
        emp.choices,
        emp.submitted,
        forms,
        emp.last_act,
    )


def project_employee(events: list[LedgerEvent]) -> Employee | None:
    emp: Employee | None = None
    for event in events:
        emp = fold_employee(emp, event)
    return emp


def check_election(
    emp: Employee,
    offer: Offer,
    *,
    form_id: str,
    received_at: datetime,
    kind: str,
    choices: tuple[GrantChoice, ...] = (),
    grant_ids: tuple[str, ...] = (),
    late_recorded_reason: str | None = None,
    acceptance_position: int | None = None,
) -> None:
    """The rules every election act must pass; a refusal names the rule and writes nothing.

    Judged at the form's receipt (the election window) and against what the ledger has
    recorded now: after the acceptance nothing is accepted; after the offer's end, a form
    claiming timely receipt only as a late-recorded receipt with its reason. A form the window
    refuses fails first (``election-window``), so a late form can still be put on file as
    refused.
    """
    if form_id in emp.forms:
        raise RuleViolation(
            f"form {form_id!r} of employee {emp.employee_id} is already recorded",
            rule="duplicate-form",
        )
    check_receipt_window(offer, employee_id=emp.employee_id, form_id=form_id, at=received_at)
    check_outcome_not_recorded(
        offer,
        action=f"election form {form_id!r}",
        subject=f"employee {emp.employee_id}",
        acceptance_position=acceptance_position,
    )
    check_late_recording(
        offer,
        employee_id=emp.employee_id,
        form_id=form_id,
        received_at=received_at,
        reason=late_recorded_reason,
    )
    check_grants_eligible(emp, [c.grant_id for c in choices] + list(grant_ids))
    check_sequence(emp, kind=kind, grant_ids=grant_ids)


def check_receipt_window(offer: Offer, *, employee_id: str, form_id: str, at: datetime) -> None:
    """A form counts only if received while the offer is open (effective time decides)."""
    closed = offer.is_open_at(at)
    if closed is not None:
        raise RuleViolation(
            f"election form {form_id!r} of employee {employee_id} was received at "
            f"{at.isoformat()}, but {closed}",
            rule="election-window",
        )


def check_late_recording(
    offer: Offer, *, employee_id: str, form_id: str, received_at: datetime, reason: str | None
) -> None:
    """Once the offer's end is on record, a form claiming receipt before the deadline is
    accepted only as a late-recorded receipt with its reason (a finding reports each one)."""
    ended = offer.ended_on_record
    if ended is None:
        if reason is not None:
            raise InputError(
                "is only for a form recorded after the offer's expiration is on record; this "
                "offer's end is not on record yet",
                field="late_recorded_reason",
                hint="leave --late-recorded-reason out",
            )
        return
    if reason is None or not reason.strip():
        raise RuleViolation(
            f"election form {form_id!r} of employee {employee_id} claims receipt at "
            f"{received_at.isoformat()}, before the deadline, but the offer's end is already "
            f"on record (effective {ended.isoformat()}); it is accepted only as a "
            "late-recorded receipt",
            rule="late-recorded",
            hint="give --late-recorded-reason (why it is recorded only now); every such record "
            "is reported by 'offerledger findings'",
        )


def check_grants_eligible(emp: Employee, grant_ids: list[str]) -> None:
    """Every grant a form names is registered as eligible for the employee."""
    for gid in grant_ids:
        if gid not in emp.grants:
            raise RuleViolation(
                f"grant {gid!r} is not registered as eligible for employee {emp.employee_id}",
                rule="eligible-grant",
            )


def check_sequence(emp: Employee, *, kind: str, grant_ids: tuple[str, ...]) -> None:
    """A change needs an election to change; a withdrawal needs tendered grants."""
    if kind == "change" and not emp.submitted:
        raise RuleViolation(
            f"employee {emp.employee_id} has no election to change; submit one first",
            rule="election-sequence",
        )
    if kind == "withdraw":
        tendered = set(emp.tendered())
        missing = [g for g in grant_ids if g not in tendered]
        if not tendered or missing:
            raise RuleViolation(
                f"employee {emp.employee_id} has no tendered grant "
                f"{', '.join(missing) if missing else ''} to withdraw".replace("  ", " "),
                rule="election-sequence",
            )
