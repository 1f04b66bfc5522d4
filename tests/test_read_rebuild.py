"""rebuild: full, incremental by (position, leaf hash), atomic; on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dbedit import DbEdit
from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.projections import readmodel, runner
from offerledger.projections.readmodel import ReadModel
from test_read_stored import append, store_reference


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def rebuild(db: str, model: Path, *extra: str) -> dict[str, object]:
    code, out, err = invoke(db, "rebuild", "--read-model", str(model), "--json", *extra)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def read(db: str, model: Path, *args: str) -> str:
    code, out, err = invoke(db, *args, "--read-model", str(model))
    assert code == 0, err
    return out


OUTPUTS = [
    ("text", "--provenance"),
    ("elections", "--format", "json"),
    ("timeline", "--json", "--no-verify"),
]


def test_incremental_rebuild_applies_only_the_new_events(ledger_db: str, tmp_path: Path) -> None:
    model = tmp_path / "rm.sqlite"
    r = store_reference(ledger_db, upto=10)
    first = rebuild(ledger_db, model)
    assert first["mode"] == "full" and first["applied"] == 16  # six key events, ten of ours
    append(ledger_db, r, 10)
    second = rebuild(ledger_db, model)
    assert second["mode"] == "incremental"
    assert second["applied"] == len(r.entries) - 10
    assert rebuild(ledger_db, model)["mode"] == "current"
    for args in OUTPUTS:
        assert read(ledger_db, model, *args) == read(ledger_db, model, *args, "--from-log")
    full = rebuild(ledger_db, tmp_path / "full.sqlite", "--full")
    assert full["tree_root"] == second["tree_root"] and full["leaf_hash"] == second["leaf_hash"]


def test_a_stale_read_model_is_caught_up_in_memory_for_reads(
    ledger_db: str, tmp_path: Path
) -> None:
    model = tmp_path / "rm.sqlite"
    r = store_reference(ledger_db, through="elections", upto=12)
    rebuild(ledger_db, model)
    append(ledger_db, r, 12)
    code, out, err = invoke(ledger_db, "elections", "--read-model", str(model))
    assert code == 0
    assert f"the read model is {len(r.entries) - 12} events behind" in err
    assert out == read(ledger_db, model, "elections", "--from-log")


def test_a_crash_midway_leaves_the_previous_read_model_whole(
    ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "rm.sqlite"
    r = store_reference(ledger_db, upto=12)
    rebuild(ledger_db, model)
    before = {args: read(ledger_db, model, *args) for args in OUTPUTS}
    tracker = ReadModel.open(model).tracker()  # type: ignore[union-attr]
    append(ledger_db, r, 12)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(ReadModel, "append_employees", crash)
    for extra in ((), ("--full",)):
        with pytest.raises(RuntimeError, match="power cut"):
            invoke(ledger_db, "rebuild", "--read-model", str(model), *extra)
        opened = ReadModel.open(model)
        assert opened is not None and opened.tracker() == tracker
        opened.close()
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("rm.")) == [
            "rm.sqlite"
        ]
    monkeypatch.undo()
    # What the stale model gives (caught up in memory) is what the log gives.
    for args in OUTPUTS:
        assert read(ledger_db, model, *args) == read(ledger_db, model, *args, "--from-log")
    assert before[OUTPUTS[1]] != read(ledger_db, model, *OUTPUTS[1])
    assert rebuild(ledger_db, model)["mode"] == "incremental"


def test_a_changed_event_at_the_tracked_position_stops_the_incremental_run(
    ledger_db: str, tmp_path: Path
) -> None:
    model = tmp_path / "rm.sqlite"
    store_reference(ledger_db, through="amended")
    result = rebuild(ledger_db, model)
    edit = DbEdit(ledger_db)
    key, *_, state = edit.rows()[-1]
    edit.set_state(key, state.replace(b"Amendment", b"Amendmant", 1))
    edit.close()
    code, out, err = invoke(ledger_db, "rebuild", "--read-model", str(model))
    assert code == 1
    assert err.startswith(
        f"Error: the ledger's event at position {result['position']} now hashes to "
    ), err
    assert "Hint: run 'offerledger verify', then 'offerledger rebuild --full'" in err
    assert rebuild(ledger_db, model, "--full")["mode"] == "full"


def test_the_read_model_belongs_to_one_ledger(ledger_db: str, tmp_path: Path) -> None:
    model = tmp_path / "rm.sqlite"
    store_reference(ledger_db, through="amended")
    rebuild(ledger_db, model)
    other = str(tmp_path / "other.db")
    run_demo(other, passphrase=b"test-passphrase", employees=6)
    result = rebuild(other, model)
    assert result["mode"] == "full"
    assert result["notes"] == ["the read model belonged to another ledger; rebuilt in full"]


def test_read_model_tables_for_sql_users(ledger_db: str, tmp_path: Path) -> None:
    model = tmp_path / "rm.sqlite"
    store_reference(ledger_db)
    rebuild(ledger_db, model)
    opened = ReadModel.open(model)
    assert opened is not None
    counts = readmodel.counts(opened)
    ids = dict(opened.conn.execute("SELECT employee_id, offer_id FROM employees").fetchall())
    paragraph = opened.conn.execute(
        "SELECT text, last_changed_position FROM paragraphs WHERE block_id = 's7-last'"
    ).fetchone()
    opened.close()
    assert counts["employees"] == 4 and counts["timeline"] > 0
    assert sorted(ids) == ["E001", "E002", "E003", "E004"]
    assert paragraph[0].startswith("The conditions to this offer are for our benefit.")
    assert paragraph[1] is not None


class EmptyLog:
    """A fake log source with no events (the runner's LogSource protocol)."""

    ledger_id = "no ledger"

    def rows_after(self, notification_id: int, position: int) -> Iterator[runner.StoredRow]:
        return iter(())

    def row_at(self, notification_id: int) -> runner.StoredRow | None:
        return None

    def last_notification_id(self) -> int:
        return 0


def test_a_file_that_is_not_a_read_model_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"not a database at all")
    assert ReadModel.open(path) is None
    assert runner.timeline(EmptyLog(), path) is None
    assert runner.load(EmptyLog(), path) is None
    assert runner.build(EmptyLog(), path, full=True).mode == "full"
    assert runner.load(EmptyLog(), path) is not None
