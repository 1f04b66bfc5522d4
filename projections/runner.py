"""Build and catch up the read model from a log source; load projection state for reads.

The runner is the read side's only I/O: it reads stored rows from a :class:`LogSource` (the
command line adapts the ledger to it), folds them with the pure folds, and writes the read
model. A full build writes a new file and switches it in atomically; an incremental run
applies only the rows after the tracked position, in one transaction, after checking that the
row at the tracked position still has the leaf hash it had.

``step`` (given by the command line: ``Ledger.fault``, the crash tests' hook) is
told each step a rebuild reaches: ``rebuild-begun`` (the new file, or the transaction, is open),
``rebuild-folded`` (every row folded, nothing committed), ``rebuild-written`` (a full build's new
file committed, not yet switched in) and ``rebuild-done`` (switched in, or committed).
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from offerledger.events import LedgerEvent
from offerledger.projections import parallel
from offerledger.projections.core import Entry
from offerledger.projections.employee import EmployeeState
from offerledger.projections.gather import Gathered, fold_entries
from offerledger.projections.readmodel import ReadModel, switch_in
from offerledger.projections.state import LedgerState, StreamState, fold_into
from offerledger.projections.text import document_at
from offerledger.projections.timeline import TimelineRow, TimelineValues, timeline_row
from offerledger.projections.tracker import Frontier, Tracker, leaf_hash
from offerledger.projections.verification import Head

Progress = Callable[[int], None]
Step = Callable[[str], None]


def _no_step(name: str) -> None:
    """No hook: what a rebuild reaches is told to no one."""


S = TypeVar("S")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large state is built.

    Folding keeps every state alive, so each collection would scan a heap that only grows
    (quadratic work, several times the cost of the fold itself); the states hold no cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


BATCH = 20_000  # rows between timeline writes and progress reports
DELTAS = 200_000  # rows between employee-delta writes (bounds memory, batches appends)


@dataclass(frozen=True, slots=True)
class StoredRow:
    """One stored event: its position, notification id, envelope and decoded event."""

    position: int
    notification_id: int
    state: bytes
    event: LedgerEvent | None


RawRow = tuple[int, int, uuid.UUID, str, bytes]
"""An undecoded stored row: position, notification id, stream id, topic, envelope."""


class LogSource(Protocol):
    """What the runner needs of a ledger. A source that reads the ledger's source documents
    also has ``open_lists(state) -> state`` (see :func:`open_lists`)."""

    @property
    def ledger_id(self) -> str: ...

    def rows_after(self, notification_id: int, position: int) -> Iterator[StoredRow]:
        """Rows with a notification id above ``notification_id``, numbered from
        ``position + 1``."""
        ...

    def row_at(self, notification_id: int) -> StoredRow | None: ...

    def last_notification_id(self) -> int: ...


def open_lists(source: LogSource, state: LedgerState) -> LedgerState:
    """``state`` with the committed lists' entries, when the source reads source documents
    (its ``open_lists``; :func:`offerledger.projections.source.open_lists`). A source that
    does not leaves every list unread, and a query that needs one says so."""
    opener: Callable[[LedgerState], LedgerState] | None = getattr(source, "open_lists", None)
    return state if opener is None else opener(state)


class RawLogSource(LogSource, Protocol):
    """A source that also gives its rows undecoded, so that two processes can decode them."""

    def raw_rows_after(self, notification_id: int, position: int) -> Iterator[RawRow]: ...

    def decode(self, topic: str, state: bytes) -> LedgerEvent | None: ...


class ReadModelDiverged(Exception):
    """The row at the tracked position no longer has the leaf hash the read model saw."""

    def __init__(self, tracker: Tracker, found: str | None) -> None:
        what = "is gone" if found is None else f"now hashes to {found[:16]}…"
        super().__init__(
            f"the ledger's event at position {tracker.position} {what}; the read model was "
            f"built on leaf hash {tracker.leaf_hash[:16]}…"
        )
        self.tracker = tracker


class Lazy(MutableMapping[uuid.UUID, S]):
    """States read from the read model on first use; remembers which were written."""

    def __init__(self, load: Callable[[uuid.UUID], S | None]) -> None:
        self.load = load
        self.loaded: dict[uuid.UUID, S | None] = {}
        self.dirty: set[uuid.UUID] = set()

    def __getitem__(self, key: uuid.UUID) -> S:
        if key not in self.loaded:
            self.loaded[key] = self.load(key)
        value = self.loaded[key]
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: uuid.UUID, value: S) -> None:
        self.loaded[key] = value
        self.dirty.add(key)

    def __delitem__(self, key: uuid.UUID) -> None:  # pragma: no cover - folds never delete
        raise TypeError("projection state is never deleted")

    def __iter__(self) -> Iterator[uuid.UUID]:
        return iter([k for k, v in self.loaded.items() if v is not None])

    def __len__(self) -> int:
        return sum(1 for v in self.loaded.values() if v is not None)


@dataclass
class Result:
    mode: str  # full | incremental | current
    applied: int
    tracker: Tracker
    touched_employees: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class _Walk:
    """Hands rows on to be folded (:func:`~offerledger.projections.gather.fold_entries`)
    while hashing leaves, writing the timeline rows every :data:`BATCH` rows and the gathered
    employee records every :data:`DELTAS` rows (so memory stays bounded by that, not by the
    ledger)."""

    frontier: Frontier
    model: ReadModel
    deltas: Gathered
    progress: Progress | None
    last: StoredRow | None = None
    applied: int = 0
    pending: list[TimelineValues] = field(default_factory=list)

    def entries(self, rows: Iterator[StoredRow]) -> Iterator[Entry]:
        for row in rows:
            self.frontier.append(leaf_hash(row.state))
            self.last = row
            self.applied += 1
            if row.event is not None:
                yield (row.position, row.event)
            if self.applied % BATCH == 0:
                self.flush(deltas=self.applied % DELTAS == 0)
        self.flush(deltas=True)

    def decoding(
        self, rows: Iterator[RawRow], decode: Callable[[str, bytes], LedgerEvent | None]
    ) -> Iterator[Entry]:
        """Like :meth:`entries` over undecoded rows, each decoded here (no
        :class:`StoredRow` made for every row)."""
        for position, notification_id, _, topic, state in rows:
            self.frontier.append(leaf_hash(state))
            self.applied += 1
            event = decode(topic, state)
            if event is not None:
                yield (position, event)
            if self.applied % BATCH == 0:
                self.last = StoredRow(position, notification_id, state, None)
                self.flush(deltas=self.applied % DELTAS == 0)
        if self.applied:
            self.last = StoredRow(position, notification_id, state, None)
        self.flush(deltas=True)

    def split(
        self,
        rows: Iterator[RawRow],
        decode: Callable[[str, bytes], LedgerEvent | None],
        helper: parallel.Helper,
    ) -> Iterator[Entry]:
        """Like :meth:`entries` over undecoded rows, handing the helper's streams' rows to it
        (they are hashed here, folded there) every :data:`~offerledger.projections.parallel.
        CHUNK` rows."""
        theirs: list[tuple[int, int, str, bytes]] = []
        mine: list[tuple[int, int, str, bytes]] = []
        key_of, helps = parallel.stream_key, parallel.helper_streams
        for position, notification_id, stream, topic, state in rows:
            self.frontier.append(leaf_hash(state))
            self.applied += 1
            key = key_of(stream)
            if helps(key):
                theirs.append((position, key, topic, state))
            else:
                mine.append((position, key, topic, state))
            if self.applied % parallel.CHUNK == 0:
                helper.rows(theirs)
                theirs = []
                yield from parallel.decoded(mine, decode)
                mine = []
                if self.applied % BATCH == 0:
                    self.last = StoredRow(position, notification_id, state, None)
                    at_deltas = self.applied % DELTAS == 0
                    if at_deltas:
                        helper.flush()
                    self.flush(deltas=at_deltas)
        if self.applied:
            self.last = StoredRow(position, notification_id, state, None)
        helper.rows(theirs)
        helper.end()  # it writes its last records while the runner folds and writes its own
        yield from parallel.decoded(mine, decode)
        self.flush(deltas=True)

    def flush(self, *, deltas: bool) -> None:
        self.model.put_timeline_values(self.pending)
        self.pending.clear()
        if deltas:
            self.deltas.flush(self.model)
        if self.progress is not None:
            self.progress(self.applied)


def _tracker(
    ledger_id: str, frontier: Frontier, last: StoredRow | None, before: Tracker | None
) -> Tracker:
    if last is None:
        if before is not None:
            return before
        return Tracker(ledger_id, -1, 0, "", ())
    return Tracker(
        ledger_id=ledger_id,
        position=last.position,
        notification_id=last.notification_id,
        leaf_hash=leaf_hash(last.state).hex(),
        frontier=tuple((h, n.hex()) for h, n in frontier.nodes),
    )


def _paragraphs(
    model: ReadModel, streams: dict[uuid.UUID, StreamState], offers: list[uuid.UUID]
) -> None:
    """Refresh the plain ``paragraphs`` table for the offers whose stream changed."""
    state = LedgerState(streams=streams)
    for offer_id in offers:
        try:
            view = document_at(state, offer_id)
        except ValueError:
            continue
        rows: list[tuple[object, ...]] = []
        for part in view.parts:
            items = [(part.id, part.kind, part.heading, part.introduced, part.changed)] + [
                (b.id, b.kind, b.text, b.introduced, b.changed) for b in part.blocks
            ]
            for block_id, kind, text, introduced, changed in items:
                rows.append(
                    (
                        str(offer_id),
                        view.document_id,
                        len(rows),
                        part.number,
                        block_id,
                        kind,
                        text,
                        introduced.stamp.position,
                        None if changed is None else changed.stamp.position,
                    )
                )
        model.put_paragraphs(offer_id, view.document_id, rows)


def _offers(streams: dict[uuid.UUID, StreamState], keys: set[uuid.UUID] | None) -> list[uuid.UUID]:
    return [k for k, s in streams.items() if s.kind == "offer" and (keys is None or k in keys)]


def _raw(source: LogSource) -> RawLogSource | None:
    """The source, when it gives undecoded rows."""
    if not hasattr(source, "raw_rows_after") or not hasattr(source, "decode"):
        return None
    return source  # type: ignore[return-value]


@paused_gc()
def build_full(
    source: LogSource, path: Path, *, progress: Progress | None = None, step: Step = _no_step
) -> Result:
    """A new read model from the whole log, switched in atomically.

    A log whose last notification id is at least
    :data:`~offerledger.projections.parallel.MIN_ROWS` is folded by two processes when the source
    gives undecoded rows (:mod:`~offerledger.projections.parallel`); the read model is the
    same."""
    raw = _raw(source)
    if raw is None:
        return _build_full(source, path, progress, source.rows_after(0, -1), None, False, step)
    if parallel.workers() >= 2 and raw.last_notification_id() >= parallel.MIN_ROWS:
        try:
            return _build_full(raw, path, progress, None, raw.raw_rows_after(0, -1), True, step)
        except parallel.Misrouted:
            pass
    return _build_full(raw, path, progress, None, raw.raw_rows_after(0, -1), False, step)


def _build_full(
    source: LogSource,
    path: Path,
    progress: Progress | None,
    rows: Iterator[StoredRow] | None,
    raw: Iterator[RawRow] | None,
    two: bool,
    step: Step,
) -> Result:
    tmp = path.with_name(f"{path.name}.new-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    _drop_abandoned(path)
    model = ReadModel.create(tmp, bulk=True)
    helper: parallel.Helper | None = None
    try:
        model.begin()
        step("rebuild-begun")
        deltas = Gathered(known=lambda stream: False)
        walk = _Walk(Frontier(), model, deltas, progress)
        streams: dict[uuid.UUID, StreamState] = {}
        if raw is None:
            assert rows is not None
            fold_entries(walk.entries(rows), streams, deltas, walk.pending)
        elif not two:
            decode = source.decode  # type: ignore[attr-defined]  # a RawLogSource
            fold_entries(walk.decoding(raw, decode), streams, deltas, walk.pending)
        else:
            helper_file = tmp.with_name(f"{tmp.name}.helper")
            helper_file.unlink(missing_ok=True)
            decode = source.decode  # type: ignore[attr-defined]  # a RawLogSource
            helper = parallel.Helper(decode, helper_file)
            fold_entries(walk.split(raw, decode, helper), streams, deltas, walk.pending)
            theirs, seen = helper.finish()
            deltas.seen |= seen
            both = {**streams, **theirs}
            order = sorted(both, key=lambda k: parallel.first_position(both[k]))
            streams = {k: both[k] for k in order}
            model = parallel.copy_in(model, helper_file)
        step("rebuild-folded")
        model.put_streams(streams.values())
        _paragraphs(model, streams, _offers(streams, None))
        tracker = _tracker(source.ledger_id, walk.frontier, walk.last, None)
        model.put_tracker(tracker)
        model.create_indexes()
        model.commit()
        model.close()
        step("rebuild-written")
        switch_in(model.path, path)
        step("rebuild-done")
    except BaseException:
        model.close()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if helper is not None:
            helper.stop()
    return Result("full", walk.applied, tracker, len(deltas.seen))


def _drop_abandoned(path: Path) -> None:
    """Remove the new files that full builds of ``path`` killed before they switched in left
    behind (``<name>.new-<pid>``, its helper's file and SQLite's journals) of a process that is
    gone."""
    for stale in path.parent.glob(f"{path.name}.new-*"):
        rest = stale.name.removeprefix(f"{path.name}.new-")
        pid = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        if not pid or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # gone: its file is no read model and never will be
            stale.unlink(missing_ok=True)
        except OSError:
            pass  # alive (or not ours to ask): another build may still be writing it


def check_tracker(source: LogSource, tracker: Tracker) -> None:
    """Raise :class:`ReadModelDiverged` when the tracked row's leaf hash changed."""
    if tracker.position < 0:
        return
    row = source.row_at(tracker.notification_id)
    found = None if row is None else leaf_hash(row.state).hex()
    if found != tracker.leaf_hash:
        raise ReadModelDiverged(tracker, found)


@paused_gc()
def build(
    source: LogSource,
    path: Path,
    *,
    full: bool = False,
    progress: Progress | None = None,
    step: Step = _no_step,
) -> Result:
    """Bring the read model up to date: incrementally when it can, in full when asked or when
    there is none (or it belongs to another ledger); ``step``: see the module's docstring."""
    model = None if full else ReadModel.open(path)
    tracker = model.tracker() if model is not None else None
    if model is None or tracker is None or tracker.ledger_id != source.ledger_id:
        if model is not None:
            model.close()
        result = build_full(source, path, progress=progress, step=step)
        if tracker is not None and tracker.ledger_id != source.ledger_id:
            result.notes.append("the read model belonged to another ledger; rebuilt in full")
        return result
    try:
        check_tracker(source, tracker)
        if source.last_notification_id() == tracker.notification_id:
            return Result("current", 0, tracker)
        streams: Lazy[StreamState] = Lazy(model.stream)
        deltas = Gathered(known=model.has_employee)
        model.begin()
        step("rebuild-begun")
        walk = _Walk(tracker.tree(), model, deltas, progress)
        rows = source.rows_after(tracker.notification_id, tracker.position)
        fold_entries(walk.entries(rows), streams, deltas, walk.pending)
        step("rebuild-folded")
        model.put_streams(streams[k] for k in sorted(streams.dirty))
        loaded = {k: v for k, v in streams.loaded.items() if v is not None}
        _paragraphs(model, loaded, _offers(loaded, streams.dirty))
        new_tracker = _tracker(source.ledger_id, walk.frontier, walk.last, tracker)
        model.put_tracker(new_tracker)
        model.commit()
        step("rebuild-done")
        return Result("incremental", walk.applied, new_tracker, len(deltas.seen))
    except BaseException:
        model.rollback()
        raise
    finally:
        model.close()


@dataclass
class Loaded:
    """Projection state for a read command, how it was obtained, and the log size and root of
    the rows it rests on (``head``: what the read model tracked plus the rows folded since)."""

    state: LedgerState
    source: str  # read-model | read-model+log | log
    behind: int
    tracker: Tracker | None
    head: Head


@paused_gc()
def load(source: LogSource, path: Path, *, employees: bool = True) -> Loaded | None:
    """State from the read model, with any newer rows folded in memory (nothing is written).

    None when there is no read model for this ledger. Raises :class:`ReadModelDiverged`.
    """
    model = ReadModel.open(path)
    if model is None:
        return None
    try:
        tracker = model.tracker()
        if tracker is None or tracker.ledger_id != source.ledger_id:
            return None
        check_tracker(source, tracker)
        streams = model.streams()
        staff: MutableMapping[uuid.UUID, EmployeeState] = (
            model.employees() if employees else Lazy(model.employee)
        )
        behind = 0
        frontier = tracker.tree()
        if source.last_notification_id() != tracker.notification_id:
            rows = source.rows_after(tracker.notification_id, tracker.position)
            entries = [
                (r.position, r.event) for r in _hashed(rows, frontier) if r.event is not None
            ]
            behind = len(entries)
            last = fold_into(streams, staff, entries)
            position = max(last, tracker.position)
        else:
            position = tracker.position
        state = LedgerState(
            position=position, streams=streams, employees=dict(staff) if employees else staff
        )
        state = open_lists(source, state)
        how = "read-model+log" if behind else "read-model"
        return Loaded(state, how, behind, tracker, head_of(frontier))
    finally:
        model.close()


def _hashed(rows: Iterable[StoredRow], frontier: Frontier) -> Iterator[StoredRow]:
    """``rows``, each one's leaf hash appended to ``frontier`` as it passes."""
    for row in rows:
        frontier.append(leaf_hash(row.state))
        yield row


def head_of(frontier: Frontier) -> Head:
    """The log size and RFC 9162 root (hex) of the leaves ``frontier`` has seen."""
    return Head(frontier.size, frontier.root().hex())


@paused_gc()
def timeline(source: LogSource, path: Path) -> tuple[list[TimelineRow], Head] | None:
    """The timeline rows of the read model and of any newer events, and the log size and root
    they rest on; None when there is no read model for this ledger. Raises
    :class:`ReadModelDiverged`."""
    model = ReadModel.open(path)
    if model is None:
        return None
    try:
        tracker = model.tracker()
        if tracker is None or tracker.ledger_id != source.ledger_id:
            return None
        check_tracker(source, tracker)
        rows = list(model.timeline())
    finally:
        model.close()
    frontier = tracker.tree()
    newer = _hashed(source.rows_after(tracker.notification_id, tracker.position), frontier)
    rows.extend(timeline_row((r.position, r.event)) for r in newer if r.event is not None)
    return rows, head_of(frontier)


__all__ = [
    "LogSource",
    "Loaded",
    "RawLogSource",
    "RawRow",
    "ReadModelDiverged",
    "Result",
    "StoredRow",
    "build",
    "build_full",
    "check_tracker",
    "head_of",
    "load",
    "open_lists",
    "timeline",
]
