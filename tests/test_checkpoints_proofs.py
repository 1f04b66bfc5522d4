"""Checkpoints as a habit (append, consistency, witnesses, verify --since) and RFC 9162 proofs
from the persisted log, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dbedit import DbEdit
from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.errors import CheckpointError
from offerledger.integrity.merkle import (
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from offerledger.integrity.service import append_checkpoint, verify_ledger
from offerledger.ledger import Ledger
from offerledger.signing.keys import generate_signing_key

PASS = "test-passphrase"


@pytest.fixture
def demo_db(ledger_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OFFERLEDGER_KEY_PASSPHRASE", PASS)
    run_demo(ledger_db, passphrase=PASS.encode(), employees=8)
    return ledger_db


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _rows(db: str) -> list[tuple[object, object, int, str, bytes]]:
    edit = DbEdit(db)
    try:
        return edit.rows()  # type: ignore[return-value]
    finally:
        edit.close()


def _add_key(db: str, holder: str) -> None:
    ledger = Ledger.open(db)
    try:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS.encode())
        ledger.register_key(root=root, holder=holder, role="clerk", key=generate_signing_key())
    finally:
        ledger.close()


def test_inclusion_proof_of_every_event_verifies(demo_db: str) -> None:
    rows = _rows(demo_db)
    for position in (0, 1, len(rows) // 2, len(rows) - 1):
        code, out, _ = invoke(demo_db, "prove", "inclusion", str(position), "--json")
        assert code == 0
        proof = json.loads(out)
        assert sorted(proof) == ["index", "leaf_hash", "proof", "root", "tree_size"]
        assert proof["index"] == position and proof["tree_size"] == len(rows)
        assert proof["leaf_hash"] == leaf_hash(rows[position][4]).hex()
        verify_inclusion(
            leaf_hash=bytes.fromhex(proof["leaf_hash"]),
            index=position,
            size=proof["tree_size"],
            path=[bytes.fromhex(h) for h in proof["proof"]],
            root=bytes.fromhex(proof["root"]),
        )
    _, stream, version, _, state = rows[3]
    code, out, _ = invoke(demo_db, "prove", "inclusion", f"{stream}:{version}", "--json")
    assert code == 0 and json.loads(out)["leaf_hash"] == leaf_hash(state).hex()


def test_consistency_proof_verifies_and_bad_sizes_exit_2(demo_db: str) -> None:
    size = len(_rows(demo_db))
    code, out, _ = invoke(demo_db, "prove", "consistency", "7", str(size), "--json")
    assert code == 0
    proof = json.loads(out)
    assert sorted(proof) == ["new_root", "new_size", "old_root", "old_size", "proof"]
    verify_consistency(
        old_size=7,
        new_size=size,
        old_root=bytes.fromhex(proof["old_root"]),
        new_root=bytes.fromhex(proof["new_root"]),
        proof=[bytes.fromhex(h) for h in proof["proof"]],
    )
    code, _, err = invoke(demo_db, "prove", "consistency", "0", "3")
    assert code == 2 and "0 < OLD_SIZE <= NEW_SIZE" in err
    code, _, err = invoke(demo_db, "prove", "inclusion", str(size))
    assert code == 2 and f"outside the log of {size} events" in err


def test_checkpoints_file_grows_only_consistently(demo_db: str, tmp_path: Path) -> None:
    cps = tmp_path / "checkpoints"
    assert invoke(demo_db, "checkpoint", "--append", str(cps))[0] == 0
    _add_key(demo_db, "Later Clerk")
    code, out, _ = invoke(demo_db, "checkpoint", "--append", str(cps), "--json")
    assert code == 0
    result = json.loads(out)
    assert result["appended"] and result["checkpoints"] == 2
    assert result["events_verified"] == 1  # only the event after the last checkpoint
    assert cps.read_text().count("\n\n") == 4  # two notes, each with its separator
    before = cps.read_bytes()
    edit = DbEdit(demo_db)  # an insider rewrites history and the persisted log to match
    key, *_, state = next(r for r in edit.rows() if b"Mpower" in r[4])
    edit.set_state(key, state.replace(b"Mpower", b"Mpowes", 1))
    edit.rebuild_index()
    edit.close()
    ledger = Ledger.open(demo_db)
    try:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS.encode())
        with pytest.raises(CheckpointError, match="no checkpoint appended"):
            append_checkpoint(ledger, path=cps, root=root)
    finally:
        ledger.close()
    assert cps.read_bytes() == before


def test_verify_since_examines_only_the_new_events(demo_db: str, tmp_path: Path) -> None:
    cps = tmp_path / "checkpoints"
    invoke(demo_db, "checkpoint", "--append", str(cps))
    _add_key(demo_db, "Clerk Two")
    _add_key(demo_db, "Clerk Three")
    code, out, _ = invoke(demo_db, "verify", "--since", str(cps), "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["events_examined"] == 2
    edit = DbEdit(demo_db)
    key, *_, state = edit.rows()[-1]
    edit.set_state(key, state.replace(b"Clerk Three", b"Clerk Thref", 1))
    edit.close()
    code, out, _ = invoke(demo_db, "verify", "--since", str(cps), "--json")
    assert code == 1
    assert "bad-signature" in {p["reason"] for p in json.loads(out)["problems"]}


def test_verify_since_a_rewritten_ledger_verifies_everything(demo_db: str, tmp_path: Path) -> None:
    cps = tmp_path / "checkpoints"
    invoke(demo_db, "checkpoint", "--append", str(cps))
    edit = DbEdit(demo_db)
    key, *_, state = edit.rows()[2]
    edit.delete(key)
    edit.rebuild_index()
    edit.close()
    ledger = Ledger.open(demo_db)
    try:
        report = verify_ledger(ledger, checkpoint=cps, since=True, workers=1)
    finally:
        ledger.close()
    reasons = {p.reason for p in report.problems}
    assert "checkpoint-mismatch" in reasons and report.since is None
    assert any("every event was verified instead" in p.detail for p in report.problems)


def test_witness_cosignature_required(demo_db: str, tmp_path: Path) -> None:
    cps, key_file = tmp_path / "checkpoints", tmp_path / "counsel.key"
    invoke(demo_db, "checkpoint", "--append", str(cps))
    code, vkey, _ = invoke(
        demo_db, "witness", "keygen", "--name", "counsel", "--out", str(key_file)
    )
    assert code == 0 and vkey.startswith("counsel+")
    args = ("verify", "--since", str(cps), "--witness", vkey.strip(), "--json")
    code, out, _ = invoke(demo_db, *args)
    assert code == 1 and "witness counsel has not cosigned it" in out
    code, out, _ = invoke(demo_db, "keys", "list", "--json")
    root_pub = tmp_path / "root.pub"
    root_pub.write_text(json.loads(out)[0]["public_key"])
    code, _, err = invoke(
        demo_db, "witness", "cosign", str(cps), "--key", str(key_file), "--name", "counsel",
        "--root-key", str(root_pub),
    )  # fmt: skip
    assert code == 0, err
    assert invoke(demo_db, *args)[0] == 0
    assert invoke(demo_db, "checkpoint", "--append", str(cps))[0] == 0  # a cosigned last note


def test_nightly_appends_a_checkpoint_and_starts_from_it(demo_db: str, tmp_path: Path) -> None:
    cps = tmp_path / "checkpoints"
    code, out, _ = invoke(
        demo_db, "nightly", "--out", str(tmp_path / "n1"), "--checkpoints", str(cps), "--json"
    )
    assert code == 0 and json.loads(out)["checkpoint"]["appended"]
    _add_key(demo_db, "Night Clerk")
    code, out, _ = invoke(
        demo_db, "nightly", "--out", str(tmp_path / "n2"), "--checkpoints", str(cps), "--json"
    )
    night = json.loads(out)["checkpoint"]
    assert code == 0 and night["appended"] and night["events_verified"] == 1
    assert night["previous_size"] == night["size"] - 1


def test_nightly_default_checkpoints_file_is_the_same_from_any_folder(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --checkpoints: 'checkpoints' beside a SQLite ledger, or in a PostgreSQL ledger's
    per-user folder ($XDG_DATA_HOME/offerledger/HOST-PORT-DB-SCHEMA/), never the working folder:
    the next night, run from elsewhere, starts from the checkpoint the last one appended."""
    from offerledger import pgurl

    monkeypatch.delenv("OFFERLEDGER_CHECKPOINTS", raising=False)
    if pgurl.is_pg_url(demo_db):
        expected = tmp_path / "xdg" / "offerledger" / pgurl.ledger_home(pgurl.parse(demo_db)).name
    else:
        expected = Path(demo_db).resolve().parent
    expected /= "checkpoints"
    first, second = tmp_path / "run1", tmp_path / "run2"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    code, out, err = invoke(demo_db, "nightly", "--out", str(tmp_path / "n1"))
    assert code == 0, err
    assert f"in {expected}" in out
    assert expected.is_file() and expected.stat().st_size
    assert not list(first.iterdir())  # nothing in the working folder
    _add_key(demo_db, "Night Clerk")
    monkeypatch.chdir(second)
    code, out, err = invoke(demo_db, "nightly", "--out", str(tmp_path / "n2"), "--json")
    night = json.loads(out)["checkpoint"]
    assert code == 0 and night["appended"] and night["events_verified"] == 1, err
    assert not list(second.iterdir())
