"""Issue 13 item 5 for the demo: a killed ``demo`` leaves a valid prefix, and ``demo`` run again
on it completes it; the result reads as an uninterrupted demo does.

The kill is a fault injected into the one save path after ``k`` saves (every earlier save is
stored whole, that one not at all, as with SIGKILL). The outputs are compared with an
uninterrupted demo's with every 64-hex-digit hash masked: the salts of the committed lists
differ between runs by design (docs/disclosure.md), so log roots and list hashes differ; every
other byte of the projections must be the same.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from demo_prefix import PASS, demo_after_saves, invoke
from offerledger.actions import record
from offerledger.demo import OFFICER, demo_key, run_demo
from offerledger.ledger import Ledger

EMPLOYEES = 12
HASH = re.compile(r"\b[0-9a-f]{64}\b")
# when verify ran (today's clock, in the outputs' verification line); the demo's own times are
# of 2001 and 2002
VERIFIED_AT = re.compile(r"\b20[2-9]\d-\d\d-\d\dT[0-9:.]+(\+00:00|Z)")


def _masked(text: str) -> str:
    return VERIFIED_AT.sub("<now>", HASH.sub("<hash>", text))


READS = (
    ("elections", "--format", "json", "--from-log"),
    ("elections", "--format", "csv", "--from-log"),
    ("text", "--from-log"),
    ("diff", "2001-08-27", "2001-09-20", "--from-log"),
    ("timeline", "--json", "--from-log"),
    ("final-amendment", "--from-log"),
    ("findings", "--json"),
)


def _outputs(db: str, letters: Path) -> dict[str, str]:
    """verify, then every read command (hashes masked), and the letters written."""
    verified = invoke(db, "verify")
    assert verified.exit_code == 0, verified.output
    out = {}
    for args in READS:
        result = invoke(db, *args)
        assert result.exit_code == 0, (args, result.output)
        out[" ".join(args)] = _masked(result.stdout)
    result = invoke(db, "letters", "--out", str(letters), "--from-log")
    assert result.exit_code == 0, result.output
    for path in sorted(letters.iterdir()):
        out[f"letter {path.name}"] = _masked(path.read_text())
    return out


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("whole")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        db = str(folder / "ledger.db")
        run_demo(db, passphrase=PASS, employees=EMPLOYEES)
        return _outputs(db, folder / "letters")


def _count(db: str) -> int:
    ledger = Ledger.open(db)
    try:
        return ledger.count()
    finally:
        ledger.close()


@pytest.mark.parametrize("saves", [1, 2, 6, 9, 12, 14])
def test_killed_demo_resumes_and_reads_as_an_uninterrupted_one(
    saves: int, tmp_path: Path, uninterrupted: dict[str, str]
) -> None:
    db = str(tmp_path / "ledger.db")
    demo_after_saves(db, saves, employees=EMPLOYEES)
    before = _count(db)
    assert before >= saves  # a valid prefix: whole saves only
    result = invoke(db, "demo", "--employees", str(EMPLOYEES))
    assert result.exit_code == 0, result.output
    assert f"resuming an interrupted demo: {before} of its events are on record" in result.stderr
    assert "verified" in result.stdout
    assert _outputs(db, tmp_path / "letters") == uninterrupted
    assert (tmp_path / "demo-input" / "roster.csv").exists()
    again = invoke(db, "demo", "--employees", str(EMPLOYEES))
    assert again.exit_code == 2
    assert "already holds a ledger; nothing was written" in again.stderr
    assert "it holds the whole demo" in again.stderr


def test_resume_on_postgresql(pg_schema: str, tmp_path: Path) -> None:
    demo_after_saves(pg_schema, 9, employees=EMPLOYEES)
    before = _count(pg_schema)
    result = invoke(pg_schema, "demo", "--employees", str(EMPLOYEES))
    assert result.exit_code == 0, result.output
    assert f"{before} of its events are on record" in result.stderr
    assert invoke(pg_schema, "verify").exit_code == 0


def test_a_resumed_demo_killed_again_resumes_again(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    demo_after_saves(db, 4, employees=EMPLOYEES)
    demo_after_saves(db, 3, employees=EMPLOYEES)  # the resume is killed too
    result = invoke(db, "demo", "--employees", str(EMPLOYEES))
    assert result.exit_code == 0, result.output
    assert invoke(db, "verify").exit_code == 0


def test_other_employee_count_is_refused_naming_the_position(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    demo_after_saves(db, 12, employees=EMPLOYEES)
    before = _count(db)
    result = invoke(db, "demo", "--employees", "13")
    assert result.exit_code == 2
    assert "already holds a ledger; nothing was written" in result.stderr
    assert "is not this demo's" in result.stderr and "--employees" in result.stderr
    assert _count(db) == before


def test_a_demo_prefix_with_a_foreign_event_is_refused(tmp_path: Path) -> None:
    """An event the demo does not record, signed with the demo's public officer key, is
    refused (the ledger is not the demo's prefix any more)."""
    db = str(tmp_path / "ledger.db")
    demo_after_saves(db, 9, employees=EMPLOYEES)
    before = _count(db)
    ledger = Ledger.open(db)
    try:
        last = list(ledger.log())[-1].event
        assert last is not None
        ledger.clock = lambda: last.recorded + timedelta(minutes=1)
        record(
            ledger,
            "condition-waived",
            {
                "effective": {"kind": "instant", "at": last.recorded.isoformat()},
                "condition_id": "7(z)",
                "condition_kind": "other",
            },
            signer=demo_key(OFFICER),
        )
    finally:
        ledger.close()
    result = invoke(db, "demo", "--employees", str(EMPLOYEES))
    assert result.exit_code == 2, result.output
    assert "already holds a ledger; nothing was written" in result.stderr
    assert f"its event at position {before} (ConditionWaived)" in result.stderr
    assert _count(db) == before + 1


def test_a_ledger_of_another_root_key_is_refused_as_before(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    assert invoke(db, "init").exit_code == 0
    result = invoke(db, "demo", "--employees", str(EMPLOYEES))
    assert result.exit_code == 2
    assert "already holds a ledger; nothing was written" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from stored_events").fetchone() == (1,)
