"""A full rebuild folded by two processes: streams are independent, so they are partitioned.

Part of the read model's storage layer. The runner's process reads every stored row in log order
(it alone hashes the leaves and keeps the Merkle frontier) and hands the undecoded rows of about
three fifths of the streams — chosen by stream id — to a forked helper. Each process decodes and
folds its own streams, writes its timeline rows and its employee records (at the same log
positions: the runner tells the helper when it flushes its employee deltas, so each employee's
records are the same bytes as a one-process build's), and the helper hands back its small
streams' states. The helper's file becomes the new read model: the runner copies its own rows
into it (the smaller part) and goes on as a one-process build does. A stream never straddles the
two: a row whose decoded stream id is not the one stored beside it (only a tampered ledger has
one) makes the build start over in one process.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Iterator
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from offerledger.events import LedgerEvent
from offerledger.projections.core import Entry
from offerledger.projections.gather import Gathered, fold_entries
from offerledger.projections.readmodel import ReadModel
from offerledger.projections.state import StreamState
from offerledger.projections.timeline import TimelineValues

SHARE = 12  # of 20 stream-id residues go to the helper (the runner also reads and hashes
# every row: with 12 the two finish together, by their CPU per event)
MIN_ROWS = 50_000  # smaller logs (by last notification id) are built in one process
CHUNK = 2_000  # rows between the runner's hand-overs (a divisor of the runner's BATCH): what
# the helper still has to fold when the runner has read the last row


class Misrouted(Exception):
    """A row's decoded stream id differs from the stream id stored beside it."""


class HelperFailed(Exception):
    """The helper process stopped with an error."""


def workers() -> int:
    """Processes for a full rebuild: ``OFFERLEDGER_REBUILD_PROCESSES`` (1 or 2), else 2 when
    the machine has two cores (and can fork)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    given = os.environ.get("OFFERLEDGER_REBUILD_PROCESSES", "")
    if given.strip().isdigit():
        return 2 if int(given) >= 2 else 1
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def stream_key(stream: Any) -> int:
    """The stream id stored beside a row as an integer (cheap to send); -1 when it is not a
    uuid (such a row then never matches its event, and the build starts over in one process)."""
    return stream.int if isinstance(stream, uuid.UUID) else -1


def helper_streams(key: int) -> bool:
    """Whether the helper folds the stream with this :func:`stream_key`."""
    return key >= 0 and key % 20 < SHARE


Decoder = Any  # (topic, state) -> LedgerEvent | None
Folded = tuple[dict[uuid.UUID, StreamState], set[uuid.UUID]]


def decoded(rows: list[tuple[int, int, str, bytes]], decode: Decoder) -> Iterator[Entry]:
    """Entries of undecoded rows (position, :func:`stream_key`, topic, envelope)."""
    for position, key, topic, state in rows:
        event: LedgerEvent | None = decode(topic, state)
        if event is None:
            continue
        if event.originator_id.int != key:
            raise Misrouted(position)
        yield (position, event)


def _helper(conn: Connection, decode: Decoder, path: str) -> None:
    try:
        model = ReadModel.create(Path(path), bulk=True)
        model.begin()
        deltas = Gathered(known=lambda stream: False)
        streams: dict[uuid.UUID, StreamState] = {}
        pending: list[TimelineValues] = []
        while True:
            message = conn.recv()
            if message[0] == "rows":
                fold_entries(decoded(message[1], decode), streams, deltas, pending)
                model.put_timeline_values(pending)
                pending.clear()
            elif message[0] == "flush":
                deltas.flush(model)
            else:
                deltas.flush(model)
                model.commit()
                model.close()
                conn.send(("done", streams, deltas.seen))
                return
    except Misrouted:
        with suppress(OSError):
            conn.send(("misrouted",))
    except BaseException as exc:  # reported to the runner, which raises it
        with suppress(OSError):  # unless the runner is gone
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class Helper:
    """The forked helper: rows go in, its streams' states come out at :meth:`finish`."""

    def __init__(self, decode: Decoder, path: Path) -> None:
        self.path = path
        ctx = multiprocessing.get_context("fork")
        self.conn, theirs = ctx.Pipe()
        self.process = ctx.Process(target=_helper, args=(theirs, decode, str(path)))
        self.process.start()
        theirs.close()
        self.ended = False

    def _send(self, message: tuple[Any, ...]) -> None:
        try:
            self.conn.send(message)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            self._failed()

    def _failed(self) -> None:
        answer: tuple[Any, ...] = ("error", "the helper stopped")
        with suppress(OSError, EOFError):
            if self.conn.poll(5):
                answer = self.conn.recv()
        if answer[0] == "misrouted":
            raise Misrouted()
        raise HelperFailed(answer[1] if len(answer) > 1 else "the helper stopped")

    def rows(self, rows: list[tuple[int, int, str, bytes]]) -> None:
        if rows:
            self._send(("rows", rows))

    def flush(self) -> None:
        self._send(("flush",))

    def end(self) -> None:
        """No more rows: the helper writes what it holds and commits (:meth:`finish` waits for
        it)."""
        if not self.ended:
            self.ended = True
            self._send(("end",))

    def finish(self) -> Folded:
        self.end()
        try:
            answer = self.conn.recv()
        except (OSError, EOFError):
            answer = ("error", "the helper stopped")
        if answer[0] != "done":
            if answer[0] == "misrouted":
                raise Misrouted()
            raise HelperFailed(answer[1])
        self.process.join()
        return answer[1], answer[2]

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()
        self.path.unlink(missing_ok=True)


def copy_in(model: ReadModel, helper_file: Path) -> ReadModel:
    """The read model being built, whole, on the helper's file: the helper wrote the larger part
    (its timeline rows and employee records) where it stays, and the runner's own rows are
    copied in (SQLite attaches only outside a transaction). The runner's file is removed;
    returns the model on the helper's file, in a new transaction, to finish and switch in."""
    model.commit()
    model.close()
    merged = ReadModel.open(helper_file)
    if merged is None:
        raise HelperFailed("the helper's file is not a read model")
    merged.conn.execute("PRAGMA journal_mode = OFF")  # as ReadModel.create(bulk=True) makes it
    merged.conn.execute("PRAGMA synchronous = OFF")
    merged.conn.execute("ATTACH DATABASE ? AS runner", (str(model.path),))
    merged.begin()
    merged.conn.execute("INSERT INTO timeline SELECT * FROM runner.timeline")
    merged.conn.execute("INSERT INTO employees SELECT * FROM runner.employees")
    merged.commit()
    merged.conn.execute("DETACH DATABASE runner")
    model.path.unlink()
    merged.begin()
    return merged


def first_position(state: StreamState) -> int:
    """The position of a small stream's first kept event (the order a one-process fold meets
    the streams in)."""
    stamps = [s for s, _ in state.changes[:1]] + [c.stamp for c in state.corrections[:1]]
    return min(s.position for s in stamps)


__all__ = [
    "CHUNK",
    "MIN_ROWS",
    "SHARE",
    "Helper",
    "HelperFailed",
    "Misrouted",
    "copy_in",
    "decoded",
    "helper_streams",
    "stream_key",
    "workers",
]
