"""The PostgreSQL recorder: eventsourcing's, plus the log and document tables.

See :mod:`offerledger.recorders` for the tables and the one write path; this module needs the
``postgres`` extra (psycopg) and is loaded only for a ``postgresql://`` ledger. Rows are
inserted with ``unnest`` over arrays, in chunks, in one transaction under the events table's
EXCLUSIVE lock (no pipeline: one large save must never wait on a full pipe).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from psycopg import errors as pg_errors
from psycopg.sql import SQL, Identifier

from offerledger.documents import SourceDocument
from offerledger.errors import StorageError
from offerledger.integrity.logtree import Node, TreeHead
from offerledger.integrity.merkle import EMPTY_ROOT, MerkleAccumulator, frontier_nodes
from offerledger.recorders import (
    CHUNK,
    Seal,
    Sealed,
    fault,
    frontier_of,
    hex_id,
    read_log_nodes,
    stored_nodes,
)

__all__ = ["LedgerPostgresFactory", "LedgerPostgresRecorder"]


class LedgerPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory, whose pooled connections also get the ledger URL's
    libpq options (``sslmode``, ``application_name``, …; ``OFFERLEDGER_PG_OPTIONS``, JSON)."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        given = self.env.get("OFFERLEDGER_PG_OPTIONS") or "{}"
        options: dict[str, str] = json.loads(given)
        pool: Any = self.datastore.pool  # eventsourcing hands the pool a dict of kwargs
        pool.kwargs.update(options)


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL: the events table of eventsourcing plus the log and document tables."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)

        def table(name: str) -> Any:
            return SQL("{0}.{1}").format(schema, Identifier(name))

        self._t = {
            name: table(f"offerledger_{name}")
            for name in ("head", "saves", "leaves", "nodes", "documents")
        }
        self._events = table(self.events_table_name)
        t = self._t
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (id integer PRIMARY KEY CHECK (id = 1), "
                    "size bigint NOT NULL, root bytea NOT NULL)"
                ).format(t["head"]),
                SQL(
                    "INSERT INTO {0} VALUES (1, 0, decode('{1}', 'hex')) ON CONFLICT DO NOTHING"
                ).format(t["head"], SQL(EMPTY_ROOT.hex())),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (save bigint PRIMARY KEY, "
                    "log_size bigint NOT NULL, size bigint NOT NULL, log_root bytea NOT NULL, "
                    "signature bytea NOT NULL, leaves bytea NOT NULL)"
                ).format(t["saves"]),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (position bigint PRIMARY KEY, "
                    "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                    "hash bytea NOT NULL, UNIQUE (originator_id, originator_version))"
                ).format(t["leaves"]),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (level integer NOT NULL, idx bigint NOT NULL, "
                    "hash bytea NOT NULL, PRIMARY KEY (level, idx))"
                ).format(t["nodes"]),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (sha256 text PRIMARY KEY, "
                    "media_type text NOT NULL, name text NOT NULL, content bytea NOT NULL)"
                ).format(t["documents"]),
            ]
        )

    def append_sealed(self, seal: Seal) -> list[int]:
        t = self._t
        try:
            with self.datastore.get_connection() as conn, conn.transaction():
                with conn.cursor() as curs:
                    self._lock_table(curs)
                    curs.execute(
                        SQL("SELECT size FROM {0} WHERE id = 1 FOR UPDATE").format(t["head"])
                    )
                    row = curs.fetchone()
                    if row is None:
                        raise StorageError("the ledger has no log head row")
                    size = int(row["size"])
                    fault("locked")
                    acc = MerkleAccumulator.from_frontier(
                        size=size,
                        frontier=frontier_of(self.read_nodes_in(curs, frontier_nodes(size)), size),
                        record_nodes=True,
                    )
                    curs.execute(
                        SQL("SELECT COALESCE(MAX(save) + 1, 0) AS n FROM {0}").format(t["saves"])
                    )
                    next_save = curs.fetchone()
                    assert next_save is not None
                    sealed = seal(acc, lambda: self._last_state(curs), int(next_save["n"]))
                    fault("sealed")
                    ids: list[int] = []
                    events = sealed.events
                    for i in range(0, len(events), CHUNK):
                        part = events[i : i + CHUNK]
                        curs.execute(
                            SQL(
                                "INSERT INTO {0} (originator_id, originator_version, topic, state) "
                                "SELECT u.i, u.v, u.t, u.s FROM unnest(%s::uuid[], %s::bigint[], "
                                "%s::text[], %s::bytea[]) WITH ORDINALITY AS u(i, v, t, s, n) "
                                "ORDER BY u.n RETURNING notification_id"
                            ).format(self._events),
                            (
                                [UUID(hex_id(s.originator_id)) for s in part],
                                [s.originator_version for s in part],
                                [s.topic for s in part],
                                [s.state for s in part],
                            ),
                        )
                        ids.extend(r["notification_id"] for r in curs.fetchall())
                    fault("events")
                    self._write_log(curs, sealed, acc, size)
                    fault("log")
        except pg_errors.UniqueViolation as e:
            raise IntegrityError(e) from e
        fault("committed")
        return ids

    def _last_state(self, curs: Any) -> bytes | None:
        curs.execute(
            SQL("SELECT state FROM {0} ORDER BY notification_id DESC LIMIT 1").format(self._events)
        )
        row = curs.fetchone()
        return None if row is None else bytes(row["state"])

    def _write_log(self, curs: Any, sealed: Sealed, acc: MerkleAccumulator, size: int) -> None:
        t = self._t
        completed = acc.completed or []
        leaves = [n for n in completed if n[0] == 0]
        inner = stored_nodes(completed)
        for i in range(0, len(sealed.saves), CHUNK):
            rows = [save.row() for save in sealed.saves[i : i + CHUNK]]
            curs.execute(
                SQL(
                    "INSERT INTO {0} SELECT * FROM unnest(%s::bigint[], %s::bigint[], "
                    "%s::bigint[], %s::bytea[], %s::bytea[], %s::bytea[])"
                ).format(t["saves"]),
                tuple([r[k] for r in rows] for k in range(6)),
            )
        for i in range(0, len(leaves), CHUNK):
            part = list(zip(leaves[i : i + CHUNK], sealed.events[i : i + CHUNK], strict=True))
            curs.execute(
                SQL(
                    "INSERT INTO {0} SELECT * FROM unnest(%s::bigint[], %s::uuid[], "
                    "%s::bigint[], %s::bytea[])"
                ).format(t["leaves"]),
                (
                    [n[1] for n, _ in part],
                    [UUID(hex_id(s.originator_id)) for _, s in part],
                    [s.originator_version for _, s in part],
                    [n[2] for n, _ in part],
                ),
            )
        for i in range(0, len(inner), CHUNK):
            part_nodes = inner[i : i + CHUNK]
            curs.execute(
                SQL(
                    "INSERT INTO {0} SELECT * FROM unnest(%s::integer[], %s::bigint[], %s::bytea[])"
                ).format(t["nodes"]),
                (
                    [n[0] for n in part_nodes],
                    [n[1] for n in part_nodes],
                    [n[2] for n in part_nodes],
                ),
            )
        for d in sealed.documents:
            curs.execute(
                SQL("INSERT INTO {0} VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING").format(
                    t["documents"]
                ),
                (d.sha256, d.media_type, d.name, d.content),
            )
        curs.execute(
            SQL("UPDATE {0} SET size = %s, root = %s WHERE id = 1 AND size = %s").format(t["head"]),
            (acc.size, acc.root(), size),
        )

    def read_nodes_in(self, curs: Any, nodes: Iterable[Node]) -> dict[Node, bytes]:
        def leaves(positions: list[int]) -> dict[int, bytes]:
            curs.execute(
                SQL("SELECT position, hash FROM {0} WHERE position = ANY(%s)").format(
                    self._t["leaves"]
                ),
                (positions,),
            )
            return {int(r["position"]): bytes(r["hash"]) for r in curs.fetchall()}

        def stored(inner: list[Node]) -> dict[Node, bytes]:
            curs.execute(
                SQL(
                    "SELECT n.level, n.idx, n.hash FROM {0} n JOIN unnest(%s::integer[], "
                    "%s::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx"
                ).format(self._t["nodes"]),
                ([n[0] for n in inner], [n[1] for n in inner]),
            )
            return {(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in curs.fetchall()}

        return read_log_nodes(nodes, leaves, stored)

    def read_nodes(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        with self.datastore.transaction(commit=False) as curs:
            return self.read_nodes_in(curs, nodes)

    def read_saves(self, numbers: Iterable[int]) -> dict[int, tuple[Any, ...]]:
        """The stored rows of the saves with these numbers, as the driver returns them."""
        wanted = sorted(set(numbers))
        if not wanted:
            return {}
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT save, log_size, size, log_root, signature, leaves FROM {0} "
                    "WHERE save = ANY(%s)"
                ).format(self._t["saves"]),
                (wanted,),
            )
            rows = curs.fetchall()
        return {
            int(r["save"]): (
                r["save"], r["log_size"], r["size"], r["log_root"], r["signature"], r["leaves"],
            )
            for r in rows
        }  # fmt: skip

    def tree_head(self) -> TreeHead:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT size, root FROM {0} WHERE id = 1").format(self._t["head"]))
            row = curs.fetchone()
        if row is None:
            raise StorageError("the ledger has no log head row")
        return TreeHead(int(row["size"]), bytes(row["root"]))

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT position FROM {0} WHERE originator_id = %s AND originator_version = %s"
                ).format(self._t["leaves"]),
                (originator_id, version),
            )
            row = curs.fetchone()
        return None if row is None else int(row["position"])

    def document(self, sha256: str) -> SourceDocument | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT content, media_type, name FROM {0} WHERE sha256 = %s").format(
                    self._t["documents"]
                ),
                (sha256,),
            )
            row = curs.fetchone()
        if row is None:
            return None
        return SourceDocument(bytes(row["content"]), row["media_type"], row["name"])
