"""Cross-checks made at ingest are recorded with the filing (CrossCheckRecorded) and shown by
``findings`` (text and --json), on SQLite and PostgreSQL: what was compared, the values, agree
or disagree, and where in the filing file the statement was read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.events import CrossCheckRecorded, FilingRecorded
from offerledger.ledger import Ledger
from test_ingest_support import build_ledger, reference_bytes

DEADLINE = b"11:59 p.m., Eastern Daylight\nTime, on September 27, 2001."
STATED = "2001-09-27T23:59:00-04:00"  # the expiration the hand-built offer records too


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def ingest(db: str, path: Path) -> None:
    code, _, err = run(db, "ingest", "filing", str(path))
    assert code == 0, err


def log(db: str) -> list[tuple[int, object]]:
    with Ledger.open(db) as ledger:
        return [(e.position, e.event) for e in ledger.log()]


@pytest.fixture
def ledger(ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(tmp_path / "rm.sqlite"))
    build_ledger(ledger_db)
    return ledger_db


def test_the_checks_are_saved_with_the_filing(ledger: str, tmp_path: Path) -> None:
    raw = reference_bytes()
    (tmp_path / "amendment-2.txt").write_bytes(raw)
    before = len(log(ledger))
    ingest(ledger, tmp_path / "amendment-2.txt")
    new = log(ledger)[before:]
    # the filing, its text operations, the notices, then the checks: one save, in log order
    assert [type(e).__name__ for _, e in new] == [
        "FilingRecorded",
        "DocumentAmended",
        "NoticeDispatched",
        "NoticeDispatched",
        "CrossCheckRecorded",
        "CrossCheckRecorded",
    ]
    filing = new[0][1]
    repeats, deadline = (e for _, e in new[4:])
    assert isinstance(filing, FilingRecorded)
    assert isinstance(repeats, CrossCheckRecorded) and isinstance(deadline, CrossCheckRecorded)
    assert filing.source_sha256 == hashlib.sha256(raw).hexdigest()
    for check in (repeats, deadline):
        assert check.filing_id == filing.originator_id
        assert check.source_sha256 == filing.source_sha256
        assert check.originator_id == filing.offer_id  # the offer's stream
        assert check.key_id == filing.key_id and check.recorded == filing.recorded
    assert (deadline.check, deadline.outcome) == ("notice-deadline", "agree")
    assert deadline.values == {"stated": STATED, "ledger": STATED}
    assert "Exhibit (a)(11)" in deadline.compared and "expiration in force" in deadline.compared
    first, last = deadline.source_lines or (0, 0)
    lines = raw.decode("latin-1").splitlines()
    assert "Exhibit (a)(11)" in lines[first - 1] and first < 252 <= last  # the deadline's line
    assert (repeats.check, repeats.outcome) == ("notice-repeats-amendments", "agree")
    assert repeats.values == {"filing_instructions": "3", "matched": "3", "notice_items": "3"}
    code, out, _ = run(ledger, "verify")
    assert code == 0, out


def test_findings_show_the_recorded_checks(ledger: str, tmp_path: Path) -> None:
    changed = reference_bytes().replace(DEADLINE, DEADLINE.replace(b"27", b"26"))
    assert changed != reference_bytes()
    (tmp_path / "amendment-2.txt").write_bytes(changed)
    ingest(ledger, tmp_path / "amendment-2.txt")
    code, out, _ = run(ledger, "findings", "--json")
    assert code == 0
    found = {f["cross_check"]["check"]: f for f in json.loads(out)["findings"] if f["cross_check"]}
    assert set(found) == {"notice-deadline", "notice-repeats-amendments"}
    deadline = found["notice-deadline"]
    assert (deadline["status"], deadline["cross_check"]["outcome"]) == ("not_met", "disagree")
    assert deadline["cross_check"]["values"] == {
        "ledger": STATED,
        "stated": "2001-09-26T23:59:00-04:00",
    }
    assert deadline["cross_check"]["source_sha256"] == hashlib.sha256(changed).hexdigest()
    assert deadline["events"][0]["action"] == "CrossCheckRecorded"
    assert deadline["rule"] == "ingest cross-check notice-deadline"
    assert deadline["citation"]["verbatim"] is False  # the ledger's own check, not a quote
    assert found["notice-repeats-amendments"]["status"] == "met"
    assert all(f["cross_check"] is None for f in json.loads(out)["findings"] if "Rule" in f["rule"])

    code, text, _ = run(ledger, "findings")
    assert code == 0
    block = text[text.index("[NOT MET] ingest cross-check notice-deadline") :]
    block = block[: block.index("\n[")] if "\n[" in block else block
    assert "DISAGREE: the deadline Exhibit (a)(11) states (2001-09-26T23:59:00-04:00)" in block
    assert f"values compared: ledger {STATED}; stated 2001-09-26T23:59:00-04:00" in block
    assert "lines " in block and "rests on: #" in block and "CrossCheckRecorded" in block

    # as of the day before the filing, no check had been made
    code, out, _ = run(ledger, "findings", "--json", "--as-of", "2001-09-12")
    assert code == 0
    assert not [f for f in json.loads(out)["findings"] if f["cross_check"]]


def test_the_demo_records_the_check_of_its_notice(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    run_demo(db, passphrase=b"test-passphrase", employees=8)
    checks = [e for _, e in log(db) if isinstance(e, CrossCheckRecorded)]
    deadline = next(c for c in checks if c.check == "notice-deadline")
    assert deadline.outcome == "agree" and deadline.values == {"stated": STATED, "ledger": STATED}
    assert "(a)(11)" in deadline.compared
    assert deadline.is_synthetic  # recorded by the demo's story clock: SYNTHETIC in findings
    code, out, _ = run(db, "findings", "--json")
    shown = [f for f in json.loads(out)["findings"] if f["cross_check"]]
    assert {f["cross_check"]["check"] for f in shown} == {c.check for c in checks}
    assert all(f["synthetic"] and f["status"] == "met" for f in shown)
    rows = json.loads(run(db, "timeline", "--json")[1])["events"]
    summaries = [r["summary"] for r in rows if r["action"] == "CrossCheckRecorded"]
    assert "ingest cross-check notice-deadline: agree (the deadline Exhibit (a)(11) states" in (
        " ".join(summaries)
    )


def test_a_check_with_nothing_to_compare_reads_the_same_in_ingest_and_findings(
    ledger: str, tmp_path: Path
) -> None:
    """ingest printed [NOT_CHECKED] and findings [NOT ON FILE] for the same check: both now
    show the outcome through CROSS_CHECK_STATUS, NOT CHECKED."""
    unstated = reference_bytes().replace(DEADLINE, b"the date the offer expires.")
    assert unstated != reference_bytes()
    (tmp_path / "amendment-2.txt").write_bytes(unstated)
    code, printed, err = run(ledger, "ingest", "filing", str(tmp_path / "amendment-2.txt"))
    assert code == 0, err
    assert "[NOT CHECKED] notice-deadline: Exhibit (a)(11) states no deadline" in printed
    assert "[MET] notice-repeats-amendments" in printed
    assert "NOT_CHECKED" not in printed
    code, text, _ = run(ledger, "findings")
    assert code == 0
    assert "[NOT CHECKED] ingest cross-check notice-deadline" in text
    assert "NOT ON FILE] ingest cross-check" not in text
    code, out, _ = run(ledger, "findings", "--json")
    found = {f["cross_check"]["check"]: f for f in json.loads(out)["findings"] if f["cross_check"]}
    deadline = found["notice-deadline"]
    assert deadline["status"] == deadline["cross_check"]["outcome"] == "not_checked"
