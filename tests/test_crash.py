"""SIGKILL during a save, on SQLite and PostgreSQL: the save is all there or not at all, the
ledger verifies, and running the command again completes the work. SIGKILL during ``rebuild``:
the read model is the old complete one or the new complete one, and a rebuild again completes.

The kill comes from the fault hook between the steps of a save (``offerledger.recorders.FAULTS``,
set in the child through ``OFFERLEDGER_FAULT_KILL=STEP[:N]``; a rebuild tells the same hook its
own steps) or, for ``checkpoint --append``, the demo and ``rebuild --full``, after a random delay.
CI-sized: 39 kill points (5 steps x 2 backends for ``record`` and ``ingest elections``, 3 + 2
saves of the demo, 1 + 1 random delays in the demo, 2 + 2 in ``checkpoint --append``, 3 steps
x 2 backends and 1 + 1 random delays in ``rebuild``); ``OFFERLEDGER_FULL_SUITES=1``: every step
of more saves and of both kinds of rebuild, more delays.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.recorders import LedgerSQLiteRecorder
from suites import FULL, REBUILD_STEPS, STEPS, kill_after, run_killed
from test_ingest_support import build_ledger

PASS = b"test-passphrase"
ROSTER = (
    "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\n"
    "E1,Ann Lee,G1,Holding Plan,1999-03-01,12.50,1000\n"
    "E2,Bo Chan,G2,PNH Plan,2000-01-04,30.00,200\n"
)


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def verified_size(db: str) -> int:
    code, out, err = invoke(db, "verify", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and not data["problems"], (out, err)
    size: int = data["events"]
    return size


def _size_if_any(db: str) -> int | None:
    """The verified size of the ledger at ``db``, or None when there is no ledger there yet."""
    code, _, err = invoke(db, "verify", "--json")
    if code == 3 and ("no ledger at" in err or "is not an offerledger ledger" in err):
        return None
    return verified_size(db)


@pytest.fixture
def rostered(ledger_db: str, tmp_path: Path) -> str:
    build_ledger(ledger_db)
    (tmp_path / "roster.csv").write_text(ROSTER)
    code, _, err = invoke(ledger_db, "ingest", "roster", str(tmp_path / "roster.csv"))
    assert code == 0, err
    return ledger_db


def _election(form: str) -> list[str]:
    return [
        "record", "election-submitted", "--key", "Clerk", "--employee-id", "E1",
        "--form-id", form, "--received-at", "2001-09-20T10:00:00-04:00", "--channel", "paper",
        "--acted-by", "E1", "--choices", '[{"grant_id": "G1", "choice": "exchange"}]',
    ]  # fmt: skip


def _forms(db: str) -> list[str]:
    code, out, _ = invoke(db, "log", "--json")
    assert code == 0
    return [e["payload"]["form_id"] for e in json.loads(out) if "form_id" in e["payload"]]


def test_record_killed_at_each_step(rostered: str) -> None:
    db = rostered
    for step in STEPS:
        before, forms = verified_size(db), _forms(db)
        run_killed("--db", db, *_election(f"K-{step}"), kill_at=step)
        landed = step == "committed"  # only a committed save survives the kill, whole
        assert verified_size(db) == before + landed, step
        assert _forms(db) == forms + [f"K-{step}"] * landed
        if not landed:  # running it again completes the work
            code, _, err = invoke(db, *_election(f"K-{step}"))
            assert code == 0, err
            assert _forms(db) == [*forms, f"K-{step}"]


def test_ingest_elections_killed_at_each_step(rostered: str, tmp_path: Path) -> None:
    db = rostered
    csv = tmp_path / "elections.csv"
    rows = ["employee_id,grant_id,choice,received_at,form_id,channel"]
    for step in STEPS:
        rows += [
            f"E1,G1,exchange,2001-09-20T11:00:00-04:00,{step}-1,email",
            f"E2,G2,keep,2001-09-20T11:00:00-04:00,{step}-2,paper",
        ]
        csv.write_text("\n".join(rows) + "\n")
        before, forms = verified_size(db), _forms(db)
        run_killed("--db", db, "ingest", "elections", str(csv), kill_at=step)
        landed = step == "committed"
        assert verified_size(db) == before + 2 * landed, step
        assert _forms(db) == forms + [f"{step}-1", f"{step}-2"] * landed
        code, _, err = invoke(db, "ingest", "elections", str(csv))  # again: completes, once
        assert code == 0, err
        assert verified_size(db) == before + 2
        assert _forms(db) == [*forms, f"{step}-1", f"{step}-2"]


@pytest.fixture(scope="module")
def demo_saves(tmp_path_factory: pytest.TempPathFactory) -> list[int]:
    """The log size after each save of an uninterrupted 8-employee demo (it is deterministic)."""
    folder = tmp_path_factory.mktemp("demo")
    sizes: list[int] = []
    append = LedgerSQLiteRecorder.append_sealed

    def counting(self: LedgerSQLiteRecorder, seal: object) -> list[int]:
        ids = append(self, seal)  # type: ignore[arg-type]
        sizes.append((sizes[-1] if sizes else 0) + len(ids))
        return ids

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        mp.setattr(LedgerSQLiteRecorder, "append_sealed", counting)
        run_demo(str(folder / "demo.db"), passphrase=PASS, employees=8)
    return sizes


def _demo_points(backend: str) -> list[tuple[str, int]]:
    if FULL:
        return [(s, n) for n in (1, 2, 5, 9, 14, 20) for s in STEPS]
    return [("sealed", 2), ("log", 7), ("committed", 15)][: 3 if backend == "sqlite" else 2]


def _resume_demo(db: str, full: int) -> None:
    code, _, err = invoke(db, "demo", "--employees", "8")
    assert code == 0, err
    assert verified_size(db) == full


@pytest.fixture
def new_db(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A factory of empty ledger locations on a backend; PostgreSQL schemas dropped after."""
    import psycopg

    from conftest import PG_BASE, pg_problem

    made: list[str] = []
    files = iter(range(1000))

    def new(backend: str) -> str:
        if backend == "sqlite":
            return str(tmp_path / f"ledger{next(files)}.db")
        if pg_problem():
            pytest.skip(str(pg_problem()))
        made.append(f"olc_{uuid.uuid4().hex[:12]}")
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{made[-1]}"')
        return f"{PG_BASE}?schema={made[-1]}"

    yield new
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        for schema in made:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_demo_killed_in_a_save_resumes(
    backend: str, demo_saves: list[int], new_db: Callable[[str], str]
) -> None:
    for step, nth in _demo_points(backend):
        db = new_db(backend)
        run_killed("--db", db, "demo", "--employees", "8", kill_at=f"{step}:{nth}")
        whole = demo_saves[nth - 1] if step == "committed" else ([0, *demo_saves])[nth - 1]
        if whole:  # every save before the killed one is there, whole; the killed one not
            assert verified_size(db) == whole, (step, nth)
        _resume_demo(db, demo_saves[-1])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_demo_killed_after_a_random_delay_resumes(
    backend: str, demo_saves: list[int], new_db: Callable[[str], str]
) -> None:
    rng = random.Random(f"demo-{backend}")
    for _ in range(4 if FULL else 1):
        db = new_db(backend)
        killed = kill_after(rng.uniform(1.0, 4.0), "--db", db, "demo", "--employees", "8")
        if killed and _size_if_any(db) != demo_saves[-1]:  # (on a loaded machine the kill
            # can land before the first save: no ledger yet, and the demo starts afresh)
            _resume_demo(db, demo_saves[-1])
        else:  # it finished its saves before the kill (the kill may still land while it
            # verifies or prints its summary): the whole demo is there, nothing to resume
            assert verified_size(db) == demo_saves[-1]


def test_checkpoint_append_killed_after_a_random_delay(rostered: str, tmp_path: Path) -> None:
    db = rostered
    file = tmp_path / "checkpoints"
    code, _, err = invoke(db, "checkpoint", "--append", str(file))
    assert code == 0, err
    rng = random.Random("checkpoint")
    for k in range(8 if FULL else 2):
        code, _, err = invoke(db, *_election(f"C{k}"))
        assert code == 0, err
        before = file.read_bytes()
        kill_after(rng.uniform(0.5, 3.0), "--db", db, "checkpoint", "--append", str(file))
        after = file.read_bytes()
        assert after.startswith(before)  # the old checkpoints are never touched
        verified_size(db)
        code, _, err = invoke(db, "checkpoint", "--append", str(file))  # again: completes
        assert code == 0, err
        code, _, err = invoke(db, "verify", "--since", str(file))
        assert code == 0, err


# --- rebuild ----------------------------------------------------------------------------------


def _rebuild(db: str, model: Path, *flags: str) -> tuple[int, str]:
    """Rebuild ``model``; its tracker (events, leaf hash of the last one) as the command gives."""
    code, out, err = invoke(db, "rebuild", "--read-model", str(model), "--json", *flags)
    assert code == 0, err
    data = json.loads(out)
    return data["events"], data["leaf_hash"]


def _tracked(model: Path) -> tuple[int, str] | None:
    """The read model's tracker as stored (SQLite rolls back a transaction a kill cut short)."""
    from offerledger.projections.readmodel import ReadModel

    opened = ReadModel.open(model)
    if opened is None:
        return None
    try:
        tracker = opened.tracker()
        return None if tracker is None else (tracker.events, tracker.leaf_hash)
    finally:
        opened.close()


def _answers(db: str, model: Path) -> list[str]:
    """What the read commands answer through the read model ``model``."""
    outputs = []
    for command in (["elections", "--json"], ["timeline", "--json"], ["findings", "--json"]):
        result = CliRunner().invoke(
            cli, ["--db", db, *command], env={"OFFERLEDGER_READ_MODEL": str(model)}
        )
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    return outputs


def _rebuild_points() -> list[tuple[str, str]]:
    if FULL:
        return [(mode, step) for mode, steps in REBUILD_STEPS.items() for step in steps]
    return [
        ("full", "rebuild-folded"),
        ("full", "rebuild-written"),
        ("incremental", "rebuild-begun"),
    ]


def _whole_and_completed(
    db: str, model: Path, old: tuple[int, str], new: tuple[int, str], fresh: Path, *flags: str
) -> None:
    """After a kill: the read model is the old or the new one, whole (it answers as a read model
    built from scratch does), the ledger verifies, and a rebuild again completes, leaving no
    file of the killed build behind."""
    found = _tracked(model)
    assert found in (old, new), (found, old, new)
    if found == new:
        assert _answers(db, model) == _answers(db, fresh)
    assert verified_size(db) == new[0]
    assert _rebuild(db, model, *flags) == new
    assert _answers(db, model) == _answers(db, fresh)
    assert sorted(p.name for p in model.parent.glob(f"{model.name}*")) == [model.name]


def test_rebuild_killed_at_each_step(rostered: str, tmp_path: Path) -> None:
    db, model = rostered, tmp_path / "read-model.sqlite"
    old = _rebuild(db, model)
    for k, (mode, step) in enumerate(_rebuild_points()):
        code, _, err = invoke(db, *_election(f"R{k}"))  # new work for the rebuild
        assert code == 0, err
        fresh = tmp_path / f"fresh{k}.sqlite"
        new = _rebuild(db, fresh, "--full")  # the read model a whole rebuild makes
        flags = ["--full"] if mode == "full" else []
        run_killed("--db", db, "rebuild", "--read-model", str(model), *flags, kill_at=step)
        if step == "rebuild-done":  # switched in, or committed: the new one
            assert _tracked(model) == new, (mode, step)
        else:  # the old one, untouched
            assert _tracked(model) == old, (mode, step)
            assert _answers(db, model) == _answers(db, fresh)  # (old, and the log after it)
        _whole_and_completed(db, model, old, new, fresh, *flags)
        old = new


def test_rebuild_killed_after_a_random_delay(rostered: str, tmp_path: Path) -> None:
    db, model = rostered, tmp_path / "read-model.sqlite"
    old = _rebuild(db, model)
    rng = random.Random("rebuild")
    for k in range(4 if FULL else 1):
        code, _, err = invoke(db, *_election(f"D{k}"))
        assert code == 0, err
        fresh = tmp_path / f"fresh{k}.sqlite"
        new = _rebuild(db, fresh, "--full")
        args = ("--db", db, "rebuild", "--full", "--read-model", str(model))
        kill_after(rng.uniform(0.2, 1.5), *args)  # (a small ledger rebuilds in about a second)
        _whole_and_completed(db, model, old, new, fresh, "--full")
        old = new
