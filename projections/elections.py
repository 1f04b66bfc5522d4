"""Election status: each employee's standing choice per eligible grant, and the summary.

The standing choice of a grant follows the employee's valid acts in effective order (the time
the form was received; ties by log position): a form electing "exchange" tenders the grant, one
electing "keep" leaves it not tendered, a withdrawal withdraws it (a withdrawal naming no grant
withdraws every tendered grant). Refused forms (late, or before commencement) change nothing and
are listed. The notices an employee was sent come from the offer's ``NoticeDispatched`` events
(the entries of their committed recipient lists).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from offerledger.events import corrected_value
from offerledger.projections.catalog import offer_changes
from offerledger.projections.core import NOW, Moment, Stamp, eastern, superseding
from offerledger.projections.disclosed import NOTICES, recipients
from offerledger.projections.employee import Act, EmployeeState, GrantRec, Receipt
from offerledger.projections.state import LedgerState

STANDINGS = ("exchange", "not_tendered", "withdrawn")


@dataclass(frozen=True, slots=True)
class NoticeSent:
    notice_id: str
    kind: str
    exhibit: str | None
    channel: str
    stamp: Stamp

    def as_dict(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "kind": self.kind,
            "exhibit": self.exhibit,
            "channel": self.channel,
            "sent": self.stamp.effective_text,
        }


@dataclass(frozen=True, slots=True)
class GrantStatus:
    grant: GrantRec
    standing: str
    last_act: Act | None


@dataclass(frozen=True, slots=True)
class EmployeeStatus:
    stream: uuid.UUID
    employee_id: str
    name: str
    synthetic: bool
    grants: tuple[GrantStatus, ...]
    last_act: Act | None
    refused: tuple[Act, ...]
    notices: tuple[NoticeSent, ...]
    receipts: tuple[Receipt, ...]

    @property
    def tendering(self) -> bool:
        return any(g.standing == "exchange" for g in self.grants)


# Fields of an election form that an act does not carry: a correction of them (the CSV a form
# came from, why it was recorded late) leaves the act as it is; it never drops the form.
_NOT_IN_ACT = frozenset({"source_sha256", "late_recorded_reason"})


def _corrected_act(act: Act, fields: tuple[tuple[str, str], ...]) -> Act | None:
    """An act with a correction's fields (read by :func:`offerledger.events.corrected_value`),
    or None when the correction drops it or its values do not make an act.

    Every payload field the write side lets a correction change is read here: the form's own
    fields, a refusal's ``attempted``, ``rule`` and ``reason``, ``synthetic`` (a correction can
    mark an act synthetic, never take the mark off) and the fields an act does not carry."""
    if not fields:
        return None
    changes: dict[str, Any] = {}
    try:
        for name, text in fields:
            value = corrected_value(name, text)
            if name in _NOT_IN_ACT:
                continue
            if name == "received_at":
                changes[name] = datetime.fromisoformat(str(value))
            elif name in ("channel", "form_id", "acted_by") and isinstance(value, str):
                changes[name] = value
            elif name in ("attempted", "rule", "reason") and act.kind == "refused":
                if not isinstance(value, str):
                    return None
                changes[name] = value
            elif name == "synthetic" and value in ("true", "false"):
                changes[name] = act.synthetic or value == "true"
            elif name == "choices" and isinstance(value, list):
                changes[name] = tuple((c["grant_id"], c["choice"]) for c in value)
            elif name == "grant_ids" and isinstance(value, list):
                changes[name] = tuple(value)
            else:
                return None
    except (KeyError, TypeError, ValueError):
        return None
    return replace(act, **changes)


def valid_acts(employee: EmployeeState, moment: Moment = NOW) -> list[Act]:
    """The employee's acts the moment admits, corrections applied, in effective order."""
    superseded = superseding(employee.corrections, moment)
    out = []
    for act in employee.acts:
        correction = superseded.get(act.stamp.version)
        if correction is not None:
            fixed = _corrected_act(act, correction.corrected)
            if fixed is None:
                continue
            act = fixed
        if moment.admits(act.stamp):
            out.append(act)
    out.sort(key=lambda a: (a.received_at, a.stamp.position))
    return out


def grants_of(employee: EmployeeState, moment: Moment = NOW) -> list[GrantRec]:
    """Eligible grants registered (a later registration of a grant id replaces the earlier)."""
    grants: dict[str, GrantRec] = {}
    for registration in employee.registrations:
        if moment.admits(registration.stamp):
            for grant in registration.grants:
                grants[grant.grant_id] = grant
    return list(grants.values())


def notices_by_recipient(
    state: LedgerState, offer_id: uuid.UUID, moment: Moment = NOW
) -> dict[str, list[NoticeSent]]:
    out: dict[str, list[NoticeSent]] = defaultdict(list)
    for stamp, event in offer_changes(state, offer_id, moment):
        if isinstance(event, NOTICES):
            sent = NoticeSent(
                event.notice_id, event.notice_kind, event.exhibit, event.channel, stamp
            )
            for recipient in recipients(state.lists, stamp.position, event):
                out[recipient].append(sent)
    return out


def employee_status(
    employee: EmployeeState,
    notices: dict[str, list[NoticeSent]],
    moment: Moment = NOW,
) -> EmployeeStatus:
    grants = grants_of(employee, moment)
    standing = {g.grant_id: "not_tendered" for g in grants}
    last: dict[str, Act] = {}
    refused: list[Act] = []
    last_act: Act | None = None
    acts = valid_acts(employee, moment)
    for act in acts:
        if act.kind == "refused":
            refused.append(act)
            continue
        last_act = act
        if act.kind == "withdraw":
            targets = act.grant_ids or tuple(g for g, s in standing.items() if s == "exchange")
            for gid in targets:
                standing[gid] = "withdrawn"
                last[gid] = act
            continue
        for gid, choice in act.choices:
            standing[gid] = "exchange" if choice == "exchange" else "not_tendered"
            last[gid] = act
    return EmployeeStatus(
        stream=employee.stream,
        employee_id=employee.employee_id,
        name=employee.name,
        # a correction that marks an act synthetic labels the employee's standing too
        synthetic=employee.synthetic or any(a.synthetic for a in acts),
        grants=tuple(
            GrantStatus(g, standing[g.grant_id], last.get(g.grant_id))
            for g in sorted(grants, key=lambda g: g.grant_id)
        ),
        last_act=last_act,
        refused=tuple(refused),
        notices=tuple(notices.get(employee.employee_id, ())),
        receipts=tuple(r for r in employee.receipts if moment.admits(r.stamp)),
    )


def offer_employees(state: LedgerState, offer_id: uuid.UUID) -> list[EmployeeState]:
    found = [e for e in state.employees.values() if e.offer_id == offer_id]
    return sorted(found, key=lambda e: e.employee_id)


def election_statuses(
    state: LedgerState, offer_id: uuid.UUID, moment: Moment = NOW
) -> list[EmployeeStatus]:
    """Every registered employee of the offer, by employee id."""
    notices = notices_by_recipient(state, offer_id, moment)
    out = []
    for employee in offer_employees(state, offer_id):
        if grants_of(employee, moment) or valid_acts(employee, moment):
            out.append(employee_status(employee, notices, moment))
    return out


@dataclass(frozen=True, slots=True)
class PlanFigures:
    plan: str
    employees_eligible: int
    employees_tendering: int
    options_eligible: int
    options_tendered: int
    grants_eligible: int
    grants_tendered: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "employees_eligible": self.employees_eligible,
            "employees_tendering": self.employees_tendering,
            "options_eligible": self.options_eligible,
            "options_tendered": self.options_tendered,
            "grants_eligible": self.grants_eligible,
            "grants_tendered": self.grants_tendered,
        }


@dataclass(frozen=True, slots=True)
class ElectionSummary:
    total: PlanFigures
    by_plan: tuple[PlanFigures, ...]
    synthetic: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.as_dict(),
            "by_plan": [p.as_dict() for p in self.by_plan],
            "synthetic": self.synthetic,
        }


def _figures(plan: str, pairs: list[tuple[EmployeeStatus, GrantStatus]]) -> PlanFigures:
    tendered = [(s, g) for s, g in pairs if g.standing == "exchange"]
    return PlanFigures(
        plan=plan,
        employees_eligible=len({s.employee_id for s, _ in pairs}),
        employees_tendering=len({s.employee_id for s, _ in tendered}),
        options_eligible=sum(g.grant.options for _, g in pairs),
        options_tendered=sum(g.grant.options for _, g in tendered),
        grants_eligible=len(pairs),
        grants_tendered=len(tendered),
    )


def summarize(statuses: Iterable[EmployeeStatus]) -> ElectionSummary:
    """Employees eligible and tendering, options eligible and tendered, in total and by plan."""
    pairs: list[tuple[EmployeeStatus, GrantStatus]] = []
    by_plan: dict[str, list[tuple[EmployeeStatus, GrantStatus]]] = defaultdict(list)
    synthetic = False
    for status in statuses:
        synthetic = synthetic or status.synthetic
        for grant in status.grants:
            pairs.append((status, grant))
            by_plan[grant.grant.plan].append((status, grant))
    return ElectionSummary(
        total=_figures("all plans", pairs),
        by_plan=tuple(_figures(plan, by_plan[plan]) for plan in sorted(by_plan)),
        synthetic=synthetic,
    )


def filter_statuses(
    statuses: list[EmployeeStatus], *, employee: str | None = None, status: str | None = None
) -> list[EmployeeStatus]:
    """Only one employee, and/or only the grants with one standing."""
    out = statuses
    if employee is not None:
        out = [s for s in out if s.employee_id == employee]
    if status is not None:
        out = [replace(s, grants=tuple(g for g in s.grants if g.standing == status)) for s in out]
        out = [s for s in out if s.grants]
    return out


def act_text(act: Act | None) -> str:
    if act is None:
        return ""
    kind = f"{act.attempted} refused" if act.kind == "refused" else act.kind
    return f"{eastern(act.received_at)} {kind} form {act.form_id} by {act.channel}"


__all__ = [
    "STANDINGS",
    "ElectionSummary",
    "EmployeeStatus",
    "GrantStatus",
    "NoticeSent",
    "PlanFigures",
    "act_text",
    "election_statuses",
    "employee_status",
    "filter_statuses",
    "grants_of",
    "notices_by_recipient",
    "offer_employees",
    "summarize",
    "valid_acts",
]
