"""Keys as an operator meets them: per-actor keystores, the demo's public keys, root rotation,
key files upgraded in place, refusals that name the path and the fix, ``--debug`` exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization

from dbedit import DbEdit
from offerledger import offerledger_verify as standalone
from offerledger.cli import cli
from offerledger.demo import OFFICER, demo_key, run_demo
from offerledger.errors import RuleViolation
from offerledger.events import RootKeyRotated
from offerledger.evidence.export import export_bundle
from offerledger.integrity.service import verify_ledger
from offerledger.key_admin import keys_public, rotate_root
from offerledger.ledger import Ledger
from offerledger.signing.keyfile import DEMO_KDF, KDF, read_kdf
from offerledger.signing.keys import SigningKey, generate_signing_key, key_id_for
from offerledger.store import KEYS_STREAM

PASS = "test-passphrase"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def demo_db(ledger_db: str) -> str:
    run_demo(ledger_db, passphrase=PASS.encode(), employees=4)
    return ledger_db


@pytest.fixture
def own_db(tmp_path: Path) -> str:
    """A ledger of one's own (not the demo) whose root key lives in tmp_path/root-keys."""
    db = str(tmp_path / "own.db")
    assert run("--db", db, "--keys", str(tmp_path / "root-keys"), "init").exit_code == 0
    return db


# --- the demo's keys are public ---------------------------------------------------------------


def test_the_demo_ledger_says_its_keys_are_public_on_verifys_first_line(demo_db: str) -> None:
    result = run("--db", demo_db, "verify")
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0]
    assert first == (
        "WARNING: this ledger's keys are public (a demo ledger: its root key registration says "
        "so); anyone can sign as any of its actors, so nothing in it is evidence"
    )
    assert json.loads(run("--db", demo_db, "verify", "--json").stdout)["keys_public"] is True


def test_a_ledger_of_ones_own_does_not(own_db: str, tmp_path: Path) -> None:
    result = run("--db", own_db, "--keys", str(tmp_path / "root-keys"), "verify")
    assert result.exit_code == 0
    assert result.stdout.startswith("root key: ")
    ledger = Ledger.open(own_db)
    try:
        assert not keys_public(ledger) and not ledger.registry().keys_public
    finally:
        ledger.close()


def test_record_and_keys_create_on_the_demo_are_refused_unless_demo_keys_ok(
    demo_db: str, tmp_path: Path
) -> None:
    waiver = tmp_path / "waiver.json"
    waiver.write_text(
        '{"effective": {"kind": "date", "on": "2001-09-20"}, "condition_id": "7(b)", '
        '"condition_kind": "other"}'
    )
    edit = DbEdit(demo_db)
    before = edit.snapshot()
    edit.close()
    record = ["record", "condition-waived", "--key", OFFICER, "--file", str(waiver)]
    for command in (record, ["keys", "create", "--holder", "Jane Roe", "--role", "clerk"]):
        result = run("--db", demo_db, *command)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith(
            "Error: refused (demo-keys): this ledger's keys are public (its root key "
            "registration says so: a demo ledger), so anyone can sign as any of its actors;"
        )
        assert "pass --demo-keys-ok to write into the demo anyway" in result.stderr
    edit = DbEdit(demo_db)
    assert edit.snapshot() == before  # nothing written
    edit.close()
    assert run("--db", demo_db, "--demo-keys-ok", *record).exit_code == 0
    create = ["keys", "create", "--holder", "J", "--role", "clerk"]
    assert run("--db", demo_db, "--demo-keys-ok", *create).exit_code == 0


def test_the_demos_key_files_use_the_cheap_kdf_and_its_first_event_says_so(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger.open(demo_db)
    try:
        assert keys_public(ledger) and ledger.registry().keys_public
        root = ledger.root_key_info().key_id
        assert read_kdf(ledger.keystore.path_for(root)) == DEMO_KDF  # type: ignore[arg-type]
        (first,) = ledger.app.recorder.select_events(KEYS_STREAM, limit=1)
        assert b'"keys_public":true' in first.state
    finally:
        ledger.close()


# --- per-actor keystores ----------------------------------------------------------------------


def test_each_actor_keeps_a_keystore_of_their_own(own_db: str, tmp_path: Path) -> None:
    root_keys, clerk_keys = str(tmp_path / "root-keys"), str(tmp_path / "clerk-keys")
    pub = tmp_path / "clerk.pub"
    new = run("--keys", clerk_keys, "keys", "new", "--out", str(pub))
    assert new.exit_code == 0
    public_hex, _, _, key_id = pub.read_text().split()
    assert new.stdout == pub.read_text() == f"{public_hex}  key id {key_id}\n"
    assert key_id == key_id_for(public_key=bytes.fromhex(public_hex))
    create = ["keys", "create", "--holder", "Clerk", "--role", "clerk"]
    created = run("--db", own_db, "--keys", root_keys, *create, "--public-key", str(pub))
    assert created.exit_code == 0 and created.stdout.strip() == key_id
    assert sorted(os.listdir(clerk_keys)) == [f"{key_id}.pem"]  # no root key here
    assert f"{key_id}.pem" not in os.listdir(root_keys)  # and no clerk key there
    exported = run("--keys", clerk_keys, "keys", "export-public", key_id[:12])
    assert exported.stdout == pub.read_text()
    # the clerk cannot act as root: the root key is not in their keystore
    as_root = run("--db", own_db, "--keys", clerk_keys, *create)
    assert as_root.exit_code == 3
    assert f"Error: {clerk_keys}: no key " in as_root.stderr
    listed = json.loads(run("--db", own_db, "--keys", clerk_keys, "keys", "list", "--json").stdout)
    mine = [k for k in listed if k["private_key_here"]]
    assert [(k["holder"], k["key_file_kdf"]) for k in mine] == [
        ("Clerk", "scrypt n=1024 r=8 p=1, aes-256-cbc")
    ]


def test_a_public_key_file_that_is_not_one_is_refused(own_db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub"
    small_order = "01" + "00" * 31
    for text, message in (
        ("hello\n", "is not a public key file (64 hex digits first)"),
        (small_order, "a small-order point"),
    ):
        bad.write_text(text)
        keys = ["--db", own_db, "--keys", str(tmp_path / "root-keys")]
        result = run(
            *keys, "keys", "create", "--holder", "X", "--role", "clerk", "--public-key", str(bad)
        )
        assert result.exit_code == 2 and message in result.stderr


# --- refusals that name the path and the fix; --debug keeps the exit code ---------------------


def test_a_world_writable_keystore_stops_verify_with_the_fix(own_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "root-keys"
    os.chmod(folder, 0o777)
    result = run("--db", own_db, "--keys", str(folder), "verify")
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {folder}: the keystore folder is writable by group or others (mode 0777), so "
        f"they could plant or swap key files; refusing to use it\nHint: run: chmod 700 {folder}\n"
    )


def test_a_key_file_others_can_read_is_refused_with_the_fix(own_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "root-keys"
    (key_file,) = folder.iterdir()
    os.chmod(key_file, 0o644)
    keys = ["--db", own_db, "--keys", str(folder)]
    result = run(*keys, "keys", "create", "--holder", "X", "--role", "clerk")
    assert result.exit_code == 3
    assert f"Error: {key_file}: the key file is accessible by group or others" in result.stderr
    assert f"Hint: run: chmod 600 {key_file}" in result.stderr


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_debug_keeps_the_exit_code_and_adds_the_traceback(
    own_db: str, tmp_path: Path, debug: list[str]
) -> None:
    keys = ["--keys", str(tmp_path / "root-keys")]
    create = ["keys", "create", "--holder", "X", "--role", "clerk"]
    wrong = run("--db", own_db, *keys, *debug, *create, env={"OFFERLEDGER_KEY_PASSPHRASE": "no"})
    assert wrong.exit_code == 3  # KeyFileError: wrong passphrase
    assert wrong.stderr.splitlines()[-2].startswith("Error: ")
    assert ("Traceback (most recent call last):" in wrong.stderr) == bool(debug)
    assert "offerledger.errors.KeyFileError" in wrong.stderr or not debug
    refused = run("--db", own_db, *keys, *debug, "keys", "revoke", "nobody", "--reason", "x")
    assert refused.exit_code == 2  # UnknownEntity
    assert ("Traceback" in refused.stderr) == bool(debug)


# --- stronger key files: rewrap ---------------------------------------------------------------


def test_keys_rewrap_upgrades_an_old_key_file_and_list_shows_it(
    own_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "root-keys"
    (path,) = folder.iterdir()
    root = run("--keys", str(folder), "keys", "export-public", path.stem)
    assert root.exit_code == 0
    ledger = Ledger.open(own_db, keys=folder)
    key = ledger.keystore.load(key_id=path.stem, passphrase=PASS.encode())
    ledger.close()
    path.unlink()  # as offerledger wrote it before: PBKDF2-SHA256, 2,048 iterations
    path.write_bytes(
        key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASS.encode()),
        )
    )
    os.chmod(path, 0o600)
    keys = ["--db", own_db, "--keys", str(folder)]
    listed = json.loads(run(*keys, "keys", "list", "--json").stdout)
    assert listed[0]["key_file_kdf"] == "pbkdf2 hmac-sha256 2048 iterations, aes-256-cbc"
    assert listed[0]["key_file_weak"] is True
    used = run(*keys, "keys", "create", "--holder", "X", "--role", "clerk")
    assert used.exit_code == 0
    assert used.stderr.startswith(f"Warning: {path}: the key file is encrypted with pbkdf2 ")
    assert "run 'offerledger keys rewrap' (scrypt n=131072)" in used.stderr
    monkeypatch.delenv("OFFERLEDGER_INSECURE_TEST_KDF")  # the real parameters
    rewrapped = run("--keys", str(folder), "keys", "rewrap", path.stem[:12])
    assert rewrapped.stdout == (
        f"{path.stem}: pbkdf2 hmac-sha256 2048 iterations, aes-256-cbc -> "
        "scrypt n=131072 r=8 p=1, aes-256-cbc\n"
    )
    assert read_kdf(path) == KDF
    again = run("--keys", str(folder), "keys", "rewrap", path.stem)
    assert again.stdout.endswith(": already strong, kept\n")
    assert run(*keys, "keys", "list", "--json").exit_code == 0


# --- root rotation ----------------------------------------------------------------------------


def _rotate(db: str, folder: Path, holder: str = "General Counsel") -> tuple[str, str]:
    ledger = Ledger.open(db, keys=folder)
    old = ledger.root_key_info().key_id
    ledger.close()
    result = run("--db", db, "--keys", str(folder), "keys", "rotate-root", "--holder", holder)
    assert result.exit_code == 0, result.stderr
    new = result.stdout.split(" -> ")[1].split()[0]
    assert result.stdout == f"root key rotated: {old} -> {new} ({holder})\n"
    return old, new


def test_root_rotation_is_signed_by_both_roots_and_the_new_root_takes_over(
    own_db: str, tmp_path: Path
) -> None:
    folder = tmp_path / "root-keys"
    checkpoints = tmp_path / "checkpoints"
    keys = ["--db", own_db, "--keys", str(folder)]
    assert run(*keys, "checkpoint", "--append", str(checkpoints)).exit_code == 0
    before = tmp_path / "before.checkpoint"
    assert run(*keys, "checkpoint", "--out", str(before)).exit_code == 0
    old, new = _rotate(own_db, folder)
    kept = run(*keys, "verify", "--checkpoint", str(before))  # signed by the old root
    assert kept.exit_code == 0, kept.stdout
    ledger = Ledger.open(own_db, keys=folder)
    try:
        registry = ledger.registry()
        assert registry.root_key_id == new and registry.keys[old].revoked
        assert registry.keys[new].role == "root" and registry.keys[new].holder == "General Counsel"
        event = ledger.stream_events(KEYS_STREAM)[-1]
        assert isinstance(event, RootKeyRotated) and event.key_id == old
        old_key = ledger.keystore.load(key_id=old, passphrase=PASS.encode())
        stray = _registration(
            ledger, signer=old_key, key=generate_signing_key(), actor="ledger root"
        )
        with pytest.raises(RuleViolation, match=r"refused \(revoked-key\): key .* \(ledger root\)"):
            ledger.save([stray], signer=old_key)
    finally:
        ledger.close()
    # the new root registers keys and signs checkpoints; everything verifies
    assert run(*keys, "keys", "create", "--holder", "Clerk", "--role", "clerk").exit_code == 0
    appended = run(*keys, "checkpoint", "--append", str(checkpoints))
    assert appended.exit_code == 0, appended.stderr
    verified = run(*keys, "verify", "--checkpoint", str(checkpoints))
    assert verified.exit_code == 0, verified.stdout
    assert run(*keys, "verify", "--since", str(checkpoints)).exit_code == 0
    # the old root's key file gone, the keystore's new root still vouches for the ledger
    (folder / f"{old}.pem").unlink()
    result = run(*keys, "verify")
    assert result.exit_code == 0, result.stdout
    trusted = f"the keystore's root key {new} ({folder}), which the ledger's first root {old}"
    assert f"{trusted} was rotated to" in result.stdout
    pub = tmp_path / "new.pub"
    assert (
        run("--keys", str(folder), "keys", "export-public", new, "--out", str(pub)).exit_code == 0
    )
    for root_key in (str(pub), new, old):
        assert run("--db", own_db, "verify", "--root-key", root_key).exit_code == 0
    assert run("--db", own_db, "verify", "--root-key", "ab" * 32).exit_code == 1


def test_an_event_the_old_root_signs_after_the_rotation_is_flagged(
    own_db: str, tmp_path: Path
) -> None:
    folder = tmp_path / "root-keys"
    old, _ = _rotate(own_db, folder)
    ledger = Ledger.open(own_db, keys=folder)
    try:
        old_key = ledger.keystore.load(key_id=old, passphrase=PASS.encode())
        ledger.app.store.authorize = lambda events, signer: None  # an insider past the checks
        stray = generate_signing_key()
        event = _registration(ledger, signer=old_key, key=stray, actor="ledger root")
        ledger.save([event], signer=old_key)
        report = verify_ledger(ledger, workers=1)
    finally:
        ledger.close()
    assert [(p.position, p.reason) for p in report.problems] == [(2, "revoked-key")]


def test_a_rotation_the_new_key_did_not_countersign_is_flagged(own_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "root-keys"
    ledger = Ledger.open(own_db, keys=folder)
    try:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS.encode())
        impostor, victim = generate_signing_key(), generate_signing_key()
        now = ledger.clock()
        event = RootKeyRotated(
            originator_id=KEYS_STREAM,
            originator_version=2,
            effective={"kind": "instant", "at": now},
            recorded=now,
            actor="ledger root",
            key_id=root.key_id,
            new_root_key_id=victim.key_id,
            public_key=victim.public_key.hex(),
            holder="Someone",
            valid_from=now,
            new_root_signature=impostor.sign(message=b"anything").hex(),
        )
        ledger.save([event], signer=root)  # the domain checks no crypto; verify does
        report = verify_ledger(ledger, workers=1)
    finally:
        ledger.close()
    assert [(p.position, p.reason) for p in report.problems] == [(1, "bad-signature")]
    assert "countersignature of the rotation does not verify" in report.problems[0].detail


def test_only_the_root_in_force_may_rotate(own_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "root-keys"
    ledger = Ledger.open(own_db, keys=folder)
    try:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS.encode())
        clerk = generate_signing_key()
        ledger.register_key(root=root, holder="Clerk", role="clerk", key=clerk)
        with pytest.raises(RuleViolation, match="is not the ledger's root in force"):
            rotate_root(ledger, old=clerk, new=generate_signing_key())
    finally:
        ledger.close()


def test_an_evidence_bundle_of_a_rotated_ledger_verifies_with_either_root(
    demo_db: str, tmp_path: Path
) -> None:
    ledger = Ledger.open(demo_db)
    try:
        old = demo_key("ledger root")
        new = generate_signing_key()
        ledger.keystore.save(key=new, passphrase=PASS.encode())
        rotate_root(ledger, old=old, new=new)
        out = tmp_path / "E0001.zip"
        export_bundle(ledger, out=out, employee="E0001", offer=None, as_of=None, checkpoint_key=new)
    finally:
        ledger.close()
    for trust in (old.key_id, new.key_id, None):
        verifier = standalone.verify_bundle(str(out), trust)
        assert verifier.problems == [], verifier.problems
        assert verifier.root_key_id == new.key_id  # the root in force signed the checkpoint
    assert {p[1] for p in standalone.verify_bundle(str(out), "ab" * 32).problems} >= {"unknown-key"}


def _registration(ledger: Ledger, *, signer: SigningKey, key: SigningKey, actor: str):  # type: ignore[no-untyped-def]
    from offerledger.events import KeyRegistered

    now = ledger.clock()
    return KeyRegistered(
        originator_id=KEYS_STREAM,
        originator_version=ledger.registry().version + 1,
        effective={"kind": "instant", "at": now},
        recorded=now,
        actor=actor,
        key_id=signer.key_id,
        registered_key_id=key.key_id,
        public_key=key.public_key.hex(),
        holder="Stray",
        role="clerk",
        valid_from=now,
    )
