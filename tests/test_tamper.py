"""Each tamper case, made by editing the database directly, is detected with its reason.

Runs on SQLite and PostgreSQL (the ``ledger_db`` fixture). The ledger is the reference case
with a small synthetic roster.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from dbedit import DbEdit
from offerledger.demo import demo_key, run_demo
from offerledger.events import OfferExpired, OfferTerminated, stream_id
from offerledger.integrity.service import verify_ledger, write_checkpoint
from offerledger.ledger import Ledger
from offerledger.signing.envelope import body_for, envelope_hash, sign_bodies
from offerledger.signing.keys import generate_signing_key
from offerledger.store import decode_stored

PASS = b"test-passphrase"


@pytest.fixture
def demo_db(ledger_db: str) -> Iterator[str]:
    run_demo(ledger_db, passphrase=PASS, employees=12)
    yield ledger_db


def reasons(db: str, checkpoint: Path | None = None) -> set[str]:
    ledger = Ledger.open(db)
    try:
        report = verify_ledger(ledger, checkpoint=checkpoint, workers=1)
    finally:
        ledger.close()
    return {p.reason for p in report.problems}


def offer_rows(edit: DbEdit) -> list[tuple[object, uuid.UUID, int, str, bytes]]:
    offer = stream_id("offer:1117042:005-59595")
    return [r for r in edit.rows() if r[1] == offer]


def test_clean_demo_verifies(demo_db: str) -> None:
    assert reasons(demo_db) == set()


def test_payload_byte_changed(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    key, _, _, _, state = next(r for r in edit.rows() if "NoticeDispatched" in r[3])
    at = state.index(b"Mpower employees")
    edit.set_state(key, state[:at] + b"N" + state[at + 1 :])
    edit.close()
    assert "bad-signature" in reasons(demo_db)


def test_topic_changed(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    key = next(r for r in edit.rows() if "ConditionWaived" in r[3] or "OfferExpired" in r[3])[0]
    edit.set_topic(key, OfferTerminated.TOPIC)
    edit.close()
    assert "body-row-mismatch" in reasons(demo_db)


def test_two_bodies_swapped(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    rows = offer_rows(edit)
    (k1, *_, s1), (k2, *_, s2) = rows[2], rows[3]
    edit.set_state(k1, s2)
    edit.set_state(k2, s1)
    edit.close()
    assert "body-row-mismatch" in reasons(demo_db)


def test_middle_event_deleted(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    edit.delete(offer_rows(edit)[3][0])
    edit.close()
    found = reasons(demo_db)
    assert "version-gap" in found
    assert "chain-break" in found


def test_stream_tail_deleted_against_checkpoint(demo_db: str, tmp_path: Path) -> None:
    ledger = Ledger.open(demo_db)
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
    out = tmp_path / "head.checkpoint"
    write_checkpoint(ledger, out=out, root=root)
    ledger.close()
    edit = DbEdit(demo_db)
    edit.delete(offer_rows(edit)[-1][0])  # the last event of the offer stream (and of the log)
    edit.close()
    assert reasons(demo_db) == set()  # without the checkpoint nothing can tell
    assert "stream-truncated" in reasons(demo_db, checkpoint=out)


def test_versions_exchanged(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    rows = offer_rows(edit)
    (k1, _, v1, _, _), (k2, _, v2, _, _) = rows[2], rows[3]
    edit.set_version(k1, 10_000)
    edit.set_version(k2, v1)
    edit.set_version(k1, v2)
    edit.close()
    assert "body-row-mismatch" in reasons(demo_db)


def _forge(
    demo_db: str,
    signer_key,
    *,
    actor: str,
    effective_shift: timedelta | None = None,
    event_cls=OfferExpired,
) -> None:  # type: ignore[no-untyped-def]
    """Append an event to the offer stream, signed by ``signer_key``, straight into the table."""
    edit = DbEdit(demo_db)
    rows = offer_rows(edit)
    _, stream, version, _, state = rows[-1]
    last = decode_stored(rows[-1][3], state)
    event = event_cls(
        originator_id=stream,
        originator_version=version + 1,
        effective={"kind": "instant", "at": last.recorded + timedelta(days=1)},
        recorded=last.recorded + timedelta(days=1),
        actor=actor,
        key_id=signer_key.key_id,
    )
    (envelope,) = sign_bodies(
        bodies=[body_for(event, prev=envelope_hash(state))], signer=signer_key
    )
    edit.insert(stream, version + 1, event.TOPIC, envelope)
    edit.close()


def test_event_signed_by_unregistered_key(demo_db: str) -> None:
    _forge(demo_db, generate_signing_key(), actor="Mallory")
    assert reasons(demo_db) == {"unknown-key"}


def test_event_signed_by_key_of_wrong_role(demo_db: str) -> None:
    _forge(demo_db, demo_key("People Communications"), actor="People Communications")
    assert reasons(demo_db) == {"wrong-role"}


def test_event_signed_after_revocation(demo_db: str) -> None:
    ledger = Ledger.open(demo_db)
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
    ledger.clock = lambda: ledger.offer_state(ledger.resolve_offer(None)).accepted_at  # type: ignore[assignment,return-value]
    ledger.revoke_key(root=root, key_id="Russell I. Zuckerman", reason="left the company")
    ledger.close()
    _forge(demo_db, demo_key("Russell I. Zuckerman"), actor="Russell I. Zuckerman")
    assert reasons(demo_db) == {"revoked-key"}


def test_resigned_by_other_valid_key_with_altered_effective_time(demo_db: str) -> None:
    ledger = Ledger.open(demo_db)
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
    other = generate_signing_key()
    ledger.clock = lambda: ledger.offer_state(ledger.resolve_offer(None)).commenced  # type: ignore[assignment,return-value]
    ledger.register_key(
        root=root,
        holder="Second Officer",
        role="issuer_officer",
        key=other,
        valid_from=ledger.clock() - timedelta(days=30),
    )
    ledger.close()
    edit = DbEdit(demo_db)
    rows = offer_rows(edit)
    key, stream, version, topic, state = rows[1]
    prev = envelope_hash(rows[0][4])
    event = decode_stored(topic, state)
    altered = type(event).model_validate(
        {
            **event.model_dump(),
            "effective": {"kind": "date", "on": "2001-08-20"},
            "key_id": other.key_id,
            "actor": "Second Officer",
        }
    )
    (envelope,) = sign_bodies(bodies=[body_for(altered, prev=prev)], signer=other)
    edit.set_state(key, envelope)
    edit.close()
    # the successor's prev no longer names it; and the other key was registered later in the
    # log than the event it signed, so at that position it is not a valid key either
    assert {"chain-break"} <= reasons(demo_db) <= {"chain-break", "unknown-key"}


def test_garbage_state_never_crashes(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    rows = offer_rows(edit)
    edit.set_state(rows[2][0], b"\x00\xffnot json at all")
    edit.set_state(rows[3][0], b'{"body": 5, "key_id": [], "sig": "!!", "batch": 7}')
    edit.close()
    found = reasons(demo_db)
    assert "undecodable" in found
    assert "chain-break" in found
