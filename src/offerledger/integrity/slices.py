"""Workers read their own slices of a SQLite log (verify's rows never cross a process pipe).

The main process lists the notification ids in order (cheap integers) and hands each worker a
range of them with the log position of its first row; the worker reads those rows through its
own read-only connection, converted as ``LedgerApplication.raw_rows`` converts them, and
examines them, with the rows of the saves they name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from offerledger.integrity.examine import Examined, StoredRow, examine_chunk, with_saves
from offerledger.store import sqlite_state, sqlite_value

_COLUMNS = ("originator_id", "originator_version", "topic", "state")
_SELECT = ", ".join(f"typeof({c}), CAST({c} AS BLOB)" for c in _COLUMNS)


@dataclass(frozen=True)
class SqliteSlices:
    """Where the rows are: a SQLite file and its events table (picklable)."""

    path: str
    table: str

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def ids(self, *, batch: int = 50_000, after: int = -1) -> Iterator[int]:
        """Every notification id after ``after`` in order, from the main process."""
        with self.connect() as conn:
            while True:
                rows = conn.execute(
                    f"SELECT rowid FROM {self.table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    (after, batch),
                ).fetchall()
                if not rows:
                    return
                for (rowid,) in rows:
                    yield rowid
                after = rows[-1][0]


_CONN: dict[str, sqlite3.Connection] = {}


def examine_slice(
    source: SqliteSlices, first_id: int, last_id: int, first_position: int
) -> tuple[list[Examined], int]:
    """In a worker: read rows ``first_id..last_id`` and examine them (positions from the first)."""
    conn = _CONN.get(source.path)
    if conn is None:
        conn = _CONN[source.path] = source.connect()
    rows = conn.execute(
        f"SELECT rowid, {_SELECT} FROM {source.table} WHERE rowid >= ? AND rowid <= ? "
        "ORDER BY rowid",
        (first_id, last_id),
    ).fetchall()
    stored = [
        StoredRow(
            first_position + i,
            sqlite_value(row[1], row[2]),
            sqlite_value(row[3], row[4]),
            sqlite_value(row[5], row[6]),
            sqlite_state(row[7], row[8]),
        )
        for i, row in enumerate(rows)
    ]
    return examine_chunk(with_saves(stored, lambda numbers: read_saves(conn, numbers)))


def read_saves(conn: sqlite3.Connection, numbers: Iterable[int]) -> dict[int, tuple[Any, ...]]:
    """The raw rows of the saves with these numbers (as the recorder's ``read_saves``)."""
    wanted = sorted(set(numbers))
    found: dict[int, tuple[Any, ...]] = {}
    for i in range(0, len(wanted), 500):
        part = wanted[i : i + 500]
        rows = conn.execute(
            "SELECT save, log_size, size, log_root, signature, leaves "
            f"FROM offerledger_saves WHERE save IN ({','.join('?' * len(part))})",
            part,
        ).fetchall()
        found.update({int(r[0]): tuple(r) for r in rows})
    return found
