"""What ``verify`` and ``demo`` do beyond parsing and rendering is a library function the
command calls: :func:`offerledger.verifying.verify` (with progress and the record's author) and
:func:`offerledger.demo.verify_demo`; the command's JSON is the library's data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.demo import run_demo, verify_demo
from offerledger.ledger import Ledger
from offerledger.projections import verification_store as records
from offerledger.verifying import verify


def test_verify_demo_verifies_and_records_by_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_model = tmp_path / "rm.sqlite"
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(read_model))
    db = str(tmp_path / "demo.db")
    summary = run_demo(db, passphrase=b"demo", employees=3)
    told: list[tuple[int, int | None]] = []
    report = verify_demo(db, progress=lambda n, total: told.append((n, total)))
    assert report.ok and report.count == summary.events
    assert told and told[-1][0] == summary.events
    last = records.last(records.verifications_path(read_model))
    assert last is not None and last.by == "demo" and last.ok
    assert last.head.size == summary.events and last.head.root == report.root.hex()
    assert summary.as_dict()["synthetic"] is True
    assert summary.as_dict()["events"] == summary.events

    with Ledger.open(db) as ledger:
        verify(ledger, by="nightly")
    last = records.last(records.verifications_path(read_model))
    assert last is not None and last.by == "nightly"


def test_demo_and_verify_commands_print_the_librarys_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(tmp_path / "rm.sqlite"))
    db = str(tmp_path / "demo.db")
    runner = CliRunner()
    made = runner.invoke(cli, ["--db", db, "demo", "--employees", "3", "--json"])
    assert made.exit_code == 0, made.output
    shown = json.loads(made.stdout)
    assert shown["verification"]["ok"] is True and shown["verification"]["keys_public"] is True
    assert shown["events"] == shown["verification"]["events"]
    checked = runner.invoke(cli, ["--db", db, "verify", "--json"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["events"] == shown["events"] and report["root"] == shown["verification"]["root"]
    last = records.last(records.verifications_path(tmp_path / "rm.sqlite"))
    assert last is not None and last.by == "verify"
