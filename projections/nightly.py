"""The nightly run: verify, bring the read model up to date, write the outputs and a manifest.

Outputs (per offer; prefixed with the offer's position when the ledger holds several):
``text.txt`` (the offer document now), ``text-provenance.txt``, ``elections.csv`` and
``final-amendment.txt`` (``final-amendment-draft.txt`` until the results are in). Each states on
its first line the log size and root it was built from and what the last verification of that
state found (:mod:`.verification`; ``elections.csv`` as a ``# `` comment line). The manifest
``manifest.json`` gives the SHA-256 of every output, the ledger position, leaf hash and RFC 9162
root they were built from, what this run's verification found (with its time: the one
wall-clock time in a nightly run) and what the outputs state; the command line signs it with the
root key (``offerledger.integrity.manifest``). Over an unchanged ledger two runs write the same
outputs but for the time on their first line.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from offerledger.projections.catalog import QueryError
from offerledger.projections.outputs import elections_output, final_amendment_output, text_output
from offerledger.projections.runner import LogSource, Progress, build, head_of, load
from offerledger.projections.state import LedgerState
from offerledger.projections.text_render import dumps
from offerledger.projections.verification import Head, Standing, VerificationRecord

Signer = Callable[[dict[str, Any]], dict[str, Any] | None]
"""Signs a manifest (without its ``signature`` field); None when it cannot."""


def offer_outputs(
    state: LedgerState, offer_id: uuid.UUID, verification: Standing | None = None
) -> dict[str, str]:
    v = verification
    out = {
        "text.txt": text_output(state, offer_id, verification=v),
        "text-provenance.txt": text_output(state, offer_id, provenance=True, verification=v),
        "elections.csv": elections_output(state, offer_id, fmt="csv", verification=v),
    }
    try:
        out["final-amendment.txt"] = final_amendment_output(state, offer_id, verification=v)
    except QueryError:
        out["final-amendment-draft.txt"] = final_amendment_output(
            state, offer_id, draft=True, verification=v
        )
    return out


def previous_position(out: Path) -> int:
    """The ledger position the last nightly manifest in ``out`` was built from (-1: none)."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        return int(manifest["ledger"]["position"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def _write(path: Path, text: str) -> str:
    data = text.encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return hashlib.sha256(data).hexdigest()


def run_nightly(
    source: LogSource,
    read_model: Path,
    out: Path,
    *,
    offers: Sequence[uuid.UUID],
    verify: Callable[[], VerificationRecord],
    standing: Callable[[Head], Standing],
    sign: Signer = lambda manifest: None,
    progress: Progress | None = None,
    step: Callable[[str], None] = lambda s: None,
) -> dict[str, Any]:
    """Run the nightly steps; returns the manifest (also written to ``out/manifest.json``).

    ``verify`` verifies the ledger and records what it found; ``standing`` says what the
    records say about the state the outputs are built from; ``sign`` signs the manifest.
    """
    out.mkdir(parents=True, exist_ok=True)
    since = previous_position(out)
    step("verifying")
    verification = verify()
    step("rebuilding the read model")
    result = build(source, read_model, progress=progress)
    loaded = load(source, read_model)
    assert loaded is not None
    stated = standing(loaded.head)
    step("writing outputs")
    files: dict[str, str] = {}
    for n, offer_id in enumerate(offers):
        prefix = f"offer-{n + 1}-" if len(offers) > 1 else ""
        for name, text in offer_outputs(loaded.state, offer_id, stated).items():
            files[prefix + name] = _write(out / (prefix + name), text)
    tracker = result.tracker
    manifest: dict[str, Any] = {
        "ledger": {
            "id": tracker.ledger_id,
            "events": tracker.events,
            "position": tracker.position,
            "notification_id": tracker.notification_id,
            "head_leaf_hash": tracker.leaf_hash,
            "tree_root": head_of(tracker.tree()).root,
        },
        "verification": _verification(verification, tracker.position - since, since),
        "outputs_verification": stated.as_dict(),
        "read_model": {"mode": result.mode, "applied": result.applied},
        "outputs": dict(sorted(files.items())),
    }
    manifest["signature"] = sign(manifest)
    _write(out / "manifest.json", dumps(manifest))
    return manifest


def _verification(record: VerificationRecord, new_events: int, since: int) -> dict[str, Any]:
    return {
        "ok": record.ok,
        "events_verified": record.head.size,
        "tree_root": record.head.root,
        "problem_count": record.problems,
        "verified_at": record.at,
        "root_key_id": record.root_key_id,
        "since_checkpoint": record.since,
        "new_events_since_last_run": new_events,
        "since_position": since,
        "problems": [
            {"position": p, "reasons": sorted(set(r))} for p, r in sorted(record.positions.items())
        ],
        "ledger_problems": list(record.general),
    }


__all__ = ["Signer", "offer_outputs", "previous_position", "run_nightly"]
