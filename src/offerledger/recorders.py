"""The recorders: eventsourcing's SQLite and PostgreSQL application recorders, plus the log.

Besides the events table, a ledger database holds five tables, written in the same transaction
as the events (docs/format.md gives their columns):

* ``offerledger_saves``: one row per save, by its number: what its events share (the log head
  it extends, its size, signature and save leaves; format version 3);
* ``offerledger_head``: one row, the log's size and RFC 9162 root after the last save;
* ``offerledger_leaves``: per log position, the event's stream, version and leaf hash;
* ``offerledger_nodes``: every complete perfect subtree root from level :data:`NODE_LEVEL_FROM`
  up, by (level, index); a node below that level is computed, when read, from the at most
  2**(NODE_LEVEL_FROM - 1) leaf hashes under it (:func:`read_log_nodes`);
* ``offerledger_documents``: source documents by the SHA-256 of their bytes.

:meth:`append_sealed` is the one write path. It takes the lock that orders the log (SQLite's
write lock, taken by writing the head row first; PostgreSQL's EXCLUSIVE lock on the events
table), reads the log's frontier, lets ``seal`` sign the save against that exact head, then
inserts the events, the new tree nodes and the documents and moves the head: appends are
sequenced, and each signature names the positions its events take.

:data:`FAULTS` is a fault-injection hook for the crash tests (``tests/test_crash.py``): called
with the name of each step a save reaches (``locked``, ``sealed``, ``events``, ``log``, then
``committed`` once the transaction is durable), it does nothing unless a test sets it or the
environment holds ``OFFERLEDGER_FAULT_KILL=STEP[:N]`` (SIGKILL this process the N-th time, default
the first, a save reaches STEP). ``offerledger rebuild`` tells it the steps of a rebuild too
(``rebuild-begun``, ``-folded``, ``-written``, ``-done``: :mod:`offerledger.projections.runner`).
"""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder

from offerledger.documents import SourceDocument
from offerledger.errors import StorageError
from offerledger.integrity.logtree import Node, TreeHead
from offerledger.integrity.merkle import EMPTY_ROOT, MerkleAccumulator, frontier_nodes, merkle_root
from offerledger.signing.envelope import SaveRecord

__all__ = [
    "CHUNK",
    "FAULTS",
    "NODE_LEVEL_FROM",
    "LastState",
    "LedgerSQLiteRecorder",
    "Seal",
    "Sealed",
    "frontier_of",
    "hex_id",
]

CHUNK = 1000
NODE_LEVEL_FROM = 4
"""Interior nodes are stored from this level up; the levels between the leaves and it hold
nearly 7/8 of all interior nodes and cost at most 7 leaf reads each to recompute."""


def read_log_nodes(
    wanted: Iterable[Node],
    read_leaves: Callable[[list[int]], dict[int, bytes]],
    read_stored: Callable[[list[Node]], dict[Node, bytes]],
) -> dict[Node, bytes]:
    """The log's nodes by (level, index): leaves and stored nodes read in one batch each, the
    nodes below :data:`NODE_LEVEL_FROM` computed from their leaves; a node that cannot be
    read or computed is absent from the answer (the caller reports a damaged index)."""
    wanted = list(dict.fromkeys(wanted))
    low = [(level, idx) for level, idx in wanted if 0 < level < NODE_LEVEL_FROM]
    positions = {idx for level, idx in wanted if level == 0}
    for level, idx in low:
        positions.update(range(idx << level, (idx + 1) << level))
    leaves = read_leaves(sorted(positions)) if positions else {}
    stored = [node for node in wanted if node[0] >= NODE_LEVEL_FROM]
    found = read_stored(stored) if stored else {}
    for level, idx in wanted:
        if level == 0 and idx in leaves:
            found[(0, idx)] = leaves[idx]
    for level, idx in low:
        under = [leaves.get(p) for p in range(idx << level, (idx + 1) << level)]
        if all(h is not None for h in under):
            found[(level, idx)] = merkle_root([h for h in under if h is not None])
    return found


def stored_nodes(completed: Iterable[tuple[int, int, bytes]]) -> list[tuple[int, int, bytes]]:
    """The completed interior nodes a save writes to ``offerledger_nodes``."""
    return [n for n in completed if n[0] >= NODE_LEVEL_FROM]


def _kill_at(spec: str) -> Callable[[str], None]:
    step, _, nth = spec.partition(":")
    left = [int(nth or 1)]

    def hook(reached: str) -> None:
        if reached == step:
            left[0] -= 1
            if left[0] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    return hook


FAULTS: Callable[[str], None] | None = (
    _kill_at(os.environ["OFFERLEDGER_FAULT_KILL"])
    if os.environ.get("OFFERLEDGER_FAULT_KILL")
    else None
)


def fault(step: str) -> None:
    """Call the :data:`FAULTS` hook, if one is set, at ``step`` of a save or a rebuild."""
    if FAULTS is not None:
        FAULTS(step)


@dataclass(frozen=True)
class Sealed:
    """What a seal returns: the signed rows in log order, their saves' rows and the documents
    they cite."""

    events: list[StoredEvent]
    saves: Sequence[SaveRecord] = ()
    documents: Sequence[SourceDocument] = ()


LastState = Callable[[], bytes | None]
"""Reads, inside the save's transaction, the stored state of the log's last event (None: the
log is empty)."""

Seal = Callable[[MerkleAccumulator, LastState, int], Sealed]
"""Signs a save given the log's accumulator at the current head, a reader of the event at
that head (recorded time is monotone in log order) and the number its first save takes (the
saves stored so far); appends its leaves to the accumulator."""


def hex_id(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else UUID(originator_id).hex


def _nodes_from(rows: Iterable[Sequence[Any]]) -> dict[Node, bytes]:
    return {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite: the events table of eventsourcing plus the log and document tables."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS offerledger_head ("
            "id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL)",
            f"INSERT OR IGNORE INTO offerledger_head VALUES (1, 0, x'{EMPTY_ROOT.hex()}')",
            "CREATE TABLE IF NOT EXISTS offerledger_saves ("
            "save INTEGER PRIMARY KEY, log_size INTEGER NOT NULL, size INTEGER NOT NULL, "
            "log_root BLOB NOT NULL, signature BLOB NOT NULL, leaves BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS offerledger_leaves ("
            "position INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, hash BLOB NOT NULL)",
            "CREATE UNIQUE INDEX IF NOT EXISTS offerledger_leaves_event "
            "ON offerledger_leaves (originator_id, originator_version)",
            "CREATE TABLE IF NOT EXISTS offerledger_nodes ("
            "level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, "
            "PRIMARY KEY (level, idx)) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS offerledger_documents ("
            "sha256 TEXT PRIMARY KEY, media_type TEXT NOT NULL, name TEXT NOT NULL, "
            "content BLOB NOT NULL)",
        ]

    def append_sealed(self, seal: Seal) -> list[int]:
        try:
            with self.datastore.transaction(commit=True) as c:
                c.execute("UPDATE offerledger_head SET size = size WHERE id = 1")  # write lock
                c.execute("SELECT size FROM offerledger_head WHERE id = 1")
                (size,) = c.fetchone()
                fault("locked")
                acc = MerkleAccumulator.from_frontier(
                    size=size,
                    frontier=frontier_of(self.read_nodes_in(c, frontier_nodes(size)), size),
                    record_nodes=True,
                )
                c.execute("SELECT COALESCE(MAX(save) + 1, 0) FROM offerledger_saves")
                (next_save,) = c.fetchone()
                sealed = seal(acc, lambda: self._last_state(c), int(next_save))
                fault("sealed")
                ids: list[int] = []
                for s in sealed.events:
                    c.execute(
                        self.insert_events_statement,
                        (hex_id(s.originator_id), s.originator_version, s.topic, s.state),
                    )
                    ids.append(c.lastrowid)
                fault("events")
                self._write_log(c, sealed, acc, size)
                fault("log")
        except sqlite3.IntegrityError as e:
            raise IntegrityError(e) from e
        fault("committed")
        return ids

    def _last_state(self, c: Any) -> bytes | None:
        c.execute(f"SELECT state FROM {self.events_table_name} ORDER BY rowid DESC LIMIT 1")
        row = c.fetchone()
        return None if row is None else bytes(row[0])

    def _write_log(self, c: Any, sealed: Sealed, acc: MerkleAccumulator, size: int) -> None:
        completed = acc.completed or []
        leaves = [n for n in completed if n[0] == 0]
        c.executemany(
            "INSERT INTO offerledger_saves VALUES (?, ?, ?, ?, ?, ?)",
            [save.row() for save in sealed.saves],
        )
        c.executemany(
            "INSERT INTO offerledger_leaves VALUES (?, ?, ?, ?)",
            [
                (idx, hex_id(s.originator_id), s.originator_version, h)
                for (_, idx, h), s in zip(leaves, sealed.events, strict=True)
            ],
        )
        c.executemany("INSERT INTO offerledger_nodes VALUES (?, ?, ?)", stored_nodes(completed))
        c.executemany(
            "INSERT OR IGNORE INTO offerledger_documents VALUES (?, ?, ?, ?)",
            [(d.sha256, d.media_type, d.name, d.content) for d in sealed.documents],
        )
        c.execute(
            "UPDATE offerledger_head SET size = ?, root = ? WHERE id = 1 AND size = ?",
            (acc.size, acc.root(), size),
        )

    @staticmethod
    def read_nodes_in(c: Any, nodes: Iterable[Node]) -> dict[Node, bytes]:
        def leaves(positions: list[int]) -> dict[int, bytes]:
            rows = _rows_in(
                c, "SELECT position, hash FROM offerledger_leaves WHERE position", positions
            )
            return {int(r[0]): bytes(r[1]) for r in rows}

        def stored(inner: list[Node]) -> dict[Node, bytes]:
            found: dict[Node, bytes] = {}
            for i in range(0, len(inner), 400):
                pairs = inner[i : i + 400]
                where = " OR ".join("(level = ? AND idx = ?)" for _ in pairs)
                c.execute(
                    f"SELECT level, idx, hash FROM offerledger_nodes WHERE {where}",
                    [v for node in pairs for v in node],
                )
                found.update(_nodes_from(c.fetchall()))
            return found

        return read_log_nodes(nodes, leaves, stored)

    def read_nodes(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        with self.datastore.transaction(commit=False) as c:
            return self.read_nodes_in(c, nodes)

    def read_saves(self, numbers: Iterable[int]) -> dict[int, tuple[Any, ...]]:
        """The stored rows of the saves with these numbers, as the driver returns them (parse
        them with :func:`offerledger.signing.envelope.parse_save`)."""
        query = (
            "SELECT save, log_size, size, log_root, signature, leaves FROM offerledger_saves "
            "WHERE save"
        )
        with self.datastore.transaction(commit=False) as c:
            return {int(r[0]): tuple(r) for r in _rows_in(c, query, sorted(set(numbers)))}

    def tree_head(self) -> TreeHead:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT size, root FROM offerledger_head WHERE id = 1")
            row = c.fetchone()
        if row is None:
            raise StorageError("the ledger has no log head row", hint="is this a ledger?")
        return TreeHead(int(row[0]), bytes(row[1]))

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT position FROM offerledger_leaves "
                "WHERE originator_id = ? AND originator_version = ?",
                (originator_id.hex, version),
            )
            row = c.fetchone()
        return None if row is None else int(row[0])

    def document(self, sha256: str) -> SourceDocument | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT content, media_type, name FROM offerledger_documents WHERE sha256 = ?",
                (sha256,),
            )
            row = c.fetchone()
        if row is None:
            return None
        content = row[0].encode("utf-8", "surrogatepass") if isinstance(row[0], str) else row[0]
        return SourceDocument(bytes(content), str(row[1]), str(row[2]))


def frontier_of(nodes: dict[Node, bytes], size: int) -> list[bytes]:
    try:
        return [nodes[n] for n in frontier_nodes(size)]
    except KeyError as e:
        raise StorageError(
            f"the log index has no node {e.args[0]} of a {size}-event log",
            hint="the database is damaged: run 'offerledger verify'",
        ) from None


def _rows_in(c: Any, select_where: str, values: list[int], part: int = 500) -> list[Any]:
    """The rows of ``select_where IN (values)``, asked ``part`` values at a time (SQLite's
    limit on bound parameters)."""
    rows: list[Any] = []
    for i in range(0, len(values), part):
        chunk = values[i : i + part]
        c.execute(f"{select_where} IN ({','.join('?' * len(chunk))})", chunk)
        rows.extend(c.fetchall())
    return rows
