"""A full rebuild folded by two processes gives the read model one process gives."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from offerledger.ledger import Ledger
from offerledger.projections import parallel, runner
from offerledger.projections.runner import RawRow
from offerledger.projections.source import LedgerSource
from test_read_rebuild import OUTPUTS, read
from test_read_stored import store_reference

TABLES = ("meta", "streams", "employees", "timeline", "paragraphs")


def dump(path: Path) -> dict[str, object]:
    conn = sqlite3.connect(path)
    try:
        out: dict[str, object] = {
            t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES
        }
        out["stream order"] = conn.execute("SELECT stream FROM streams").fetchall()
        out["indexes"] = sorted(conn.execute("SELECT name FROM sqlite_master").fetchall())
    finally:
        conn.close()
    return out


def build(source: runner.LogSource, path: Path, processes: int, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("OFFERLEDGER_REBUILD_PROCESSES", str(processes))
    assert runner.build(source, path, full=True).mode == "full"


@pytest.fixture
def split_always(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Fold every log in two processes; records each helper file copied in."""
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    copied: list[Path] = []
    copy_in = parallel.copy_in

    def spy(model: object, helper_file: Path) -> object:
        copied.append(helper_file)
        return copy_in(model, helper_file)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "copy_in", spy)
    return copied


def source_of(ledger: Ledger) -> LedgerSource:
    return LedgerSource(ledger, ledger_id=str(ledger.ledger_id()))


def test_two_processes_build_the_same_read_model(
    ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_always: list[Path]
) -> None:
    store_reference(ledger_db)
    ledger = Ledger.open(ledger_db)
    try:
        build(source_of(ledger), tmp_path / "one.sqlite", 1, monkeypatch)
        assert split_always == []
        build(source_of(ledger), tmp_path / "two.sqlite", 2, monkeypatch)
        assert len(split_always) == 1
    finally:
        ledger.close()
    assert dump(tmp_path / "one.sqlite") == dump(tmp_path / "two.sqlite")
    assert sorted(p.name for p in tmp_path.iterdir() if ".new-" in p.name) == []
    for args in OUTPUTS:
        assert read(ledger_db, tmp_path / "two.sqlite", *args) == read(
            ledger_db, tmp_path / "one.sqlite", *args
        )


class Misrouting(LedgerSource):
    """Reports another stream id beside one row (as a tampered ledger could)."""

    def raw_rows_after(self, notification_id: int, position: int) -> Iterator[RawRow]:
        for row in super().raw_rows_after(notification_id, position):
            if row[0] == 8:
                row = (row[0], row[1], uuid.uuid5(uuid.NAMESPACE_URL, "elsewhere"), *row[3:])
            yield row


def test_a_row_stored_beside_another_stream_id_is_built_in_one_process(
    ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_always: list[Path]
) -> None:
    store_reference(ledger_db)
    ledger = Ledger.open(ledger_db)
    try:
        build(source_of(ledger), tmp_path / "one.sqlite", 1, monkeypatch)
        misrouting = Misrouting(ledger, ledger_id=str(ledger.ledger_id()))
        build(misrouting, tmp_path / "two.sqlite", 2, monkeypatch)
    finally:
        ledger.close()
    assert dump(tmp_path / "one.sqlite") == dump(tmp_path / "two.sqlite")
    assert sorted(p.name for p in tmp_path.iterdir() if ".new-" in p.name) == []


class FailsInTheHelper(LedgerSource):
    parent = os.getpid()

    def decode(self, topic: str, state: bytes) -> object:  # type: ignore[override]
        if os.getpid() != self.parent:
            raise RuntimeError("the helper broke")
        return super().decode(topic, state)


def test_a_failing_helper_fails_the_build_and_leaves_no_file(
    ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_always: list[Path]
) -> None:
    store_reference(ledger_db)
    ledger = Ledger.open(ledger_db)
    try:
        failing = FailsInTheHelper(ledger, ledger_id=str(ledger.ledger_id()))
        failing.parent = os.getpid()
        with pytest.raises(parallel.HelperFailed, match="the helper broke"):
            build(failing, tmp_path / "rm.sqlite", 2, monkeypatch)
    finally:
        ledger.close()
    assert list(tmp_path.glob("rm.sqlite*")) == []


def test_small_logs_and_one_core_are_built_in_one_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OFFERLEDGER_REBUILD_PROCESSES", "1")
    assert parallel.workers() == 1
    monkeypatch.setenv("OFFERLEDGER_REBUILD_PROCESSES", "2")
    assert parallel.workers() == 2
    monkeypatch.delenv("OFFERLEDGER_REBUILD_PROCESSES")
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert parallel.workers() == 1
    assert parallel.MIN_ROWS >= 10_000
