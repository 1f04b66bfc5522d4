"""A ``postgresql://`` ledger URL: what it names, what it hands psycopg, how it is shown.

``postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?schema=NAME&OPTION=VALUE…]``: ``schema`` is
offerledger's (the PostgreSQL schema holding the ledger's tables, default ``public``); every
other query option is a libpq connection option (``sslmode``, ``connect_timeout``,
``application_name``, …) passed to psycopg as given. An option libpq does not know is refused
by name; one the URL itself names (host, port, user, password, database) is refused too, so
that one URL never means two databases.

A password never appears in anything offerledger prints: :attr:`PgTarget.shown` is the URL with
the password replaced by ``***``, and :func:`scrub` removes it from a driver's message.

:func:`probe` opens one connection before the pool does, so that a wrong database, a server
that cannot be reached or a missing schema is said at once, in words, with host and port (the
pool would retry for its whole timeout and then say only "couldn't get a connection").
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from offerledger.errors import OfferLedgerError, StorageError

SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
URL_FORM = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?schema=NAME&sslmode=…]"
# what the URL's own parts say; given again as a query option they could name another database
IN_THE_URL = {
    "host": "HOST",
    "hostaddr": "HOST",
    "port": "PORT",
    "dbname": "DBNAME",
    "user": "USER",
    "password": "PASSWORD",
}
SECRET_OPTIONS = {"password", "sslpassword", "oauth_client_secret"}
DEFAULT_CONNECT_TIMEOUT = 5


@dataclass(frozen=True)
class PgTarget:
    """One PostgreSQL ledger: where it is, the libpq options, and the URL as it may be shown."""

    host: str
    port: int
    dbname: str
    user: str
    password: str = field(repr=False)
    schema: str | None
    options: dict[str, str]
    shown: str  # the URL with the password replaced by ***

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def schema_name(self) -> str:
        return self.schema or "public"

    @property
    def connect_timeout(self) -> int:
        """Seconds to wait for a connection: the URL's ``connect_timeout``, else 5."""
        given = self.options.get("connect_timeout")
        return int(given) if given and int(given) > 0 else DEFAULT_CONNECT_TIMEOUT

    def init_command(self) -> str:
        return f"offerledger --db '{self.shown}' init"


def is_pg_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """``url`` with its password (and any secret query option) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            if ":" in userinfo:
                userinfo = userinfo.split(":", 1)[0] + ":***"
            netloc = f"{userinfo}@{hostport}"
        query = "&".join(
            f"{k}=***" if k in SECRET_OPTIONS else f"{quote(k)}={quote(v, safe='/:,-_.')}"
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return "postgresql://***"  # a URL that does not even split is shown as nothing of it


def scrub(text: str, target: PgTarget | None) -> str:
    """``text`` with the target's password and any ``password=…`` removed."""
    text = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)
    text = re.sub(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    if target is not None and len(target.password) >= 3:
        text = text.replace(target.password, "***")
    return text


def parse(url: str) -> PgTarget:
    """Read a ledger URL; a part or option that cannot be used is a :class:`StorageError`
    (exit 3, configuration) naming it."""
    shown = redact(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise StorageError(
            f"cannot read the PostgreSQL URL {shown!r}: {scrub(str(e), None)}",
            hint=f"use {URL_FORM}",
        ) from None
    dbname = unquote(parts.path.strip("/"))
    if not parts.hostname or not dbname:
        raise StorageError(
            f"cannot read the PostgreSQL URL {shown!r}: it names no "
            + ("host" if not parts.hostname else "database"),
            hint=f"use {URL_FORM}",
        )
    schema: str | None = None
    options: dict[str, str] = {}
    known = _libpq_options()
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "schema":
            if schema is not None:
                raise StorageError(f"the URL {shown!r} gives schema twice")
            if not SCHEMA_NAME.fullmatch(value):
                raise StorageError(
                    f"{value!r} (schema in {shown!r}) is not a PostgreSQL schema name this "
                    "tool accepts",
                    hint="letters, digits and underscores, starting with a letter or underscore",
                )
            schema = value
            continue
        if key in IN_THE_URL:
            raise StorageError(
                f"URL option {key!r} in {shown!r} is refused: the URL's {IN_THE_URL[key]} part "
                "says it",
                hint=f"use {URL_FORM}",
            )
        if key not in known:
            raise StorageError(
                f"URL option {key!r} in {shown!r} is not a PostgreSQL connection option",
                hint="schema, or a libpq option: sslmode, sslrootcert, connect_timeout, "
                "application_name, options, target_session_attrs, … (see docs/operations.md)",
            )
        if key in options:
            raise StorageError(f"URL option {key!r} is given twice in {shown!r}")
        if key == "connect_timeout" and not re.fullmatch(r"\s*-?\d+\s*", value):
            raise StorageError(
                f"URL option 'connect_timeout' in {shown!r} is {value!r}, not a whole number "
                "of seconds"
            )
        options[key] = value
    return PgTarget(
        host=parts.hostname,
        port=port or 5432,
        dbname=dbname,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        schema=schema,
        options=options,
        shown=shown,
    )


def _libpq_options() -> set[str]:
    try:
        from psycopg import pq
    except ImportError as e:
        raise StorageError(
            "a postgresql:// ledger needs psycopg, which is not installed",
            hint="pip install 'offerledger[postgres]'",
        ) from e
    return {d.keyword.decode() for d in pq.Conninfo.get_defaults()}


# --- where a PostgreSQL ledger's local files are --------------------------------------------


def data_home() -> Path:
    """``$XDG_DATA_HOME/offerledger``, else ``~/.local/share/offerledger``."""
    base = os.environ.get("XDG_DATA_HOME")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "offerledger"


def ledger_home(target: PgTarget) -> Path:
    """The per-user folder of one PostgreSQL ledger (host, port, database, schema): its default
    keystore (``keys/``) and read model (``projections.sqlite``). The same from any folder."""
    name = f"{target.host}-{target.port}-{target.dbname}-{target.schema_name}"
    return data_home() / "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


# --- one connection before the pool ---------------------------------------------------------


def connect_kwargs(target: PgTarget) -> dict[str, Any]:
    """What psycopg is handed: the URL's parts and every libpq option it gives."""
    return {
        **target.options,
        "dbname": target.dbname,
        "host": target.host,
        "port": target.port,
        "user": target.user,
        "password": target.password,
        "connect_timeout": target.connect_timeout,
    }


def probe(target: PgTarget, *, create_schema: bool) -> None:
    """Connect once and check the schema (``create_schema``: make it when it is missing).

    Raises :class:`StorageError` saying what is wrong in words: the database does not exist
    on HOST:PORT, the server cannot be reached, the login is refused, the schema is missing
    (or cannot be created, and how an administrator creates it), a URL option's value is
    refused by libpq (named). No message holds the password.
    """
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg.sql import SQL, Identifier

    try:
        conn = psycopg.connect(**connect_kwargs(target), autocommit=True)
    except psycopg.Error as e:
        raise _connect_error(target, e) from None
    with conn:
        schema = target.schema_name
        row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
        if row is not None:
            return
        if not create_schema:
            raise StorageError(
                f"schema {schema} does not exist in database {target.dbname} on {target.where}; "
                f"run `{target.init_command()}`",
                hint="init creates the schema and the ledger's tables in it",
            )
        try:
            conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(schema)))
        except pg_errors.InsufficientPrivilege:
            raise StorageError(
                f"user {target.user} may not create schema {schema} in database "
                f"{target.dbname} on {target.where}; nothing was written",
                hint=f'an administrator runs: CREATE SCHEMA "{schema}" AUTHORIZATION '
                f'"{target.user}"; then run `{target.init_command()}` again',
            ) from None
        except psycopg.Error as e:
            raise StorageError(
                f"cannot create schema {schema} in database {target.dbname} on "
                f"{target.where}: {scrub(str(e), target).strip()}"
            ) from None


def _connect_error(target: PgTarget, e: Exception) -> OfferLedgerError:
    text = scrub(str(e), target)
    detail = text.split("FATAL:", 1)[-1].strip() if "FATAL:" in text else text.strip()
    where = target.where
    if re.search(r'database "[^"]*" does not exist', text):
        return StorageError(
            f"database {target.dbname} does not exist on {where}",
            hint="check DBNAME in the URL (psql -l lists the databases); an administrator "
            f'creates it with: CREATE DATABASE "{target.dbname}"',
        )
    if "Connection refused" in text or "could not connect" in text:
        return StorageError(
            f"cannot reach the PostgreSQL server at {where}: connection refused",
            hint="is the server running there and accepting TCP/IP connections?",
        )
    if "failed to resolve host" in text or "could not translate host name" in text:
        return StorageError(f"cannot reach the PostgreSQL server at {where}: unknown host")
    if "timeout expired" in text:
        return StorageError(
            f"cannot reach the PostgreSQL server at {where}: no answer within "
            f"{target.connect_timeout} s",
            hint="check HOST and PORT, or raise ?connect_timeout=SECONDS",
        )
    if "password authentication failed" in text or "no password supplied" in text:
        return StorageError(
            f"PostgreSQL on {where} refused the login of user {target.user}: {detail}",
            hint="check USER and PASSWORD in the URL (or ~/.pgpass)",
        )
    if re.search(r'role "[^"]*" does not exist', text):
        return StorageError(f"user {target.user} does not exist on {where}")
    invalid = re.search(r"(invalid [^\n]*)|(bad value for [^\n]*)", text)
    if invalid:
        return StorageError(
            f"a URL option is refused: {invalid.group(0).strip()}", hint=f"URL {target.shown}"
        )
    return StorageError(f"cannot connect to PostgreSQL at {where}: {detail}")


__all__ = [
    "PgTarget",
    "connect_kwargs",
    "data_home",
    "is_pg_url",
    "ledger_home",
    "parse",
    "probe",
    "redact",
    "scrub",
]
