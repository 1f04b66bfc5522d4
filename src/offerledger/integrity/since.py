"""verify --since CHECKPOINT: check the log from a trusted checkpoint on, not from the start.

The checkpoint (size m, root r, signed by the trusted root key) vouches for the first m events.
From the persisted log this module checks that its first m leaves still hash to r, that an
RFC 9162 consistency proof leads from (m, r) to the current head, and that each keys-stream
event before m is included under r; then it examines and judges only the events from position
m on, with the tree resumed from the frontier at m, a judge that has seen the keys before m,
and each stream's earlier head read when one of its later events is judged. The work grows
with the events after the checkpoint, not with the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from offerledger.errors import ProofInvalid, StorageError
from offerledger.integrity.checkpoint import Checkpoint
from offerledger.integrity.examine import StoredRow, examine_row, init_worker, with_saves
from offerledger.integrity.judge import Judge
from offerledger.integrity.logtree import consistency_proof_from, inclusion_proof_from
from offerledger.integrity.merkle import (
    MerkleAccumulator,
    frontier_nodes,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from offerledger.integrity.problems import Problem, VerifyReport
from offerledger.integrity.slices import Slices
from offerledger.integrity.verify import KEYS_STREAM, KeyScan, Resume, raw_rows_of, verify_rows
from offerledger.signing.envelope import envelope_hash
from offerledger.store import last_recorded

__all__ = ["verify_since"]


def _problem(reason: str, detail: str) -> Problem:
    return Problem(None, None, None, reason, detail)


def verify_since(
    app: Any,
    note: Checkpoint,
    *,
    trusted: frozenset[str] | None,
    scan: KeyScan,
    workers: int | None,
    parallel_threshold: int,
    slices: Slices | None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport | None:
    """The report of the events after ``note``; None when the persisted log cannot resume
    from it (the caller then verifies everything, and says so)."""
    head = app.tree_head()
    m = note.size
    if m == 0 or m > head.size:
        return None
    read = app.read_nodes
    try:
        nodes = read(frontier_nodes(m))
        frontier = [nodes[k] for k in frontier_nodes(m)]
        tree = MerkleAccumulator.from_frontier(size=m, frontier=frontier)
        if tree.root() != note.root:
            return None
        proof = consistency_proof_from(read, old_size=m, new_size=head.size)
        verify_consistency(
            old_size=m, new_size=head.size, old_root=note.root, new_root=head.root, proof=proof
        )
    except (ProofInvalid, KeyError, StorageError):
        return None
    judge = Judge(trusted_roots=trusted, watched=scan.revoked)
    judge.order_checked = False  # the keys stream's events before it are not consecutive
    problems = _judge_keys_before(app, note, judge, scan)
    after_id = app.row_id_at(m - 1)
    if after_id is None:
        return None
    judge.order_checked = True  # from the event before the checkpoint on, in log order
    judge.previous_recorded = last_recorded(app.state_at(m - 1))

    # each stream with events after the checkpoint: its head before it, read in one query
    for stream, (version, state) in app.heads_before(m).items():
        judge.heads.setdefault(stream, (version, envelope_hash(state)))

    report, _ = verify_rows(
        raw_rows_of(app.raw_rows(after=after_id), start=m),
        read_saves=app.raw_saves,
        trusted_roots=trusted,
        workers=workers,
        public_keys=scan.public_keys,
        revoked_keys=scan.revoked,
        parallel_threshold=parallel_threshold,
        slices=slices,
        row_count=head.size - m,
        resume=Resume(m, after_id, tree, judge),
        progress=progress,
    )
    report.since = m
    report.problems[:0] = problems
    return report


def _judge_keys_before(app: Any, note: Checkpoint, judge: Judge, scan: KeyScan) -> list[Problem]:
    """Feed the judge the keys stream's events before the checkpoint, each proven included."""
    init_worker(scan.public_keys)
    problems: list[Problem] = []
    verified: dict[tuple[str, bytes, bytes], bool] = {}
    for row in app.recorder.select_events(KEYS_STREAM):
        position = app.position_of(KEYS_STREAM, row.originator_version)
        if position is None or position >= note.size:
            break
        try:
            verify_inclusion(
                leaf_hash=leaf_hash(row.state),
                index=position,
                size=note.size,
                path=inclusion_proof_from(app.read_nodes, index=position, size=note.size),
                root=note.root,
            )
        except ProofInvalid as e:
            problems.append(
                Problem(
                    position,
                    str(KEYS_STREAM),
                    row.originator_version,
                    "checkpoint-mismatch",
                    f"the key event is not the one the checkpoint covers ({e})",
                )
            )
            continue
        stored = StoredRow(
            position, row.originator_id.hex, row.originator_version, row.topic, row.state
        )
        (stored,) = with_saves([stored], app.raw_saves)
        judge.judge(examine_row(stored, verified))
    return problems
