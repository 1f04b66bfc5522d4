"""``db migrate`` (SQLite ↔ PostgreSQL, byte for byte) and ``db harden`` (an append-only role)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from conftest import PG_BASE
from offerledger.cli import cli
from offerledger.demo import run_demo

PASS = b"test-passphrase"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def head(db: str) -> dict[str, object]:
    code, out, err = invoke("--db", db, "verify", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True and data["problems"] == []
    return {"events": data["events"], "root": data["root"]}


def states(db: str) -> list[tuple[str, int, str, bytes]]:
    from offerledger.ledger import Ledger

    with Ledger.open(db) as ledger:
        return [(str(e.stream), e.version, e.topic, e.state) for e in ledger.log()]


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        run_demo(str(folder / "demo.db"), passphrase=PASS, employees=8)
    return folder


@pytest.fixture
def demo_db(demo_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the module's demo ledger (its keystore in OFFERLEDGER_KEYS)."""
    monkeypatch.setenv("OFFERLEDGER_KEYS", str(demo_sqlite / "keys"))
    src = sqlite3.connect(demo_sqlite / "demo.db")
    dst = sqlite3.connect(tmp_path / "demo.db")
    src.backup(dst)
    src.close()
    dst.close()
    return str(tmp_path / "demo.db")


def test_sqlite_to_postgres_and_back_keeps_every_byte_and_the_tree_head(
    demo_db: str, pg_schema: str, tmp_path: Path
) -> None:
    before = head(demo_db)
    code, out, err = invoke("db", "migrate", demo_db, pg_schema, "--json")
    assert code == 0, err
    assert json.loads(out)["root"] == before["root"]
    assert head(pg_schema) == before
    assert states(pg_schema) == states(demo_db)
    back = str(tmp_path / "back.db")
    code, out, err = invoke("db", "migrate", pg_schema, back)
    assert code == 0, err
    assert f"tree head {before['events']} {before['root']} on both" in out
    assert head(back) == before
    assert states(back) == states(demo_db)
    # the checkpoint root is the same on both backends
    for db in (demo_db, pg_schema):
        code, _, err = invoke("--db", db, "checkpoint", "--out", str(tmp_path / "cp"))
        assert code == 0, err
        assert str(before["root"]) not in (tmp_path / "cp").read_text()  # base64, not hex
    cps = []
    for db in (demo_db, pg_schema, back):
        invoke("--db", db, "checkpoint", "--out", str(tmp_path / "cp"))
        cps.append((tmp_path / "cp").read_text().splitlines()[:3])
    assert cps[0] == cps[1] == cps[2]


def test_a_target_holding_a_ledger_is_refused_and_left_alone(demo_db: str, tmp_path: Path) -> None:
    other = str(tmp_path / "other.db")
    assert invoke("db", "migrate", demo_db, other)[0] == 0
    before = states(other)
    code, _, err = invoke("db", "migrate", demo_db, other)
    assert code == 2
    assert err.startswith(f"Error: field 'TO': {other} already holds a ledger")
    assert states(other) == before


def test_an_empty_source_or_the_same_database_is_refused(demo_db: str, tmp_path: Path) -> None:
    code, _, err = invoke("db", "migrate", demo_db, demo_db)
    assert code == 2 and "FROM and TO are the same database" in err
    code, _, err = invoke("db", "migrate", str(tmp_path / "none.db"), str(tmp_path / "x.db"))
    assert code == 3 and "no ledger at" in err


def test_harden_refuses_sqlite_and_names_the_docs(demo_db: str) -> None:
    code, _, err = invoke("--db", demo_db, "db", "harden", "--role", "app")
    assert code == 2
    assert "PostgreSQL ledger only" in err and "docs/operations.md" in err


@pytest.fixture
def hardened(demo_db: str, pg_schema: str) -> Iterator[tuple[str, str, str]]:
    """The demo migrated to PostgreSQL and hardened: (owner URL, role URL, schema)."""
    assert invoke("db", "migrate", demo_db, pg_schema)[0] == 0
    role = f"olr_{uuid.uuid4().hex[:10]}"
    code, _, err = invoke("--db", pg_schema, "db", "harden", "--role", role)
    assert code == 0, err
    schema = pg_schema.rsplit("schema=", 1)[1]
    as_role = pg_schema.replace("postgresql://postgres@", f"postgresql://{role}@", 1)
    assert as_role != pg_schema
    try:
        yield pg_schema, as_role, schema
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_the_ledger_works_through_the_hardened_role(hardened: tuple[str, str, str]) -> None:
    owner, as_role, _ = hardened
    size = int(head(owner)["events"])  # type: ignore[call-overload]
    code, out, err = invoke("--db", as_role, "log", "--type", "NoticeDispatched", "--json")
    assert code == 0, err
    notice = json.loads(out)[0]
    code, out, err = invoke(
        "--db", as_role, "--demo-keys-ok", "record", "correction-recorded",
        "--key", "People Communications", "--effective", "2001-09-14",
        "--stream", notice["stream"], "--supersedes-version", str(notice["version"]),
        "--supersedes-topic", notice["topic"], "--reason", "wrong recipient class",
        "--corrected", '{"recipient_class": "all"}',
    )  # fmt: skip
    assert code == 0, err
    assert head(as_role)["events"] == size + 1
    assert head(owner) == head(as_role)
    # harden again (updates the role and triggers) and the ledger still verifies
    role = as_role.split("//", 1)[1].split("@", 1)[0]
    code, out, _ = invoke("--db", owner, "db", "harden", "--role", role, "--json")
    assert code == 0 and json.loads(out)["role"] == role  # tests/test_cli_habits.py counts on it
    assert head(as_role)["events"] == size + 1


FORBIDDEN = [
    "UPDATE {s}.offerledger_events SET topic = topic",
    "DELETE FROM {s}.offerledger_events",
    "TRUNCATE {s}.offerledger_events",
    "UPDATE {s}.offerledger_leaves SET hash = hash",
    "DELETE FROM {s}.offerledger_leaves WHERE position = 0",
    "TRUNCATE {s}.offerledger_leaves",
    "UPDATE {s}.offerledger_nodes SET hash = hash",
    "DELETE FROM {s}.offerledger_nodes",
    "TRUNCATE {s}.offerledger_nodes",
    "UPDATE {s}.offerledger_documents SET name = 'x'",
    "DELETE FROM {s}.offerledger_documents",
    "TRUNCATE {s}.offerledger_documents",
    "UPDATE {s}.offerledger_head SET size = size - 1",
    "DELETE FROM {s}.offerledger_head",
    "TRUNCATE {s}.offerledger_head",
    "CREATE TABLE {s}.intruder (x int)",
    "DROP TABLE {s}.offerledger_nodes",
    "ALTER TABLE {s}.offerledger_events DISABLE TRIGGER ALL",
]


def _try(url_user: str, statement: str, *, maintenance: bool = False) -> str | None:
    """Run one statement as ``url_user``, rolled back; the error message, or None."""
    with psycopg.connect(PG_BASE.replace("postgres@", f"{url_user}@", 1)) as conn:
        try:
            if maintenance:
                conn.execute("SET LOCAL offerledger.maintenance = 'on'")
            conn.execute(statement)
            return None
        except psycopg.Error as e:
            return str(e).splitlines()[0]
        finally:
            conn.rollback()


@pytest.mark.parametrize("statement", FORBIDDEN)
def test_each_forbidden_statement_is_refused_to_the_role_and_to_the_owner(
    hardened: tuple[str, str, str], statement: str
) -> None:
    owner, as_role, schema = hardened
    role = as_role.split("//", 1)[1].split("@", 1)[0]
    sql = statement.format(s=schema)
    refused = _try(role, sql)
    assert refused is not None
    assert any(w in refused for w in ("permission denied", "must be owner", "refused"))
    refused = _try(role, sql, maintenance=True)  # the switch is the owner's, not the role's
    assert refused is not None
    if statement.split()[0] in ("UPDATE", "DELETE", "TRUNCATE"):
        assert _try("postgres", sql) == (
            f"offerledger: {statement.split()[0]} on {schema}.{sql.split('.')[1].split()[0]} "
            "refused: the ledger is append-only"
        )
        assert _try("postgres", sql, maintenance=True) is None  # the maintenance switch
    assert head(owner)["events"] == head(as_role)["events"]
