"""More of verify: the trusted root key, key validity, compromise, canonical bodies, any byte."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbedit import DbEdit
from offerledger.demo import demo_key, run_demo
from offerledger.integrity.service import verify_ledger
from offerledger.ledger import Ledger
from offerledger.signing.canonical import canonical_json
from offerledger.signing.keys import generate_signing_key

PASS = b"test-passphrase"
OFFICER = "Russell I. Zuckerman"


def _reasons(db: str, **kwargs: object) -> set[str]:
    ledger = Ledger.open(db)
    try:
        report = verify_ledger(ledger, workers=1, **kwargs)  # type: ignore[arg-type]
    finally:
        ledger.close()
    return {p.reason for p in report.problems}


@pytest.fixture
def demo_db(ledger_db: str) -> str:
    run_demo(ledger_db, passphrase=PASS, employees=6)
    return ledger_db


def test_trusted_root_key_by_fingerprint(demo_db: str) -> None:
    root_id = demo_key("ledger root").key_id
    assert _reasons(demo_db, root_key=root_id[:16]) == set()


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
    ledger.clock = lambda: start
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
    envelope = orjson.loads(state)
    body = envelope["body"].replace('{"header":', '{ "header":', 1).encode()
    import base64

    signer = demo_key("People Communications")
    envelope["body"] = body.decode()
    envelope["sig"] = base64.b64encode(signer.sign(message=body)).decode()
    edit.set_state(key, canonical_json(envelope))
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
