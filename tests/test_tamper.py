"""Each tamper case, made by editing the database directly, is detected with its reason.

Runs on SQLite and PostgreSQL (the ``ledger_db`` fixture). The ledger is the reference case
with a small synthetic roster.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from dbedit import DbEdit
from offerledger.demo import OFFICER, demo_key, run_demo
from offerledger.errors import CheckpointError
from offerledger.events import KeyRegistered, OfferExpired, OfferTerminated, stream_id
from offerledger.integrity.problems import VerifyReport
from offerledger.integrity.service import verify_ledger, write_checkpoint
from offerledger.ledger import Ledger
from offerledger.signing.canonical import canonical_json
from offerledger.signing.envelope import body_for, envelope_hash, sign_bodies
from offerledger.signing.keys import generate_signing_key
from offerledger.store import decode_stored

PASS = b"test-passphrase"


@pytest.fixture
def demo_db(ledger_db: str) -> Iterator[str]:
    run_demo(ledger_db, passphrase=PASS, employees=12)
    yield ledger_db


def report_of(db: str, checkpoint: Path | None = None) -> VerifyReport:
    ledger = Ledger.open(db)
    try:
        return verify_ledger(ledger, checkpoint=checkpoint, workers=1)
    finally:
        ledger.close()


def reasons(db: str, checkpoint: Path | None = None) -> set[str]:
    return {p.reason for p in report_of(db, checkpoint).problems}


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
    # the persisted log still counts it, and the list it committed to is cited by no event
    assert reasons(demo_db) == {"index-mismatch", "document-mismatch"}
    edit.rebuild_index()
    edit.drop_uncited_documents()
    edit.close()
    assert reasons(demo_db) == set()  # tracks covered: without the checkpoint nothing can tell
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
    size, root = edit.head()  # an insider signs the true log head, so only the key is wrong
    (forged,), save = sign_bodies(
        bodies=[body_for(event, prev=envelope_hash(state))],
        signer=signer_key,
        log_size=size,
        log_root=root,
        number=edit.next_save(),
    )
    edit.insert(stream, version + 1, event.TOPIC, forged)
    edit.put_save(save)
    edit.rebuild_index()
    edit.close()


def test_event_signed_by_unregistered_key(demo_db: str) -> None:
    _forge(demo_db, generate_signing_key(), actor="Mallory")
    assert reasons(demo_db) == {"unknown-key"}


def test_event_signed_by_key_of_wrong_role(demo_db: str) -> None:
    _forge(demo_db, demo_key("People Communications"), actor="People Communications")
    assert reasons(demo_db) == {"wrong-role"}


def _revoke_officer(db: str) -> None:
    """Revoke the officer's key an hour after the offer's last event was recorded."""
    ledger = Ledger.open(db)
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
    last = ledger.stream_events(ledger.resolve_offer(None))[-1]
    ledger.clock = lambda: last.recorded + timedelta(hours=1)
    ledger.revoke_key(root=root, key_id=OFFICER, reason="left the company")
    ledger.close()


def test_event_signed_after_revocation(demo_db: str) -> None:
    _revoke_officer(demo_db)
    _forge(demo_db, demo_key(OFFICER), actor=OFFICER)
    assert reasons(demo_db) == {"revoked-key"}


def test_revocation_moved_to_the_end_of_the_log(demo_db: str) -> None:
    """Delete the revocation and insert it again after the event it should have caught."""
    _revoke_officer(demo_db)
    _forge(demo_db, demo_key(OFFICER), actor=OFFICER)
    edit = DbEdit(demo_db)
    key, stream, version, topic, state = next(r for r in edit.rows() if "KeyRevoked" in r[3])
    forged_at = len(edit.rows()) - 2  # the forged event moves up into the revocation's place
    edit.delete(key)
    edit.insert(stream, version, topic, state)
    assert "KeyRevoked" in edit.rows()[-1][3]
    edit.rebuild_index()
    edit.close()
    problems = report_of(demo_db).problems
    assert [(p.position, p.reason) for p in problems] == [
        (forged_at, "revoked-key"),
        (forged_at, "tree-head-mismatch"),  # the forged save signed the head it extended then
        (forged_at + 1, "recorded-out-of-order"),  # recorded before the forged event it follows
        (forged_at + 1, "tree-head-mismatch"),  # the revocation's save: one event before it
    ]
    assert f"at or after position {forged_at}, where it was revoked" in problems[0].detail


def test_resigned_by_other_valid_key_with_altered_effective_time(demo_db: str) -> None:
    ledger = Ledger.open(demo_db)
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
    other = generate_signing_key()
    commenced = ledger.offer_state(ledger.resolve_offer(None)).commenced
    assert commenced is not None
    last = max(e.event.recorded for e in ledger.log() if e.event is not None)
    ledger.clock = lambda: last + timedelta(hours=1)  # registered now, valid from before
    ledger.register_key(
        root=root,
        holder="Second Officer",
        role="issuer_officer",
        key=other,
        valid_from=commenced - timedelta(days=30),
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
    size, root = edit.head_before(key)
    (forged,), save = sign_bodies(
        bodies=[body_for(altered, prev=prev)],
        signer=other,
        log_size=size,
        log_root=root,
        number=edit.next_save(),
    )
    edit.set_state(key, forged)
    edit.put_save(save)
    edit.rebuild_index()
    edit.close()
    # the successor's prev no longer names it; the other key was registered later in the log
    # than the event it signed, so at that position it is not a valid key either; and every
    # later save signed a log holding the original event
    found = reasons(demo_db)
    assert {"chain-break", "tree-head-mismatch"} <= found
    assert found <= {"chain-break", "unknown-key", "tree-head-mismatch"}


def test_garbage_state_never_crashes(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    rows = offer_rows(edit)
    edit.set_state(rows[2][0], b"\x00\xffnot json at all")
    edit.set_state(rows[3][0], b'{"body": 5, "key_id": [], "sig": "!!", "batch": 7}')
    edit.close()
    found = reasons(demo_db)
    assert "undecodable" in found
    assert "chain-break" in found


def test_event_whose_actor_is_not_the_key_holder(demo_db: str) -> None:
    _forge(demo_db, demo_key(OFFICER), actor="Somebody Else")
    problems = report_of(demo_db).problems
    assert [p.reason for p in problems] == ["unknown-key"]
    assert problems[0].detail == (f"key belongs to {OFFICER}; the body names actor Somebody Else")


def test_tampered_event_in_a_batch_save_is_reported_once(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    rows = edit.rows()
    at, (key, *_, state) = next(
        (i, r)
        for i, r in enumerate(rows)
        if int.from_bytes(r[4][9:17], "big") > 0 and b"Synthetic Employee" in r[4]  # index > 0
    )
    edit.set_state(key, state.replace(b"Synthetic Employee", b"Synthetic Employez", 1))
    edit.rebuild_index()
    edit.close()
    problems = report_of(demo_db).problems
    assert [p.reason for p in problems if p.position == at] == ["bad-signature"]
    # its successor in the stream, and the next save, which signed the log with the original
    assert {p.reason for p in problems if p.position != at} == {
        "chain-break",
        "tree-head-mismatch",
    }


def _forge_key_event(db: str, **payload: object) -> int:
    """Append a key registration signed by the root key, its payload patched; its position."""
    edit = DbEdit(db)
    keys = stream_id("keys")
    rows = [r for r in edit.rows() if r[1] == keys]
    _, _, version, _, state = rows[-1]
    last = decode_stored(*edit.rows()[-1][3:])  # the log's last event: recorded times go on
    root = demo_key("ledger root")
    new = generate_signing_key()
    event = KeyRegistered(
        originator_id=keys,
        originator_version=version + 1,
        effective={"kind": "instant", "at": last.recorded + timedelta(days=1)},
        recorded=last.recorded + timedelta(days=1),
        actor="ledger root",
        key_id=root.key_id,
        registered_key_id=new.key_id,
        public_key=new.public_key.hex(),
        holder="Mallory",
        role="issuer_officer",
        valid_from=last.recorded,
    )
    body = orjson.loads(body_for(event, prev=envelope_hash(state)))
    body["payload"].update(payload)
    size, log_root = edit.head()
    (forged,), save = sign_bodies(
        bodies=[canonical_json(body)],
        signer=root,
        log_size=size,
        log_root=log_root,
        number=edit.next_save(),
    )
    edit.insert(keys, version + 1, event.TOPIC, forged)
    edit.put_save(save)
    edit.rebuild_index()
    position = len(edit.rows()) - 1
    edit.close()
    return position


def test_registration_whose_key_id_is_not_its_keys_hash(demo_db: str) -> None:
    at = _forge_key_event(demo_db, registered_key_id=demo_key(OFFICER).key_id)
    problems = report_of(demo_db).problems
    assert [(p.position, p.reason) for p in problems] == [(at, "unknown-key")]
    assert "but its public key hashes to" in problems[0].detail


def test_registration_of_a_registered_key_is_ignored(demo_db: str) -> None:
    officer = demo_key(OFFICER)
    at = _forge_key_event(  # the officer's key again, now as a filing agent with a new holder
        demo_db,
        registered_key_id=officer.key_id,
        public_key=officer.public_key.hex(),
        role="filing_agent",
    )
    _forge(demo_db, officer, actor=OFFICER)  # still the officer's own: no problem
    problems = report_of(demo_db).problems
    assert [(p.position, p.reason) for p in problems] == [(at, "unknown-key")]
    assert "is already registered; the re-registration is ignored" in problems[0].detail


def _checkpoint(db: str, out: Path) -> None:
    ledger = Ledger.open(db)
    try:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
        write_checkpoint(ledger, out=out, root=root)
    finally:
        ledger.close()


def _register_later_key(db: str) -> None:
    """A legitimate event appended after a checkpoint: a new clerk's key."""
    ledger = Ledger.open(db)
    try:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
        ledger.register_key(
            root=root, holder="Later Clerk", role="clerk", key=generate_signing_key()
        )
    finally:
        ledger.close()


@pytest.mark.parametrize("appended_after", [False, True])
def test_tail_of_a_stream_inside_the_log_deleted_against_checkpoint(
    demo_db: str, tmp_path: Path, appended_after: bool
) -> None:
    out = tmp_path / "head.checkpoint"
    _checkpoint(demo_db, out)
    edit = DbEdit(demo_db)
    rows = edit.rows()
    at = max(i for i, r in enumerate(rows) if "Election" in r[3])
    key, stream, version, *_ = rows[at]
    assert at < len(rows) - 1 and all(r[1] != stream for r in rows[at + 1 :])
    edit.delete(key)
    edit.rebuild_index()
    edit.close()
    if appended_after:  # the count is back to the checkpoint's size, the root is not
        _register_later_key(demo_db)
    # a later save signed the log with the deleted event in it: found without a checkpoint
    problems = report_of(demo_db).problems
    assert [(p.position, p.reason) for p in problems if p.stream is not None] == [
        (at, "tree-head-mismatch")
    ]
    assert {p.reason for p in problems} <= {"tree-head-mismatch", "batch-incomplete"}
    problems = report_of(demo_db, checkpoint=out).problems
    named = [p for p in problems if p.stream is not None and p.reason != "tree-head-mismatch"]
    assert [(p.reason, p.stream, p.version) for p in named] == [
        ("stream-truncated", str(stream), version)
    ]
    assert [p.reason for p in problems if p.stream is None and p.position is None] == [
        "checkpoint-mismatch" if appended_after else "stream-truncated"
    ]


def test_events_appended_after_a_checkpoint_are_no_problem(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "head.checkpoint"
    _checkpoint(demo_db, out)
    _register_later_key(demo_db)
    assert reasons(demo_db, checkpoint=out) == set()


def test_checkpoint_overwrite_refused_when_the_ledger_no_longer_matches(
    demo_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "head.checkpoint"
    _checkpoint(demo_db, out)
    _register_later_key(demo_db)
    _checkpoint(demo_db, out)  # the ledger extends the checkpoint: replaced
    before = out.read_bytes(), (tmp_path / "head.checkpoint.heads.json").read_bytes()
    edit = DbEdit(demo_db)
    edit.delete(edit.rows()[-1][0])
    edit.rebuild_index()
    edit.close()
    with pytest.raises(
        CheckpointError,
        match="no longer matches the checkpoint already there "
        r"\(stream-truncated: .*\); refusing to overwrite it",
    ):
        _checkpoint(demo_db, out)
    assert (out.read_bytes(), (tmp_path / "head.checkpoint.heads.json").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == []


def test_any_event_a_later_save_follows_cannot_be_deleted(tmp_path: Path) -> None:
    """Delete each event in turn (the persisted log rebuilt to match, as an insider would):
    verify, with no checkpoint, fails and names a position at or after the deleted one."""
    import shutil

    db = str(tmp_path / "ledger.db")
    run_demo(db, passphrase=PASS, employees=4)
    edit = DbEdit(db)
    rows = edit.rows()
    edit.close()
    last_save = max(i for i, r in enumerate(rows) if b'"index":0,' in r[4])
    assert last_save < len(rows) - 1 or last_save == len(rows) - 1
    for at in range(last_save):  # every event some later save follows
        copy = tmp_path / f"copy-{at}.db"
        shutil.copy(db, copy)
        edit = DbEdit(str(copy))
        edit.delete(edit.rows()[at][0])
        edit.rebuild_index()
        edit.close()
        problems = report_of(str(copy)).problems
        assert problems, f"deleting the event at position {at} went unnoticed"
        assert any(p.position is not None and p.position >= at for p in problems)
        copy.unlink()


def test_source_document_altered_or_removed(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    (name,) = edit.exec("SELECT sha256 FROM offerledger_documents ORDER BY sha256 LIMIT 1")[0]
    edit.exec("UPDATE offerledger_documents SET content = ? WHERE sha256 = ?", (b"forged", name))
    edit.close()
    problems = report_of(demo_db).problems
    assert [p.reason for p in problems] == ["document-mismatch"]
    assert f"stored document {name}: its bytes hash to" in problems[0].detail
    edit = DbEdit(demo_db)
    edit.exec("DELETE FROM offerledger_documents WHERE sha256 = ?", (name,))
    edit.close()
    problems = report_of(demo_db).problems
    assert [p.reason for p in problems] == ["document-mismatch"]
    assert problems[0].position is not None
    assert f"cites source document {name}, which is not stored" in problems[0].detail


def _last_save(edit: DbEdit) -> tuple[object, bytes, int]:
    """The last row (its key and state) and the number of its save: the last save, which no
    later save would notice."""
    key, *_, state = edit.rows()[-1]
    return key, state, int.from_bytes(state[1:9], "big")


def _last_batch_save(edit: DbEdit) -> int:
    """The number of the last save of more than one event (only those store their leaves)."""
    ((number,),) = edit.exec("SELECT max(save) FROM offerledger_saves WHERE size > 1")
    return int(number)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("state-version-2", "undecodable"),  # the first byte is the format version, 3
        ("state-cut-short", "undecodable"),  # fewer bytes than the fixed fields
        ("body-trailing-space", "non-canonical"),  # the body must re-canonicalize to itself
        ("save-leaves-one-byte-more", "undecodable"),  # 32 bytes per event, no more
        ("save-of-one-with-a-leaf", "undecodable"),  # a save of one stores no leaf
        ("save-signature-cut", "undecodable"),  # 64 bytes
        ("save-log-root-cut", "undecodable"),  # 32 bytes
    ],
)
def test_stored_row_not_in_its_one_form(demo_db: str, case: str, reason: str) -> None:
    edit = DbEdit(demo_db)
    key, state, number = _last_save(edit)
    _, _, size, log_root, signature, _ = edit.save_row(number)
    assert size == 1
    batch = _last_batch_save(edit)
    leaves = edit.save_row(batch)[5]
    update = {
        "save-leaves-one-byte-more": ("leaves", bytes(leaves) + b"\x00", batch),
        "save-of-one-with-a-leaf": ("leaves", bytes(32), number),
        "save-signature-cut": ("signature", bytes(signature)[:63], number),
        "save-log-root-cut": ("log_root", bytes(log_root)[:31], number),
    }
    if case == "state-version-2":
        edit.set_state(key, b"\x02" + state[1:])
    elif case == "state-cut-short":
        edit.set_state(key, state[:20])
    elif case == "body-trailing-space":
        edit.set_state(key, state + b" ")
    else:
        column, value, at = update[case]
        edit.exec(f"UPDATE offerledger_saves SET {column} = ? WHERE save = ?", (value, at))
    edit.rebuild_index()
    edit.close()
    assert reason in reasons(demo_db)


@pytest.mark.parametrize(
    "case",
    ["signature", "log_root", "leaf", "salt", "index", "save", "save-deleted", "header-key"],
)
def test_save_row_salt_or_reference_edited(demo_db: str, case: str) -> None:
    """Every field of a save's row and of an event's own fixed fields is covered: editing
    any of them in the last save (no later save signs a head over it; for a leaf, the last
    save of several events) is found."""
    edit = DbEdit(demo_db)
    key, state, number = _last_save(edit)
    _, _, _, log_root, signature, _ = edit.save_row(number)
    flip = lambda b: bytes([b[0] ^ 1]) + bytes(b)[1:]  # noqa: E731
    if case in ("signature", "log_root"):
        value = {"signature": signature, "log_root": log_root}[case]
        edit.exec(f"UPDATE offerledger_saves SET {case} = ? WHERE save = ?", (flip(value), number))
    elif case == "leaf":
        batch = _last_batch_save(edit)
        leaves = edit.save_row(batch)[5]
        edit.exec("UPDATE offerledger_saves SET leaves = ? WHERE save = ?", (flip(leaves), batch))
    elif case == "salt":
        edit.set_state(key, state[:17] + flip(state[17:33]) + state[33:])
    elif case == "index":
        edit.set_state(key, state[:9] + (1).to_bytes(8, "big") + state[17:])
    elif case == "save":  # name the save before it
        edit.set_state(key, state[:1] + (number - 1).to_bytes(8, "big") + state[9:])
    elif case == "header-key":  # the key id the body names (which the save's key is)
        other = generate_signing_key().key_id
        body = orjson.loads(state[33:])
        body["header"]["key_id"] = other
        edit.set_state(key, state[:33] + canonical_json(body))
    else:
        edit.exec("DELETE FROM offerledger_saves WHERE save = ?", (number,))
    edit.rebuild_index()
    edit.close()
    found = reasons(demo_db)
    expected = {
        "signature": {"bad-signature"},
        "log_root": {"bad-signature", "tree-head-mismatch"},
        "leaf": {"bad-signature"},
        "salt": {"bad-signature"},
        "index": {"undecodable"},
        "save": {"bad-signature", "batch-incomplete"},
        "save-deleted": {"undecodable"},
        "header-key": {"bad-signature", "unknown-key", "wrong-role"},
    }[case]
    assert found & expected, found
