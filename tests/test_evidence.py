"""Evidence bundles: export on both backends, the standalone verifier run without offerledger,
nothing about any other employee in a one-employee bundle, and each tamper case refused with
its reason (issue 9 items 6 and 7)."""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib.metadata
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger import offerledger_verify as standalone
from offerledger.cli import cli
from offerledger.demo import EMAIL_INTAKE, demo_key, run_demo
from offerledger.events import ROLE_ACTIONS, employee_stream_name, stream_id
from offerledger.evidence import EvidenceRefused, check_bundle, export_bundle
from offerledger.evidence.leaks import find_others
from offerledger.evidence.select import Employee
from offerledger.integrity.checkpoint import sign_note, vkey_string
from offerledger.ledger import Ledger
from offerledger.signing.keys import generate_signing_key
from offerledger.store import KEYS_STREAM

PASS = b"test-passphrase"
OFFER = "offer:1117042:005-59595"
ROOT = demo_key("ledger root").key_id
VERIFIER = Path(standalone.__file__)

Files = dict[str, bytes]


def export(db: str, out: Path, employee: str | None = "E0001", **options: object) -> Path:
    ledger = Ledger.open(db)
    try:
        key = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
        export_bundle(
            ledger,
            out=out,
            employee=employee,
            offer=None,
            as_of=options.get("as_of"),  # type: ignore[arg-type]
            checkpoint_key=key,
        )
    finally:
        ledger.close()
    return out


def read_zip(path: Path) -> Files:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write_zip(path: Path, files: Files) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return path


def remanifest(files: Files) -> Files:
    """What an attacker who edits files does next: recompute the (unsigned) manifest."""
    listed = {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}
    del listed["manifest.json"], listed["checkpoint"]
    files["manifest.json"] = json.dumps({"files": listed, "format": standalone.FORMAT}).encode()
    return files


def drop_event(files: Files, position: int) -> Files:
    del files[standalone.EVENT_FILE.format(position)], files[standalone.PROOF_FILE.format(position)]
    index = json.loads(files["index.json"])
    index["events"] = [r for r in index["events"] if r["position"] != position]
    files["index.json"] = json.dumps(index).encode()
    return remanifest(files)


def reasons(path: Path, **kwargs: object) -> set[str]:
    return {reason for _, reason, _ in standalone.verify_bundle(str(path), **kwargs).problems}  # type: ignore[arg-type]


def row_of(files: Files, topic_part: str, stream: object | None = None) -> dict[str, object]:
    rows = json.loads(files["index.json"])["events"]
    return next(
        r for r in rows if topic_part in r["topic"] and (stream is None or r["stream"] == stream)
    )


@pytest.fixture
def demo_db(ledger_db: str) -> Iterator[str]:
    run_demo(ledger_db, passphrase=PASS, employees=12)
    yield ledger_db


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """E0001's bundle of a 12-employee demo on SQLite (shared by the tamper tests)."""
    folder = tmp_path_factory.mktemp("bundle")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        db = str(folder / "demo.db")
        run_demo(db, passphrase=PASS, employees=12)
        return export(db, folder / "E0001.zip")


@pytest.fixture(scope="module")
def files(bundle: Path) -> Files:
    return read_zip(bundle)


@pytest.fixture
def tamper(tmp_path: Path, files: Files) -> Callable[[Callable[[Files], Files]], Path]:
    def make(edit: Callable[[Files], Files]) -> Path:
        return write_zip(tmp_path / "tampered.zip", edit(dict(files)))

    return make


def isolated_site(folder: Path) -> Path:
    """A folder holding only pyca/cryptography and what it imports (cffi), linked from this
    environment: with ``python -E -S`` and the script in it, nothing else is importable."""
    folder.mkdir()
    for name in ("cryptography", "cffi", "pycparser"):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        tops = {f.parts[0] for f in dist.files or () if not f.parts[0].endswith(".dist-info")}
        for top in tops - {"..", "__pycache__"}:
            (folder / top).symlink_to(Path(str(dist.locate_file(top))))
    return folder


def run_isolated(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-E", "-S", *args], cwd=site, capture_output=True, text=True, timeout=60
    )


# --- export ----------------------------------------------------------------------------------


def test_export_on_each_backend_verifies(demo_db: str, tmp_path: Path) -> None:
    out = export(demo_db, tmp_path / "E0001.zip")
    result = subprocess.run(
        [sys.executable, str(VERIFIER), str(out), "--trust", ROOT],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(": verified")
    assert check_bundle(out, trust=ROOT).problems == []
    whole = export(demo_db, tmp_path / "offer.zip", employee=None, as_of=date(2001, 9, 20))
    assert check_bundle(whole, trust=ROOT).problems == []


def test_the_verifier_needs_only_cryptography(bundle: Path, tmp_path: Path) -> None:
    site = isolated_site(tmp_path / "site")
    (site / "offerledger_verify.py").write_bytes(read_zip(bundle)["offerledger_verify.py"])
    for module in ("offerledger", "pydantic", "orjson"):
        probe = run_isolated(site, "-c", f"import {module}")
        assert f"No module named '{module}'" in probe.stderr
    result = run_isolated(site, "offerledger_verify.py", str(bundle), "--trust", ROOT)
    # the demo's keys are public: the verifier says so, on stderr, before anything else
    warning = "WARNING: its keys are public (a demo ledger): no evidence\n"
    assert (result.returncode, result.stderr) == (0, warning), result.stdout + result.stderr
    # (the offer stream includes the two cross-checks recorded with Amendment No. 2)
    assert "20 events: verified" in result.stdout


def test_nothing_in_the_bundle_names_another_employee(files: Files) -> None:
    offer = OFFER
    needles = []
    for n in range(2, 13):
        employee_id = f"E{n:04d}"
        sid = stream_id(employee_stream_name(offer=offer, employee_id=employee_id))
        needles += [employee_id, f"Synthetic Employee {n:04d}", str(sid), sid.hex]
    found = [(name, n) for name, content in files.items() for n in needles if n.encode() in content]
    assert found == []
    mine = stream_id(employee_stream_name(offer=offer, employee_id="E0001"))
    assert str(mine).encode() in files["index.json"]  # the test would notice a stream id
    assert any(n.startswith("entries/") for n in files)
    assert b"E0001" in files["projections/letter.txt"]


def test_the_bundle_is_deterministic(demo_db: str, tmp_path: Path) -> None:
    first = export(demo_db, tmp_path / "a.zip").read_bytes()
    assert export(demo_db, tmp_path / "b.zip").read_bytes() == first


def test_the_leak_guard_finds_an_identifier_as_a_word_only() -> None:
    other = Employee("E12", "Jane Roe", stream_id("employee:x:E12"))
    assert find_others({"a.json": b'{"who": "E12"}'}, [other]) == [("a.json", "E12")]
    assert find_others({"a.json": b'{"sig": "xE12y"}'}, [other]) == []
    assert find_others({"b.txt": b"Dear Jane Roe,"}, [other]) == [("b.txt", "E12")]
    assert find_others({"c": other.stream.hex.encode()}, [other]) == [("c", "E12")]


def test_export_refuses_an_unknown_employee_and_a_ledger_that_does_not_verify(
    demo_db: str, tmp_path: Path
) -> None:
    from dbedit import DbEdit

    runner = CliRunner()
    result = runner.invoke(
        cli, ["--db", demo_db, "export", "evidence", "--employee", "E9999", "--out", "x.zip"]
    )
    assert result.exit_code == 2 and "no employee 'E9999'" in result.output
    edit = DbEdit(demo_db)
    key, *_, state = next(r for r in edit.rows() if "OfferExpired" in r[3])
    edit.set_state(key, state.replace(b"issuer officer", b"issuer offices"))
    edit.close()
    with pytest.raises(EvidenceRefused, match="verify found .* no bundle written"):
        export(demo_db, tmp_path / "E0001.zip")
    assert not (tmp_path / "E0001.zip").exists()


# --- the standalone verifier -----------------------------------------------------------------


def test_the_verifier_embeds_the_role_matrix_and_the_keys_stream() -> None:
    assert standalone.ROLE_ACTIONS == ROLE_ACTIONS
    assert standalone.KEYS == str(KEYS_STREAM)


def test_the_verifier_is_one_small_file_of_stdlib_and_cryptography() -> None:
    source = VERIFIER.read_text()
    # (the input limits took it past 500, the correction-invalid check to 545)
    assert len(source.splitlines()) < 546
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


def test_the_verifier_proofs_match_the_rfc9162_vectors() -> None:
    root = Path(__file__).parent / "fixtures" / "rfc9162" / "inclusion.json"
    for probe in json.loads(root.read_text()):
        path = [base64.b64decode(h) for h in probe["proof"] or []]
        leaf, want = base64.b64decode(probe["leafHash"] or ""), base64.b64decode(probe["root"])
        got = standalone.root_from_path(leaf, probe["leafIdx"], probe["treeSize"], path)
        assert (got == want and len(leaf) == 32) is not probe["wantErr"], probe["file"]


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [True, None, 'x\u007f\u2028\n\x01"\\']},
        {"\ue000": 1, "\U0001f600": 2},
        {"n": -(2**53) + 1},
    ],
)
def test_the_verifier_reads_canonical_json_as_the_project_writes_it(value: object) -> None:
    from offerledger.signing.canonical import canonical_json

    data = canonical_json(value)
    assert standalone.is_canonical(data, json.loads(data))
    assert not standalone.is_canonical(json.dumps(value).encode(), value)


def test_non_canonical_numbers_are_refused() -> None:
    for text in (b'{"a":1.0}', b'{"a":1e2}', b'{"a":9007199254740993}'):
        assert not standalone.is_canonical(text, json.loads(text))


def test_a_witness_must_have_signed_the_checkpoint(
    files: Files, tamper: Callable[[Callable[[Files], Files]], Path]
) -> None:
    witness = generate_signing_key()
    vkey = vkey_string(name="counsel.example", public_key=witness.public_key)
    plain = tamper(lambda f: f)
    assert reasons(plain, trust=ROOT, witnesses=(vkey,)) == {"witness-missing"}

    def cosign(f: Files) -> Files:
        text = f["checkpoint"].decode().split("\n\n")[0] + "\n"
        line = sign_note(text=text, key_name="counsel.example", key=witness)[len(text) + 1 :]
        f["checkpoint"] = f["checkpoint"] + line.encode()
        return f

    assert reasons(tamper(cosign), trust=ROOT, witnesses=(vkey,)) == set()


def test_unusable_input_exits_2(tmp_path: Path, bundle: Path) -> None:
    (tmp_path / "not.zip").write_bytes(b"not a zip")
    assert standalone.main([str(tmp_path / "not.zip")]) == 2
    assert standalone.main([str(bundle), "--trust", "abc"]) == 2
    assert standalone.main([str(bundle), "--trust", ROOT, "--witness", "x+y+z"]) == 2


def test_an_untrusted_root_key_is_refused(bundle: Path) -> None:
    other = generate_signing_key().key_id
    assert {"unknown-key", "checkpoint-mismatch"} <= reasons(bundle, trust=other)


# --- tamper cases: each refused with its reason ----------------------------------------------


def _event_state(f: Files, position: int) -> bytes:
    """The stored state an event file of the bundle carries (base64 in its JSON)."""
    return base64.b64decode(json.loads(f[standalone.EVENT_FILE.format(position)])["state"])


def _change_byte(f: Files) -> Files:
    name = standalone.EVENT_FILE.format(row_of(f, "ElectionSubmitted")["position"])
    event = json.loads(f[name])
    state = base64.b64decode(event["state"]).replace(b"F-E0001-1", b"F-E0001-2", 1)
    event["state"] = base64.b64encode(state).decode()
    f[name] = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()  # canonical
    return f


def _remove_event(f: Files) -> Files:
    return drop_event(f, row_of(f, "EligibleGrantsRegistered")["position"])  # type: ignore[arg-type]


def _proof_hash(f: Files) -> Files:
    name = standalone.PROOF_FILE.format(row_of(f, "OfferExpired")["position"])
    proof = json.loads(f[name])
    proof["proof"][0] = ("0" if proof["proof"][0][0] != "0" else "1") + proof["proof"][0][1:]
    f[name] = json.dumps(proof).encode()
    return remanifest(f)


def _resign_checkpoint(f: Files) -> Files:
    text = f["checkpoint"].decode().split("\n\n")[0] + "\n"
    origin = text.split("\n")[0]
    f["checkpoint"] = sign_note(text=text, key_name=origin, key=generate_signing_key()).encode()
    return f


def _remove_key(f: Files) -> Files:
    clerk = demo_key(EMAIL_INTAKE).key_id  # E0001 sends e-mail: its forms are the intake's
    events = json.loads(f["index.json"])["events"]
    for r in events:
        state = _event_state(f, r["position"])
        if r["stream"] == str(KEYS_STREAM) and clerk.encode() in state and r["version"] > 1:
            return drop_event(f, r["position"])
    raise AssertionError("no registration of the e-mail intake's key")


def _edit_projection(f: Files) -> Files:
    name = "projections/elections.json"
    f[name] = f[name].replace(b'"standing": "exchange"', b'"standing": "withdrawn"', 1)
    return remanifest(f)


def _edit_manifest(f: Files) -> Files:
    manifest = json.loads(f["manifest.json"])
    manifest["files"]["projections/letter.txt"] = "0" * 64
    f["manifest.json"] = json.dumps(manifest).encode()
    return f


MANIFEST = "manifest-mismatch"  # the manifest the checkpoint signs covers every other file


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_change_byte, {"bad-signature", "inclusion-proof-invalid", MANIFEST}),
        (_remove_event, {"version-gap", "projection-mismatch", MANIFEST}),
        (_proof_hash, {"inclusion-proof-invalid", MANIFEST}),
        (_resign_checkpoint, {"checkpoint-mismatch"}),
        (_remove_key, {"unknown-key", MANIFEST}),
        (_edit_projection, {"projection-mismatch", MANIFEST}),
        (_edit_manifest, {MANIFEST}),
    ],
    ids=[
        "byte-changed",
        "event-removed",
        "proof-hash",
        "checkpoint-resigned",
        "key-removed",
        "projection-edited",
        "manifest-edited",
    ],
)
def test_each_tamper_case_is_refused_with_its_reason(
    tamper: Callable[[Callable[[Files], Files]], Path],
    edit: Callable[[Files], Files],
    expected: set[str],
) -> None:
    tampered = tamper(edit)
    assert reasons(tampered, trust=ROOT) == expected
    result = subprocess.run(
        [sys.executable, str(VERIFIER), str(tampered), "--trust", ROOT],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert {line.split(": ")[1] for line in lines[:-1]} == expected
    assert lines[-1].endswith(f"{len(lines) - 1} problem(s)")


def test_an_event_added_from_another_ledger_is_refused(
    tmp_path: Path, files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another demo ledger has the same keys and origin: its event's signature verifies, and
    only the inclusion proof against this bundle's checkpoint refuses it."""
    db = str(tmp_path / "other.db")
    run_demo(db, passphrase=PASS, employees=13)
    theirs = read_zip(export(db, tmp_path / "other.zip", employee=None))
    ours = json.loads(files["index.json"])
    taken = {r["position"] for r in ours["events"]}
    row = next(
        r
        for r in json.loads(theirs["index.json"])["events"]
        if r["position"] not in taken and "EligibleGrantsRegistered" in r["topic"]
    )
    added = dict(files)
    for name in (standalone.EVENT_FILE, standalone.PROOF_FILE):
        added[name.format(row["position"])] = theirs[name.format(row["position"])]
    ours["events"].append(row)
    added["index.json"] = json.dumps(ours).encode()
    tampered = write_zip(tmp_path / "added.zip", remanifest(added))
    # another employee's registration: a stream the election status does not show either
    assert reasons(tampered, trust=ROOT) == {
        "inclusion-proof-invalid",
        "projection-mismatch",
        MANIFEST,
    }


def test_verify_bundle_rebuilds_the_letter_and_the_offer_text(
    tamper: Callable[[Callable[[Files], Files]], Path],
) -> None:
    def edit_letter(f: Files) -> Files:
        f["projections/letter.txt"] = f["projections/letter.txt"].replace(b"14,900", b"24,900")
        return remanifest(f)

    tampered = tamper(edit_letter)
    assert reasons(tampered, trust=ROOT) == {"manifest-mismatch"}  # the standalone cannot tell
    checked = check_bundle(tampered, trust=ROOT)
    assert ("projections/letter.txt", "projection-mismatch") in {
        (f, r) for f, r, _ in checked.problems
    }
    runner = CliRunner()
    result = runner.invoke(cli, ["verify-bundle", str(tampered), "--trust", ROOT])
    assert result.exit_code == 1
    assert "projections/letter.txt: projection-mismatch: differs" in result.output
    clean = runner.invoke(cli, ["verify-bundle", str(tamper(lambda f: f)), "--json"])
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["ok"] is True
    assert "no --trust given" in clean.stderr


def test_a_bundle_of_the_whole_offer_carries_the_lists(demo_db: str, tmp_path: Path) -> None:
    whole = read_zip(export(demo_db, tmp_path / "offer.zip", employee=None))
    assert not any(n.startswith("entries/") for n in whole)
    assert b"E0012" in whole["projections/elections.json"]
    index = json.loads(whole["index.json"])
    assert index["employee"] is None and index["withheld_documents"] == []
    assert io.BytesIO(whole["README.txt"]).read().startswith(b"OFFERLEDGER EVIDENCE BUNDLE")


def test_docs_list_every_reason() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "evidence.md").read_text()
    rows = {line.split("`")[1] for line in doc.splitlines() if line.startswith("| `")}
    assert set(standalone.REASONS) <= rows


def test_the_readme_tells_the_recipient_what_each_reason_means(files: Files) -> None:
    readme = files["README.txt"].decode()
    assert "python offerledger_verify.py THIS_BUNDLE.zip --trust ROOT_KEY_ID" in readme
    for reason in standalone.REASONS:
        assert f"\n  {reason}: " in readme


def test_a_key_compromise_found_later_is_exported_and_reported_as_verify_reports_it(
    demo_db: str, tmp_path: Path
) -> None:
    """A revocation with "compromised since" flags the e-mail intake's elections: no damage to
    the record, so the bundle is written, and the standalone verifier (its own copy of the
    revocation rules) flags exactly the bundle's events that verify flags."""
    from offerledger.integrity.service import verify_ledger

    ledger = Ledger.open(demo_db)
    try:
        root = ledger.keystore.load(key_id=ROOT, passphrase=PASS)
        ledger.revoke_key(
            root=root,
            key_id=demo_key(EMAIL_INTAKE).key_id,
            reason="its laptop was stolen",
            compromised_since=datetime(2001, 8, 27, 12, tzinfo=UTC),
        )
        problems = verify_ledger(ledger).problems
        assert {p.reason for p in problems} == {"revoked-key"}
        flagged = {p.position for p in problems}
    finally:
        ledger.close()
    out = export(demo_db, tmp_path / "E0001.zip")
    verifier = standalone.verify_bundle(str(out), trust=ROOT)
    mine = {int(f.split("/")[1].split(".")[0]) for f, r, _ in verifier.problems}
    assert {r for _, r, _ in verifier.problems} == {"revoked-key"}
    assert mine == flagged & {e.position for e in verifier.events} and mine


def test_a_bundle_holding_a_correction_that_makes_no_form_is_refused(
    demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed corrections saved past the write side's check (older versions stored them; an
    insider can use the library): one whose fields make no form (the reports drop the form),
    one superseding a version that is not there. The standalone verifier says
    correction-invalid for each, as the in-database verify does, on a bundle an export that did
    not run that check made (before, the first read as an undecodable projection)."""
    from offerledger.events import CorrectionRecorded
    from offerledger.integrity import service

    with Ledger.open(demo_db) as ledger:
        form = next(
            e.event
            for e in ledger.log()
            if type(e.event).__name__ == "ElectionSubmitted"
            and getattr(e.event, "employee_id", None) == "E0001"
        )
        signer = ledger.signer(form.actor, PASS)
        last = ledger.last_row(form.originator_id)
        assert last is not None
        bad = [
            CorrectionRecorded(
                originator_id=form.originator_id,
                originator_version=last.version + n,
                effective=form.effective,
                recorded=ledger.clock(),
                actor=form.actor,
                key_id=signer.key_id,
                supersedes_version=version,
                supersedes_topic=form.TOPIC,
                reason="the choice was misread",
                corrected={"choices": "keep"},  # a string where a form holds a list
            )
            for n, version in ((1, form.originator_version), (2, 99))
        ]
        ledger.save(bad, signer=signer)
    monkeypatch.setattr(service, "_check_corrections", lambda ledger, report: None)
    files = read_zip(export(demo_db, tmp_path / "E0001.zip"))
    found = standalone.verify_bundle(str(tmp_path / "E0001.zip"), trust=ROOT).problems
    assert [reason for _, reason, _ in found] == ["correction-invalid"] * 2, found
    rows = [r for r in json.loads(files["index.json"])["events"] if "Correction" in r["topic"]]
    where = {r["version"]: standalone.EVENT_FILE.format(r["position"]) for r in rows}
    (shape, missing) = sorted(found, key=lambda p: p[0])
    assert shape[0] == where[last.version + 1]
    assert "no valid offerledger.ElectionSubmitted.v1" in shape[2]
    assert "corrected.choices is 'keep'" in shape[2]
    assert missing[0] == where[last.version + 2]
    assert "supersedes offerledger.ElectionSubmitted.v1 v99: not there" in missing[2]
