"""More of verify: the trusted root key, key validity, compromise, canonical bodies, any byte."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbedit import DbEdit
from offerledger.cli import cli
from offerledger.demo import OFFICER, demo_key, run_demo
from offerledger.errors import InputError
from offerledger.integrity.examine import Examined, KeyFact
from offerledger.integrity.judge import Judge
from offerledger.integrity.problems import VerifyReport
from offerledger.integrity.service import verify_ledger, write_checkpoint
from offerledger.integrity.verify import KEYS_STREAM, public_keys_of, raw_rows_of, verify_rows
from offerledger.ledger import Ledger
from offerledger.signing.envelope import parse_state, sign_bodies
from offerledger.signing.keys import generate_signing_key

PASS = b"test-passphrase"


def _report(db: str, **kwargs: object) -> VerifyReport:
    ledger = Ledger.open(db)
    try:
        return verify_ledger(ledger, workers=1, **kwargs)  # type: ignore[arg-type]
    finally:
        ledger.close()


def _reasons(db: str, **kwargs: object) -> set[str]:
    return {p.reason for p in _report(db, **kwargs).problems}


def _cli(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def demo_db(ledger_db: str) -> str:
    run_demo(ledger_db, passphrase=PASS, employees=6)
    return ledger_db


def test_trusted_root_key_by_fingerprint(demo_db: str) -> None:
    root_id = demo_key("ledger root").key_id
    assert _reasons(demo_db, root_key=root_id) == set()
    assert _reasons(demo_db, root_key=root_id.upper()) == set()


@pytest.mark.parametrize("length", [8, 16, 63])
def test_a_short_fingerprint_is_refused(demo_db: str, length: int) -> None:
    prefix = demo_key("ledger root").key_id[:length]
    with pytest.raises(InputError, match=f"'{prefix}' is neither a file nor a full key id") as e:
        _reasons(demo_db, root_key=prefix)
    assert e.value.exit_code == 2
    code, _, err = _cli(demo_db, "verify", "--root-key", prefix)
    assert code == 2
    assert err.startswith(f"Error: field '--root-key': '{prefix}' is neither a file nor a full")


def test_ledger_under_another_root_key_fails(demo_db: str) -> None:
    other = generate_signing_key()
    assert "unknown-key" in _reasons(demo_db, root_key=other.key_id)


def test_root_key_from_file(demo_db: str, tmp_path: Path) -> None:
    pub = tmp_path / "root.pub"
    pub.write_text(demo_key("ledger root").public_key.hex() + "\n")
    assert _reasons(demo_db, root_key=str(pub)) == set()
    pub.write_text(generate_signing_key().public_key.hex() + "\n")
    assert "unknown-key" in _reasons(demo_db, root_key=str(pub))


def test_compromised_since_flags_later_events(demo_db: str) -> None:
    ledger = Ledger.open(demo_db)
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
    offer = ledger.offer_state(ledger.resolve_offer(None))
    assert offer.accepted_at is not None
    ledger.clock = lambda: offer.accepted_at + timedelta(days=400)  # type: ignore[operator]
    ledger.revoke_key(
        root=root, key_id=OFFICER, reason="key stolen", compromised_since=offer.accepted_at
    )
    ledger.close()
    assert _reasons(demo_db) == {"revoked-key"}


def test_recorded_outside_key_validity(ledger_db: str) -> None:
    from test_tamper import _forge

    run_demo(ledger_db, passphrase=PASS, employees=4)
    ledger = Ledger.open(ledger_db)
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
    temp = generate_signing_key()
    start = ledger.offer_state(ledger.resolve_offer(None)).commenced
    last = max(e.event.recorded for e in ledger.log() if e.event is not None)
    ledger.clock = lambda: last + timedelta(hours=1)  # registered now, valid once, long ago
    ledger.register_key(
        root=root,
        holder="Temp Officer",
        role="issuer_officer",
        key=temp,
        valid_from=start,
        valid_until=start + timedelta(days=1),
    )
    ledger.close()
    _forge(ledger_db, temp, actor="Temp Officer")  # recorded long after valid_until
    assert _reasons(ledger_db) == {"recorded-outside-key-validity"}


def test_non_canonical_body_signed_by_its_own_key(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    key, *_, state = next(
        r for r in edit.rows() if "ConditionWaived" in r[3] or "NoticeDispatched" in r[3]
    )
    body = parse_state(state).body.replace(b'{"header":', b'{ "header":', 1)
    size, root = edit.head_before(key)
    (forged,), save = sign_bodies(
        bodies=[body],
        signer=demo_key("People Communications"),
        log_size=size,
        log_root=root,
        number=edit.next_save(),
    )
    edit.set_state(key, forged)
    edit.put_save(save)
    edit.close()
    assert "non-canonical" in _reasons(demo_db)


@pytest.fixture(scope="module")
def small_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("small") / "ledger.db"
    run_demo(str(path), passphrase=PASS, employees=3)
    return path


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_byte_changed_is_detected(
    small_sqlite: Path, tmp_path: Path, data: st.DataObject
) -> None:
    copy = tmp_path / f"copy-{data.draw(st.integers(0, 10**9))}.db"
    shutil.copy(small_sqlite, copy)
    edit = DbEdit(str(copy))
    rows = edit.rows()
    key, *_, state = rows[data.draw(st.integers(0, len(rows) - 1))]
    at = data.draw(st.integers(0, len(state) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != state[at]))
    edit.set_state(key, state[:at] + bytes([new]) + state[at + 1 :])
    edit.close()
    assert _reasons(str(copy)) != set()


# --- the root key verify trusts (DESIGN §4) ---------------------------------------------------


def _keystore(db: str) -> Path:
    ledger = Ledger.open(db)
    try:
        return ledger.keystore.folder
    finally:
        ledger.close()


def _checkpoint(db: str, out: Path) -> None:
    ledger = Ledger.open(db)
    try:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
        write_checkpoint(ledger, out=out, root=root)
    finally:
        ledger.close()


def test_root_key_from_the_keystore(demo_db: str) -> None:
    report = _report(demo_db)
    root_id = demo_key("ledger root").key_id
    assert report.ok
    assert report.root_key_id == root_id
    assert report.root_key_source == f"the keystore's root key {root_id} ({_keystore(demo_db)})"


def test_keystore_without_the_ledgers_root_key_trusts_no_event(demo_db: str) -> None:
    folder = _keystore(demo_db)
    (folder / f"{demo_key('ledger root').key_id}.pem").unlink()  # other key files remain
    report = _report(demo_db)
    assert {p.reason for p in report.problems} == {"unknown-key"}
    assert sorted({p.position for p in report.problems}) == list(range(report.count))
    assert "holds no key file for the ledger's root key" in report.root_key_source
    assert report.root_key_id is None


def test_without_a_keystore_the_ledgers_own_root_is_used_and_said_so(demo_db: str) -> None:
    shutil.rmtree(_keystore(demo_db))
    report = _report(demo_db)
    assert report.ok
    assert report.root_key_source.startswith(
        "the ledger's own root key registration (not independent: no --root-key and no key "
        "files in "
    )
    code, out, _ = _cli(demo_db, "verify")
    assert code == 0
    assert "(not independent" in out


def test_checkpoint_is_checked_against_the_trusted_root(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "head.checkpoint"
    _checkpoint(demo_db, out)
    report = _report(demo_db, checkpoint=out)
    assert report.ok
    assert report.root_key_source.startswith(
        f"the root key that signed checkpoint {out}; the keystore's root key"
    )
    foreign = tmp_path / "foreign.pub"
    foreign.write_text(generate_signing_key().public_key.hex() + "\n")
    report = _report(demo_db, checkpoint=out, root_key=str(foreign))
    mismatch = [p for p in report.problems if p.reason == "checkpoint-mismatch"]
    assert [p.detail for p in mismatch] == [
        f"the checkpoint is not signed by the trusted root key: {out}: no signature by key "
        f"{report_origin(demo_db)} (key ID " + mismatch[0].detail.rsplit("(key ID ", 1)[1]
    ]
    assert {p.reason for p in report.problems} == {"checkpoint-mismatch", "unknown-key"}
    code, _, _ = _cli(demo_db, "verify", "--checkpoint", str(out), "--root-key", str(foreign))
    assert code == 1


def report_origin(db: str) -> str:
    ledger = Ledger.open(db)
    try:
        return f"offerledger/{ledger.app.ledger_id()}"
    finally:
        ledger.close()


def test_checkpoint_with_an_untrusted_keystore_root_is_a_mismatch_not_an_error(
    demo_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "head.checkpoint"
    _checkpoint(demo_db, out)
    (_keystore(demo_db) / f"{demo_key('ledger root').key_id}.pem").unlink()
    report = _report(demo_db, checkpoint=out)
    assert [p.detail for p in report.problems if p.reason == "checkpoint-mismatch"] == [
        "the checkpoint is not signed by the trusted root key: the trusted root key is not "
        "registered here"
    ]
    code, _, err = _cli(demo_db, "verify", "--checkpoint", str(out))
    assert (code, err) == (1, "")


def test_a_malformed_checkpoint_is_bad_input(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "head.checkpoint"
    out.write_text("offerledger/x\n007\nAAAA\n\n— x AAAAAAA=\n")
    code, _, err = _cli(demo_db, "verify", "--checkpoint", str(out))
    assert code == 2
    assert err.startswith(f"Error: {out}, line 2: tree size '007' is not a decimal number")


# --- revocation wherever its row is found ---------------------------------------------------


def _examined(position: int, *, recorded: datetime, key_id: str = "k", **kw: Any) -> Examined:
    fields: dict[str, Any] = {
        "position": position,
        "stream": "s",
        "version": position + 1,
        "envelope_hash": "h",
        "leaf": b"",
        "key_id": key_id,
        "action": "OfferExpired",
        "actor": "Officer",
        "recorded": recorded,
        "prev": "<unread>",
        "key_fact": None,
        "problems": (),
        "signature": "ok",
    }
    fields.update(kw)
    return Examined(**fields)


T0 = datetime(2001, 9, 1, tzinfo=UTC)


def _judge_revoked(*, from_position: int, revoked_at: datetime, event_at: datetime) -> list[str]:
    """Root registers key k (positions 0, 1), k signs at 2, a revocation of k comes at 3."""
    root = generate_signing_key()
    officer = generate_signing_key()
    judge = Judge(trusted_roots=None, watched=frozenset({officer.key_id}))

    def registration(key: Any, holder: str, role: str) -> KeyFact:
        return KeyFact(
            "KeyRegistered", key.key_id, key.public_key, holder, role, T0, None, None, None, None
        )

    for position, (key, holder, role) in enumerate(
        [(root, "Root", "root"), (officer, "Officer", "issuer_officer")]
    ):
        judge.judge(
            _examined(
                position,
                recorded=T0,
                key_id=root.key_id,
                actor="Root",
                action="KeyRegistered",
                stream="keys",
                version=position + 1,
                key_fact=registration(key, holder, role),
            )
        )
    judge.judge(_examined(2, recorded=event_at, key_id=officer.key_id, stream="offer", version=1))
    revocation = KeyFact(
        "KeyRevoked", officer.key_id, None, None, None, None, None, None, from_position, None
    )
    judge.judge(
        _examined(
            3,
            recorded=revoked_at,
            key_id=root.key_id,
            actor="Root",
            action="KeyRevoked",
            stream="keys",
            version=3,
            key_fact=revocation,
        )
    )
    judge.finish()
    return [f"{p.position} {p.reason}" for p in judge.problems]


def test_revocation_position_rule() -> None:
    later = T0 + timedelta(days=9)
    assert _judge_revoked(from_position=2, revoked_at=later, event_at=T0) == ["2 revoked-key"]
    assert _judge_revoked(from_position=3, revoked_at=later, event_at=T0) == []


def test_revocation_recorded_time_rule() -> None:
    later = T0 + timedelta(days=9)
    # (a revocation recorded before the event before it is also out of order)
    assert _judge_revoked(from_position=3, revoked_at=T0, event_at=later) == [
        "3 recorded-out-of-order",
        "2 revoked-key",
    ]
    assert _judge_revoked(from_position=3, revoked_at=later, event_at=later) == ["2 revoked-key"]


# --- the parallel path ---------------------------------------------------------------------


def test_verify_in_worker_processes_finds_what_one_process_finds(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    rows = edit.rows()
    key, *_, state = rows[len(rows) // 2]
    edit.set_state(key, state.replace(b"2001-", b"2002-", 1))
    edit.close()
    ledger = Ledger.open(demo_db)
    try:
        keys = ledger.app.recorder.select_events(KEYS_STREAM)
        public_keys = public_keys_of(keys)

        def run(workers: int) -> VerifyReport:
            report, _ = verify_rows(
                raw_rows_of(ledger.app.raw_rows()),
                read_saves=ledger.app.raw_saves,
                workers=workers,
                public_keys=public_keys,
                parallel_threshold=10,
                chunk=7,
            )
            return report

        serial, parallel = run(1), run(2)
    finally:
        ledger.close()
    assert parallel.count == len(rows) > 20
    assert {p.reason for p in parallel.problems} >= {"bad-signature"}
    assert parallel.problems == serial.problems
    assert (parallel.root, parallel.heads) == (serial.root, serial.heads)
    assert parallel.signatures_checked == serial.signatures_checked > 0


def test_workers_reading_their_own_slices_find_what_one_process_finds(tmp_path: Path) -> None:
    """On SQLite, verify_ledger's workers read their own ranges of the log."""
    db = str(tmp_path / "ledger.db")
    run_demo(db, passphrase=PASS, employees=12)
    edit = DbEdit(db)
    rows = edit.rows()
    key, *_, state = rows[len(rows) // 2]
    edit.set_state(key, state.replace(b"2001-", b"2002-", 1))
    gap = next(  # a gap in the row ids the slices must not misread (a stream goes on after it)
        r for r in rows[len(rows) // 3 :] if any(o[1] == r[1] and o[2] > r[2] for o in rows)
    )
    edit.delete(gap[0])
    edit.close()
    ledger = Ledger.open(db)
    try:
        serial = verify_ledger(ledger, workers=1)
        sliced = verify_ledger(ledger, workers=2, parallel_threshold=10)
    finally:
        ledger.close()
    assert sliced.count == len(rows) - 1 > 20
    assert {"bad-signature", "version-gap"} <= {p.reason for p in sliced.problems}
    assert sliced.problems == serial.problems
    assert (sliced.root, sliced.heads) == (serial.root, serial.heads)


def test_postgres_workers_read_their_own_slices_and_find_what_one_process_finds(
    pg_schema: str,
) -> None:
    """On PostgreSQL too, verify_ledger's workers read their own ranges of the log through
    their own connections: a tampered state and a deleted row are found as in one process."""
    import psycopg

    from offerledger.integrity.examine import init_worker
    from offerledger.integrity.results import unpack
    from offerledger.integrity.service import _scan, _slices
    from offerledger.integrity.slices import PgSlices, examine_slice

    run_demo(pg_schema, passphrase=PASS, employees=12)
    schema = pg_schema.rsplit("schema=", 1)[1]
    base = pg_schema.split("?", 1)[0]
    with psycopg.connect(base, autocommit=True) as conn:
        table = f'"{schema}".offerledger_events'
        rows = conn.execute(
            f"SELECT notification_id, originator_id, originator_version, state FROM {table} "
            "ORDER BY notification_id"
        ).fetchall()
        key, _, _, state = rows[len(rows) // 2]
        conn.execute(
            f"UPDATE {table} SET state = %s WHERE notification_id = %s",
            (bytes(state).replace(b"2001-", b"2002-", 1), key),
        )
        gap = next(
            r for r in rows[len(rows) // 3 :] if any(o[1] == r[1] and o[2] > r[2] for o in rows)
        )
        conn.execute(f"DELETE FROM {table} WHERE notification_id = %s", (gap[0],))
    ledger = Ledger.open(pg_schema)
    try:
        serial = verify_ledger(ledger, workers=1)
        sliced = verify_ledger(ledger, workers=2, parallel_threshold=10)
        init_worker(_scan(ledger).public_keys)
        slices = _slices(ledger)  # what the workers are handed: a range of ids each
        assert isinstance(slices, PgSlices) and "password" not in repr(slices)
        ids = [r[0] for r in rows if r[0] != gap[0]]
        assert list(slices.ranges(size=len(rows))) == [(ids[0], ids[-1], len(ids))]
        packed = examine_slice(slices, ids[0], ids[-1], 0)
        assert [e.position for e in unpack(packed)] == list(range(len(ids)))
        assert packed.signatures_checked > 0
    finally:
        ledger.close()
    assert sliced.count == len(rows) - 1 > 20
    assert {"bad-signature", "version-gap"} <= {p.reason for p in sliced.problems}
    assert sliced.problems == serial.problems
    assert (sliced.root, sliced.heads) == (serial.root, serial.heads)


_KEYS = st.sampled_from(["source_sha256", "content_sha256", "document_sha256", "a", "b_c", "z"])
_PAYLOADS = st.recursive(
    st.none()
    | st.integers(-5, 5)
    # no lone surrogates: no JSON body (nor orjson) can hold one
    | st.text(st.characters(blacklist_characters='"\\', blacklist_categories=("Cs",)), max_size=4)
    | st.just("x_sha256"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _PAYLOADS, max_size=4), st.booleans(), st.booleans(), st.booleans())
def test_examine_finds_the_citations_cited_hashes_finds(
    payload: dict[str, Any], escaped: bool, spaced: bool, not_citing: bool
) -> None:
    """verify's citation walk (with its byte pre-check) gives what cited_hashes gives."""
    import orjson

    from offerledger.documents import cited_hashes
    from offerledger.integrity.examine import _cites

    topic = "offerledger.NoticeDispatched.v1" if not_citing else "offerledger.Filed.v1"
    document = {"header": {"topic": topic}, "payload": payload}
    if spaced:  # whitespace between a key and its value must not slip past it either
        # (an encoder's separators, not a byte replace, which also changed a value holding '":')
        body = json.dumps(document, separators=(",", " : "), ensure_ascii=False).encode()
    else:
        body = orjson.dumps(document)
    if escaped:  # a key spelled with an escape must not slip past the byte pre-check
        body = body.replace(b"_sha256", b"\\u005fsha256")  # in a value it decodes the same
    decoded = orjson.loads(body)["payload"]
    assert decoded == payload
    expected = tuple(sha for _, sha in cited_hashes(topic, payload))
    assert _cites(topic, decoded, body) == expected
