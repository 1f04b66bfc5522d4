"""A build's step per event: one stamp for its timeline row and its fold, and each employee's
records gathered by stream until the read model is written.

Part of the read model's storage layer (the runner and its helper process call it). A build
writes an employee's records, never reads them back, so instead of a new
:class:`~offerledger.projections.employee.EmployeeState` per event (what
:func:`~offerledger.projections.employee.fold_employee` makes, event by event)
:class:`Gathered` appends each event's record to its stream's list and makes each stream's
state once, when it is written: the same state, its records in the same order (a test folds
the same events both ways). The small streams (offer, filings, keys) fold as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from offerledger.events import LedgerEvent
from offerledger.projections.core import Entry, Stamp
from offerledger.projections.employee import RECORDS, EmployeeState
from offerledger.projections.readmodel import ReadModel
from offerledger.projections.state import StreamState, fold_stream
from offerledger.projections.timeline import TimelineValues, timeline_values

_CORRECTIONS = 3  # RECORDS' index of a correction: it joins an employee's stream only when
# that stream is one (folded before, or already in the read model)


class Gathered:
    """Employee records by stream, since the last :meth:`flush`.

    ``known(stream)``: whether the read model already holds that employee (an incremental
    run): its new records start from an empty identity, as
    :func:`~offerledger.projections.employee.delta_for` does, and are appended to the stored
    ones. ``seen``: every employee stream folded.
    """

    def __init__(self, known: Callable[[uuid.UUID], bool]) -> None:
        self.known = known
        self.seen: set[uuid.UUID] = set()
        # stream id as an integer (hashed in C, a UUID's hash is Python) -> [offer id,
        # employee id, registrations, acts, receipts, corrections, stream id]
        self.open: dict[int, list[Any]] = {}
        self.texts: dict[int, str] = {}  # each stream id (as an integer) as text, made once

    def add(self, event: LedgerEvent, stamp: Stamp) -> bool:
        """Gather ``event``'s record when it belongs to an employee's stream; False (nothing
        gathered) when it belongs to a small stream."""
        found = RECORDS.get(type(event))
        if found is None:
            return False
        index, make = found
        stream = event.originator_id
        lists = self.open.get(stream.int)
        if lists is None:
            if stream in self.seen or self.known(stream):
                lists = [None, "", [], [], [], [], stream]
            elif index == _CORRECTIONS:
                return False
            else:
                offer_id = getattr(event, "offer_id", None)
                lists = [offer_id, getattr(event, "employee_id", ""), [], [], [], [], stream]
            self.open[stream.int] = lists
            self.seen.add(stream)
        if index == 0:  # a registration names the employee
            lists[0], lists[1] = event.offer_id, event.employee_id  # type: ignore[attr-defined]
        lists[2 + index].append(make(event, stamp))
        return True

    def states(self) -> list[EmployeeState]:
        """The gathered records as states (each an employee's, or a known one's delta)."""
        return [
            EmployeeState(o[6], o[0], o[1], tuple(o[2]), tuple(o[3]), tuple(o[4]), tuple(o[5]))
            for o in self.open.values()
        ]

    def flush(self, model: ReadModel) -> None:
        """Append the gathered records to the read model and start anew."""
        model.append_employees(self.states())
        self.open = {}


def fold_entries(
    entries: Iterable[Entry],
    streams: MutableMapping[uuid.UUID, StreamState],
    gathered: Gathered,
    pending: list[TimelineValues],
) -> None:
    """Each entry's timeline row added to ``pending``, its record to ``gathered`` (an
    employee's) or its stream folded into ``streams`` (a small stream's), in log order."""
    stamp_of, add, row, texts = Stamp.of_event, gathered.add, pending.append, gathered.texts
    for entry in entries:
        position, event = entry
        stamp = stamp_of(position, event)
        sid = event.originator_id
        text = texts.get(sid.int)
        if text is None:
            text = texts[sid.int] = str(sid)
        row(timeline_values(entry, stamp, text))
        if not add(event, stamp):
            streams[sid] = fold_stream(streams.get(sid), entry)


__all__ = ["Gathered", "fold_entries"]
