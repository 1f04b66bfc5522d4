"""Reports carry their verification (issue 10, item 7): every output states the log size and
root it rests on and what the last verification of exactly that state found; read commands
never verify; the nightly manifest is signed.

The end-to-end tests flip one signed election's choice in the database (as an attacker with
write access would), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from dbedit import DbEdit
from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.errors import SignatureInvalid
from offerledger.integrity.manifest import MANIFEST_PREFIX, sign_manifest, verify_manifest
from offerledger.ledger import Ledger
from offerledger.projections import verification_store
from offerledger.projections.verification import (
    Head,
    VerificationRecord,
    headed,
    standing,
)
from offerledger.signing.canonical import canonical_json
from offerledger.signing.keys import SigningKey

PASS = "test-passphrase"
A = Head(10, "aa" * 32)
B = Head(10, "bb" * 32)  # the same size, another root: A with one row altered
C = Head(12, "cc" * 32)  # A grown by two events


def at(minute: int) -> datetime:
    return datetime(2025, 1, 2, 3, minute, tzinfo=UTC)


def rec(
    head: Head,
    minute: int,
    *,
    problems: int = 0,
    index: Head | None = None,
    since: int | None = None,
) -> VerificationRecord:
    return VerificationRecord(
        head=head,
        ok=problems == 0,
        problems=problems,
        verified_at=at(minute),
        by="verify",
        root_key_id="ab" * 32,
        index=index or head,
        since=since,
        positions={3: ("bad-signature",)} if problems else {},
    )


# --- what a state's records say ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("built", "index", "records", "state", "line"),
    [
        (A, A, [], "unverified", f"UNVERIFIED: 10 events, root {A.root}, never verified "),
        (A, A, [(A, 1, 0)], "verified", f"verified: 10 events, root {A.root}, at 2025-01-02T03:01"),
        (A, A, [(A, 1, 0), (A, 2, 2)], "failed", "VERIFICATION FAILED: 2 problem(s) in 10 events"),
        (A, A, [(A, 1, 2), (A, 2, 0)], "verified", "verified: 10 events"),  # a full verify clears
        # rows altered after saving: the rows read hash to B, the index still says A
        (B, A, [(A, 1, 0)], "unverified", f"UNVERIFIED: 10 events, root {B.root} as read"),
        # verify caught the alteration: its record (rows B, index A) fails both states
        (A, A, [(A, 1, 0), (B, 2, 4)], "failed", "VERIFICATION FAILED: 4 problem(s)"),
        (B, A, [(A, 1, 0), (B, 2, 4)], "failed", "VERIFICATION FAILED: 4 problem(s)"),
        # another state verified: this one never was
        (C, C, [(A, 1, 0)], "unverified", "UNVERIFIED: 12 events"),
    ],
)
def test_standing_of_a_state(
    built: Head,
    index: Head,
    records: list[tuple[Head, int, int]],
    state: str,
    line: str,
) -> None:
    made = [
        rec(h, minute, problems=n, index=A if (h == B and n) else h) for h, minute, n in records
    ]
    found = standing(built, index, made, made[-1] if made else None)
    assert found.state == state
    assert found.first_line().startswith(line), found.first_line()


def test_a_since_verification_does_not_clear_a_failure_of_the_same_state() -> None:
    failed, since_ok = rec(A, 1, problems=1), rec(A, 2, since=8)
    assert standing(A, A, [failed, since_ok]).state == "failed"
    assert standing(A, A, [failed, since_ok, rec(A, 3)]).state == "verified"
    line = standing(A, A, [since_ok]).first_line()
    assert line.endswith("(events after a checkpoint of 8)")


def test_unverified_names_the_last_verification_of_another_state() -> None:
    line = standing(C, C, [], rec(A, 1)).first_line()
    assert "the last verification was of 10 events, at 2025-01-02T03:01:00+00:00" in line


def test_json_field_and_headers() -> None:
    found = standing(A, A, [rec(A, 1, problems=3)])
    assert found.as_dict() == {
        "state": "failed",
        "size": 10,
        "root": A.root,
        "problems": 3,
        "verified_at": "2025-01-02T03:01:00+00:00",
        "since_checkpoint": None,
        "root_key_id": "ab" * 32,
        "keys_public": False,
        "line": found.first_line(),
    }
    assert standing(A, A, []).as_dict()["problems"] is None
    assert headed("a,b\n", found, "csv") == f"# {found.first_line()}\na,b\n"
    assert headed("Title\n", found) == f"{found.first_line()}\n\nTitle\n"
    assert headed("Title\n", None) == "Title\n"


@pytest.mark.parametrize(
    ("records", "index", "state", "start"),
    [
        (
            [(A, 1, 0)],
            A,
            "verified",
            "NOT EVIDENCE (keys public: a demo ledger): signatures "
            f"verified: 10 events, root {A.root}, at 2025-01-02T03:01",
        ),
        ([], A, "unverified", f"UNVERIFIED: 10 events, root {A.root}, never verified"),
        ([(A, 1, 2)], A, "failed", "VERIFICATION FAILED: 2 problem(s) in 10 events"),
        ([(A, 1, 0)], B, "unverified", f"UNVERIFIED: 10 events, root {A.root} as read"),
    ],
)
def test_a_ledger_whose_keys_are_public_is_never_stated_plain_verified(
    records: list[tuple[Head, int, int]], index: Head, state: str, start: str
) -> None:
    made = [rec(h, minute, problems=n) for h, minute, n in records]
    found = standing(A, index, made, keys_public=True)
    plain = standing(A, index, made)
    line = found.first_line()
    assert found.state == plain.state == state
    assert line.startswith(start), line
    assert not line.startswith("verified")
    assert "not evidence" in line.lower()
    if state != "verified":  # the same line as any ledger's, then the warning
        assert line == plain.first_line() + "; KEYS PUBLIC (a demo ledger): not evidence"
    else:
        assert plain.first_line().startswith("verified: ")
    assert found.as_dict()["keys_public"] is True and found.as_dict()["line"] == line
    assert plain.as_dict()["keys_public"] is False


# --- the record file ------------------------------------------------------------------------


def test_records_round_trip_beside_the_read_model(tmp_path: Path) -> None:
    path = verification_store.verifications_path(tmp_path / "ledger.db.projections.sqlite")
    assert path == tmp_path / "ledger.db.verifications.sqlite"
    assert verification_store.records_for(path, A) == []  # no file yet
    first, second = rec(A, 1), rec(B, 2, problems=2, index=A)
    verification_store.add(path, first)
    verification_store.add(path, second)
    verification_store.add(path, rec(C, 3))
    assert verification_store.records_for(path, A) == [first, second]
    assert verification_store.records_for(path, B) == [second]
    assert verification_store.last(path) == rec(C, 3)
    assert len(list(verification_store.every(path))) == 3
    (tmp_path / "junk.sqlite").write_bytes(b"not a database")
    assert verification_store.records_for(tmp_path / "junk.sqlite", A) == []


# --- the signed manifest ----------------------------------------------------------------------


def test_manifest_signature_verifies_and_catches_any_change() -> None:
    root, other = SigningKey.from_seed(seed=b"r" * 32), SigningKey.from_seed(seed=b"o" * 32)
    manifest = {"ledger": {"events": 3, "tree_root": "aa" * 32}, "outputs": {"text.txt": "00"}}
    signed = {**manifest, "signature": sign_manifest(manifest=manifest, root=root)}
    assert signed["signature"]["prefix"] == "offerledger/nightly-manifest/v1"
    verify_manifest(manifest=json.loads(json.dumps(signed)), public_key=root.public_key)
    changed = {**signed, "outputs": {"text.txt": "01"}}
    with pytest.raises(SignatureInvalid):
        verify_manifest(manifest=changed, public_key=root.public_key)
    with pytest.raises(SignatureInvalid, match="not the root key given"):
        verify_manifest(manifest=signed, public_key=other.public_key)
    with pytest.raises(SignatureInvalid, match="the manifest is not signed"):
        verify_manifest(manifest={**manifest, "signature": None}, public_key=root.public_key)
    # domain separation: the same JSON signed without the prefix is not a manifest signature
    import base64

    bare = root.sign(message=canonical_json(manifest))
    forged = {
        **signed,
        "signature": {**signed["signature"], "value": base64.b64encode(bare).decode()},
    }
    with pytest.raises(SignatureInvalid):
        verify_manifest(manifest=forged, public_key=root.public_key)
    assert MANIFEST_PREFIX == b"offerledger/nightly-manifest/v1\n"


# --- end to end: a flipped election -------------------------------------------------------------


@pytest.fixture
def demo(ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(tmp_path / "rm.sqlite"))
    run_demo(ledger_db, passphrase=PASS.encode(), employees=8)
    return ledger_db


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = invoke(db, *args)
    assert code == 0, err
    return out


def head(db: str) -> Head:
    ledger = Ledger.open(db)
    try:
        h = ledger.app.tree_head()
        return Head(h.size, h.root.hex())
    finally:
        ledger.close()


def flip_an_election(db: str) -> None:
    """Change the first signed election's first choice from exchange to keep, in place."""
    edit = DbEdit(db)
    try:
        for key, _, _, topic, state in edit.rows():
            if topic.startswith("offerledger.ElectionSubmitted.") and b'choice":"exchange' in state:
                edit.set_state(key, state.replace(b'choice":"exchange', b'choice":"keep', 1))
                return
        raise AssertionError("no election to flip")
    finally:
        edit.close()


TEXT_OUTPUTS = [
    ("elections",),
    ("final-amendment",),
    ("final-amendment", "--format", "markdown"),
    ("text",),
    ("diff", "2001-09-12", "2001-09-13"),
    ("timeline",),
]
JSON_OUTPUTS = [
    ("elections", "--format", "json"),
    ("text", "--format", "json"),
    ("diff", "2001-09-12", "2001-09-13", "--format", "json"),
    ("timeline", "--json"),
]


def first_line(db: str, *args: str) -> str:
    return ok(db, *args).split("\n", 1)[0]


def first_lines(db: str, *extra: str) -> dict[tuple[str, ...], str]:
    lines = {args: first_line(db, *args, *extra) for args in TEXT_OUTPUTS}
    lines[("elections", "--format", "csv")] = first_line(db, "elections", "--format", "csv", *extra)
    lines[("findings",)] = first_line(db, "findings")  # findings always folds the log
    return lines


def fields(db: str, *extra: str) -> list[dict[str, object]]:
    found = [json.loads(ok(db, *args, *extra))["verification"] for args in JSON_OUTPUTS]
    return [*found, json.loads(ok(db, "findings", "--json"))["verification"]]


def test_every_output_states_the_state_and_what_verify_found(
    demo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = head(demo)
    never = f"UNVERIFIED: {h.size} events, root {h.root}, never verified"
    for args, line in first_lines(demo).items():
        assert line.lstrip("# ").startswith(never), args
        assert line.endswith("; KEYS PUBLIC (a demo ledger): not evidence"), args
    assert {(f["state"], f["keys_public"]) for f in fields(demo)} == {("unverified", True)}

    assert invoke(demo, "verify")[0] == 0
    # the demo ledger's keys are public: a clean verification is never stated as plain verified
    done = re.compile(
        rf"^(# )?NOT EVIDENCE \(keys public: a demo ledger\): signatures verified: {h.size} "
        rf"events, root {h.root}, at \d{{4}}-\S+$"
    )
    ok(demo, "rebuild")
    for extra in ((), ("--from-log",)):
        for args, line in first_lines(demo, *extra).items():
            assert done.match(line), (args, line)
        for field in fields(demo, *extra):
            assert (field["state"], field["size"], field["root"], field["problems"]) == (
                "verified",
                h.size,
                h.root,
                0,
            )
            assert field["keys_public"] is True and done.match(str(field["line"]))
    rows = json.loads(ok(demo, "timeline", "--json"))["events"]
    assert {r["status"] for r in rows} == {"verified"}
    letters = tmp_path / "letters"
    ok(demo, "letters", "--out", str(letters))
    assert all(done.match(f.read_text().split("\n", 1)[0]) for f in letters.iterdir())


def test_read_commands_never_verify(
    demo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import offerledger.integrity.service as service

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a read command verified the ledger")

    monkeypatch.setattr(service, "verify_ledger", refuse)
    for args in [*TEXT_OUTPUTS, *JSON_OUTPUTS, ("findings",), ("findings", "--json")]:
        ok(demo, *args)
    ok(demo, "letters", "--out", str(tmp_path / "letters"))


def test_a_flipped_election_makes_every_output_say_verification_failed(
    demo: str, tmp_path: Path
) -> None:
    assert invoke(demo, "verify")[0] == 0
    ok(demo, "rebuild")  # a read model of the ledger before the change
    before = head(demo)
    flip_an_election(demo)
    # before verify runs again: the log's rows no longer hash to the index's root
    line = ok(demo, "elections", "--from-log").split("\n", 1)[0]
    assert line.startswith(f"UNVERIFIED: {before.size} events, root ") and "as read" in line
    assert before.root in line

    code, out, _ = invoke(demo, "verify")
    assert code == 1 and "bad-signature" in out
    failed = re.compile(r"^(# )?VERIFICATION FAILED: \d+ problem\(s\) in \d+ events, root ")
    for extra in ((), ("--from-log",)):  # the read model (built before) and the log itself
        for args, line in first_lines(demo, *extra).items():
            assert failed.match(line), (args, extra, line)
        for field in fields(demo, *extra):
            assert field["state"] == "failed" and field["problems"], field
    timeline = json.loads(ok(demo, "timeline", "--json", "--from-log"))
    assert any("bad-signature" in r["status"] for r in timeline["events"])

    out = tmp_path / "nightly"
    code, stdout, err = invoke(demo, "nightly", "--out", str(out), "--json")
    assert code == 1 and "Error: VERIFICATION FAILED" in err
    manifest = json.loads(stdout)
    assert manifest["verification"]["ok"] is False
    assert manifest["outputs_verification"]["state"] == "failed"
    assert manifest["checkpoint"] is None
    for name in manifest["outputs"]:
        assert failed.match((out / name).read_text().split("\n", 1)[0]), name


def test_nightly_manifest_is_signed_by_the_root_key(demo: str, tmp_path: Path) -> None:
    out = tmp_path / "nightly"
    code, _, err = invoke(
        demo, "nightly", "--out", str(out), "--checkpoints", str(tmp_path / "cps")
    )
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    ledger = Ledger.open(demo)
    try:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS.encode())
    finally:
        ledger.close()
    verify_manifest(manifest=manifest, public_key=root.public_key)
    assert manifest["signature"]["key_id"] == root.key_id
    assert manifest["outputs_verification"]["state"] == "verified"
    manifest["outputs"]["elections.csv"] = "0" * 64
    with pytest.raises(SignatureInvalid):
        verify_manifest(manifest=manifest, public_key=root.public_key)


def test_nightly_without_the_passphrase_writes_an_unsigned_manifest(
    demo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OFFERLEDGER_KEY_PASSPHRASE")
    out = tmp_path / "nightly"
    code, _, err = invoke(
        demo, "nightly", "--out", str(out), "--checkpoints", str(tmp_path / "cps")
    )
    assert code == 0
    assert "Warning: nightly: manifest not signed: no key passphrase" in err
    assert json.loads((out / "manifest.json").read_text())["signature"] is None


def test_nightly_with_a_wrong_passphrase_writes_the_outputs_then_exits_3(
    demo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A passphrase that does not open the root key is a key file error (exit 3), not two
    warnings and exit 0: a scheduled job would never see its manifests go unsigned."""
    monkeypatch.setenv("OFFERLEDGER_KEY_PASSPHRASE", "wrong")
    out = tmp_path / "nightly"
    code, stdout, err = invoke(
        demo, "nightly", "--out", str(out), "--checkpoints", str(tmp_path / "cps")
    )
    assert code == 3, err
    assert "Warning: nightly: manifest not signed:" in err
    assert "Error: nightly: the root key could not be loaded with OFFERLEDGER_KEY_PASSPHRASE" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["signature"] is None
    assert set(manifest["outputs"]) <= {p.name for p in out.iterdir()}
    assert "elections.csv" in manifest["outputs"]
    assert "written to" in stdout
    assert not (tmp_path / "cps").exists()


def test_a_nightly_since_its_checkpoint_does_not_clear_what_verify_found(
    demo: str, tmp_path: Path
) -> None:
    cps = tmp_path / "cps"
    nightly = ("nightly", "--checkpoints", str(cps), "--json", "--out")
    assert json.loads(ok(demo, *nightly, str(tmp_path / "n1")))["checkpoint"]["appended"]
    flip_an_election(demo)  # before the checkpoint: a nightly from it examines nothing
    assert invoke(demo, "verify")[0] == 1
    code, out, err = invoke(demo, *nightly, str(tmp_path / "n2"))
    manifest = json.loads(out)
    assert manifest["verification"]["ok"] is True  # the events after the checkpoint: none
    assert manifest["verification"]["since_checkpoint"] == head(demo).size
    assert manifest["outputs_verification"]["state"] == "failed"  # the full verify stands
    assert code == 1 and manifest["checkpoint"] is None and "VERIFICATION FAILED" in err
    assert first_line(demo, "elections").startswith("VERIFICATION FAILED: ")


def test_verify_still_answers_when_its_record_cannot_be_written(
    demo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(tmp_path / "missing" / "rm.sqlite"))
    code, _, err = invoke(demo, "verify")
    assert code == 0 and "Warning: cannot record the verification in " in err
    assert first_line(demo, "elections").startswith("UNVERIFIED: ")


# --- the demo records the verification it runs --------------------------------------------------


def test_demo_records_its_verification_so_outputs_state_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(tmp_path / "rm.sqlite"))
    db = str(tmp_path / "demo.db")
    code, out, err = invoke(db, "demo", "--employees", "8")
    assert code == 0, err
    h = head(db)
    line = first_line(db, "elections")
    assert line.startswith(
        f"NOT EVIDENCE (keys public: a demo ledger): signatures verified: {h.size} events, "
        f"root {h.root}, at "
    ), line
    field = json.loads(ok(db, "findings", "--json"))["verification"]
    assert (field["state"], field["size"], field["problems"], field["keys_public"]) == (
        "verified",
        h.size,
        0,
        True,
    )
    (found,) = verification_store.records_for(
        verification_store.verifications_path(tmp_path / "rm.sqlite"), h
    )
    assert (found.by, found.ok, found.head) == ("demo", True, h)


def test_a_demo_whose_verification_finds_problems_never_says_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import offerledger.integrity.service as service
    from offerledger.integrity.problems import Problem, VerifyReport

    real = service.verify_ledger

    def finds_one(*args: object, **kwargs: object) -> VerifyReport:
        report = real(*args, **kwargs)  # type: ignore[arg-type]
        report.problems.append(Problem(3, None, None, "bad-signature", "made by the test"))
        return report

    monkeypatch.setattr(service, "verify_ledger", finds_one)
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(tmp_path / "rm.sqlite"))
    db = str(tmp_path / "demo.db")
    code, _, _ = invoke(db, "demo", "--employees", "8")
    assert code == 1
    line = first_line(db, "elections")
    assert line.startswith("VERIFICATION FAILED: 1 problem(s) in "), line
    assert line.endswith("; KEYS PUBLIC (a demo ledger): not evidence"), line
