"""Our RFC 9162 Merkle code and C2SP notes against Go's golang.org/x/mod/sumdb (tlog, note).

``independent/tlog_check.go`` is compiled once per session (Debian's golang-go and
golang-golang-x-mod-dev, offline, GOPATH mode) and asked, in one batch per module, for tree
hashes, inclusion proofs (``tlog.ProveRecord``) and consistency proofs (``tlog.ProveTree``) of
random logs, and to check ours (``tlog.CheckRecord``/``tlog.CheckTree``). Both directions must
agree, proofs byte for byte. Checkpoints signed by ``make_checkpoint_note`` must open with Go's
``note.Open`` under our ``vkey_string``, and a note Go signs must equal ours and parse.

Go's tlog defines the empty tree's hash as 32 zero bytes, RFC 9162 as SHA-256(""), so size 0
is left to test_merkle_vectors.py; tlog also refuses proofs from size 0, as we do not.

Skipped when ``go`` is not installed, unless OFFERLEDGER_REQUIRE_GO=1 (CI), then it fails.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest

from offerledger.errors import ProofInvalid, SignatureInvalid
from offerledger.integrity.checkpoint import (
    make_checkpoint_note,
    note_key_id,
    parse_checkpoint_note,
    sign_note,
    vkey_string,
)
from offerledger.integrity.merkle import (
    Digest,
    MerkleAccumulator,
    audit_path,
    consistency_proof,
    leaf_hash,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from offerledger.signing.keys import SigningKey

REQUIRE_GO = os.environ.get("OFFERLEDGER_REQUIRE_GO") == "1"
SOURCE = Path(__file__).parent / "independent" / "tlog_check.go"
GOPATH = "/usr/share/gocode"  # Debian's golang-golang-x-mod-dev
SEED = 9162
SMALL = range(1, 71)  # every index and every old size is asked for
LARGE = (127, 128, 129, 255, 256, 257, 1000, 1025)  # a sample of them
SAMPLE = 24
ORIGIN = "offerledger/6f1c8f55-0c5b-4c2e-9d0b-1f2a3b4c5d6e"


def _unavailable(reason: str) -> NoReturn:
    if REQUIRE_GO:
        pytest.fail(f"OFFERLEDGER_REQUIRE_GO=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def go_tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tlog_check compiled into a session tmp dir (offline, against the Debian sources)."""
    go = shutil.which("go")
    if go is None:
        _unavailable("go is not installed (apt-get install golang-go golang-golang-x-mod-dev)")
    folder = tmp_path_factory.mktemp("tlog_check")
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": GOPATH,
        "GOFLAGS": "",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "GOCACHE": str(folder / "cache"),
    }
    binary = folder / "tlog_check"
    built = subprocess.run(
        [go, "build", "-o", str(binary), str(SOURCE)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if built.returncode != 0:
        _unavailable(f"go build of {SOURCE.name} failed:\n{built.stderr}")
    return binary


def _ask(go_tool: Path, request: dict[str, Any]) -> dict[str, Any]:
    answered = subprocess.run(
        [str(go_tool)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answer: dict[str, Any] = json.loads(answered.stdout)
    return answer


# --- Merkle trees ----------------------------------------------------------------------------


class Log:
    """One random log, what we compute for it, and the questions put to Go."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size = size
        self.data = [rng.randbytes(rng.randrange(0, 48)) for _ in range(size)]
        self.leaves = [leaf_hash(item) for item in self.data]
        every = size in SMALL
        self.indexes = list(range(size)) if every else sorted(rng.sample(range(size), SAMPLE))
        if not every:
            self.indexes = sorted({0, size - 1, *self.indexes})
        olds = range(1, size + 1) if every else rng.sample(range(1, size), SAMPLE)
        self.old_sizes = sorted({*olds, 1, size})
        self.root = merkle_root(self.leaves)
        self.paths = [audit_path(index=i, leaf_hashes=self.leaves) for i in self.indexes]
        self.proofs = [
            consistency_proof(old_size=m, leaf_hashes=self.leaves) for m in self.old_sizes
        ]
        self.old_roots = [merkle_root(self.leaves[:m]) for m in self.old_sizes]
        self.bad_paths = [_mutated(path) for path in self.paths]
        self.bad_proofs = [_mutated(proof) for proof in self.proofs]

    def request(self) -> dict[str, Any]:
        """Go's questions: hashes and proofs of its own, then verdicts on ours (good, bad)."""
        return {
            "leaves": _hexes(self.data),
            "tree_hashes": self.old_sizes,
            "prove_records": [{"size": self.size, "index": i} for i in self.indexes],
            "prove_trees": [{"size": self.size, "old_size": m} for m in self.old_sizes],
            "check_records": [
                {
                    "size": self.size,
                    "index": i,
                    "leaf_hash": self.leaves[i].hex(),
                    "root": self.root.hex(),
                    "proof": _hexes(path),
                }
                for paths in (self.paths, self.bad_paths)
                for i, path in zip(self.indexes, paths, strict=True)
            ],
            "check_trees": [
                {
                    "size": self.size,
                    "old_size": m,
                    "root": self.root.hex(),
                    "old_root": old_root.hex(),
                    "proof": _hexes(proof),
                }
                for proofs in (self.proofs, self.bad_proofs)
                for m, old_root, proof in zip(self.old_sizes, self.old_roots, proofs, strict=True)
            ],
        }


def _hexes(values: Sequence[bytes]) -> list[str]:
    return [value.hex() for value in values]


def _mutated(proof: list[Digest]) -> list[bytes]:
    """``proof`` with its last hash changed (an empty proof gets one hash too many)."""
    if not proof:
        return [bytes(32)]
    last = bytearray(proof[-1])
    last[0] ^= 0x80
    return [*proof[:-1], bytes(last)]


@pytest.fixture(scope="module")
def logs_and_answers(go_tool: Path) -> list[tuple[Log, dict[str, Any]]]:
    rng = random.Random(SEED)
    logs = [Log(size, rng) for size in (*SMALL, *LARGE)]
    answer = _ask(go_tool, {"cases": [log.request() for log in logs]})
    return list(zip(logs, answer["cases"], strict=True))


def _case(logs_and_answers: list[tuple[Log, dict[str, Any]]], size: int) -> tuple[Log, Any]:
    return next((log, answer) for log, answer in logs_and_answers if log.size == size)


SIZES = [*SMALL, *LARGE]


@pytest.mark.parametrize("size", SIZES)
def test_tree_hashes_agree(logs_and_answers: list[tuple[Log, Any]], size: int) -> None:
    log, answer = _case(logs_and_answers, size)
    accumulator = MerkleAccumulator()
    ours = []
    for old_size in log.old_sizes:
        accumulator.extend(log.leaves[accumulator.size : old_size])
        assert accumulator.root() == merkle_root(log.leaves[:old_size])
        ours.append(accumulator.root().hex())
    assert answer["tree_hashes"] == ours


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs_agree(logs_and_answers: list[tuple[Log, Any]], size: int) -> None:
    log, answer = _case(logs_and_answers, size)
    assert answer["record_proofs"] == [[node.hex() for node in path] for path in log.paths]
    for index, go_proof in zip(log.indexes, answer["record_proofs"], strict=True):
        path = [bytes.fromhex(node) for node in go_proof]
        verify_inclusion(
            leaf_hash=log.leaves[index], index=index, size=size, path=path, root=log.root
        )
    for index, bad in zip(log.indexes, log.bad_paths, strict=True):
        with pytest.raises(ProofInvalid):
            verify_inclusion(
                leaf_hash=log.leaves[index], index=index, size=size, path=bad, root=log.root
            )
    verdicts = [verdict["ok"] for verdict in answer["check_records"]]
    assert verdicts == [True] * len(log.indexes) + [False] * len(log.indexes)


@pytest.mark.parametrize("size", SIZES)
def test_consistency_proofs_agree(logs_and_answers: list[tuple[Log, Any]], size: int) -> None:
    log, answer = _case(logs_and_answers, size)
    assert answer["tree_proofs"] == [[node.hex() for node in proof] for proof in log.proofs]
    for old_size, old_root, go_proof in zip(
        log.old_sizes, log.old_roots, answer["tree_proofs"], strict=True
    ):
        verify_consistency(
            old_size=old_size,
            new_size=size,
            old_root=old_root,
            new_root=log.root,
            proof=[bytes.fromhex(node) for node in go_proof],
        )
    for old_size, old_root, bad in zip(log.old_sizes, log.old_roots, log.bad_proofs, strict=True):
        with pytest.raises(ProofInvalid):
            verify_consistency(
                old_size=old_size, new_size=size, old_root=old_root, new_root=log.root, proof=bad
            )
    verdicts = [verdict["ok"] for verdict in answer["check_trees"]]
    assert verdicts == [True] * len(log.old_sizes) + [False] * len(log.old_sizes)


# --- C2SP checkpoints: note.Open, note.Sign ---------------------------------------------------

KEY = SigningKey.from_seed(seed=random.Random(SEED).randbytes(32))
WITNESS = SigningKey.from_seed(seed=random.Random(SEED + 1).randbytes(32))
ROOT = merkle_root([leaf_hash(b"%d" % i) for i in range(1000)])


def _open(go_tool: Path, note: str, vkey: str) -> dict[str, Any]:
    answer = _ask(go_tool, {"notes": [{"note": note, "vkey": vkey}]})
    result: dict[str, Any] = answer["notes"][0]
    return result


def _cosigned(note: str) -> str:
    """``note`` with a second signature, by another key (a witness), appended."""
    text = note[: note.index("\n\n") + 1]
    witness_line = sign_note(text=text, key_name="witness.example", key=WITNESS)
    return note + witness_line[len(text) + 1 :]


CHECKPOINTS = [
    pytest.param({"size": 0, "root": merkle_root([])}, id="empty"),
    pytest.param({"size": 1000, "root": ROOT}, id="size-1000"),
    pytest.param({"size": 2**64 - 1, "root": ROOT}, id="max-size"),
    pytest.param({"size": 7, "root": ROOT, "extensions": ["ext one", "ext: 2"]}, id="extensions"),
]


@pytest.mark.parametrize("fields", CHECKPOINTS)
@pytest.mark.parametrize("cosign", [False, True], ids=["alone", "cosigned"])
def test_go_opens_our_checkpoint(go_tool: Path, fields: dict[str, Any], cosign: bool) -> None:
    note = make_checkpoint_note(origin=ORIGIN, key_name=ORIGIN, key=KEY, **fields)
    if cosign:
        note = _cosigned(note)
    parse_checkpoint_note(text=note, public_key=KEY.public_key)
    opened = _open(go_tool, note, vkey_string(name=ORIGIN, public_key=KEY.public_key))
    assert opened == {"ok": True, "text": note[: note.index("\n\n") + 1], "signers": [ORIGIN]}


def _tampered_size(note: str) -> str:
    origin, size, rest = note.split("\n", 2)
    return f"{origin}\n{int(size) + 1}\n{rest}"


def test_go_and_we_reject_a_tampered_checkpoint(go_tool: Path) -> None:
    note = _tampered_size(
        make_checkpoint_note(origin=ORIGIN, size=1000, root=ROOT, key_name=ORIGIN, key=KEY)
    )
    with pytest.raises(SignatureInvalid, match="does not verify"):
        parse_checkpoint_note(text=note, public_key=KEY.public_key)
    opened = _open(go_tool, note, vkey_string(name=ORIGIN, public_key=KEY.public_key))
    assert not opened["ok"]
    assert "invalid signature" in opened["error"]


def test_go_and_we_reject_another_keys_checkpoint(go_tool: Path) -> None:
    note = make_checkpoint_note(origin=ORIGIN, size=1000, root=ROOT, key_name=ORIGIN, key=WITNESS)
    with pytest.raises(SignatureInvalid, match="no signature by key"):
        parse_checkpoint_note(text=note, public_key=KEY.public_key)
    opened = _open(go_tool, note, vkey_string(name=ORIGIN, public_key=KEY.public_key))
    assert not opened["ok"]
    assert "unknown key" in opened["error"] or "no verifiable signatures" in opened["error"]


def test_go_signs_the_same_note_we_do(go_tool: Path) -> None:
    """A note Go signs with our key is byte-identical to ours (Ed25519 is deterministic)."""
    seed = random.Random(SEED).randbytes(32)
    key_id = note_key_id(name=ORIGIN, public_key=KEY.public_key).hex()
    material = base64.b64encode(b"\x01" + seed).decode()
    skey = f"PRIVATE+KEY+{ORIGIN}+{key_id}+{material}"
    ours = make_checkpoint_note(origin=ORIGIN, size=1000, root=ROOT, key_name=ORIGIN, key=KEY)
    text = ours[: ours.index("\n\n") + 1]
    answer = _ask(go_tool, {"sign": [{"text": text, "skey": skey}]})
    assert answer["sign"] == [{"note": ours}]
    checkpoint = parse_checkpoint_note(text=answer["sign"][0]["note"], public_key=KEY.public_key)
    assert (checkpoint.size, checkpoint.root) == (1000, ROOT)
