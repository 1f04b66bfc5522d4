"""Inclusion and consistency proofs for callers outside: checked before they are handed out.

An inclusion proof is computed from the persisted log (O(log n) node reads), but its leaf hash
is recomputed from the event row as stored, and the proof is verified against the root it
names (the current head, or a checkpoint signed by the trusted root key) before it is printed:
a damaged log index gives an error, never a wrong proof.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

from offerledger.errors import InputError, ProofInvalid, StorageError
from offerledger.integrity.checkpoint import parse_checkpoint_note
from offerledger.integrity.checkpoints import CheckpointsFile
from offerledger.integrity.logtree import consistency_proof_from, inclusion_proof_from, root_from
from offerledger.integrity.merkle import leaf_hash, verify_consistency, verify_inclusion
from offerledger.integrity.trust import checkpoint_key, resolve_trust
from offerledger.integrity.verify import scan_keys
from offerledger.ledger import Ledger
from offerledger.store import KEYS_STREAM

__all__ = ["consistency_of", "inclusion_of"]


def _checkpoint_size(ledger: Ledger, path: Path, root_key: str | None) -> tuple[int, bytes]:
    states = [row.state for row in ledger.app.recorder.select_events(KEYS_STREAM)]
    scan = scan_keys(states)
    trust = resolve_trust(root_key=root_key, keystore=ledger.keystore.folder, scan=scan)
    key = checkpoint_key(trust, scan)
    if key is None:
        raise InputError("the trusted root key is not registered in this ledger", file=path)
    text = path.read_text(encoding="utf-8")
    if text.endswith("\n\n"):
        text = CheckpointsFile.read(path).last or ""
    note = parse_checkpoint_note(text=text, public_key=key, source=str(path))
    return note.size, note.root


def inclusion_of(
    ledger: Ledger, *, position: int, checkpoint: Path | None = None, root_key: str | None = None
) -> dict[str, Any]:
    """``{"index", "tree_size", "leaf_hash", "root", "proof"}`` (hex) for one event."""
    head = ledger.app.tree_head()
    size, root = head.size, head.root
    if checkpoint is not None:
        size, root = _checkpoint_size(ledger, checkpoint, root_key)
        if size > head.size:
            raise ProofInvalid(
                f"the checkpoint vouches for {size} events; the log holds {head.size}"
            )
    if not 0 <= position < size:
        raise InputError(
            f"position {position} is outside the log of {size} events", field="POSITION"
        )
    row_id = ledger.app.row_id_at(position)
    rows = list(
        islice(ledger.app.raw_rows(after=row_id - 1 if isinstance(row_id, int) else -1, batch=1), 1)
    )
    if row_id is None or not rows or rows[0][0] != row_id:
        raise StorageError(
            f"the log index names no stored event at position {position}",
            hint="the database is damaged: run 'offerledger verify'",
        )
    leaf = leaf_hash(bytes(rows[0][4]))
    proof = inclusion_proof_from(ledger.app.read_nodes, index=position, size=size)
    if root_from(ledger.app.read_nodes, size) != root:
        raise ProofInvalid(f"the persisted log's root at size {size} is not the expected root")
    verify_inclusion(leaf_hash=leaf, index=position, size=size, path=proof, root=root)
    return {
        "index": position,
        "tree_size": size,
        "leaf_hash": leaf.hex(),
        "root": root.hex(),
        "proof": [node.hex() for node in proof],
    }


def consistency_of(ledger: Ledger, *, old_size: int, new_size: int | None) -> dict[str, Any]:
    """``{"old_size", "new_size", "old_root", "new_root", "proof"}`` (hex)."""
    head = ledger.app.tree_head()
    new = head.size if new_size is None else new_size
    if not 0 < old_size <= new <= head.size:
        raise InputError(
            f"sizes must satisfy 0 < OLD_SIZE <= NEW_SIZE <= {head.size} (the log's size); "
            f"got {old_size} and {new}",
            field="OLD_SIZE",
        )
    read = ledger.app.read_nodes
    old_root, new_root = root_from(read, old_size), root_from(read, new)
    proof = consistency_proof_from(read, old_size=old_size, new_size=new)
    verify_consistency(
        old_size=old_size, new_size=new, old_root=old_root, new_root=new_root, proof=proof
    )
    return {
        "old_size": old_size,
        "new_size": new,
        "old_root": old_root.hex(),
        "new_root": new_root.hex(),
        "proof": [node.hex() for node in proof],
    }
