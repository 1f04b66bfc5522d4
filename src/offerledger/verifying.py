"""Verifying a ledger from Python, and keeping what was found for the read side.

:func:`verify` is ``offerledger verify`` as a function: it checks every event (and a
checkpoint, when given) and, unless ``record=False``, records what it found beside the read
model, where :func:`offerledger.read` and every read command look it up to say whether the rows
they read were verified. It returns the :class:`~offerledger.integrity.problems.VerifyReport`;
problems found are data in the report (``report.ok``), not exceptions.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from offerledger.integrity import service  # looked up when called: tests replace verify_ledger
from offerledger.integrity.problems import VerifyReport
from offerledger.ledger import Ledger
from offerledger.projections import verification_store as records
from offerledger.projections.verification import Head, VerificationRecord
from offerledger.reading import index_head, read_model_path


def verify(
    ledger: Ledger,
    *,
    checkpoint: Path | None = None,
    since: bool = False,
    root_key: str | None = None,
    witnesses: Sequence[str] = (),
    record: bool = True,
    read_model: Path | None = None,
    by: str = "verify",
    progress: Callable[[int, int | None], None] | None = None,
) -> VerifyReport:
    """Verify every event's signature, key, role, chain, version and save.

    ``checkpoint``: a checkpoint note or checkpoints file (its last note) that the ledger must
    extend; with ``since``, only the events after it are examined once a consistency proof
    shows the ledger extends it. ``root_key``: the trusted root key (hex file or key id);
    ``witnesses``: verifier keys whose cosignatures the checkpoint must carry. ``by``: who the
    record names (``verify``, ``nightly``, ``demo``); ``progress`` is told (events examined,
    events to examine) as it goes.
    """
    report = service.verify_ledger(
        ledger,
        root_key=root_key,
        checkpoint=checkpoint,
        since=since,
        witnesses=witnesses,
        progress=progress,
    )
    if record:
        record_verification(ledger, report, by=by, checkpoint=checkpoint, read_model=read_model)
    return report


def record_verification(
    ledger: Ledger,
    report: VerifyReport,
    *,
    by: str,
    checkpoint: Path | None = None,
    read_model: Path | None = None,
) -> VerificationRecord:
    """Keep what ``report`` found beside the read model. When it cannot be written, a
    ``RuntimeWarning`` says so and reads go on saying UNVERIFIED (never more than was found)."""
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
    path = records.verifications_path(read_model_path(ledger, read_model))
    try:
        records.add(path, found)
    except Exception as e:  # sqlite3 or OS errors: the verification itself stands
        warnings.warn(f"cannot record the verification in {path}: {e}", RuntimeWarning, 2)
    return found


__all__ = ["record_verification", "verify"]
