"""Where verification records are kept: a small SQLite file beside the read model.

``<read model>`` ``.projections.sqlite`` → ``.verifications.sqlite`` (``ledger.db`` →
``ledger.db.verifications.sqlite``; for PostgreSQL beside the read model in the working folder,
or beside ``--read-model`` / ``OFFERLEDGER_READ_MODEL``). One table, ``verifications``, one row
per run of ``verify`` or ``nightly``, never updated. It is not part of the ledger and nobody
signed it: it says what a verify run here found, for the outputs' first line. The evidence is
the signed log and its checkpoints. A separate file survives a full rebuild of the read model
(which replaces that file) and lets ``verify`` record without building one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from offerledger.projections.verification import Head, VerificationRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    size INTEGER NOT NULL, root TEXT NOT NULL, index_size INTEGER, index_root TEXT,
    ok INTEGER NOT NULL, problems INTEGER NOT NULL, verified_at TEXT NOT NULL,
    by TEXT NOT NULL, root_key_id TEXT, root_key_source TEXT NOT NULL,
    since INTEGER, checkpoint TEXT, details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS verifications_by_root ON verifications (root);
CREATE INDEX IF NOT EXISTS verifications_by_index_root ON verifications (index_root);
"""
_COLUMNS = (
    "size, root, index_size, index_root, ok, problems, verified_at, by, root_key_id, "
    "root_key_source, since, checkpoint, details"
)


def verifications_path(read_model: Path) -> Path:
    """The record file beside ``read_model``."""
    name = read_model.name
    base = name.removesuffix(".sqlite").removesuffix(".projections")
    return read_model.with_name(f"{base}.verifications.sqlite")


def add(path: Path, record: VerificationRecord) -> None:
    """Append ``record`` (creating the file on first use)."""
    details = {
        "positions": {str(p): list(r) for p, r in sorted(record.positions.items())},
        "general": list(record.general),
    }
    index = record.index
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.executescript(SCHEMA)
        conn.execute(
            f"INSERT INTO verifications ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                record.head.size,
                record.head.root,
                None if index is None else index.size,
                None if index is None else index.root,
                int(record.ok),
                record.problems,
                record.verified_at.isoformat(),
                record.by,
                record.root_key_id,
                record.root_key_source,
                record.since,
                record.checkpoint,
                json.dumps(details, separators=(",", ":"), sort_keys=True),
            ),
        )


def _connect(path: Path) -> sqlite3.Connection | None:
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("SELECT 1 FROM verifications LIMIT 1")
    except sqlite3.DatabaseError:
        return None
    return conn


def _record(row: tuple[Any, ...]) -> VerificationRecord:
    size, root, isize, iroot, ok, problems, at, by, key, source, since, cp, details = row
    data = json.loads(details)
    return VerificationRecord(
        head=Head(int(size), str(root)),
        ok=bool(ok),
        problems=int(problems),
        verified_at=datetime.fromisoformat(str(at)),
        by=str(by),
        root_key_id=None if key is None else str(key),
        root_key_source=str(source),
        index=None if isize is None else Head(int(isize), str(iroot)),
        since=None if since is None else int(since),
        checkpoint=None if cp is None else str(cp),
        positions={int(p): tuple(r) for p, r in data["positions"].items()},
        general=tuple(data["general"]),
    )


def records_for(path: Path, *heads: Head) -> list[VerificationRecord]:
    """Every record of any of ``heads`` (by its root or the index root it saw), oldest first."""
    roots = sorted({h.root for h in heads})
    conn = _connect(path)
    if conn is None or not roots:
        return []
    marks = ",".join("?" * len(roots))
    with closing(conn):
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM verifications WHERE root IN ({marks}) "
            f"OR index_root IN ({marks}) ORDER BY id",
            (*roots, *roots),
        ).fetchall()
    return [r for r in map(_record, rows) if any(r.matches(h) for h in heads)]


def last(path: Path) -> VerificationRecord | None:
    """The most recent record of any state."""
    conn = _connect(path)
    if conn is None:
        return None
    with closing(conn):
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM verifications ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return None if row is None else _record(row)


def every(path: Path) -> Iterator[VerificationRecord]:
    """All records, oldest first."""
    conn = _connect(path)
    if conn is None:
        return
    with closing(conn):
        yield from map(_record, conn.execute(f"SELECT {_COLUMNS} FROM verifications ORDER BY id"))


__all__ = ["add", "every", "last", "records_for", "verifications_path"]
