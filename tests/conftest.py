"""Fixtures: one ledger database per backend (SQLite file, PostgreSQL schema), cleaned up after.

PostgreSQL tests skip with a reason when no server answers, and fail instead when
OFFERLEDGER_REQUIRE_POSTGRES=1 (CI). Each PostgreSQL test gets its own schema, dropped CASCADE.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BASE = os.environ.get("OFFERLEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("OFFERLEDGER_REQUIRE_POSTGRES") == "1"
PASSPHRASE = "test-passphrase"
# Key files written by the tests use scrypt n = 2^10 instead of 2^17 (a few ms, not ~0.8 s);
# offerledger honours this only when it is set (docs/keys.md). Subprocesses inherit it.
os.environ["OFFERLEDGER_INSECURE_TEST_KDF"] = "1"


def _pg_connect():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_BASE, connect_timeout=3, autocommit=True)


def _pg_available() -> str | None:
    try:
        with _pg_connect() as conn:
            conn.execute("select 1")
        return None
    except Exception as e:  # any driver or network failure means: no server here
        return f"no PostgreSQL server answers at {PG_BASE}: {e}"


_PG_PROBLEM: list[str | None] = []


def pg_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_pg_available())
    return _PG_PROBLEM[0]


@pytest.fixture(autouse=True)
def _keystore_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFERLEDGER_KEYS", str(tmp_path / "keys"))
    monkeypatch.setenv("OFFERLEDGER_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("OFFERLEDGER_DB", raising=False)
    # a PostgreSQL ledger's default keys and read model live in the per-user data folder
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema (dropped CASCADE afterwards); yields the ledger URL."""
    problem = pg_problem()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"OFFERLEDGER_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    schema = f"olt_{uuid.uuid4().hex[:12]}"
    with _pg_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_BASE}?schema={schema}"
    finally:
        with _pg_connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database location for a new ledger, on each backend in turn."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
    else:
        yield request.getfixturevalue("pg_schema")
