"""Resuming a killed ``demo``: a ledger that holds a prefix of the demo is completed.

Every save is all or nothing, so a demo killed part way leaves a valid ledger holding the first
saves of the demo. ``demo`` run again on it recognises it and records the rest:

* the ledger's root key is the demo's (derived from the public demo seed), and
* its events, position by position, are the demo's own: the demo is run again on a scratch
  ledger and each stored event is compared with the event the demo records at that position
  (the committed lists' roots and document hashes aside: their salts are random by design,
  docs/disclosure.md), and the stored events end where one of the demo's saves ends.

Then the saves still missing are stored as the scratch run made them (same events, same signers,
same source documents; chained and signed onto this ledger's head), and the demo's key files
and input CSVs are put where an uninterrupted demo leaves them. A ledger with any other root
key, any event the demo does not record, or the whole demo already, is refused as before and
nothing is written.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from offerledger.documents import SourceDocument
from offerledger.errors import InputError, StorageError
from offerledger.events import LedgerEvent
from offerledger.ledger import Ledger
from offerledger.signing.keys import SigningKey

Save = tuple[list[tuple[list[LedgerEvent], SigningKey]], list[SourceDocument]]


def interrupted_demo(db: str, *, root: SigningKey, keys: Path | None = None) -> Ledger | None:
    """The ledger at ``db``, opened, when its root key is the demo's; else None (and closed)."""
    try:
        ledger = Ledger.open(db, keys=keys)
    except StorageError:
        return None  # no ledger there yet: the demo starts afresh (or init says why not)
    try:
        if ledger.root_key_info().key_id == root.key_id:
            return ledger
    except StorageError:
        pass
    ledger.close()
    return None


def _without_salts(value: Any) -> Any:
    """An event's JSON with each committed list's root and document hash left out."""
    if isinstance(value, dict):
        if {"kind", "root", "count", "document_sha256"} <= value.keys():
            value = {k: v for k, v in value.items() if k not in ("root", "document_sha256")}
        return {k: _without_salts(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_salts(v) for v in value]
    return value


def same_event(stored: LedgerEvent | None, demo: LedgerEvent) -> bool:
    """Whether a stored event is the one the demo records (committed-list salts aside)."""
    if stored is None or type(stored) is not type(demo):
        return False
    return bool(
        _without_salts(stored.model_dump(mode="json"))
        == _without_salts(demo.model_dump(mode="json"))
    )


def missing_saves(
    stored: Sequence[LedgerEvent | None], saves: Sequence[Save], *, location: str
) -> list[Save]:
    """The demo's saves after the ones ``stored`` holds; raises (as ``init`` does on a ledger
    that exists) when ``stored`` is not a prefix of the demo ending where a save ends, or is the
    whole demo."""

    def refused(why: str) -> InputError:
        return InputError(
            f"{location} already holds a ledger; nothing was written",
            field="--db",
            hint=f"{why}; use another --db (a new file or schema)",
        )

    demo = [e for groups, _ in saves for events, _ in groups for e in events]
    for position, event in enumerate(stored):
        if position >= len(demo) or not same_event(event, demo[position]):
            what = event.action if event is not None else "an event that does not decode"
            raise refused(
                f"its root key is the demo's, but its event at position {position} ({what}) is "
                "not this demo's (an interrupted demo resumes with the --employees it was run "
                "with)"
            )
    starts, done = [], 0
    for groups, _ in saves:
        starts.append(done)
        done += sum(len(events) for events, _ in groups)
    if len(stored) == done:
        raise refused(f"it holds the whole demo ({done} events)")
    if len(stored) not in starts:
        raise refused(
            f"it holds the demo's first {len(stored)} events, which do not end where one of "
            "the demo's saves ends"
        )
    return list(saves[starts.index(len(stored)) :])


NewLedger = Callable[[str, Any, Path], tuple[Ledger, SigningKey]]
Script = Callable[[Ledger, SigningKey, Any], Any]


def _scratch_demo(new_ledger: NewLedger, script: Script, *, folder: Path) -> tuple[Any, list[Save]]:
    """Run the demo on a scratch SQLite ledger in ``folder``; its summary and every save (the
    root key's, then each as ``SigningEventStore.put_groups`` received it)."""
    from offerledger.demo import ScriptClock

    clock = ScriptClock()
    scratch, root = new_ledger(str(folder / "demo.db"), clock, folder / "keys")
    first = [e.event for e in scratch.log()]
    assert all(e is not None for e in first)
    saves: list[Save] = [([([e for e in first if e is not None], root)], [])]
    store = scratch.app.store
    put_groups = store.put_groups

    def capture(
        groups: Sequence[tuple[Sequence[LedgerEvent], SigningKey]],
        *,
        documents: Sequence[SourceDocument] = (),
    ) -> Any:
        saves.append(([(list(events), signer) for events, signer in groups], list(documents)))
        return put_groups(groups, documents=documents)

    store.put_groups = capture  # type: ignore[method-assign]
    try:
        summary = script(scratch, root, clock)
    finally:
        scratch.close()
    return summary, [s for s in saves if any(events for events, _ in s[0])]


def resume_demo(
    ledger: Ledger,
    new_ledger: NewLedger,
    script: Script,
    *,
    progress: Callable[[str], None],
    keep_key: Callable[[Ledger, SigningKey], None],
    write_inputs: Callable[[Ledger], None],
) -> Any:
    """Complete the interrupted demo in ``ledger`` (see the module docstring); returns the
    demo's summary. ``new_ledger(db, clock, keys)`` makes a demo ledger as the demo does,
    ``script(ledger, root, clock)`` runs the demo's steps on it, ``keep_key`` writes a demo
    key's file into a ledger's keystore as the demo does, ``write_inputs`` its CSV files."""
    from offerledger.demo import demo_key

    with tempfile.TemporaryDirectory(prefix="offerledger-demo-") as tmp:
        summary, saves = _scratch_demo(new_ledger, script, folder=Path(tmp))
    stored = [entry.event for entry in ledger.log()]
    todo = missing_saves(stored, saves, location=ledger.backend.location)
    events = sum(len(e) for groups, _ in todo for e, _ in groups)
    progress(
        f"resuming an interrupted demo: {len(stored)} of its events are on record; "
        f"recording the other {events} in {len(todo)} save(s)"
    )
    for groups, documents in todo:
        ledger.save_groups(groups, documents=documents)
    for info in ledger.registry().keys.values():
        key = demo_key(info.holder)
        if key.key_id == info.key_id:
            keep_key(ledger, key)
    write_inputs(ledger)
    return replace(summary, db=ledger.backend.location, events=ledger.count())


__all__ = ["interrupted_demo", "missing_saves", "resume_demo", "same_event"]
