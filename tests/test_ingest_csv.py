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
    assert [(p.line, p.column) for p in err.value.problems] == [(4, "choice")]


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
