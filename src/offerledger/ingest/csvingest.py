"""CSV rosters and elections into signed events: validated first, then all saved or none.

Roster rows become one eligible-grants-registered event per employee (grants already on record
are skipped; a grant on record with other terms is an error). Election rows are grouped into
forms by form id (identical repeated rows are dropped as duplicates); a form already on record is
skipped, so the same file ingested twice records nothing the second time. A form the election
window refuses (late, or before commencement) becomes an election-refused event: a refused row,
not a crash.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from offerledger.domain.election import Employee, check_election, fold_employee, project_employee
from offerledger.errors import RuleViolation
from offerledger.events import (
    ElectionChanged,
    ElectionRefused,
    ElectionSubmitted,
    ElectionWithdrawn,
    EligibleGrantsRegistered,
    Grant,
    GrantChoice,
    Instant,
    LedgerEvent,
    OnDate,
    employee_stream_name,
    stream_id,
)
from offerledger.ingest.csvrows import (
    ELECTION_COLUMNS,
    ROSTER_COLUMNS,
    ElectionRow,
    RosterRow,
    read_rows,
)
from offerledger.ingest.errors import CsvInvalid, CsvProblem
from offerledger.ingest.signers import actor_of
from offerledger.ledger import Ledger
from offerledger.signing.keys import SigningKey
from offerledger.values import EASTERN

REFUSED_RULES = frozenset({"election-window", "election-sequence"})


@dataclass(frozen=True, slots=True)
class RowOutcome:
    lines: tuple[int, ...]
    employee_id: str
    ref: str
    status: str  # recorded | refused | duplicate | already_recorded
    action: str
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "lines": list(self.lines),
            "employee_id": self.employee_id,
            "ref": self.ref,
            "status": self.status,
            "action": self.action,
            "reason": self.reason,
        }


@dataclass
class CsvIngest:
    kind: str
    source: str
    rows: int = 0
    events: list[LedgerEvent] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    key_id: str = ""
    recorded: bool = False

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def as_json(self) -> dict[str, Any]:
        from offerledger.ingest.service import event_json

        return {
            "kind": self.kind,
            "source": self.source,
            "rows": self.rows,
            "recorded": self.recorded,
            "counts": {
                s: self.count(s) for s in ("recorded", "refused", "duplicate", "already_recorded")
            },
            "outcomes": [o.as_json() for o in self.outcomes],
            "events": [event_json(e) for e in self.events],
        }


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is planned.

    Planning allocates a few objects per row (rows, forms, events, employee states), all kept
    until the save and none in reference cycles (reference counting frees them). With the
    collector running, each allocation burst makes it rescan every young and then old object:
    about half of the planning time of a 100k-row file. Paused, the same objects are collected
    (if need be) once the collector resumes; it is resumed only if it was running before.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def _employee(ledger: Ledger, sid: uuid.UUID) -> Employee | None:
    return project_employee(ledger.app.stream(sid))


_EMPLOYEE_TOPICS = [
    cls.TOPIC
    for cls in (
        EligibleGrantsRegistered,
        ElectionSubmitted,
        ElectionChanged,
        ElectionWithdrawn,
        ElectionRefused,
    )
]
BULK_FROM = 200


def load_employees(ledger: Ledger, sids: set[uuid.UUID]) -> dict[uuid.UUID, Employee | None]:
    """The named employees' states: stream by stream for a few, one scan of the log for many."""
    if len(sids) < BULK_FROM:
        return {sid: _employee(ledger, sid) for sid in sids}
    from offerledger.store import decode_stored

    found: dict[uuid.UUID, Employee | None] = dict.fromkeys(sids)
    recorder: Any = ledger.app.recorder
    start = 1
    while True:
        rows = recorder.select_notifications(start, 5000, topics=_EMPLOYEE_TOPICS)
        if not rows:
            return found
        for n in rows:
            sid = n.originator_id
            if sid in found:
                found[sid] = fold_employee(found[sid], decode_stored(n.topic, n.state))
        start = rows[-1].id + 1


def plan_roster(
    ledger: Ledger,
    path: Path,
    *,
    key_id: str,
    offer: str | None = None,
    effective: date | None = None,
) -> CsvIngest:
    """The eligible-grants events a roster CSV asks for (nothing is saved)."""
    with collector_paused():
        return _plan_roster(ledger, path, key_id=key_id, offer=offer, effective=effective)


def _plan_roster(
    ledger: Ledger,
    path: Path,
    *,
    key_id: str,
    offer: str | None,
    effective: date | None,
) -> CsvIngest:
    rows = read_rows(path, RosterRow, ROSTER_COLUMNS)
    offer_id = ledger.resolve_offer(offer)
    state = ledger.offer_state(offer_id)
    out = CsvIngest("roster", str(path), rows=len(rows), key_id=key_id)
    problems: list[CsvProblem] = []
    by_emp: dict[str, list[RosterRow]] = {}
    for row in rows:
        by_emp.setdefault(row.employee_id, []).append(row)
    when = OnDate(on=effective or state.commenced.astimezone(EASTERN).date())
    head: dict[str, Any] = {
        "recorded": ledger.clock(),
        "actor": actor_of(ledger, key_id),
        "key_id": key_id,
        "effective": when,
    }
    for emp_id, emp_rows in by_emp.items():
        names = {r.name for r in emp_rows}
        if len(names) > 1:
            problems.append(
                CsvProblem(
                    emp_rows[-1].line, "name", f"employee {emp_id} has two names: {sorted(names)}"
                )
            )
        sid = stream_id(employee_stream_name(offer=state.name, employee_id=emp_id))
        existing = _employee(ledger, sid)
        known = existing.grants if existing else {}
        grants: dict[str, tuple[Grant, int]] = {}
        for r in emp_rows:
            grant = Grant(
                grant_id=r.grant_id,
                plan=r.plan,
                grant_date=r.grant_date,
                exercise_price=r.exercise_price,
                options_outstanding=r.options_outstanding,
            )
            seen = grants.get(r.grant_id)
            old = known.get(r.grant_id)
            if seen is not None or old is not None:
                if (seen and seen[0] != grant) or (old and old != grant):
                    problems.append(
                        CsvProblem(
                            r.line,
                            "grant_id",
                            f"grant {r.grant_id} of "
                            f"employee {emp_id} is already given with other "
                            "terms",
                        )
                    )
                status = "duplicate" if seen else "already_recorded"
                out.outcomes.append(
                    RowOutcome((r.line,), emp_id, r.grant_id, status, "eligible-grants-registered")
                )
                continue
            grants[r.grant_id] = (grant, r.line)
        if not grants:
            continue
        out.events.append(
            EligibleGrantsRegistered(
                originator_id=sid,
                originator_version=(existing.version if existing else 0) + 1,
                **head,
                offer_id=offer_id,
                employee_id=emp_id,
                employee_name=emp_rows[0].name,
                email=emp_rows[0].email,
                grants=tuple(g for g, _ in grants.values()),
                synthetic=any(r.synthetic for r in emp_rows),
            )
        )
        for gid, (_, line) in grants.items():
            out.outcomes.append(
                RowOutcome((line,), emp_id, gid, "recorded", "eligible-grants-registered")
            )
    if problems:
        raise CsvInvalid(sorted(problems, key=lambda p: p.line), file=path)
    return out


@dataclass
class _Form:
    rows: list[ElectionRow]

    @property
    def first(self) -> ElectionRow:
        return self.rows[0]


def _forms(rows: list[ElectionRow], path: Path) -> tuple[list[_Form], list[RowOutcome]]:
    forms: dict[str, _Form] = {}
    dupes: list[RowOutcome] = []
    problems: list[CsvProblem] = []
    for row in rows:
        form = forms.get(row.form_id)
        if form is None:
            forms[row.form_id] = _Form([row])
            continue
        base = form.first
        for col in ("employee_id", "received_at", "channel"):
            if getattr(row, col) != getattr(base, col):
                problems.append(
                    CsvProblem(
                        row.line, col, f"form {row.form_id} has another {col} on line {base.line}"
                    )
                )
        same = [r for r in form.rows if r.grant_id == row.grant_id]
        if same and same[0].choice == row.choice:
            dupes.append(
                RowOutcome(
                    (row.line,),
                    row.employee_id,
                    row.form_id,
                    "duplicate",
                    "",
                    f"repeats line {same[0].line}",
                )
            )
            continue
        if same:
            problems.append(
                CsvProblem(
                    row.line,
                    "choice",
                    f"form {row.form_id} gives grant "
                    f"{row.grant_id} another choice on line {same[0].line}",
                )
            )
        if (row.choice == "withdraw") != (base.choice == "withdraw"):
            problems.append(
                CsvProblem(
                    row.line, "choice", f"form {row.form_id} mixes withdrawal with elections"
                )
            )
        form.rows.append(row)
    if problems:
        raise CsvInvalid(problems, file=path)
    ordered = sorted(forms.values(), key=lambda f: (f.first.received_at, f.first.line))
    return ordered, dupes


def _advance(emp: Employee, event: LedgerEvent) -> Employee:
    """The employee after ``event``, equal to ``fold_employee(emp, event)`` (a test checks it).

    The hot path of an ingest: the election acts build the new state in one constructor call
    instead of the fold's two ``dataclasses.replace`` calls; any other event goes through the
    domain fold itself.
    """
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
    if isinstance(event, ElectionRefused):
        return Employee(
            emp.id,
            event.originator_version,
            emp.offer_id,
            emp.employee_id,
            emp.name,
            emp.grants,
            emp.choices,
            emp.submitted,
            emp.forms | {event.form_id},
            emp.last_act,
        )
    after = fold_employee(emp, event)
    assert after is not None
    return after


def plan_elections(
    ledger: Ledger, path: Path, *, key_id: str, offer: str | None = None
) -> CsvIngest:
    """The election events an elections CSV asks for, refusals included (nothing is saved)."""
    with collector_paused():
        return _plan_elections(ledger, path, key_id=key_id, offer=offer)


def _plan_elections(ledger: Ledger, path: Path, *, key_id: str, offer: str | None) -> CsvIngest:
    rows = read_rows(path, ElectionRow, ELECTION_COLUMNS)
    offer_id = ledger.resolve_offer(offer)
    state = ledger.offer_state(offer_id)
    forms, dupes = _forms(rows, path)
    out = CsvIngest("elections", str(path), rows=len(rows), key_id=key_id, outcomes=dupes)
    recorded = ledger.clock()
    actor = actor_of(ledger, key_id)
    sids = {
        e: stream_id(employee_stream_name(offer=state.name, employee_id=e))
        for e in {f.first.employee_id for f in forms}
    }
    loaded = load_employees(ledger, set(sids.values()))
    employees: dict[str, Employee | None] = {e: loaded[sid] for e, sid in sids.items()}
    problems: list[CsvProblem] = []
    for form in forms:
        row = form.first
        lines = tuple(r.line for r in form.rows)
        emp = employees[row.employee_id]
        if emp is None:
            problems.append(
                CsvProblem(
                    row.line,
                    "employee_id",
                    f"employee {row.employee_id} "
                    "has no eligible grants on record (ingest the roster)",
                )
            )
            continue
        for r in form.rows:
            if r.grant_id != "*" and r.grant_id not in emp.grants:
                problems.append(
                    CsvProblem(
                        r.line,
                        "grant_id",
                        f"grant {r.grant_id} is not registered as eligible for {row.employee_id}",
                    )
                )
        if row.form_id in emp.forms:
            out.outcomes.append(
                RowOutcome(lines, row.employee_id, row.form_id, "already_recorded", "")
            )
            continue
        withdraw = row.choice == "withdraw"
        kind = "withdraw" if withdraw else ("change" if emp.submitted else "submit")
        choices = (
            ()
            if withdraw
            else tuple(GrantChoice(grant_id=r.grant_id, choice=r.choice) for r in form.rows)
        )
        grant_ids = tuple(r.grant_id for r in form.rows if r.grant_id != "*") if withdraw else ()
        common: dict[str, Any] = {
            "originator_id": emp.id,
            "originator_version": emp.version + 1,
            "effective": Instant(at=row.received_at),
            "recorded": recorded,
            "actor": actor,
            "key_id": key_id,
            "offer_id": offer_id,
            "employee_id": row.employee_id,
            "form_id": row.form_id,
            "received_at": row.received_at,
            "channel": row.channel,
            "acted_by": row.acted_by or row.employee_id,
            "synthetic": any(r.synthetic for r in form.rows),
        }
        event: LedgerEvent
        try:
            check_election(
                emp,
                state,
                form_id=row.form_id,
                received_at=row.received_at,
                kind=kind,
                choices=choices,
                grant_ids=grant_ids,
            )
        except RuleViolation as e:
            if e.rule not in REFUSED_RULES:
                problems.append(CsvProblem(row.line, None, e.message))
                continue
            event = ElectionRefused(
                **common, attempted=kind, choices=choices, rule=e.rule, reason=e.message
            )
            out.outcomes.append(
                RowOutcome(
                    lines, row.employee_id, row.form_id, "refused", "election-refused", e.message
                )
            )
        else:
            if withdraw:
                event = ElectionWithdrawn(**common, grant_ids=grant_ids)
            elif kind == "change":
                event = ElectionChanged(**common, choices=choices)
            else:
                event = ElectionSubmitted(**common, choices=choices)
            out.outcomes.append(
                RowOutcome(lines, row.employee_id, row.form_id, "recorded", event.action)
            )
        out.events.append(event)
        employees[row.employee_id] = _advance(emp, event)
    if problems:
        raise CsvInvalid(problems, file=path)
    return out


def ingest_csv(
    ledger: Ledger,
    kind: str,
    path: Path,
    *,
    signer: SigningKey,
    offer: str | None = None,
    dry_run: bool = False,
) -> CsvIngest:
    """Plan and (unless ``dry_run``) record a roster or elections CSV in one signed save."""
    plan = (plan_roster if kind == "roster" else plan_elections)(
        ledger, path, key_id=signer.key_id, offer=offer
    )
    if plan.events and not dry_run:
        ledger.save(plan.events, signer=signer)
        plan.recorded = True
    return plan


__all__ = ["CsvIngest", "RowOutcome", "ingest_csv", "plan_elections", "plan_roster"]
