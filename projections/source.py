"""The stored log as the runner reads it: the ledger's rows, page by page.

Part of the read model's storage layer (it decodes stored envelopes with orjson). It needs only
what a :class:`StoredLog` gives — the rows in pages, one row by id and the last id, which
:class:`offerledger.ledger.Ledger` provides (the one gateway to the database) — the ledger's id
and a reader of stored source documents, so the read side imports neither the write side nor
the storage. It also opens the committed lists the offer events carry (:func:`open_lists`):
each list's document is read and checked against its commitment
(:func:`offerledger.disclosure.open_document`), and the folds' queries get plain values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import orjson

from offerledger.disclosure import entry_fields, open_document, verify_entry
from offerledger.errors import DisclosureInvalid, EnvelopeUndecodable
from offerledger.events import (
    LIST_ENTRIES,
    UPCASTERS,
    CommittedList,
    LedgerEvent,
    event_class_for_topic,
    model_fields,
    upcast_payload,
)
from offerledger.projections.disclosed import Lists, OpenedList, committed_lists
from offerledger.projections.runner import RawRow, StoredRow
from offerledger.projections.state import LedgerState
from offerledger.signing.envelope import body_of

BATCH = 2000

DocumentBytes = Callable[[str], bytes | None]
"""A stored source document's bytes by its SHA-256 (hex); None when the ledger lacks it."""


def open_list(committed: CommittedList, read: DocumentBytes) -> OpenedList:
    """The entries of one committed list, or the reason they cannot be read."""
    content = read(committed.document_sha256)
    if content is None:
        return OpenedList(committed, problem="its document is not stored in this ledger")
    try:
        fields = open_document(committed, content)
        model = LIST_ENTRIES[committed.kind]
        entries = tuple(model.model_validate(f) for f in fields)
    except DisclosureInvalid as e:
        return OpenedList(committed, problem=e.message)
    except ValueError:  # pydantic's ValidationError: the fields are not such an entry's
        return OpenedList(committed, problem=f"an entry does not read as a {committed.kind} entry")
    return OpenedList(committed, entries)


def proven_list(
    committed: CommittedList, proofs: Iterable[tuple[bytes, int, Sequence[str]]]
) -> OpenedList:
    """Some entries of a committed list, each proven by its audit path (entry bytes, index,
    path: :func:`offerledger.disclosure.prove_entry`), as a one-employee evidence bundle carries
    them: queries then answer for those entries alone (``complete`` is False)."""
    entries = []
    try:
        for entry_bytes, index, path in sorted(proofs, key=lambda p: p[1]):
            verify_entry(
                entry_bytes=entry_bytes,
                index=index,
                size=committed.count,
                path=path,
                root=committed.root,
            )
            entries.append(LIST_ENTRIES[committed.kind].model_validate(entry_fields(entry_bytes)))
    except DisclosureInvalid as e:
        return OpenedList(committed, problem=e.message, complete=False)
    except ValueError:  # pydantic's ValidationError
        problem = f"an entry does not read as a {committed.kind} entry"
        return OpenedList(committed, problem=problem, complete=False)
    return OpenedList(committed, tuple(entries), complete=False)


class OpenedLists(Mapping[CommittedList, OpenedList]):
    """The committed lists of a state, each read and checked on first use (a command that
    needs none, such as ``text``, reads no list): use the state while its ledger is open."""

    def __init__(
        self, known: Iterable[CommittedList], read: DocumentBytes, given: Lists | None = None
    ) -> None:
        self._read = read
        self._opened: dict[CommittedList, OpenedList] = dict(given or {})
        self._known = dict.fromkeys([*self._opened, *known])

    def __getitem__(self, committed: CommittedList) -> OpenedList:
        if committed not in self._opened:
            if committed not in self._known:
                raise KeyError(committed)
            self._opened[committed] = open_list(committed, self._read)
        return self._opened[committed]

    def __iter__(self) -> Iterator[CommittedList]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


def open_lists(state: LedgerState, read: DocumentBytes) -> LedgerState:
    """``state`` with the entries of every committed list its small streams' events carry
    (each list read through ``read`` and checked when a query first needs it), and ``read``
    as its reader of stored source documents (the filings and notices the outputs cite)."""
    known = dict.fromkeys(
        committed
        for stream in state.streams.values()
        for _, event in stream.changes
        for committed in committed_lists(event)
    )
    return replace(state, lists=OpenedLists(known, read, state.lists), sources=read)


_CLASSES: dict[str, type[LedgerEvent]] = {}


def decode(topic: str, state: bytes) -> LedgerEvent | None:
    """A stored event (decoded and upcast, not verified); None when it does not decode
    (verify reports such a row as ``undecodable``)."""
    try:
        body = orjson.loads(body_of(bytes(state)))
        header = body["header"]
        payload = body["payload"]
        if type(payload) is not dict or header["topic"] in UPCASTERS:
            _, payload = upcast_payload(header["topic"], dict(payload))
        cls = _CLASSES.get(topic)
        if cls is None:
            cls = _CLASSES[topic] = event_class_for_topic(topic)
        return cls.model_validate(model_fields(header, payload))
    except (
        EnvelopeUndecodable,
        orjson.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
    ):
        return None


class StoredNotification(Protocol):
    """One stored row as the ledger gives it: notification id, stream, topic, envelope."""

    @property
    def id(self) -> int: ...

    @property
    def originator_id(self) -> Any: ...

    @property
    def topic(self) -> str: ...

    @property
    def state(self) -> bytes: ...


class StoredLog(Protocol):
    """What the source reads of a ledger (:class:`offerledger.ledger.Ledger` is one)."""

    def notification_pages(
        self, *, start: int = 1, topics: Sequence[str] = (), batch: int = ...
    ) -> Iterator[Sequence[StoredNotification]]: ...

    def notification(self, notification_id: int) -> StoredNotification | None: ...

    def last_notification_id(self) -> int: ...


class LedgerSource:
    """:class:`offerledger.projections.runner.LogSource` over a ledger's stored log."""

    def __init__(
        self, log: StoredLog, *, ledger_id: str, documents: DocumentBytes | None = None
    ) -> None:
        self.log = log
        self.ledger_id = ledger_id
        self.documents = documents

    def open_lists(self, state: LedgerState) -> LedgerState:
        """:func:`open_lists` with this source's documents (none given: every list unread)."""
        return open_lists(state, self.documents or (lambda sha256: None))

    def rows_after(self, notification_id: int, position: int) -> Iterator[StoredRow]:
        for page in self.log.notification_pages(start=notification_id + 1, batch=BATCH):
            for n in page:
                position += 1
                yield StoredRow(position, n.id, n.state, decode(n.topic, n.state))

    def raw_rows_after(self, notification_id: int, position: int) -> Iterator[RawRow]:
        """Like :meth:`rows_after`, undecoded: (position, notification id, stream id as
        stored beside the row, topic, envelope); :meth:`decode` decodes one."""
        for page in self.log.notification_pages(start=notification_id + 1, batch=BATCH):
            for n in page:
                position += 1
                yield position, n.id, n.originator_id, n.topic, n.state

    @staticmethod
    def decode(topic: str, state: bytes) -> LedgerEvent | None:
        return decode(topic, state)

    def row_at(self, notification_id: int) -> StoredRow | None:
        found = self.log.notification(notification_id)
        return None if found is None else StoredRow(-1, found.id, found.state, None)

    def last_notification_id(self) -> int:
        return self.log.last_notification_id()


__all__ = [
    "BATCH",
    "DocumentBytes",
    "LedgerSource",
    "OpenedLists",
    "StoredLog",
    "StoredNotification",
    "decode",
    "open_list",
    "open_lists",
    "proven_list",
]
