"""CSV rosters and elections into signed events: validated first, then all saved or none.

Roster rows become one eligible-grants-registered event per employee (grants already on record
are skipped; a grant on record with other terms is an error). Election rows are grouped into
forms by form id (identical repeated rows are dropped as duplicates); a form already on record is
skipped, so the same file ingested twice records nothing the second time. A form the election
window refuses (late, or before commencement) becomes an election-refused event: a refused row,
not a crash.

The file's bytes are read once: parsed, and stored as a source document (``text/csv``) in the
same transaction as the events, each of which names it in ``source_sha256``.
"""

from __future__ import annotations

import gc
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path
from typing import Any, TypeVar

from offerledger.correction_check import acceptance_position
from offerledger.documents import SourceDocument
from offerledger.domain.election import Employee, check_election, fold_employee, project_employee
from offerledger.domain.offer import check_roster_open
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
    read_csv_bytes,
    rows_from_bytes,
)
from offerledger.ingest.errors import CsvInvalid, CsvProblem
from offerledger.ingest.signers import actor_of
from offerledger.ingest.sourcedocs import csv_document
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


Progress = Callable[[int, int], None]  # (done, total)
PROGRESS_EVERY = 500  # employees or forms between progress reports


@dataclass
class CsvIngest:
    kind: str
    source: str
    rows: int = 0
    events: list[LedgerEvent] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    key_id: str = ""
    recorded: bool = False
    document: SourceDocument | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def as_json(self) -> dict[str, Any]:
        from offerledger.ingest.service import document_json, event_json

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
            "document": document_json(self.document) if self.document else None,
        }

    def save(self, ledger: Ledger, *, signer: SigningKey) -> None:
        """Store the planned events and the CSV file they name, in one signed save (the
        collector paused, as while planning: the save makes a few objects per event too)."""
        if self.events:
            documents = [self.document] if self.document is not None else []
            with collector_paused():
                ledger.save(self.events, signer=signer, documents=documents)
            self.recorded = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is planned, and while it is saved.

    Planning allocates a few objects per row (rows, forms, events, employee states), none of
    them in reference cycles (reference counting frees them). With the collector running, the
    growing heap makes it rescan young and then old objects over and over: about half of the
    planning time of a 100k-row file. Paused, nothing is scanned; at the end the objects made
    meanwhile are moved to the oldest generation (``gc.freeze()`` then ``gc.unfreeze()``, which
    only relinks lists) rather than left young, where the first collection after the pause
    would scan them all at once (another 4 µs a row). They are scanned at the next full
    collection, as if they had aged there. The move is skipped if the process keeps frozen
    objects of its own (``gc.get_freeze_count()``), and the collector is resumed only if it was
    running before.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if running:
            gc.enable()


def _employee(ledger: Ledger, sid: uuid.UUID) -> Employee | None:
    return project_employee(ledger.stream_events(sid))


BULK_FROM = 200


def load_employees(ledger: Ledger, sids: set[uuid.UUID]) -> dict[uuid.UUID, Employee | None]:
    """The named employees' states: stream by stream for a few, one scan of the log for many.

    Every event of the streams is folded, whatever its topic (a receipt confirmation or a
    correction moves the stream's version too); the scan also leaves the streams' heads with
    the store, so the save that follows looks none of them up again."""
    if len(sids) < BULK_FROM:
        return {sid: _employee(ledger, sid) for sid in sids}
    found: dict[uuid.UUID, Employee | None] = dict.fromkeys(sids)
    for event in ledger.streams_events(found):
        found[event.originator_id] = fold_employee(found[event.originator_id], event)
    return found


def plan_roster(
    ledger: Ledger,
    path: Path,
    *,
    key_id: str,
    offer: str | None = None,
    effective: date | None = None,
    progress: Progress | None = None,
) -> CsvIngest:
    """The eligible-grants events a roster CSV asks for (nothing is saved); ``progress`` is
    told (employees planned, employees in the file) as it goes."""
    with collector_paused():
        return _plan_roster(
            ledger, path, key_id=key_id, offer=offer, effective=effective, progress=progress
        )


def _plan_roster(
    ledger: Ledger,
    path: Path,
    *,
    key_id: str,
    offer: str | None,
    effective: date | None,
    progress: Progress | None = None,
) -> CsvIngest:
    data = read_csv_bytes(path)
    rows = rows_from_bytes(data, path, RosterRow, ROSTER_COLUMNS)
    offer_id = ledger.resolve_offer(offer)
    state = ledger.offer_state(offer_id)
    document = csv_document(data, name=str(path))
    out = CsvIngest("roster", str(path), rows=len(rows), key_id=key_id, document=document)
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
    for done, (emp_id, emp_rows) in enumerate(by_emp.items()):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, len(by_emp))
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
                source_sha256=document.sha256,
            )
        )
        for gid, (_, line) in grants.items():
            out.outcomes.append(
                RowOutcome((line,), emp_id, gid, "recorded", "eligible-grants-registered")
            )
    if problems:
        raise CsvInvalid(sorted(problems, key=lambda p: p.line), file=path)
    if out.events:
        first = out.events[0]
        assert isinstance(first, EligibleGrantsRegistered)
        check_roster_open(
            state,
            at=first.effective.earliest(),
            employee_id=first.employee_id,
            acceptance_position=acceptance_position(ledger, state),
        )
    return out


def _forms(rows: list[ElectionRow], path: Path) -> tuple[list[list[ElectionRow]], list[RowOutcome]]:
    """The forms (their rows, in file order), ordered by receipt, then by first line."""
    forms: dict[str, list[ElectionRow]] = {}
    dupes: list[RowOutcome] = []
    problems: list[CsvProblem] = []
    for row in rows:
        form = forms.get(row.form_id)
        if form is None:
            forms[row.form_id] = [row]
            continue
        base = form[0]
        for col in ("employee_id", "received_at", "channel"):
            if getattr(row, col) != getattr(base, col):
                problems.append(
                    CsvProblem(
                        row.line, col, f"form {row.form_id} has another {col} on line {base.line}"
                    )
                )
        same = [r for r in form if r.grant_id == row.grant_id]
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
        form.append(row)
    if problems:
        raise CsvInvalid(problems, file=path)
    # by the instant received (as naive UTC: comparing aware datetimes asks both for their
    # offsets at every comparison); the sort is stable and forms are in first-line order
    ordered = sorted(
        forms.values(), key=lambda f: f[0].received_at.astimezone(UTC).replace(tzinfo=None)
    )
    return ordered, dupes


E = TypeVar("E", bound=LedgerEvent)
_SETATTR = object.__setattr__


class _EventBuilder:
    """Builds a plan's election events without validating each one again.

    The first event of each class goes through pydantic as usual: that checks the values every
    event of the plan shares (recorded, actor, key id, offer id). The values that differ from
    event to event come from validated ``ElectionRow``s under the same constraints (non-empty
    ids, aware times, the same channels and choices) or are validated models (``Instant``,
    ``GrantChoice``); later events are assembled from them the way ``model_construct`` does,
    without its per-field overhead (about 1 µs an event instead of 3). The result equals the
    validated event, field order and fields set included (a test checks it). Events not given
    every field in declaration order, and classes with validators of their own, are always
    validated.
    """

    def __init__(self) -> None:
        self._fast: dict[type[LedgerEvent], tuple[str, ...]] = {}

    def __call__(self, cls: type[E], fields: dict[str, Any]) -> E:
        order = self._fast.get(cls)
        given = tuple(fields)
        if given != order:
            hooks = cls.__pydantic_decorators__
            if (
                order is None
                and given == tuple(cls.model_fields)
                and not hooks.model_validators
                and not hooks.field_validators
            ):
                self._fast[cls] = given
            return cls(**fields)
        event = cls.__new__(cls)
        _SETATTR(event, "__dict__", fields)
        _SETATTR(event, "__pydantic_fields_set__", set(given))
        _SETATTR(event, "__pydantic_extra__", None)
        _SETATTR(event, "__pydantic_private__", None)
        return event


def _advance(emp: Employee, event: LedgerEvent) -> Employee:
    """The employee after ``event``: the domain's own fold (one constructor call per event)."""
    after = fold_employee(emp, event)
    assert after is not None
    return after


def _recorded_form_differs(ledger: Ledger, emp: Employee, form: list[ElectionRow]) -> str:
    """Why the form on record under this form id is another form ('' when it is the same)."""
    row = form[0]
    for event in ledger.stream_events(emp.id):
        if getattr(event, "form_id", None) != row.form_id:
            continue
        received = getattr(event, "received_at", None)
        if isinstance(event, ElectionWithdrawn):
            terms = {(g, "withdraw") for g in event.grant_ids}
        else:
            terms = {(c.grant_id, c.choice) for c in getattr(event, "choices", ())}
        given = {(r.grant_id, r.choice) for r in form if r.grant_id != "*"}
        if received != row.received_at or (given and terms and given != terms):
            return (
                f"form {row.form_id} of {row.employee_id} is already on record with other "
                f"terms (received {received.isoformat() if received else 'at another time'})"
            )
        return ""
    return ""


def plan_elections(
    ledger: Ledger,
    path: Path,
    *,
    key_id: str,
    offer: str | None = None,
    late_recorded_reason: str | None = None,
    progress: Progress | None = None,
) -> CsvIngest:
    """The election events an elections CSV asks for, refusals included (nothing is saved).

    Once the offer's end is on record, forms claiming timely receipt are recorded only as
    late-recorded receipts with ``late_recorded_reason``; once the acceptance is on record, the
    file is refused unless every new form is one the window refuses. ``progress`` is told
    (forms planned, forms in the file) as it goes.
    """
    with collector_paused():
        return _plan_elections(
            ledger,
            path,
            key_id=key_id,
            offer=offer,
            late_recorded_reason=late_recorded_reason,
            progress=progress,
        )


def _plan_elections(
    ledger: Ledger,
    path: Path,
    *,
    key_id: str,
    offer: str | None,
    late_recorded_reason: str | None,
    progress: Progress | None = None,
) -> CsvIngest:
    data = read_csv_bytes(path)
    rows = rows_from_bytes(data, path, ElectionRow, ELECTION_COLUMNS)
    offer_id = ledger.resolve_offer(offer)
    state = ledger.offer_state(offer_id)
    accepted_at = acceptance_position(ledger, state)
    forms, dupes = _forms(rows, path)
    document = csv_document(data, name=str(path))
    out = CsvIngest(
        "elections", str(path), rows=len(rows), key_id=key_id, outcomes=dupes, document=document
    )
    recorded = ledger.clock()
    actor = actor_of(ledger, key_id)
    sids = {
        e: stream_id(employee_stream_name(offer=state.name, employee_id=e))
        for e in {f[0].employee_id for f in forms}
    }
    loaded = load_employees(ledger, set(sids.values()))
    employees: dict[str, Employee | None] = {e: loaded[sid] for e, sid in sids.items()}
    # forms still to come per employee: the state after an employee's last form is not needed
    to_come = Counter(f[0].employee_id for f in forms)
    problems: list[CsvProblem] = []
    build = _EventBuilder()
    for done, form in enumerate(forms):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, len(forms))
        row = form[0]
        lines = tuple(r.line for r in form) if len(form) > 1 else (row.line,)
        emp = employees[row.employee_id]
        to_come[row.employee_id] -= 1
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
        for r in form:
            if r.grant_id != "*" and r.grant_id not in emp.grants:
                problems.append(
                    CsvProblem(
                        r.line,
                        "grant_id",
                        f"grant {r.grant_id} is not registered as eligible for {row.employee_id}",
                    )
                )
        if row.form_id in emp.forms:
            other = _recorded_form_differs(ledger, emp, form)
            if other:
                problems.append(CsvProblem(row.line, "form_id", other))
                continue
            out.outcomes.append(
                RowOutcome(lines, row.employee_id, row.form_id, "already_recorded", "")
            )
            continue
        withdraw = row.choice == "withdraw"
        kind = "withdraw" if withdraw else ("change" if emp.submitted else "submit")
        choices = (
            ()
            if withdraw
            else tuple(GrantChoice(grant_id=r.grant_id, choice=r.choice) for r in form)
        )
        grant_ids = tuple(r.grant_id for r in form if r.grant_id != "*") if withdraw else ()
        common: dict[str, Any] = {
            "originator_id": emp.id,
            "originator_version": emp.version + 1,
            "effective": Instant(at=row.received_at),
            "recorded": recorded,
            "actor": actor,
            "key_id": key_id,
            "synthetic_record": False,  # (every model field, in order: the builder's fast path)
            "offer_id": offer_id,
            "employee_id": row.employee_id,
            "form_id": row.form_id,
            "received_at": row.received_at,
            "channel": row.channel,
            "acted_by": row.acted_by or row.employee_id,
            "synthetic": row.synthetic if len(form) == 1 else any(r.synthetic for r in form),
            "source_sha256": document.sha256,
            "late_recorded_reason": late_recorded_reason,
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
                late_recorded_reason=late_recorded_reason,
                acceptance_position=accepted_at,
            )
        except RuleViolation as e:
            if e.rule not in REFUSED_RULES:  # (a late-recorded receipt's hint names the option)
                hint = f"; {e.hint}" if e.rule == "late-recorded" and e.hint else ""
                problems.append(CsvProblem(row.line, None, e.message + hint))
                continue
            event = build(
                ElectionRefused,
                {
                    **common,
                    "late_recorded_reason": None,  # refused: not a late-recorded receipt
                    "attempted": kind,
                    "choices": choices,
                    "rule": e.rule,
                    "reason": e.message,
                },
            )
            out.outcomes.append(
                RowOutcome(
                    lines, row.employee_id, row.form_id, "refused", "election-refused", e.message
                )
            )
        else:
            if withdraw:
                event = build(ElectionWithdrawn, {**common, "grant_ids": grant_ids})
            else:
                common["choices"] = choices
                event = build(ElectionChanged if kind == "change" else ElectionSubmitted, common)
            out.outcomes.append(
                RowOutcome(lines, row.employee_id, row.form_id, "recorded", event.action)
            )
        out.events.append(event)
        if to_come[row.employee_id]:
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
    late_recorded_reason: str | None = None,
) -> CsvIngest:
    """Plan and (unless ``dry_run``) record a roster or elections CSV in one signed save, the
    file itself stored with the events (``late_recorded_reason``: see :func:`plan_elections`)."""
    plan = (
        plan_roster(ledger, path, key_id=signer.key_id, offer=offer)
        if kind == "roster"
        else plan_elections(
            ledger,
            path,
            key_id=signer.key_id,
            offer=offer,
            late_recorded_reason=late_recorded_reason,
        )
    )
    if not dry_run:
        plan.save(ledger, signer=signer)
    return plan


__all__ = ["CsvIngest", "RowOutcome", "ingest_csv", "plan_elections", "plan_roster"]
