"""CSV readers: pydantic rows, every problem with its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from offerledger.ingest.csvrows import (
    ELECTION_COLUMNS,
    ROSTER_COLUMNS,
    ElectionRow,
    RosterRow,
    read_rows,
)
from offerledger.ingest.errors import CsvInvalid

ROSTER = (
    "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\n"
    'E1,Ann Lee,G1,Holding Plan,1999-03-01,"$12.50","1,000"\n'
    "E1,Ann Lee,G2,PNH Plan,2000-01-04,30.00,200\n"
)


def _write(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_roster_rows_validate(tmp_path: Path) -> None:
    rows = read_rows(_write(tmp_path, ROSTER), RosterRow, ROSTER_COLUMNS)
    assert [(r.line, r.grant_id, str(r.exercise_price), r.options_outstanding) for r in rows] == [
        (2, "G1", "12.50", 1000),
        (3, "G2", "30.00", 200),
    ]


def test_every_problem_has_line_and_column(tmp_path: Path) -> None:
    text = ROSTER + "E2,Bo,G3,Holding Plan,1999-02-30,abc,-5\n"
    with pytest.raises(CsvInvalid) as err:
        read_rows(_write(tmp_path, text), RosterRow, ROSTER_COLUMNS)
    got = [(p.line, p.column) for p in err.value.problems]
    assert got == [(4, "grant_date"), (4, "exercise_price"), (4, "options_outstanding")]
    assert "line 4, column 'grant_date'" in err.value.message
    assert err.value.message.startswith(f"{tmp_path / 'f.csv'}: 3 problem(s); nothing was recorded")


def test_missing_and_unknown_columns(tmp_path: Path) -> None:
    with pytest.raises(CsvInvalid, match="line 1, column 'form_id': required column is missing"):
        read_rows(
            _write(
                tmp_path,
                "employee_id,grant_id,choice,received_at,channel,colour\n"
                "E1,G1,exchange,2001-09-01T10:00:00-04:00,email,red\n",
            ),
            ElectionRow,
            ELECTION_COLUMNS,
        )


def test_quoted_newlines_keep_the_line_of_the_record(tmp_path: Path) -> None:
    text = (
        "employee_id,grant_id,choice,received_at,form_id,channel\n"
        'E1,G1,exchange,2001-09-01T10:00:00-04:00,"F\n1",email\n'
        "E1,G2,sometimes,2001-09-01T10:00:00-04:00,F1,email\n"
    )
    with pytest.raises(CsvInvalid) as err:
        read_rows(_write(tmp_path, text), ElectionRow, ELECTION_COLUMNS)
    # a form id is one line (test_one_line_names.py): the quoted line break is refused on the
    # record's first line, and the next record still starts on line 4
    assert [(p.line, p.column) for p in err.value.problems] == [(2, "form_id"), (4, "choice")]


@pytest.mark.parametrize(
    "value,iso",
    [
        ("2001-09-27T23:59:59-04:00", "2001-09-27T23:59:59-04:00"),
        ("2001-09-27 23:59 EDT", "2001-09-27T23:59:00-04:00"),
        ("2001-09-27 23:59:30 America/New_York", "2001-09-27T23:59:30-04:00"),
    ],
)
def test_received_at_needs_its_time_zone(tmp_path: Path, value: str, iso: str) -> None:
    text = (
        "employee_id,grant_id,choice,received_at,form_id,channel\n"
        f"E1,G1,Exchange,{value},F1,Hand delivery\n"
    )
    (row,) = read_rows(_write(tmp_path, text), ElectionRow, ELECTION_COLUMNS)
    assert (row.received_at.isoformat(), row.choice, row.channel) == (
        iso,
        "exchange",
        "hand_delivery",
    )


def test_naive_time_is_refused(tmp_path: Path) -> None:
    text = (
        "employee_id,grant_id,choice,received_at,form_id,channel\n"
        "E1,G1,exchange,2001-09-27T23:59:00,F1,email\n"
    )
    with pytest.raises(CsvInvalid, match="line 2, column 'received_at'"):
        read_rows(_write(tmp_path, text), ElectionRow, ELECTION_COLUMNS)


def test_hot_path_advance_equals_the_domain_fold() -> None:
    import uuid
    from datetime import UTC, datetime

    from offerledger.domain.election import Employee, fold_employee
    from offerledger.events import (
        ElectionChanged,
        ElectionRefused,
        ElectionSubmitted,
        ElectionWithdrawn,
        Grant,
    )
    from offerledger.ingest.csvingest import _advance

    at = datetime(2001, 9, 1, tzinfo=UTC)
    grant = Grant(
        grant_id="G1", plan="P", grant_date="1999-01-01", exercise_price="1", options_outstanding=1
    )
    emp = Employee(
        id=uuid.uuid4(),
        version=1,
        offer_id=uuid.uuid4(),
        employee_id="E1",
        name="Ann",
        grants={"G1": grant, "G2": grant},
    )
    common = {
        "originator_id": emp.id,
        "effective": {"kind": "instant", "at": at},
        "recorded": at,
        "actor": "Clerk",
        "key_id": "ab" * 32,
        "offer_id": emp.offer_id,
        "employee_id": "E1",
        "received_at": at,
        "channel": "email",
        "acted_by": "E1",
    }
    choices = [{"grant_id": "G1", "choice": "exchange"}, {"grant_id": "G2", "choice": "keep"}]
    events = [
        ElectionSubmitted.model_validate(
            {**common, "originator_version": 2, "form_id": "F1", "choices": choices}
        ),
        ElectionChanged.model_validate(
            {**common, "originator_version": 3, "form_id": "F2", "choices": choices[1:]}
        ),
        ElectionWithdrawn.model_validate({**common, "originator_version": 4, "form_id": "F3"}),
        ElectionRefused.model_validate(
            {
                **common,
                "originator_version": 5,
                "form_id": "F4",
                "attempted": "submit",
                "rule": "r",
                "reason": "late",
            }
        ),
    ]
    fast = slow = emp
    for event in events:
        fast = _advance(fast, event)
        folded = fold_employee(slow, event)
        assert folded is not None
        slow = folded
        assert fast == slow


def test_hot_path_advance_equals_the_domain_fold_out_of_order() -> None:
    """Forms received out of order, named withdrawals, refusals: the fast fold still agrees."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from offerledger.domain.election import Employee, fold_employee
    from offerledger.events import (
        ElectionChanged,
        ElectionRefused,
        ElectionSubmitted,
        ElectionWithdrawn,
        Grant,
    )
    from offerledger.ingest.csvingest import _advance

    at = datetime(2001, 9, 1, tzinfo=UTC)
    grant = Grant(
        grant_id="G1", plan="P", grant_date="1999-01-01", exercise_price="1", options_outstanding=1
    )
    emp = Employee(
        id=uuid.uuid4(),
        version=1,
        offer_id=uuid.uuid4(),
        employee_id="E1",
        name="Ann",
        grants={"G1": grant, "G2": grant, "G3": grant},
    )

    def common(version: int, form: str, hours: int) -> dict[str, object]:
        when = at + timedelta(hours=hours)
        return {
            "originator_id": emp.id,
            "originator_version": version,
            "effective": {"kind": "instant", "at": when},
            "recorded": at,
            "actor": "Clerk",
            "key_id": "ab" * 32,
            "offer_id": emp.offer_id,
            "employee_id": "E1",
            "form_id": form,
            "received_at": when,
            "channel": "mail",
            "acted_by": "E1",
        }

    def choose(*pairs: tuple[str, str]) -> list[dict[str, str]]:
        return [{"grant_id": g, "choice": c} for g, c in pairs]

    events = [
        ElectionRefused.model_validate(
            {**common(2, "F0", -100), "attempted": "change", "rule": "r", "reason": "no"}
        ),
        ElectionSubmitted.model_validate(
            {**common(3, "F1", 5), "choices": choose(("G1", "exchange"), ("G2", "exchange"))}
        ),
        ElectionChanged.model_validate(
            {**common(4, "F2", 1), "choices": choose(("G1", "keep"), ("G3", "exchange"))}
        ),
        ElectionWithdrawn.model_validate({**common(5, "F3", 7), "grant_ids": ("G2",)}),
        ElectionChanged.model_validate(
            {**common(6, "F4", 3), "choices": choose(("G2", "exchange"))}
        ),
        ElectionWithdrawn.model_validate({**common(7, "F5", 9)}),
    ]
    fast = slow = emp
    for event in events:
        fast = _advance(fast, event)
        folded = fold_employee(slow, event)
        assert folded is not None
        slow = folded
        assert fast == slow


def _election_ledger(tmp_path: Path, db: str | None = None) -> tuple[object, str]:
    from offerledger.ingest.csvingest import plan_roster
    from offerledger.ledger import Ledger
    from test_ingest_support import PASSPHRASE, build_ledger

    db = db or str(tmp_path / "ledger.db")
    build_ledger(db)
    roster = _write(
        tmp_path,
        "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\n"
        + "".join(
            f"E{e},Emp {e},G{e}-{g},Holding Plan,1999-03-01,12.50,100\n"
            for e in range(3)
            for g in range(3)
        ),
        "roster.csv",
    )
    ledger = Ledger.open(db)
    officer = ledger.signer("Russell I. Zuckerman", PASSPHRASE.encode())
    plan_roster(ledger, roster, key_id=officer.key_id).save(ledger, signer=officer)
    return ledger, ledger.signer("Clerk", PASSPHRASE.encode()).key_id


ELECTIONS = (
    "employee_id,grant_id,choice,received_at,form_id,channel,acted_by,synthetic\n"
    "E0,G0-0,exchange,2001-09-01 10:00 EDT,F1,email,,\n"
    "E0,G0-1,keep,2001-09-01 10:00 EDT,F1,email,,\n"
    "E0,G0-0,exchange,2001-09-01 10:00 EDT,F1,email,,\n"
    "E1,G1-0,exchange,2001-09-02T10:00:00-04:00,F2,paper,Agent,true\n"
    "E0,G0-1,exchange,2001-09-03T14:00:00Z,F3,Hand delivery,,\n"
    "E1,G1-0,withdraw,2001-09-04T10:00:00-04:00,F4,mail,,\n"
    "E2,G2-2,exchange,2001-09-29T10:00:00-04:00,F5,fax,,\n"
    "E2,G2-1,keep,2001-09-05T10:00:00-04:00,F6,web,,\n"
    "E1,G1-2,keep,2001-09-06T10:00:00-04:00,F7,email,,\n"
    "E0,*,withdraw,2001-09-07T10:00:00-04:00,F8,email,,\n"
)


def test_planned_events_equal_validated_events(tmp_path: Path) -> None:
    """The plan builds its events without validating each again: they must be the very events
    pydantic validation gives (values, field order, fields set, JSON)."""
    from offerledger.events import GrantChoice, Instant
    from offerledger.ingest.csvingest import plan_elections

    ledger, key_id = _election_ledger(tmp_path)
    plan = plan_elections(ledger, _write(tmp_path, ELECTIONS), key_id=key_id)  # type: ignore[arg-type]
    assert [(o.ref, o.status, o.action) for o in plan.outcomes] == [
        ("F1", "duplicate", ""),
        ("F1", "recorded", "ElectionSubmitted"),
        ("F2", "recorded", "ElectionSubmitted"),
        ("F3", "recorded", "ElectionChanged"),
        ("F4", "recorded", "ElectionWithdrawn"),
        ("F6", "recorded", "ElectionSubmitted"),
        ("F7", "recorded", "ElectionChanged"),
        ("F8", "recorded", "ElectionWithdrawn"),
        ("F5", "refused", "election-refused"),
    ]
    for event in plan.events:
        cls = type(event)
        validated = cls(**event.__dict__)
        assert validated == event
        assert list(validated.__dict__) == list(event.__dict__)
        assert validated.model_fields_set == event.model_fields_set
        again = cls.model_validate(event.model_dump())  # nested values validated afresh too
        assert again == event and again.model_dump_json() == event.model_dump_json()
        effective = Instant(at=event.effective.at)  # type: ignore[union-attr]
        assert effective == event.effective
        assert list(effective.__dict__) == list(event.effective.__dict__)
        assert effective.model_fields_set == event.effective.model_fields_set
        for choice in getattr(event, "choices", ()):
            fresh = GrantChoice(grant_id=choice.grant_id, choice=choice.choice)
            assert fresh == choice and list(fresh.__dict__) == list(choice.__dict__)
            assert fresh.model_fields_set == choice.model_fields_set
    assert plan.events[1].acted_by == "Agent" and plan.events[1].synthetic  # type: ignore[attr-defined]


def test_bulk_and_row_by_row_validation_agree(tmp_path: Path) -> None:
    from offerledger.ingest.csvrows import parse_rows

    rows = parse_rows(ELECTIONS, tmp_path / "e.csv", ElectionRow, ELECTION_COLUMNS)
    one_by_one = [
        parse_rows(ELECTIONS.splitlines()[0] + "\n" + line + "\n", tmp_path, ElectionRow, ())[0]
        for line in ELECTIONS.splitlines()[1:]
    ]
    assert [r.model_dump() for r in rows] == [r.model_dump() for r in one_by_one]
    assert [r.line for r in rows] == list(range(2, 12))
    bad = ELECTIONS + "\nE9,G9,maybe,2001-09-07T10:00:00,F9,email,,\nE9,G9\n"
    with pytest.raises(CsvInvalid) as err:
        parse_rows(bad, tmp_path / "e.csv", ElectionRow, ELECTION_COLUMNS)
    assert [(p.line, p.column) for p in err.value.problems] == [
        (13, "choice"),
        (13, "received_at"),
        (14, None),
    ]


def test_collector_paused_restores_the_collector() -> None:
    import gc

    from offerledger.ingest.csvingest import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("planning failed")
    assert gc.isenabled()


def test_a_form_on_record_with_other_terms_is_refused(ledger_db: str, tmp_path: Path) -> None:
    """A row reusing a recorded form id with other terms is a problem, never silently skipped."""
    from offerledger.demo import run_demo
    from offerledger.ingest.csvingest import ingest_csv
    from offerledger.ingest.errors import CsvInvalid
    from offerledger.ledger import Ledger

    run_demo(ledger_db, passphrase=b"test-passphrase", employees=6)
    ledger = Ledger.open(ledger_db)
    try:
        offer = ledger.resolve_offer(None)
        emp = ledger.employee_state(offer, "E0001")
        form = sorted(emp.forms)[0]
        grant = sorted(emp.grants)[0]
        path = tmp_path / "conflict.csv"
        path.write_text(
            "employee_id,grant_id,choice,received_at,form_id,channel\n"
            f"E0001,{grant},keep,2001-09-03T10:00:00-04:00,{form},email\n"
        )
        clerk = ledger.signer("People Services (paper forms)", b"test-passphrase")
        with pytest.raises(CsvInvalid, match="already on record with other terms"):
            ingest_csv(ledger, "elections", path, signer=clerk)
    finally:
        ledger.close()


def test_bulk_load_folds_every_event_of_the_streams(
    ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading many employees at once (one scan of the log) folds every event of their streams,
    a receipt confirmation included: the next form takes the version after it (the scan once
    read only the election topics, and the save then refused the stale version as a concurrent
    write). The scan leaves the streams' heads with the store: the save looks none up."""
    from offerledger.actions import record
    from offerledger.ingest import csvingest
    from offerledger.ledger import Ledger
    from test_ingest_support import PASSPHRASE

    ledger, _ = _election_ledger(tmp_path, ledger_db)
    assert isinstance(ledger, Ledger)
    pw = PASSPHRASE.encode()
    clerk = ledger.signer("Clerk", pw)
    head = "employee_id,grant_id,choice,received_at,form_id,channel\n"
    first = _write(
        tmp_path, head + "E0,G0-0,exchange,2001-09-01T10:00:00-04:00,F1,email\n", "1.csv"
    )
    csvingest.ingest_csv(ledger, "elections", first, signer=clerk)
    record(
        ledger,
        "election-receipt-confirmed",
        {
            "employee_id": "E0",
            "form_id": "F1",
            "channel": "email",
            "sent_at": "2001-09-01T12:00:00-04:00",
            "effective": {"kind": "instant", "at": "2001-09-01T12:00:00-04:00"},
        },
        signer=ledger.signer("People Communications", pw),
    )
    offer = ledger.resolve_offer(None)
    sids = {ledger.employee_stream(offer, f"E{e}") for e in range(3)}
    one_by_one = {sid: csvingest._employee(ledger, sid) for sid in sids}
    monkeypatch.setattr(csvingest, "BULK_FROM", 0)
    ledger.app.store._heads.clear()
    assert csvingest.load_employees(ledger, sids) == one_by_one
    assert set(ledger.app.store._heads) >= sids
    looked_up: list[object] = []
    recorder = ledger.app.store.recorder
    real = recorder.select_events
    monkeypatch.setattr(
        recorder, "select_events", lambda s, **kw: looked_up.append(s) or real(s, **kw)
    )
    second = _write(
        tmp_path,
        head
        + "E0,G0-0,keep,2001-09-02T10:00:00-04:00,F2,email\n"
        + "E1,G1-0,keep,2001-09-02T10:00:00-04:00,F3,email\n",
        "2.csv",
    )
    plan = csvingest.ingest_csv(ledger, "elections", second, signer=clerk)
    assert plan.recorded and [e.originator_version for e in plan.events] == [4, 2]
    assert not sids & set(looked_up)  # neither planning nor the save read a stream again
    assert ledger.employee_state(offer, "E0").version == 4
    ledger.close()
