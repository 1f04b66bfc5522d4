"""Edit a ledger's database directly (sqlite3 / psycopg), as an attacker with write access would."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

from offerledger.integrity.merkle import MerkleAccumulator, leaf_hash
from offerledger.recorders import NODE_LEVEL_FROM
from offerledger.signing.envelope import SaveRecord
from offerledger.store import resolve_backend


class DbEdit:
    """Rows in log order as (rowkey, stream, version, topic, state); raw updates and inserts."""

    def __init__(self, db: str) -> None:
        self.backend = resolve_backend(db)
        self.pg = self.backend.kind == "postgres"
        if self.pg:
            import psycopg

            url = urlparse(db)
            self.schema = parse_qs(url.query)["schema"][0]
            self.conn: Any = psycopg.connect(db.split("?")[0], autocommit=True)
            self.conn.execute(f'SET search_path TO "{self.schema}"')
            self.table = "offerledger_events"
            self.key = "notification_id"
        else:
            self.conn = sqlite3.connect(db, isolation_level=None)
            self.table = "stored_events"
            self.key = "rowid"

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.pg else sql

    def exec(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        cur = self.conn.execute(self._q(sql), params)
        try:
            return list(cur.fetchall())
        except Exception:  # statements without rows
            return []

    def rows(self) -> list[tuple[Any, uuid.UUID, int, str, bytes]]:
        out = []
        for key, sid, version, topic, state in self.exec(
            f"SELECT {self.key}, originator_id, originator_version, topic, state "
            f"FROM {self.table} ORDER BY {self.key}"
        ):
            stream = sid if isinstance(sid, uuid.UUID) else uuid.UUID(sid)
            out.append((key, stream, version, topic, bytes(state)))
        return out

    def sid(self, stream: uuid.UUID) -> Any:
        return stream if self.pg else stream.hex

    def set_state(self, key: Any, state: bytes) -> None:
        self.exec(f"UPDATE {self.table} SET state=? WHERE {self.key}=?", (state, key))

    def set_topic(self, key: Any, topic: str) -> None:
        self.exec(f"UPDATE {self.table} SET topic=? WHERE {self.key}=?", (topic, key))

    def set_version(self, key: Any, version: int) -> None:
        self.exec(
            f"UPDATE {self.table} SET originator_version=? WHERE {self.key}=?", (version, key)
        )

    def put_save(self, save: SaveRecord) -> None:
        """Store (or overwrite) a save's row, as a writer with database access would."""
        self.exec("DELETE FROM offerledger_saves WHERE save = ?", (save.number,))
        self.exec("INSERT INTO offerledger_saves VALUES (?, ?, ?, ?, ?, ?)", save.row())

    def next_save(self) -> int:
        """The number a new save row takes (the writer's rule: one more than the last)."""
        ((number,),) = self.exec("SELECT COALESCE(MAX(save) + 1, 0) FROM offerledger_saves")
        return int(number)

    def save_row(self, number: int) -> tuple[Any, ...]:
        (row,) = self.exec(
            "SELECT save, log_size, size, log_root, signature, leaves "
            "FROM offerledger_saves WHERE save = ?",
            (number,),
        )
        return tuple(row)

    def delete(self, key: Any) -> None:
        self.exec(f"DELETE FROM {self.table} WHERE {self.key}=?", (key,))

    def insert(self, stream: uuid.UUID, version: int, topic: str, state: bytes) -> None:
        self.exec(
            f"INSERT INTO {self.table} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            (self.sid(stream), version, topic, state),
        )

    def head(self) -> tuple[int, bytes]:
        """The log head (size, RFC 9162 root) of the rows as they stand now."""
        acc = MerkleAccumulator()
        for row in self.rows():
            acc.append(leaf_hash(row[4]))
        return acc.size, acc.root()

    def head_before(self, key: Any) -> tuple[int, bytes]:
        """The log head just before the row ``key``."""
        acc = MerkleAccumulator()
        for row in self.rows():
            if row[0] == key:
                break
            acc.append(leaf_hash(row[4]))
        return acc.size, acc.root()

    def rebuild_index(self) -> None:
        """Recompute the persisted log (head, leaves, nodes) from the events table, as an
        attacker covering their tracks would."""
        acc = MerkleAccumulator(record_nodes=True)
        rows = self.rows()
        for row in rows:
            acc.append(leaf_hash(row[4]))
        self.exec("DELETE FROM offerledger_leaves")
        self.exec("DELETE FROM offerledger_nodes")
        for level, idx, digest in acc.completed or []:
            if level == 0:
                _, stream, version, _, _ = rows[idx]
                self.exec(
                    "INSERT INTO offerledger_leaves VALUES (?, ?, ?, ?)",
                    (idx, self.sid(stream), version, digest),
                )
            elif level >= NODE_LEVEL_FROM:  # the lower levels are computed when read
                self.exec("INSERT INTO offerledger_nodes VALUES (?, ?, ?)", (level, idx, digest))
        self.exec("UPDATE offerledger_head SET size = ?, root = ?", (acc.size, acc.root()))

    def drop_uncited_documents(self) -> None:
        """Delete the stored documents no remaining event names (an attacker tidying up)."""
        states = b"".join(row[4] for row in self.rows())
        for (name,) in self.exec("SELECT sha256 FROM offerledger_documents"):
            if name.encode() not in states:
                self.exec("DELETE FROM offerledger_documents WHERE sha256 = ?", (name,))

    def snapshot(self) -> list[tuple[Any, ...]]:
        return [(str(s), v, t, st) for _, s, v, t, st in self.rows()]

    def close(self) -> None:
        self.conn.close()
