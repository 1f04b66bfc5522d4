"""The nightly run: verify, bring the read model up to date, write the outputs and a manifest.

Outputs (per offer; prefixed with the offer's position when the ledger holds several):
``text.txt`` (the offer document now), ``text-provenance.txt``, ``elections.csv`` and
``final-amendment.txt`` (``final-amendment-draft.txt`` until the results are in). The manifest
``manifest.json`` gives the SHA-256 of every output and the ledger position, leaf hash and
RFC 9162 root they were built from; it holds no wall-clock time, so two runs over the same
ledger write identical outputs (the manifest differs only in what it says about the previous
run).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offerledger.projections.catalog import QueryError
from offerledger.projections.outputs import elections_output, final_amendment_output, text_output
from offerledger.projections.runner import LogSource, Progress, build, load
from offerledger.projections.state import LedgerState
from offerledger.projections.text_render import dumps


@dataclass(frozen=True, slots=True)
class Verification:
    """What verification found, handed in (the read side never verifies)."""

    problems: Mapping[int, Sequence[str]]
    general: Sequence[str]
    events: int
    root: str | None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.general


def offer_outputs(state: LedgerState, offer_id: uuid.UUID) -> dict[str, str]:
    out = {
        "text.txt": text_output(state, offer_id),
        "text-provenance.txt": text_output(state, offer_id, provenance=True),
        "elections.csv": elections_output(state, offer_id, fmt="csv"),
    }
    try:
        out["final-amendment.txt"] = final_amendment_output(state, offer_id)
    except QueryError:
        out["final-amendment-draft.txt"] = final_amendment_output(state, offer_id, draft=True)
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
    verify: Callable[[], Verification],
    progress: Progress | None = None,
    step: Callable[[str], None] = lambda s: None,
) -> dict[str, Any]:
    """Run the nightly steps; returns the manifest (also written to ``out/manifest.json``)."""
    out.mkdir(parents=True, exist_ok=True)
    since = previous_position(out)
    step("verifying")
    verification = verify()
    step("rebuilding the read model")
    result = build(source, read_model, progress=progress)
    loaded = load(source, read_model)
    assert loaded is not None
    step("writing outputs")
    files: dict[str, str] = {}
    for n, offer_id in enumerate(offers):
        prefix = f"offer-{n + 1}-" if len(offers) > 1 else ""
        for name, text in offer_outputs(loaded.state, offer_id).items():
            files[prefix + name] = _write(out / (prefix + name), text)
    tracker = result.tracker
    manifest: dict[str, Any] = {
        "ledger": {
            "id": tracker.ledger_id,
            "events": tracker.events,
            "position": tracker.position,
            "notification_id": tracker.notification_id,
            "head_leaf_hash": tracker.leaf_hash,
            "tree_root": tracker.root,
        },
        "verification": {
            "ok": verification.ok,
            "events_verified": verification.events,
            "tree_root": verification.root,
            "new_events_since_last_run": tracker.position - since,
            "since_position": since,
            "problems": [
                {"position": p, "reasons": sorted(set(r))}
                for p, r in sorted(verification.problems.items())
            ],
            "ledger_problems": list(verification.general),
        },
        "read_model": {"mode": result.mode, "applied": result.applied},
        "outputs": dict(sorted(files.items())),
    }
    _write(out / "manifest.json", dumps(manifest))
    return manifest


__all__ = ["Verification", "offer_outputs", "previous_position", "run_nightly"]
