"""``offerledger ingest …`` and ``offerledger findings`` against a real ledger, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from test_ingest_support import build_ledger, reference_bytes, stored


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ledger(ledger_db: str, tmp_path: Path) -> str:
    build_ledger(ledger_db)
    (tmp_path / "amendment-2.txt").write_bytes(reference_bytes())
    return ledger_db


def test_dry_run_shows_the_changes_and_writes_nothing(ledger: str, tmp_path: Path) -> None:
    before = stored(ledger)
    code, out, err = run(
        ledger, "ingest", "filing", str(tmp_path / "amendment-2.txt"), "--dry-run", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert stored(ledger) == before
    assert [e["action"] for e in data["events"]] == [
        "FilingRecorded",
        "DocumentAmended",
        "NoticeDispatched",
        "NoticeDispatched",
        "CrossCheckRecorded",
        "CrossCheckRecorded",
    ]
    ops = data["events"][1]["payload"]["operations"]
    assert [(o["label"], o["op"]) for o in ops] == [
        ("A", "replace_paragraph"),
        ("B", "replace_sentence"),
        ("C", "insert_paragraph_after"),
        ("D", "incorporate_exhibit"),
    ]
    notices = [e["payload"] for e in data["events"][2:4]]
    assert [(n["channel"], n["recipient_class"], n["exhibit"]) for n in notices] == [
        ("email", "Mpower Employees", "(a)(11)"),
        ("paper", "Mpower Employees", "(a)(11)"),
    ]
    assert [(c["check"], c["status"]) for c in data["cross_checks"]] == [
        ("notice-repeats-amendments", "met"),
        ("notice-deadline", "met"),
    ]


def test_ingest_records_once_and_findings_follow(ledger: str, tmp_path: Path) -> None:
    path = str(tmp_path / "amendment-2.txt")
    code, _, err = run(ledger, "ingest", "filing", path)
    assert code == 0, err
    assert "6 events recorded" in err  # with its two cross-checks
    after_first = stored(ledger)
    code, _, err = run(ledger, "ingest", "filing", path)
    assert code == 0 and "is already recorded" in err
    assert stored(ledger) == after_first
    code, out, _ = run(ledger, "verify")
    assert code == 0
    code, out, _ = run(ledger, "findings", "--json")
    assert json.loads(out)["verification"]["state"] == "verified"
    first = json.loads(out)["findings"][0]
    assert (first["rule"], first["status"], first["dates"]["business_days"]) == (
        "Rule 14e-1(a)",
        "met",
        "23",
    )


def test_unresolvable_instruction_refused_with_lines(ledger: str, tmp_path: Path) -> None:
    text = (
        reference_bytes()
        .decode()
        .replace(
            "The first sentence of the first paragraph",
            "The second sentence of the first paragraph",
        )
    )
    path = tmp_path / "changed.txt"
    path.write_text(text)
    before = stored(ledger)
    code, _, err = run(ledger, "ingest", "filing", str(path))
    assert code == 2
    assert "lines 117-124: instruction B" in err and "nothing was recorded" in err
    assert stored(ledger) == before
    code, out, _ = run(ledger, "ingest", "filing", str(path), "--allow-unparsed", "--json")
    assert code == 0
    ops = json.loads(out)["events"][1]["payload"]["operations"]
    assert ops[1]["op"] == "unresolved" and ops[1]["first_line"] == 117


ROSTER = (
    "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\n"
    "E1,Ann Lee,G1,Holding Plan,1999-03-01,12.50,1000\n"
    "E2,Bo Chan,G2,PNH Plan,2000-01-04,30.00,200\n"
)
ELECTIONS = (
    "employee_id,grant_id,choice,received_at,form_id,channel\n"
    "E1,G1,exchange,2001-09-27T23:59:59-04:00,F1,email\n"
    "E1,G1,exchange,2001-09-27T23:59:59-04:00,F1,email\n"
    "E2,G2,exchange,2001-09-28T00:00:00-04:00,F2,paper\n"
)


def test_roster_and_elections(ledger: str, tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "elections.csv").write_text(ELECTIONS)
    code, _, err = run(ledger, "ingest", "roster", str(tmp_path / "roster.csv"))
    assert code == 0 and "2 events recorded" in err
    before = stored(ledger)
    code, out, _ = run(
        ledger, "ingest", "elections", str(tmp_path / "elections.csv"), "--dry-run", "--json"
    )
    assert code == 0 and stored(ledger) == before
    data = json.loads(out)
    assert data["counts"] == {"recorded": 1, "refused": 1, "duplicate": 1, "already_recorded": 0}
    code, out, err = run(ledger, "ingest", "elections", str(tmp_path / "elections.csv"))
    assert code == 0
    assert "line 4: refused E2 F2 election-refused" in out
    # rows counted as rows, forms as forms; one of each said in the singular
    assert "3 rows: 2 forms (1 recorded, 1 refused), 1 duplicate row dropped; 2 events" in err
    actions = [json.loads(run(ledger, "log", "--json")[1])[-k]["topic"] for k in (2, 1)]
    assert actions == ["offerledger.ElectionSubmitted.v1", "offerledger.ElectionRefused.v1"]
    again = stored(ledger)
    code, _, err = run(ledger, "ingest", "elections", str(tmp_path / "elections.csv"))
    assert code == 0 and "0 events recorded" in err and stored(ledger) == again


def test_one_bad_row_records_nothing(ledger: str, tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER + "E3,Cy,G3,Holding Plan,yesterday,1,1\n")
    before = stored(ledger)
    code, _, err = run(ledger, "ingest", "roster", str(tmp_path / "roster.csv"))
    assert code == 2
    assert "line 4, column 'grant_date'" in err
    assert stored(ledger) == before
