"""The stored log as the runner reads it: an eventsourcing application recorder, row by row.

Part of the read model's storage layer (it decodes stored envelopes with orjson). It needs only
the recorder's public API — ``select_notifications`` and ``max_notification_id`` — and the
ledger's id, so the read side does not import the write side.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from offerledger.events import LedgerEvent, event_class_for_topic, upcast_payload
from offerledger.projections.runner import RawRow, StoredRow

BATCH = 2000


def decode(topic: str, state: bytes) -> LedgerEvent | None:
    """A stored envelope's event (decoded and upcast, not verified); None when it does not
    decode (verify reports such a row as ``undecodable``)."""
    try:
        body = orjson.loads(orjson.loads(state)["body"])
        header = body["header"]
        _, payload = upcast_payload(header["topic"], dict(body["payload"]))
        return event_class_for_topic(topic).model_validate(
            {
                "originator_id": header["stream"],
                "originator_version": header["version"],
                "effective": header["effective"],
                "recorded": header["recorded"],
                "actor": header["actor"],
                "key_id": header["key_id"],
                **payload,
            }
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None


class RecorderSource:
    """:class:`offerledger.projections.runner.LogSource` over an application recorder."""

    def __init__(self, recorder: Any, *, ledger_id: str) -> None:
        self.recorder = recorder
        self.ledger_id = ledger_id

    def rows_after(self, notification_id: int, position: int) -> Iterator[StoredRow]:
        start = notification_id + 1
        while True:
            batch = self.recorder.select_notifications(start, BATCH)
            if not batch:
                return
            for n in batch:
                position += 1
                yield StoredRow(position, n.id, n.state, decode(n.topic, n.state))
            start = batch[-1].id + 1

    def raw_rows_after(self, notification_id: int, position: int) -> Iterator[RawRow]:
        """Like :meth:`rows_after`, undecoded: (position, notification id, stream id as
        stored beside the row, topic, envelope); :meth:`decode` decodes one."""
        start = notification_id + 1
        while True:
            batch = self.recorder.select_notifications(start, BATCH)
            if not batch:
                return
            for n in batch:
                position += 1
                yield position, n.id, n.originator_id, n.topic, n.state
            start = batch[-1].id + 1

    @staticmethod
    def decode(topic: str, state: bytes) -> LedgerEvent | None:
        return decode(topic, state)

    def row_at(self, notification_id: int) -> StoredRow | None:
        found = self.recorder.select_notifications(notification_id, 1)
        if not found or found[0].id != notification_id:
            return None
        return StoredRow(-1, found[0].id, found[0].state, None)

    def last_notification_id(self) -> int:
        return int(self.recorder.max_notification_id() or 0)


__all__ = ["BATCH", "RecorderSource", "decode"]
