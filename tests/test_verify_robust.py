"""verify never crashes: garbage in any column, a hostile sidecar or path is a problem or an error.

Each case edits one row of a small demo ledger directly (sqlite3 / psycopg), on both backends
where the column type allows the garbage (PostgreSQL's originator_id is a uuid and its version
a NOT NULL bigint; SQLite's columns hold anything).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dbedit import DbEdit
from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.errors import CheckpointError, InputError
from offerledger.events import stream_id
from offerledger.integrity.problems import VerifyReport
from offerledger.integrity.service import verify_ledger, write_checkpoint
from offerledger.ledger import Ledger

PASS = b"test-passphrase"
OFFER = stream_id("offer:1117042:005-59595")


@pytest.fixture
def demo_db(ledger_db: str) -> str:
    run_demo(ledger_db, passphrase=PASS, employees=4)
    return ledger_db


def _report(db: str, **kwargs: Any) -> VerifyReport:
    ledger = Ledger.open(db)
    try:
        return verify_ledger(ledger, workers=1, **kwargs)
    finally:
        ledger.close()


def _cli(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


Edit = Callable[[DbEdit, Any], None]


def _set(column: str, expression: str) -> Edit:
    """Set one column of the row ``key`` to an SQL expression."""

    def edit(db: DbEdit, key: Any) -> None:
        db.exec(f"UPDATE {db.table} SET {column} = {expression} WHERE {db.key} = ?", (key,))

    return edit


def _move_to_a_new_stream(db: DbEdit, key: Any) -> None:
    db.exec(
        f"UPDATE {db.table} SET originator_id = ? WHERE {db.key} = ?", (db.sid(uuid.uuid4()), key)
    )


SQLITE_ONLY = "sqlite"
CASES: list[tuple[str, Edit, str | None, dict[str, str]]] = [
    # name, edit, backend (None: both), {reason at the edited row: words in its detail}
    (
        "stream-not-a-uuid",
        _set("originator_id", "'not-a-uuid'"),
        SQLITE_ONLY,
        {
            "undecodable": "the originator_id column holds 'not-a-uuid'",
            "body-row-mismatch": "the row is NULL",
        },
    ),
    (
        "stream-in-another-spelling",
        _set("originator_id", "upper(originator_id)"),
        SQLITE_ONLY,
        {"undecodable": "the originator_id column holds", "body-row-mismatch": ""},
    ),
    (
        "stream-moved",
        _move_to_a_new_stream,
        None,
        {
            "body-row-mismatch": "body names stream",
            "version-gap": "expected version 1, found 3",
            "chain-break": "",
        },
    ),
    (
        "version-null",
        _set("originator_version", "NULL"),
        SQLITE_ONLY,
        {"undecodable": "the originator_version column holds NULL", "body-row-mismatch": "vNULL"},
    ),
    (
        "version-text",
        _set("originator_version", "'seven'"),
        SQLITE_ONLY,
        {"undecodable": "the originator_version column holds 'seven'", "body-row-mismatch": ""},
    ),
    ("topic-null", _set("topic", "NULL"), None, {"body-row-mismatch": "NULL"}),
    ("state-null", _set("state", "NULL"), None, {"undecodable": "the state column is NULL"}),
    (
        "state-text",
        _set("state", "replace(state, 'Mpower', 'MPOWER')"),
        SQLITE_ONLY,
        {"undecodable": "the state column holds text, not bytes"},
    ),
    (
        "state-unchanged-text",
        _set("state", "CAST(state AS TEXT)"),
        SQLITE_ONLY,
        {"undecodable": "the state column holds text, not bytes"},
    ),
    (
        "state-integer",
        _set("state", "42"),
        SQLITE_ONLY,
        {"undecodable": "the state column holds int, not bytes"},
    ),
    (
        "state-deep-json",
        lambda db, key: db.set_state(key, b"[" * 100_000),
        None,
        {"undecodable": "stored state is format 91"},  # b"[": not 0x03
    ),
]


@pytest.mark.parametrize(
    ("edit", "backend", "expected"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_garbage_in_a_column_is_reported_never_raised(
    demo_db: str,
    edit: Edit,
    backend: str | None,
    expected: dict[str, str],
) -> None:
    db = DbEdit(demo_db)
    if backend is not None and db.backend.kind != backend:
        db.close()
        pytest.skip(f"a {db.backend.kind} column cannot hold this")
    rows = db.rows()
    at = next(i for i, r in enumerate(rows) if r[1] == OFFER and r[2] == 3)  # a middle event
    edit(db, rows[at][0])
    db.close()
    report = _report(demo_db)
    assert report.count == len(rows)
    here = {p.reason: p.detail for p in report.problems if p.position == at}
    assert set(here) == set(expected)
    for reason, words in expected.items():
        assert words in here[reason]
    code, out, err = _cli(demo_db, "verify")
    assert (code, err) == (1, "")
    assert f"position {at} " in out


def test_a_mess_of_garbage_verifies_the_same_in_worker_processes(tmp_path: Path) -> None:
    from offerledger.integrity.verify import raw_rows_of, verify_rows

    db = str(tmp_path / "ledger.db")
    run_demo(db, passphrase=PASS, employees=6)
    edit = DbEdit(db)
    rows = edit.rows()
    for (_, make, _, _), (key, *_) in zip(CASES, rows[3::2], strict=False):
        make(edit, key)
    edit.close()
    ledger = Ledger.open(db)
    try:
        reports = [
            verify_rows(
                raw_rows_of(ledger.app.raw_rows()),
                read_saves=ledger.app.raw_saves,
                workers=workers,
                parallel_threshold=5,
                chunk=3,
            )[0]
            for workers in (1, 2)
        ]
    finally:
        ledger.close()
    assert reports[0].problems == reports[1].problems
    assert {"undecodable", "body-row-mismatch"} <= {p.reason for p in reports[1].problems}


def _checkpoint(db: str, out: Path) -> None:
    ledger = Ledger.open(db)
    try:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
        write_checkpoint(ledger, out=out, root=root)
    finally:
        ledger.close()


def test_a_deeply_nested_heads_sidecar_is_a_checkpoint_error(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "head.checkpoint"
    _checkpoint(demo_db, out)
    sidecar = tmp_path / "head.checkpoint.heads.json"
    sidecar.write_text("[" * 100_000)
    with pytest.raises(
        CheckpointError,
        match="head.checkpoint.heads.json: malformed heads sidecar: depth limit exceeded",
    ):
        _report(demo_db, checkpoint=out)
    code, _, err = _cli(demo_db, "verify", "--checkpoint", str(out))
    assert code == 2
    assert err.startswith(f"Error: {sidecar}: malformed heads sidecar:")


@pytest.mark.parametrize(
    "sidecar",
    [
        '{"heads_statement": {"heads": []}, "signature": ""}',
        '{"heads_statement": {"heads": {"s": {"version": "1", "hash": "h"}}}, "signature": ""}',
        '{"heads_statement": {"heads": {}}, "signature": "!!"}',
        '{"heads_statement": {"x": 1.5}, "signature": ""}',
        "\ud800",
    ],
)
def test_a_malformed_heads_sidecar_is_a_checkpoint_error(
    demo_db: str, tmp_path: Path, sidecar: str
) -> None:
    out = tmp_path / "head.checkpoint"
    _checkpoint(demo_db, out)
    (tmp_path / "head.checkpoint.heads.json").write_bytes(sidecar.encode("utf-8", "surrogatepass"))
    with pytest.raises(CheckpointError, match="heads.json: (malformed heads sidecar|cannot read)"):
        _report(demo_db, checkpoint=out)


def test_a_heads_sidecar_signed_by_another_key_is_a_mismatch(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "head.checkpoint"
    _checkpoint(demo_db, out)
    other = tmp_path / "other"
    other.mkdir()
    other_db = str(tmp_path / "other.db")
    Ledger.init(other_db, passphrase=PASS)[0].close()  # another root key, in the same keystore
    _checkpoint(other_db, other / "head.checkpoint")
    (other / "head.checkpoint.heads.json").replace(tmp_path / "head.checkpoint.heads.json")
    report = _report(demo_db, checkpoint=out)
    assert [(p.reason, p.detail) for p in report.problems] == [
        (
            "checkpoint-mismatch",
            f"the heads sidecar {out}.heads.json is not signed by the trusted root key",
        )
    ]


def test_a_root_key_that_is_a_directory_is_bad_input(demo_db: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="field '--root-key': is a directory"):
        _report(demo_db, root_key=str(tmp_path))
    code, _, err = _cli(demo_db, "verify", "--root-key", str(tmp_path))
    assert code == 2
    assert err.startswith(f"Error: {tmp_path}, field '--root-key': is a directory")


@pytest.mark.parametrize("content", [b"", b"not hex", b"ab" * 31, b"\xff\xfe"])
def test_a_root_key_file_without_a_key_is_bad_input(
    demo_db: str, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "root.pub"
    path.write_bytes(content)
    with pytest.raises(InputError, match="field '--root-key': (is not a hex|cannot read)"):
        _report(demo_db, root_key=str(path))


@pytest.mark.parametrize("where", ["a directory", "a missing folder"])
def test_checkpoint_out_that_cannot_be_written_is_bad_input(
    demo_db: str, tmp_path: Path, where: str
) -> None:
    out = tmp_path if where == "a directory" else tmp_path / "missing" / "head.checkpoint"
    with pytest.raises(InputError, match="field '--out'"):
        _checkpoint(demo_db, out)
    code, _, err = _cli(demo_db, "checkpoint", "--out", str(out))
    assert code == 2
    assert err.startswith(f"Error: {out}, field '--out': ")
    assert not (tmp_path / "missing").exists()


def test_an_existing_file_that_is_not_a_checkpoint_is_not_overwritten(
    demo_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "notes.txt"
    out.write_text("my notes\n")
    with pytest.raises(
        CheckpointError, match="not a checkpoint of this ledger .*; refusing to overwrite it"
    ):
        _checkpoint(demo_db, out)
    assert out.read_text() == "my notes\n"


def test_text_that_is_not_utf8_is_reported_not_a_traceback(tmp_path: Path) -> None:
    """Text columns that are not UTF-8 are read as bytes and reported as problems."""
    db = str(tmp_path / "ledger.db")
    run_demo(db, passphrase=PASS, employees=4)
    edit = DbEdit(db)
    key = edit.rows()[7][0]
    edit.exec(f"UPDATE {edit.table} SET state = CAST(x'ff' AS TEXT) WHERE rowid = ?", (key,))
    edit.exec(f"UPDATE {edit.table} SET topic = CAST(x'c3' AS TEXT) WHERE rowid = ?", (key + 1,))
    edit.close()
    code, out, _ = _cli(db, "verify")
    assert code == 1
    assert "position 7" in out and "undecodable" in out
    assert "position 8" in out and "body-row-mismatch" in out
