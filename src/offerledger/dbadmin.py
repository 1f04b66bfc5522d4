"""Database administration: ``db migrate`` (SQLite ↔ PostgreSQL) and ``db harden`` (PostgreSQL).

:func:`migrate` copies a ledger byte for byte: the events in log order with their exact stored
states, the saves, the log tables (leaves, nodes, head) and the source documents, in one
transaction on the target, which must hold no ledger. Positions are log ordinals, never
notification ids (docs/format.md), so the copied log tables stay true whatever ids the target
gives; the target's tree head must equal the source's, and ``verify`` on the target checks every
signature again.

:func:`harden` makes a PostgreSQL ledger append-only (docs/operations.md): an application role
that may SELECT and INSERT the ledger's tables, UPDATE the head row (every save moves it) and the
events table (PostgreSQL lets only a holder of UPDATE take the EXCLUSIVE lock that orders the
log; the trigger refuses the UPDATE itself), and nothing else; and triggers that refuse UPDATE,
DELETE and TRUNCATE of the events, saves, leaves, nodes and documents tables, and any move of
the head backwards, for every role (the owner included) unless the owner's session runs
``SET offerledger.maintenance = 'on'``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from offerledger import pgurl
from offerledger.errors import InputError, StorageError
from offerledger.integrity.logtree import TreeHead
from offerledger.recorders import CHUNK
from offerledger.store import Backend, LedgerApplication, open_application, resolve_backend

__all__ = ["MAINTENANCE_SETTING", "Migrated", "harden", "migrate"]

MAINTENANCE_SETTING = "offerledger.maintenance"
APPEND_ONLY = ("events", "saves", "leaves", "nodes", "documents")


@dataclass(frozen=True)
class Migrated:
    """What :func:`migrate` copied: the event and document counts and the (equal) tree heads."""

    events: int
    documents: int
    source_head: TreeHead
    target_head: TreeHead


class _Tables:
    """The ledger's table names and placeholder style on one backend."""

    def __init__(self, app: LedgerApplication) -> None:
        self.app = app
        self.pg = app.backend.kind == "postgres"
        rec: Any = app.recorder
        if self.pg:
            from psycopg.sql import SQL

            self.names = {k: v.as_string(None) for k, v in rec._t.items()}
            self.names["events"] = rec._events.as_string(None)
            self.sql = SQL
        else:
            self.names = {
                k: f"offerledger_{k}" for k in ("head", "saves", "leaves", "nodes", "documents")
            }
            self.names["events"] = rec.events_table_name
        self.mark = "%s" if self.pg else "?"

    def q(self, text: str) -> Any:
        """``text`` with ``{events}`` etc. filled in and ``?`` placeholders for the backend."""
        filled = text.format(**self.names).replace("?", self.mark)
        return self.sql(filled) if self.pg else filled

    @contextmanager
    def cursor(self, *, commit: bool) -> Iterator[Any]:
        with self.app.recorder.datastore.transaction(commit=commit) as c:  # type: ignore[attr-defined]
            yield c


def _rows(c: Any) -> list[tuple[Any, ...]]:
    raw = getattr(c, "sqlite_cursor", c)  # eventsourcing's SQLite cursor wraps sqlite3's
    return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in raw.fetchmany(CHUNK)]


def _bytes(v: Any) -> bytes:
    return v.encode("utf-8", "surrogatepass") if isinstance(v, str) else bytes(v)


def _open_source(location: str) -> LedgerApplication:
    backend = resolve_backend(location)
    shown = backend.location  # a URL's password as ***
    app = open_application(backend)
    try:
        head = app.recorder.tree_head()  # type: ignore[attr-defined]
    except Exception as e:
        app.close()
        why = pgurl.scrub(str(e), backend.pg)
        raise StorageError(f"{shown} is not an offerledger ledger ({why})") from None
    if head.size == 0:
        app.close()
        raise InputError(f"{shown} holds no events; nothing to migrate", field="FROM")
    return app


def _open_target(location: str) -> LedgerApplication:
    backend = resolve_backend(location)
    location = backend.location  # a URL's password as ***
    app = open_application(backend, create=True)
    t = _Tables(app)
    with t.cursor(commit=False) as c:
        c.execute(t.q("SELECT count(*) AS n FROM (SELECT 1 FROM {events} LIMIT 1) AS e"))
        (events,) = _rows(c)[0]
        c.execute(t.q("SELECT size FROM {head} WHERE id = 1"))
        head = _rows(c)
    if events or not head or head[0][0]:
        app.close()
        raise InputError(
            f"{location} already holds a ledger (or events); nothing was written",
            field="TO",
            hint="migrate into a new SQLite file or an empty PostgreSQL schema",
        )
    return app


def migrate(source: str, target: str) -> Migrated:
    """Copy the ledger at ``source`` into the empty database ``target`` (see the module doc)."""
    if resolve_backend(source).location == resolve_backend(target).location:
        raise InputError("FROM and TO are the same database", field="TO")
    src_app = _open_source(source)
    try:
        dst_app = _open_target(target)
        try:
            return _copy(_Tables(src_app), _Tables(dst_app))
        finally:
            dst_app.close()
    finally:
        src_app.close()


def _copy(src: _Tables, dst: _Tables) -> Migrated:
    order = "notification_id" if src.pg else "rowid"
    copies: list[tuple[str, str, Callable[[tuple[Any, ...]], tuple[Any, ...]]]] = [
        (
            f"SELECT originator_id, originator_version, topic, state FROM {{events}} "
            f"ORDER BY {order}",
            "INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            lambda r: (_uuid(r[0], dst.pg), int(r[1]), str(r[2]), _bytes(r[3])),
        ),
        (
            "SELECT save, log_size, size, log_root, signature, leaves FROM {saves} ORDER BY save",
            "INSERT INTO {saves} VALUES (?, ?, ?, ?, ?, ?)",
            lambda r: (*(int(v) for v in r[:3]), *(_bytes(v) for v in r[3:])),
        ),
        (
            "SELECT position, originator_id, originator_version, hash FROM {leaves} "
            "ORDER BY position",
            "INSERT INTO {leaves} VALUES (?, ?, ?, ?)",
            lambda r: (int(r[0]), _uuid(r[1], dst.pg), int(r[2]), _bytes(r[3])),
        ),
        (
            "SELECT level, idx, hash FROM {nodes} ORDER BY level, idx",
            "INSERT INTO {nodes} VALUES (?, ?, ?)",
            lambda r: (int(r[0]), int(r[1]), _bytes(r[2])),
        ),
        (
            "SELECT sha256, media_type, name, content FROM {documents} ORDER BY sha256",
            "INSERT INTO {documents} VALUES (?, ?, ?, ?)",
            lambda r: (str(r[0]), str(r[1]), str(r[2]), _bytes(r[3])),
        ),
    ]
    counts: list[int] = []
    with src.cursor(commit=False) as rc, dst.cursor(commit=True) as wc:
        rc.execute(src.q("SELECT size, root FROM {head} WHERE id = 1"))
        size, root = _rows(rc)[0]
        source_head = TreeHead(int(size), _bytes(root))
        for select, insert, convert in copies:
            rc.execute(src.q(select))
            n = 0
            while rows := _rows(rc):
                wc.executemany(dst.q(insert), [convert(r) for r in rows])
                n += len(rows)
            counts.append(n)
        if counts[0] != source_head.size or counts[2] != source_head.size:
            raise StorageError(
                f"the source holds {counts[0]} events and {counts[2]} leaves but its head says "
                f"{source_head.size}; nothing was written",
                hint="run 'offerledger verify' on the source",
            )
        wc.execute(
            dst.q("UPDATE {head} SET size = ?, root = ? WHERE id = 1 AND size = 0"),
            (source_head.size, source_head.root),
        )
    target_head = dst.app.recorder.tree_head()  # type: ignore[attr-defined]
    if target_head != source_head:  # pragma: no cover - the copy above is exact
        raise StorageError(f"the target's head {target_head} is not the source's {source_head}")
    return Migrated(counts[0], counts[4], source_head, target_head)


def _uuid(value: Any, pg: bool) -> Any:
    from uuid import UUID

    u = value if isinstance(value, UUID) else UUID(str(value))
    return u if pg else u.hex


# --- harden (PostgreSQL) ------------------------------------------------------------------

_REFUSE = """
CREATE OR REPLACE FUNCTION {schema}.offerledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('offerledger.maintenance', true), '') = 'on'
     AND pg_has_role(current_user,
                     (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND TG_LEVEL = 'ROW' AND TG_TABLE_NAME = 'offerledger_head' THEN
    IF NEW.size >= OLD.size THEN  -- a save moves the head forward, never back
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'offerledger: % on %.% refused: the ledger is append-only',
    TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'the table owner may SET offerledger.maintenance = ''on'' (docs/operations.md)';
END $$
"""


def _role_name(role: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise InputError(
            f"{role!r} is not a role name this tool accepts",
            field="--role",
            hint="lower-case letters, digits and underscores, starting with a letter",
        )
    return role


def harden(location: str, *, role: str) -> list[str]:
    """Make the PostgreSQL ledger at ``location`` append-only and give ``role`` (created with
    LOGIN if missing) what a ledger writer needs and nothing else. Returns the statements run."""
    backend: Backend = resolve_backend(location)
    if backend.kind != "postgres":
        raise InputError(
            "db harden works on a PostgreSQL ledger only",
            field="--db",
            hint="for SQLite, see docs/operations.md (file system permissions, verify "
            "--checkpoint)",
        )
    name = _role_name(role)
    app = open_application(backend)
    try:
        app.recorder.tree_head()  # type: ignore[attr-defined]
        t = _Tables(app)
        schema = t.names["head"].rsplit(".", 1)[0]
        tables = {k: t.names[k] for k in ("events", *APPEND_ONLY[1:], "head")}
        statements = [
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            f"'{name}') THEN CREATE ROLE {name} LOGIN; END IF; END $$",
            f"ALTER ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
            f"GRANT USAGE ON SCHEMA {schema} TO {name}",
            *(f"REVOKE ALL ON {tbl} FROM {name}" for tbl in tables.values()),
            *(f"GRANT SELECT, INSERT ON {tbl} TO {name}" for tbl in tables.values()),
            f"GRANT UPDATE ON {tables['head']}, {tables['events']} TO {name}",
            f'GRANT USAGE ON SEQUENCE {tables["events"][:-1]}_notification_id_seq" TO {name}',
            _REFUSE.format(schema=schema),
        ]
        for key in APPEND_ONLY:
            tbl = tables[key]
            trig = f"offerledger_append_only_{key}"
            statements += [
                f"DROP TRIGGER IF EXISTS {trig} ON {tbl}",
                f"CREATE TRIGGER {trig} BEFORE UPDATE OR DELETE OR TRUNCATE ON {tbl} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {schema}.offerledger_refuse_change()",
            ]
        head = tables["head"]
        statements += [
            f"DROP TRIGGER IF EXISTS offerledger_head_forward ON {head}",
            f"CREATE TRIGGER offerledger_head_forward BEFORE UPDATE OR DELETE ON {head} "
            f"FOR EACH ROW EXECUTE FUNCTION {schema}.offerledger_refuse_change()",
            f"DROP TRIGGER IF EXISTS offerledger_head_truncate ON {head}",
            f"CREATE TRIGGER offerledger_head_truncate BEFORE TRUNCATE ON {head} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {schema}.offerledger_refuse_change()",
        ]
        with t.cursor(commit=True) as c:
            for s in statements:
                c.execute(t.sql(s))
        return statements
    finally:
        app.close()
