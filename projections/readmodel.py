"""The read model: every projection's state in one SQLite file beside the ledger.

Tables (``docs/projections.md`` describes them):

* ``meta``        the tracker (position, notification id, leaf hash, Merkle frontier) and the
                  schema version;
* ``streams``     the small streams' states (offer, filings, keys), JSON;
* ``employees``   one row per employee stream: its offer and employee id, and its records as
                  JSON lines (an incremental run appends the new ones);
* ``timeline``    one row per event, indexed in effective order;
* ``paragraphs``  the current offer document, for SQL users (the commands read the states).

A full rebuild writes a new file and switches it in with ``os.replace`` (atomic on POSIX); an
incremental run is one SQLite transaction. Either way a crash leaves the previous read model
whole. The file uses the rollback journal (not WAL) so that it is always one file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from offerledger.projections import codec
from offerledger.projections.core import Stamp
from offerledger.projections.employee import EmployeeState
from offerledger.projections.state import StreamState
from offerledger.projections.timeline import TimelineRow, TimelineValues, effective_us, values_of
from offerledger.projections.tracker import Tracker

SCHEMA_VERSION = "7"  # 5: a stamp says whether its event is synthetic; 6: timeline summaries
# count in the singular and plural ("1 eligible grant"), so a version-5 model is rebuilt; 7: a
# correction of a form's other fields (synthetic, a refusal's reason...) keeps the form

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE streams (stream TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL);
CREATE TABLE employees (
    stream TEXT PRIMARY KEY, offer_id TEXT, employee_id TEXT NOT NULL, records BLOB NOT NULL);
CREATE TABLE timeline (
    position INTEGER PRIMARY KEY, effective_us INTEGER NOT NULL, effective_at TEXT NOT NULL,
    effective_note TEXT, version INTEGER NOT NULL, action TEXT NOT NULL, recorded TEXT NOT NULL,
    actor TEXT NOT NULL, key_id TEXT NOT NULL, stream TEXT NOT NULL, summary TEXT NOT NULL,
    employee_id TEXT, filing_id TEXT, supersedes INTEGER, synthetic INTEGER NOT NULL);
CREATE TABLE paragraphs (
    offer_id TEXT NOT NULL, document_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    section TEXT, block_id TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
    introduced_position INTEGER NOT NULL, last_changed_position INTEGER,
    PRIMARY KEY (offer_id, document_id, ordinal));
"""
# Made after a full build's rows are in (one sort, rather than a B-tree insert per row).
INDEXES = """
CREATE INDEX employees_by_offer ON employees (offer_id, employee_id);
CREATE INDEX timeline_in_effective_order ON timeline (effective_us, position);
"""


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _employee(row: tuple[str, str | None, str, bytes]) -> EmployeeState:
    stream, offer_id, employee_id, records = row
    return codec.employee_in(
        records,
        stream=uuid.UUID(stream),
        offer_id=None if offer_id is None else uuid.UUID(offer_id),
        employee_id=employee_id,
    )


def default_path(backend_kind: str, location: str, *, home: Path | None = None) -> Path:
    """Beside a SQLite ledger (``<db>.projections.sqlite``); for PostgreSQL
    ``ledger.projections.sqlite`` in the ledger's per-user folder ``home``
    (:func:`offerledger.pgurl.ledger_home`), the same whatever the working folder."""
    if backend_kind == "sqlite":
        return Path(f"{location}.projections.sqlite")
    if home is None:
        raise ValueError("a PostgreSQL ledger's read model lives in its per-user folder")
    return home / "ledger.projections.sqlite"


class ReadModel:
    """One read-model file (opened read-write; the caller closes it)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn

    @classmethod
    def open(cls, path: Path) -> ReadModel | None:
        """The existing read model at ``path``, or None when there is none (or not ours)."""
        if not path.exists():
            return None
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError:
            conn.close()
            return None
        if row is None or row[0] != SCHEMA_VERSION:
            conn.close()
            return None
        return cls(path, conn)

    @classmethod
    def create(cls, path: Path, *, bulk: bool = False) -> ReadModel:
        """A new, empty read model at ``path`` (which must not exist).

        ``bulk``: the file is being built whole before :func:`switch_in` makes it the read
        model (which fsyncs it first), so it needs no rollback journal and no fsync per
        commit, and its indexes wait for :meth:`create_indexes`.
        """
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = OFF" if bulk else "PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = OFF" if bulk else "PRAGMA synchronous = NORMAL")
        conn.executescript(SCHEMA if bulk else SCHEMA + INDEXES)
        conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        return cls(path, conn)

    def create_indexes(self) -> None:
        """The indexes a ``bulk`` :meth:`create` left out (after the rows are in)."""
        for statement in INDEXES.strip().splitlines():
            self.conn.execute(statement)

    def close(self) -> None:
        self.conn.close()

    # --- reading ---------------------------------------------------------------------------

    def tracker(self) -> Tracker | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'tracker'").fetchone()
        return None if row is None else Tracker.from_dict(json.loads(row[0]))

    def streams(self) -> dict[uuid.UUID, StreamState]:
        out = {}
        for stream, state in self.conn.execute("SELECT stream, state FROM streams"):
            out[uuid.UUID(stream)] = codec.stream_in(json.loads(state))
        return out

    def stream(self, stream: uuid.UUID) -> StreamState | None:
        row = self.conn.execute(
            "SELECT state FROM streams WHERE stream = ?", (str(stream),)
        ).fetchone()
        return None if row is None else codec.stream_in(json.loads(row[0]))

    def has_employee(self, stream: uuid.UUID) -> bool:
        query = "SELECT 1 FROM employees WHERE stream = ?"
        return self.conn.execute(query, (str(stream),)).fetchone() is not None

    def employee(self, stream: uuid.UUID) -> EmployeeState | None:
        row = self.conn.execute(
            "SELECT stream, offer_id, employee_id, records FROM employees WHERE stream = ?",
            (str(stream),),
        ).fetchone()
        return None if row is None else _employee(row)

    def employees(self) -> dict[uuid.UUID, EmployeeState]:
        query = "SELECT stream, offer_id, employee_id, records FROM employees"
        out = {}
        for row in self.conn.execute(query):
            employee = _employee(row)
            out[employee.stream] = employee
        return out

    def timeline(self) -> Iterator[TimelineRow]:
        """Every row in effective order, ties by position (streamed)."""
        cursor = self.conn.execute(
            "SELECT position, version, action, effective_at, effective_note, recorded, actor, "
            "key_id, stream, summary, employee_id, filing_id, supersedes, synthetic FROM timeline "
            "ORDER BY effective_us, position"
        )
        for row in cursor:
            p, v, action, at, note, rec, actor, key, stream, summary, emp, filing, sup, syn = row
            stamp = Stamp(p, v, action, _dt(at), note, _dt(rec), actor, key, bool(syn))
            yield TimelineRow(
                stamp,
                uuid.UUID(stream),
                summary,
                emp,
                None if filing is None else uuid.UUID(filing),
                sup,
            )

    # --- writing (inside the caller's transaction) ------------------------------------------

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def put_tracker(self, tracker: Tracker) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO meta VALUES ('tracker', ?)", (dumps(tracker.as_dict()),)
        )

    def put_streams(self, states: Iterable[StreamState]) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO streams VALUES (?, ?, ?)",
            ((str(s.stream), s.kind, dumps(codec.stream_out(s))) for s in states),
        )

    def append_employees(self, deltas: Iterable[EmployeeState]) -> None:
        """Append each delta's records to its employee's row (a new row for a new employee);
        a delta with a registration also sets the row's offer and employee id
        (:func:`~offerledger.projections.employee.merge`)."""
        self.conn.executemany(
            "INSERT INTO employees VALUES (?1, ?2, ?3, ?4) ON CONFLICT (stream) DO UPDATE SET "
            "records = records || excluded.records, "
            "offer_id = CASE WHEN ?5 THEN excluded.offer_id ELSE offer_id END, "
            "employee_id = CASE WHEN ?5 THEN excluded.employee_id ELSE employee_id END",
            (
                (
                    str(e.stream),
                    None if e.offer_id is None else str(e.offer_id),
                    e.employee_id,
                    codec.employee_out(e),
                    bool(e.registrations),
                )
                for e in deltas
            ),
        )

    def put_timeline(self, rows: Iterable[TimelineRow]) -> None:
        self.put_timeline_values(values_of(r) for r in rows)

    def put_timeline_values(self, rows: Iterable[TimelineValues]) -> None:
        """Timeline rows as the table stores them (:func:`~offerledger.projections.timeline.
        timeline_values`)."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO timeline VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def put_paragraphs(
        self, offer_id: uuid.UUID, document_id: str, rows: Iterable[tuple[Any, ...]]
    ) -> None:
        self.conn.execute(
            "DELETE FROM paragraphs WHERE offer_id = ? AND document_id = ?",
            (str(offer_id), document_id),
        )
        self.conn.executemany("INSERT INTO paragraphs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def switch_in(new: Path, target: Path) -> None:
    """Make ``new`` the read model at ``target`` in one atomic rename."""
    fd = os.open(new, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(new, target)


def counts(model: ReadModel) -> Mapping[str, int]:
    tables = ("streams", "employees", "timeline", "paragraphs")
    return {t: model.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


__all__ = ["SCHEMA_VERSION", "ReadModel", "counts", "default_path", "effective_us", "switch_in"]
