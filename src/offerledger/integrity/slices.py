"""Workers read their own slices of the log (verify's rows never cross a process pipe).

The main process lists the notification ids in order (cheap integers) and hands each worker a
range of them with the log position of its first row; the worker reads those rows through its
own read-only connection (SQLite file or PostgreSQL), converted as ``LedgerApplication.raw_rows``
converts them, and examines them, with the rows of the saves they name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from offerledger.integrity.examine import StoredRow, examine_chunk, with_saves
from offerledger.integrity.results import ExaminedChunk, pack
from offerledger.store import sqlite_state, sqlite_value

_COLUMNS = ("originator_id", "originator_version", "topic", "state")
_SELECT = ", ".join(f"typeof({c}), CAST({c} AS BLOB)" for c in _COLUMNS)


class Slices(Protocol):
    """Where the rows are (picklable: sent to every worker with its range)."""

    @property
    def key(self) -> str: ...

    def connect(self) -> Any: ...

    def ranges(self, *, size: int, after: int = -1) -> Iterator[tuple[int, int, int]]: ...

    def rows(
        self, conn: Any, first_id: int, last_id: int, first_position: int
    ) -> list[StoredRow]: ...

    def read_saves(self, conn: Any, numbers: Iterable[int]) -> dict[int, tuple[Any, ...]]: ...


@dataclass(frozen=True)
class SqliteSlices:
    """A SQLite file and its events table."""

    path: str
    table: str

    @property
    def key(self) -> str:
        return f"sqlite:{self.path}"

    def connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def ranges(self, *, size: int, after: int = -1) -> Iterator[tuple[int, int, int]]:
        """The ids after ``after`` in runs of ``size``, as (first id, last id, rows), from the
        main process (one query a run: no id crosses into Python)."""
        query = (
            "SELECT min(rowid), max(rowid), count(*) FROM "
            f"(SELECT rowid FROM {self.table} WHERE rowid > ? ORDER BY rowid LIMIT ?)"
        )
        with self.connect() as conn:
            yield from _runs(lambda a: conn.execute(query, (a, size)).fetchone(), after)

    def rows(
        self, conn: sqlite3.Connection, first_id: int, last_id: int, first_position: int
    ) -> list[StoredRow]:
        rows = conn.execute(
            f"SELECT rowid, {_SELECT} FROM {self.table} WHERE rowid >= ? AND rowid <= ? "
            "ORDER BY rowid",
            (first_id, last_id),
        ).fetchall()
        return [
            StoredRow(
                first_position + i,
                sqlite_value(row[1], row[2]),
                sqlite_value(row[3], row[4]),
                sqlite_value(row[5], row[6]),
                sqlite_state(row[7], row[8]),
            )
            for i, row in enumerate(rows)
        ]

    def read_saves(
        self, conn: sqlite3.Connection, numbers: Iterable[int]
    ) -> dict[int, tuple[Any, ...]]:
        """The raw rows of the saves with these numbers (as the recorder's ``read_saves``)."""
        return read_saves(conn, numbers)


@dataclass(frozen=True)
class PgSlices:
    """A PostgreSQL database (libpq keyword arguments, with the password: never shown), its
    schema and events table."""

    connection: tuple[tuple[str, Any], ...] = field(repr=False)
    schema: str
    table: str

    @property
    def key(self) -> str:
        where = dict(self.connection)
        return (
            f"postgres:{where.get('host')}:{where.get('port')}/{where.get('dbname')}/{self.schema}"
        )

    def connect(self) -> Any:
        import psycopg  # only for a PostgreSQL ledger (the ``postgres`` extra)

        conn = psycopg.connect(**dict(self.connection), autocommit=True)
        return conn

    def _events(self) -> Any:
        from psycopg.sql import SQL, Identifier

        return SQL("{0}.{1}").format(Identifier(self.schema), Identifier(self.table))

    def ranges(self, *, size: int, after: int = -1) -> Iterator[tuple[int, int, int]]:
        """The ids after ``after`` in runs of ``size``, as (first id, last id, rows), from the
        main process (one query a run: no id crosses into Python)."""
        from psycopg.sql import SQL

        query = SQL(
            "SELECT min(notification_id), max(notification_id), count(*) FROM "
            "(SELECT notification_id FROM {0} WHERE notification_id > %s "
            "ORDER BY notification_id LIMIT %s) AS run"
        ).format(self._events())
        with self.connect() as conn:
            yield from _runs(lambda a: conn.execute(query, (a, size)).fetchone(), after)

    def rows(self, conn: Any, first_id: int, last_id: int, first_position: int) -> list[StoredRow]:
        from psycopg.sql import SQL

        rows = conn.execute(
            SQL(
                "SELECT originator_id, originator_version, topic, state FROM {0} "
                "WHERE notification_id >= %s AND notification_id <= %s ORDER BY notification_id"
            ).format(self._events()),
            (first_id, last_id),
        ).fetchall()
        return [StoredRow(first_position + i, *row) for i, row in enumerate(rows)]

    def read_saves(self, conn: Any, numbers: Iterable[int]) -> dict[int, tuple[Any, ...]]:
        """The raw rows of the saves with these numbers (as the recorder's ``read_saves``)."""
        from psycopg.sql import SQL, Identifier

        wanted = sorted(set(numbers))
        if not wanted:
            return {}
        rows = conn.execute(
            SQL(
                "SELECT save, log_size, size, log_root, signature, leaves FROM {0}.{1} "
                "WHERE save = ANY(%s)"
            ).format(Identifier(self.schema), Identifier("offerledger_saves")),
            (wanted,),
        ).fetchall()
        return {int(r[0]): tuple(r) for r in rows}


_CONN: dict[str, Any] = {}


def examine_slice(
    source: Slices, first_id: int, last_id: int, first_position: int
) -> ExaminedChunk:
    """In a worker: read rows ``first_id..last_id`` and examine them (positions from the first);
    the results go back packed."""
    conn = _CONN.get(source.key)
    if conn is None:
        conn = _CONN[source.key] = source.connect()
    stored = source.rows(conn, first_id, last_id, first_position)
    return pack(
        *examine_chunk(with_saves(stored, lambda numbers: source.read_saves(conn, numbers)))
    )


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


def _runs(
    run_after: Callable[[int], tuple[int | None, int | None, int]], after: int
) -> Iterator[tuple[int, int, int]]:
    """(first id, last id, rows) of each run ``run_after`` reads after an id, until one is empty."""
    while True:
        first, last, count = run_after(after)
        if not count or first is None or last is None:
            return
        yield first, last, count
        after = last
