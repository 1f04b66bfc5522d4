"""The folds: the whole ledger folded into per-stream states, pure ``(state, entry) -> state``.

Two kinds of stream state:

* :class:`StreamState` for the small streams (the offer, each filing, the keys): every event
  kept whole with its :class:`~offerledger.projections.core.Stamp`, so that as-of queries can
  select from it.
* :class:`~offerledger.projections.employee.EmployeeState` for each employee stream: eligible
  grants and election acts kept compact (a large offer has a hundred thousand of them).

:func:`fold_into` routes each entry to its stream's fold; it mutates only the two mappings it is
handed, so the read model can hand it mappings backed by its tables. :func:`fold` and
:func:`fold_all` are the pure forms over :class:`LedgerState`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace

from offerledger.events import (
    CorrectionRecorded,
    ElectionReceiptConfirmed,
    EligibleGrantsRegistered,
    FilingRecorded,
    KeyRegistered,
    KeyRevoked,
    LedgerEvent,
    OfferCommenced,
)
from offerledger.projections.core import Correction, Entry, Stamp
from offerledger.projections.disclosed import Lists
from offerledger.projections.employee import ELECTION_EVENTS, EmployeeState, fold_employee


@dataclass(frozen=True, slots=True)
class StreamState:
    """A small stream (offer, filing, keys): its events in log order, each with its stamp."""

    stream: uuid.UUID
    kind: str
    changes: tuple[tuple[Stamp, LedgerEvent], ...] = ()
    corrections: tuple[Correction, ...] = ()

    def first(self) -> LedgerEvent | None:
        return self.changes[0][1] if self.changes else None


_EMPLOYEE_TYPES: frozenset[type[LedgerEvent]] = frozenset(
    {EligibleGrantsRegistered, ElectionReceiptConfirmed, *ELECTION_EVENTS}
)


def stream_kind(event: LedgerEvent) -> str:
    """The kind of stream an event opens: keys, filing, employee, offer or other."""
    if isinstance(event, (KeyRegistered, KeyRevoked)):
        return "keys"
    if isinstance(event, FilingRecorded):
        return "filing"
    if type(event) in _EMPLOYEE_TYPES:
        return "employee"
    if isinstance(event, OfferCommenced):
        return "offer"
    return "other"


def fold_stream(state: StreamState | None, entry: Entry) -> StreamState:
    """``(state, entry) -> state`` for a small stream."""
    event = entry[1]
    stamp = Stamp.of(entry)
    if state is None:
        state = StreamState(stream=event.originator_id, kind=stream_kind(event))
    elif state.kind == "other" and not isinstance(event, CorrectionRecorded):
        state = replace(state, kind=stream_kind(event))
    if isinstance(event, CorrectionRecorded):
        return replace(state, corrections=(*state.corrections, Correction.of(entry)))
    return replace(state, changes=(*state.changes, (stamp, event)))


def is_employee_event(event: LedgerEvent) -> bool:
    return type(event) in _EMPLOYEE_TYPES


def fold_into(
    streams: MutableMapping[uuid.UUID, StreamState],
    employees: MutableMapping[uuid.UUID, EmployeeState],
    entries: Iterable[Entry],
) -> int:
    """Fold entries (in log order) into the two mappings; returns the last position (-1: none).

    Each stream's state is replaced by its pure fold; nothing else is touched.
    """
    last = -1
    for entry in entries:
        position, event = entry
        last = position
        sid = event.originator_id
        if is_employee_event(event):
            employees[sid] = fold_employee(employees.get(sid), entry)
            continue
        if isinstance(event, CorrectionRecorded):
            current = employees.get(sid)
            if current is not None:
                employees[sid] = fold_employee(current, entry)
                continue
        streams[sid] = fold_stream(streams.get(sid), entry)
    return last


SourceBytes = Callable[[str], bytes | None]
"""A stored source document's bytes by its SHA-256 (hex); None when the ledger lacks it."""


@dataclass(frozen=True, slots=True)
class LedgerState:
    """Every projection's state: the small streams, the employee streams, the last position,
    and the entries of the committed lists the streams' events carry (handed in by whoever
    read the ledger: :mod:`offerledger.projections.disclosed`); ``sources`` reads the source
    documents stored with the events (a filing as received, a notice as sent), handed in the
    same way (None: no stored document can be read, and what needs one says not on file)."""

    position: int = -1
    streams: Mapping[uuid.UUID, StreamState] = field(default_factory=dict)
    employees: Mapping[uuid.UUID, EmployeeState] = field(default_factory=dict)
    lists: Lists = field(default_factory=dict)
    sources: SourceBytes | None = field(default=None, compare=False)


EMPTY = LedgerState()


def fold_all(state: LedgerState, entries: Iterable[Entry]) -> LedgerState:
    """The state after folding ``entries`` (the next ones in log order) into ``state``."""
    streams = dict(state.streams)
    employees = dict(state.employees)
    last = fold_into(streams, employees, entries)
    return LedgerState(
        position=state.position if last < 0 else last,
        streams=streams,
        employees=employees,
        lists=state.lists,
        sources=state.sources,
    )


def fold(state: LedgerState, entry: Entry) -> LedgerState:
    """``(state, entry) -> state``."""
    return fold_all(state, (entry,))


__all__ = [
    "EMPTY",
    "LedgerState",
    "SourceBytes",
    "StreamState",
    "fold",
    "fold_all",
    "fold_into",
    "fold_stream",
    "is_employee_event",
    "stream_kind",
]
