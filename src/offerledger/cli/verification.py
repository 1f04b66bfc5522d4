"""Verification records: ``verify`` and ``nightly`` keep what they found; read commands look
up what was found for the state they read (they never verify).

The records are kept beside the read model (:mod:`offerledger.projections.verification_store`):
``<db>.verifications.sqlite`` beside a SQLite ledger; for PostgreSQL beside the read model, in
the working folder unless ``OFFERLEDGER_READ_MODEL`` (or ``--read-model``) names another, so
set it where ``verify``, ``nightly`` and the read commands all see it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from offerledger.cli.common import err_console
from offerledger.integrity.problems import VerifyReport
from offerledger.ledger import Ledger, LogEntry
from offerledger.projections import verification_store
from offerledger.projections.readmodel import default_path
from offerledger.projections.tracker import Frontier, leaf_hash
from offerledger.projections.verification import Head, Standing, VerificationRecord, standing

READ_MODEL_ENV = "OFFERLEDGER_READ_MODEL"


def read_model_path(ledger: Ledger, given: Path | None) -> Path:
    """``given``, else ``OFFERLEDGER_READ_MODEL``, else the default beside the ledger."""
    env = os.environ.get(READ_MODEL_ENV)
    return given or (
        Path(env) if env else default_path(ledger.backend.kind, ledger.backend.location)
    )


def records_path(ledger: Ledger, read_model: Path | None = None) -> Path:
    return verification_store.verifications_path(read_model_path(ledger, read_model))


def index_head(ledger: Ledger) -> Head | None:
    """The log index's head (``offerledger_head``): cheap, not verified; None if unreadable."""
    try:
        head = ledger.app.tree_head()
    except Exception:  # a damaged or dropped index arrives as a driver error: verify says more
        return None
    return Head(head.size, head.root.hex())


def record(
    ledger: Ledger,
    report: VerifyReport,
    *,
    by: str,
    checkpoint: Path | None = None,
    read_model: Path | None = None,
) -> VerificationRecord:
    """Keep what ``report`` found beside the read model (a warning when it cannot be written:
    outputs then say UNVERIFIED, never more than was found)."""
    positions: dict[int, set[str]] = {}
    general = []
    for p in report.problems:
        if p.position is None:
            general.append(f"{p.reason}: {p.detail}")
        else:
            positions.setdefault(p.position, set()).add(p.reason)
    found = VerificationRecord(
        head=Head(report.count, report.root.hex()),
        ok=report.ok,
        problems=len(report.problems),
        verified_at=datetime.now(UTC).replace(microsecond=0),
        by=by,
        root_key_id=report.root_key_id,
        root_key_source=report.root_key_source,
        index=index_head(ledger),
        since=report.since,
        checkpoint=None if checkpoint is None else str(checkpoint),
        positions={p: tuple(sorted(r)) for p, r in positions.items()},
        general=tuple(general),
    )
    path = records_path(ledger, read_model)
    try:
        verification_store.add(path, found)
    except Exception as e:  # sqlite3 or OS errors: the verification itself stands
        err_console.print(f"Warning: cannot record the verification in {path}: {e}", markup=False)
    return found


def standing_of(ledger: Ledger, built: Head, read_model: Path | None = None) -> Standing:
    """What the records say about the state ``built`` (the rows a read command folded)."""
    path = records_path(ledger, read_model)
    index = index_head(ledger)
    heads = [built] if index is None else [built, index]
    return standing(
        built, index, verification_store.records_for(path, *heads), verification_store.last(path)
    )


def hashed(entries: Iterator[LogEntry], frontier: Frontier) -> Iterator[LogEntry]:
    """Log entries, each one's leaf hash appended to ``frontier`` as it passes."""
    for entry in entries:
        frontier.append(leaf_hash(entry.state))
        yield entry


def warn(verification: Standing) -> None:
    """On stderr too, for outputs written to files (letters)."""
    if verification.state != "verified":
        err_console.print(f"Warning: {verification.first_line()}", markup=False)


__all__ = [
    "hashed",
    "index_head",
    "read_model_path",
    "record",
    "records_path",
    "standing_of",
    "warn",
]
