"""A stored v1 event is read as v2 after a v2 model exists; the stored bytes still verify."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from offerledger.events import UPCASTERS, LedgerEvent, register_upcaster, stream_id
from offerledger.integrity.verify import rows_of, verify_rows
from offerledger.ledger import Ledger


class CommentNotedV1(LedgerEvent):
    """Test-only event, version 1: a comment."""

    TOPIC = "offerledger.test.CommentNoted.v1"
    text: str


class CommentNotedV2(LedgerEvent):
    """Test-only event, version 2: a comment and its language."""

    TOPIC = "offerledger.test.CommentNoted.v2"
    text: str
    language: str


def _v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "language": "en"}


def test_stored_v1_read_as_v2(tmp_path: Any) -> None:
    ledger, root = Ledger.init(str(tmp_path / "u.db"), passphrase=b"x")
    ledger.app.store.authorize = lambda events, signer: None  # test-only action, no role
    now = datetime.now(UTC)
    sid = stream_id("test:comments")
    ledger.save(
        [
            CommentNotedV1(
                originator_id=sid,
                originator_version=1,
                effective={"kind": "instant", "at": now},
                recorded=now,
                actor="ledger root",
                key_id=root.key_id,
                text="hello",
            )
        ],
        signer=root,
    )
    register_upcaster(old=CommentNotedV1.TOPIC, new=CommentNotedV2.TOPIC, step=_v1_to_v2)
    try:
        (event,) = ledger.stream_events(sid)
        assert isinstance(event, CommentNotedV2)
        assert (event.text, event.language) == ("hello", "en")
        stored = ledger.app.recorder.select_events(sid)[0]
        assert stored.topic == CommentNotedV1.TOPIC  # the stored row is untouched
        report, _ = verify_rows(
            rows_of(ledger.app.notifications()), read_saves=ledger.app.raw_saves, workers=1
        )
        assert [p.reason for p in report.problems] == ["wrong-role"]  # no role may record it
    finally:
        UPCASTERS.pop(CommentNotedV1.TOPIC)
        ledger.close()
