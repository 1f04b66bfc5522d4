"""PostgreSQL as a user meets it: where keys and the read model live, schemas, URL options,
errors said in words and fast, and no password in anything printed (issue 12 item 5)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from click.testing import CliRunner

from conftest import PASSPHRASE, PG_BASE, REQUIRE_PG, pg_problem
from offerledger import pgurl
from offerledger.cli import cli
from offerledger.errors import StorageError
from offerledger.ledger import Ledger, keystore_folder
from offerledger.reading import read_model_path
from offerledger.store import resolve_backend

PASSWORD = "Zq7-hunter2-s3cret"


@pytest.fixture
def pg() -> None:
    problem = pg_problem()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"OFFERLEDGER_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)


def _admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_BASE, connect_timeout=3, autocommit=True)


@pytest.fixture
def fresh_schema(pg: None) -> Iterator[str]:
    """A schema name that does not exist yet (dropped afterwards, if anything made it)."""
    name = f"olt_ux_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        with _admin() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def with_password(url: str, password: str = PASSWORD) -> str:
    """``url`` (the test server's) with ``password`` in it (trust auth ignores it)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}:{parts.port or 5432}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def base_with(path: str = "", query: str = "", port: int | None = None) -> str:
    parts = urlsplit(with_password(PG_BASE))
    netloc = parts.netloc if port is None else parts.netloc.rsplit(":", 1)[0] + f":{port}"
    return urlunsplit((parts.scheme, netloc, path or parts.path, query, ""))


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def run_cli(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offerledger", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- the URL ---------------------------------------------------------------------------------


def test_url_options_are_kept_and_unknown_ones_refused_by_name() -> None:
    target = pgurl.parse(
        f"postgresql://u:{PASSWORD}@db.example:6543/ledgers?schema=s1&sslmode=verify-full"
        "&application_name=offerledger-ops&connect_timeout=3"
    )
    assert (target.host, target.port, target.dbname, target.user) == (
        "db.example",
        6543,
        "ledgers",
        "u",
    )
    assert target.schema == "s1"
    assert target.options == {
        "sslmode": "verify-full",
        "application_name": "offerledger-ops",
        "connect_timeout": "3",
    }
    assert target.connect_timeout == 3
    assert PASSWORD not in target.shown and "u:***@db.example:6543" in target.shown
    assert PASSWORD not in repr(target) and PASSWORD not in repr(resolve_backend(target.shown))
    kwargs = pgurl.connect_kwargs(target)
    assert kwargs["sslmode"] == "verify-full" and kwargs["application_name"] == "offerledger-ops"

    with pytest.raises(StorageError, match="URL option 'sslmod' in .* is not a PostgreSQL"):
        pgurl.parse("postgresql://u@h/db?sslmod=require")
    with pytest.raises(StorageError, match="URL option 'dbname' .* DBNAME part"):
        pgurl.parse("postgresql://u@h/db?dbname=other")
    with pytest.raises(StorageError, match="'connect_timeout' .* not a whole number"):
        pgurl.parse("postgresql://u@h/db?connect_timeout=soon")
    with pytest.raises(StorageError, match="given twice"):
        pgurl.parse("postgresql://u@h/db?sslmode=require&sslmode=disable")
    with pytest.raises(StorageError, match="not a PostgreSQL schema name"):
        pgurl.parse("postgresql://u@h/db?schema=a;drop")
    with pytest.raises(StorageError, match="names no database"):
        pgurl.parse("postgresql://u@h/")


def test_redact_hides_password_and_secret_options() -> None:
    shown = pgurl.redact(f"postgresql://me:{PASSWORD}@h:5/d?sslpassword={PASSWORD}&sslmode=require")
    assert PASSWORD not in shown
    assert shown == "postgresql://me:***@h:5/d?sslpassword=***&sslmode=require"
    assert pgurl.redact("postgresql://me@h/d") == "postgresql://me@h/d"
    text = f"failed: password={PASSWORD} at postgresql://me:{PASSWORD}@h/d"
    assert PASSWORD not in pgurl.scrub(text, None)


def test_sqlite_keys_and_read_model_stay_beside_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OFFERLEDGER_KEYS")
    monkeypatch.delenv("OFFERLEDGER_READ_MODEL", raising=False)
    db = tmp_path / "x.db"
    backend = resolve_backend(str(db))
    assert backend.home is None
    assert keystore_folder(backend) == tmp_path.resolve() / "keys"
    ledger, _ = Ledger.init(str(db), passphrase=PASSPHRASE.encode())
    with ledger:
        assert read_model_path(ledger) == Path(f"{db}.projections.sqlite")
    assert len(list((tmp_path / "keys").glob("*.pem"))) == 1
    assert not (tmp_path / "xdg").exists()  # nothing in the per-user folder


# --- a real server ---------------------------------------------------------------------------


def test_keys_and_read_model_are_found_from_any_folder(fresh_schema: str, tmp_path: Path) -> None:
    """init in one folder, rebuild and verify from another: same keys, same read model, in the
    per-user folder; nothing is written in either working folder."""
    url = base_with(query=f"schema={fresh_schema}")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OFFERLEDGER_KEYS", "OFFERLEDGER_READ_MODEL")
    }
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()

    made = run_cli(first, env, "--db", url, "init")
    assert made.returncode == 0, made.stderr
    home = tmp_path / "xdg" / "offerledger" / f"127.0.0.1-5432-test-{fresh_schema}"
    if urlsplit(PG_BASE).hostname == "127.0.0.1" and urlsplit(PG_BASE).path == "/test":
        assert f"in {home / 'keys'}" in made.stdout
    built = run_cli(second, env, "--db", url, "rebuild", "--json")
    assert built.returncode == 0, built.stderr
    checked = run_cli(second, env, "--db", url, "verify")
    assert checked.returncode == 0, checked.stderr
    assert "from the keystore's root key" in checked.stdout
    assert "not independent" not in checked.stdout + checked.stderr
    listed = run_cli(first, env, "--db", url, "keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert '"root"' in listed.stdout

    homes = list((tmp_path / "xdg" / "offerledger").iterdir())
    assert len(homes) == 1
    assert sorted(p.name for p in homes[0].iterdir()) == [
        "keys",
        "ledger.projections.sqlite",
        "ledger.verifications.sqlite",
    ]
    assert len(list((homes[0] / "keys").glob("*.pem"))) == 1
    assert list(first.iterdir()) == [] and list(second.iterdir()) == []
    assert PASSWORD not in made.stdout + made.stderr + checked.stdout + built.stdout

    with Ledger.open(url) as ledger:  # the library finds the same files
        assert read_model_path(ledger) == homes[0] / "ledger.projections.sqlite"


def test_init_creates_the_schema_others_say_it_is_missing(fresh_schema: str) -> None:
    url = base_with(query=f"schema={fresh_schema}")
    code, _, err = invoke("--db", url, "verify")
    assert code == 3
    assert f"schema {fresh_schema} does not exist" in err
    assert "run `offerledger --db 'postgresql://postgres:***@" in err and "init`" in err
    code, out, err = invoke("--db", url, "init")
    assert code == 0, err
    with _admin() as conn:
        found = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
            (fresh_schema,),
        ).fetchone()
    assert found is not None and found[0] >= 5
    code, out, err = invoke("--db", url, "verify")
    assert code == 0, err


def test_init_without_the_right_to_create_says_how(fresh_schema: str) -> None:
    role = f"olt_ux_role_{uuid.uuid4().hex[:8]}"
    with _admin() as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        parts = urlsplit(PG_BASE)
        url = urlunsplit(
            (
                parts.scheme,
                f"{role}:{PASSWORD}@{parts.hostname}:{parts.port or 5432}",
                parts.path,
                f"schema={fresh_schema}",
                "",
            )
        )
        code, out, err = invoke("--db", url, "init")
        if "refused the login" in err:
            pytest.skip("the test server does not trust a new role's login")
        assert code == 3, err
        assert f"user {role} may not create schema {fresh_schema}" in err
        assert f'CREATE SCHEMA "{fresh_schema}" AUTHORIZATION "{role}"' in err
        assert PASSWORD not in out + err
    finally:
        with _admin() as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_url_options_reach_every_connection(pg_schema: str) -> None:
    url = f"{pg_schema}&application_name=olt-ux-app&options=-c%20statement_timeout%3D12345"
    Ledger.init(url, passphrase=PASSPHRASE.encode())[0].close()
    with Ledger.open(url) as ledger:
        rows = ledger.app._raw_query(
            "SELECT current_setting('application_name') AS a, "
            "current_setting('statement_timeout') AS t",
            (),
        )
    assert rows == [("olt-ux-app", "12345ms")]
    # a value libpq refuses is refused by its name (exit 3: configuration, docs/errors.md)
    code, _, err = invoke("--db", f"{pg_schema}&sslmode=sometimes", "verify")
    assert code == 3 and 'invalid sslmode value: "sometimes"' in err, err
    code, _, err = invoke("--db", f"{pg_schema}&frobnicate=1", "verify")
    assert code == 3 and "URL option 'frobnicate'" in err, err
    # sslmode is handed over: the test server has no SSL, so requiring it fails, in words
    code, _, err = invoke("--db", f"{pg_schema}&sslmode=require", "verify")
    assert code == 3 and "SSL" in err and "127.0.0.1:5432" in err, err


def test_wrong_database_is_said_fast_and_unreachable_names_host_port(pg: None) -> None:
    started = time.monotonic()
    with pytest.raises(StorageError) as wrong:
        Ledger.open(base_with(path="/olt_no_such_database"))
    took = time.monotonic() - started
    assert str(wrong.value).startswith("database olt_no_such_database does not exist on ")
    assert took < 1.0, f"{took:.2f} s"
    host = urlsplit(PG_BASE).hostname
    started = time.monotonic()
    with pytest.raises(StorageError) as unreachable:
        Ledger.open(base_with(port=1))
    assert time.monotonic() - started < 1.0
    assert f"cannot reach the PostgreSQL server at {host}:1" in str(unreachable.value)


def test_no_password_in_any_message(
    pg_schema: str, fresh_schema: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Several failures, with and without --debug: the password is in none of their output."""
    caplog.set_level(logging.DEBUG)
    good = with_password(pg_schema)
    Ledger.init(good, passphrase=PASSPHRASE.encode())[0].close()
    urls = [
        good,
        base_with(path="/olt_no_such_database"),
        base_with(port=1),
        base_with(query=f"schema={fresh_schema}"),
        base_with(query="schema=ok&sslmode=sometimes"),
        base_with(query="schema=ok&nonsense=1"),
        base_with(query="schema=ok&sslmode=require"),
        base_with(query="schema=bad-name"),
        base_with(query="schema=ok&password=x"),
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:notaport/test",
    ]
    outputs = []
    codes = []
    for url in urls:
        for debug in ([], ["--debug"]):
            for command in (["verify"], ["text"], ["elections", "--json"], ["init"]):
                code, out, err = invoke(*debug, "--db", url, *command)
                codes.append(code)
                outputs.append(out + err)
    # db migrate and db harden show the URL too
    small = str(tmp_path / "small.db")
    Ledger.init(small, passphrase=PASSPHRASE.encode())[0].close()
    missing = base_with(query=f"schema={fresh_schema}")
    for args in (
        ["db", "migrate", small, good],  # the target holds a ledger
        ["db", "migrate", good, good],  # the same database
        ["db", "migrate", missing, small],  # no such schema
        ["db", "harden", "--role", "olt_nobody"],
    ):
        for debug in ([], ["--debug"]):
            target = ["--db", missing] if args[0:2] == ["db", "harden"] else []
            code, out, err = invoke(*debug, *target, *args)
            codes.append(code)
            outputs.append(out + err)
    everything = "\n".join(outputs) + caplog.text
    assert PASSWORD not in everything
    assert "***" in everything  # the URL is shown, redacted
    assert sum(1 for c in codes if c != 0) >= 68  # they did fail (good: init twice, …)
    assert "already holds a ledger (or events)" in everything
    assert "database olt_no_such_database does not exist" in everything
    assert "cannot reach the PostgreSQL server" in everything
