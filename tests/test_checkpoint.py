"""C2SP signed notes and tlog checkpoints: known answers, round trip, tampering, garbage."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offerledger.errors import CheckpointError, SignatureInvalid
from offerledger.integrity.checkpoint import (
    Checkpoint,
    make_checkpoint_note,
    note_key_id,
    open_note,
    parse_checkpoint_note,
    parse_vkey,
    sign_note,
    vkey_string,
)
from offerledger.integrity.merkle import leaf_hash, merkle_root
from offerledger.signing.keys import SigningKey, generate_signing_key

# c2sp.org/signed-note, "Example": a verifier key and the note it verifies.
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n"
    "\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKu"
    "wHjG1Yu72IneyaQM=\n"
)
# golang.org/x/mod/sumdb/note documentation: the PeterNeumann signer key, verifier key and note.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n"
)

KEY = SigningKey.from_seed(seed=bytes(range(32)))
ORIGIN = "offerledger/6f1c8f55-0c5b-4c2e-9d0b-1f2a3b4c5d6e"
ROOT = merkle_root([leaf_hash(f"event {i}".encode()) for i in range(1000)])


def _note(**overrides: object) -> str:
    arguments: dict[str, object] = {
        "origin": ORIGIN,
        "size": 1000,
        "root": ROOT,
        "key_name": ORIGIN,
        "key": KEY,
    }
    arguments.update(overrides)
    return make_checkpoint_note(**arguments)  # type: ignore[arg-type]


# --- known answers ---------------------------------------------------------------------------


def test_c2sp_example_key_id_vkey_and_note() -> None:
    name, public_key = parse_vkey(text=C2SP_VKEY)
    assert name == "example.com/foo"
    assert note_key_id(name=name, public_key=public_key) == bytes.fromhex("530d903a")
    assert vkey_string(name=name, public_key=public_key) == C2SP_VKEY
    assert open_note(text=C2SP_NOTE, public_key=public_key, key_name=name) == (
        "This is an example message.\n"
    )


def test_go_sumdb_note_is_reproduced_byte_for_byte() -> None:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    key = SigningKey.from_seed(seed=seed)
    assert vkey_string(name="PeterNeumann", public_key=key.public_key) == GO_VKEY
    assert note_key_id(name="PeterNeumann", public_key=key.public_key).hex() == "c74f20a3"
    assert sign_note(text=GO_TEXT, key_name="PeterNeumann", key=key) == GO_NOTE
    name, public_key = parse_vkey(text=GO_VKEY)
    assert open_note(text=GO_NOTE, public_key=public_key, key_name=name) == GO_TEXT
    with pytest.raises(SignatureInvalid, match="line 4: the signature by PeterNeumann"):
        open_note(text=GO_NOTE.replace("answer", "Answer"), public_key=public_key, key_name=name)


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+c74f20a3+Alpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong type byte
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # short
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "",
    ],
)
def test_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(CheckpointError, match="<verifier key>"):
        parse_vkey(text=vkey)


# --- checkpoints -----------------------------------------------------------------------------


def test_checkpoint_layout_and_round_trip() -> None:
    note = _note(extensions=["offerledger.heads sha256:abc"])
    lines = note.split("\n")
    assert lines[:5] == [ORIGIN, "1000", base64.b64encode(ROOT).decode(), lines[3], ""]
    assert lines[3] == "offerledger.heads sha256:abc"
    assert lines[5].startswith(f"\u2014 {ORIGIN} ")
    blob = base64.b64decode(lines[5].split(" ")[2])
    assert blob[:4] == note_key_id(name=ORIGIN, public_key=KEY.public_key)
    assert len(blob) == 68
    assert note.endswith("\n") and lines[6:] == [""]
    parsed = parse_checkpoint_note(text=note, public_key=KEY.public_key)
    assert parsed == Checkpoint(
        origin=ORIGIN,
        size=1000,
        root=ROOT,
        extensions=("offerledger.heads sha256:abc",),
        key_name=ORIGIN,
    )
    assert parse_checkpoint_note(text=note.encode(), public_key=KEY.public_key) == parsed


def test_empty_tree_and_explicit_key_name() -> None:
    note = _note(size=0, root=merkle_root([]), key_name="root.offerledger.example")
    parsed = parse_checkpoint_note(
        text=note, public_key=KEY.public_key, key_name="root.offerledger.example"
    )
    assert (parsed.size, parsed.root, parsed.key_name) == (0, merkle_root([]), parsed.key_name)
    with pytest.raises(SignatureInvalid, match=f"no signature by key {ORIGIN}"):
        parse_checkpoint_note(text=note, public_key=KEY.public_key)  # key name defaults to origin


def test_other_signatures_are_ignored() -> None:
    witness = generate_signing_key()
    note = _note()
    cosigned = (
        note
        + sign_note(
            text=note.split("\n\n")[0] + "\n", key_name="witness.example", key=witness
        ).split("\n\n")[1]
    )
    assert parse_checkpoint_note(text=cosigned, public_key=KEY.public_key).size == 1000
    # Same name, another key (other key ID): not ours, so ignored, so no signature by us.
    impostor = _note(key=witness)
    with pytest.raises(SignatureInvalid, match=r"no signature by key .* \(key ID [0-9a-f]{8}\)"):
        parse_checkpoint_note(text=impostor, public_key=KEY.public_key)


def test_tampered_size_root_and_signature_are_detected() -> None:
    note = _note()
    source = "head.checkpoint"
    bad_line = f"{source}, line 5: the signature by {ORIGIN} does not verify"
    with pytest.raises(SignatureInvalid, match=bad_line):
        parse_checkpoint_note(
            text=note.replace("\n1000\n", "\n1001\n"), public_key=KEY.public_key, source=source
        )
    other_root = base64.b64encode(merkle_root([leaf_hash(b"x")])).decode()
    with pytest.raises(SignatureInvalid, match=bad_line):
        parse_checkpoint_note(
            text=note.replace(base64.b64encode(ROOT).decode(), other_root),
            public_key=KEY.public_key,
            source=source,
        )
    head, _, signature_line = note.rpartition(f"\u2014 {ORIGIN} ")
    blob = bytearray(base64.b64decode(signature_line))
    blob[10] ^= 0x40
    forged = head + f"\u2014 {ORIGIN} " + base64.b64encode(bytes(blob)).decode() + "\n"
    with pytest.raises(SignatureInvalid, match=bad_line):
        parse_checkpoint_note(text=forged, public_key=KEY.public_key, source=source)
    with pytest.raises(SignatureInvalid, match="no signature by key"):
        parse_checkpoint_note(text=note, public_key=generate_signing_key().public_key)


def _replace_line(note: str, index: int, value: str) -> str:
    lines = note.split("\n")
    lines[index] = value
    return "\n".join(lines)


GOOD = _note()
MALFORMED = [
    (GOOD.replace("\n\n", "\n"), None, "no blank line before the signature lines"),
    (_replace_line(GOOD, 1, "01000"), 2, "tree size '01000' is not a decimal number"),
    (_replace_line(GOOD, 1, "-1"), 2, "tree size '-1'"),
    (_replace_line(GOOD, 1, "1\uff10"), 2, "tree size"),
    (_replace_line(GOOD, 1, str(2**64)), 2, "tree size"),
    (_replace_line(GOOD, 2, "not base64!"), 3, "the root hash is not the base64 of 32 bytes"),
    (_replace_line(GOOD, 2, base64.b64encode(b"x" * 31).decode()), 3, "root hash"),
    (_replace_line(GOOD, 2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="), 3, "root hash"),
    (GOOD.replace("\n", "\r\n"), 1, "character U\\+000D is not allowed"),
    (GOOD.replace("1000", "10\t00"), 2, "character U\\+0009"),
    (GOOD[:-1], None, "does not end with a newline"),
    (GOOD.replace("\u2014 ", "- "), 5, "not a signature line"),
    (GOOD.replace("\u2014 ", "\u2014  "), 5, "not a signature line"),
    (GOOD.rstrip("\n") + "=\n", 5, "not a signature line"),
    (f"{ORIGIN}\n1000\n\n\u2014 x AAAAAAA=\n", 3, "a checkpoint has an origin, a tree size"),
    (GOOD.replace(f"{ORIGIN}\n", f"{ORIGIN}\n\n", 1), 2, "empty line in the checkpoint text"),
    (_replace_line(GOOD, 4, "\u2014 name AAAA"), 5, "signature is too short"),
]


@pytest.mark.parametrize(("text", "line", "message"), MALFORMED)
def test_malformed_checkpoints_name_source_and_line(
    text: str, line: int | None, message: str
) -> None:
    with pytest.raises(CheckpointError, match=message) as caught:
        parse_checkpoint_note(text=text, public_key=KEY.public_key, source="ckpt.txt")
    assert caught.value.path == "ckpt.txt"
    assert caught.value.line == line
    assert str(caught.value).startswith("ckpt.txt" + (f", line {line}: " if line else ": "))


def test_invalid_utf8_is_malformed() -> None:
    with pytest.raises(CheckpointError, match="ckpt, line 2: the note is not valid UTF-8"):
        parse_checkpoint_note(
            text=GOOD.encode().replace(b"1000", b"10\xff0"),
            public_key=KEY.public_key,
            source="ckpt",
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"root": b"x" * 31}, "root hash has 31 bytes"),
        ({"size": -1}, "tree size -1"),
        ({"size": True}, "tree size True"),
        ({"origin": ""}, "origin must be one non-empty line"),
        ({"origin": "a\nb"}, "origin must be one non-empty line"),
        ({"key_name": "has space"}, "key name 'has space'"),
        ({"key_name": "a+b"}, "key name 'a\\+b'"),
        ({"extensions": [""]}, "extension lines"),
        ({"origin": "tab\there"}, "no control characters"),
    ],
)
def test_make_checkpoint_refuses_bad_input(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        _note(**overrides)


# --- garbage never escapes as another exception ----------------------------------------------

_PIECES = st.sampled_from(
    [
        "\n",
        "\n\n",
        "\u2014 ",
        " ",
        ORIGIN,
        "1000",
        "0",
        "01",
        base64.b64encode(ROOT).decode(),
        "AAAA",
        "=",
        "+",
        "\r",
        "\x00",
        "\ud800",
        "é",
        GOOD,
        GOOD.split("\n")[4],
    ]
)
_GARBAGE = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=20).map("".join),
    st.binary(max_size=200),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_GARBAGE)
def test_garbage_raises_only_checkpoint_errors(text: str | bytes) -> None:
    try:
        parse_checkpoint_note(text=text, public_key=KEY.public_key)
    except (CheckpointError, SignatureInvalid):
        pass


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_changed_character_is_detected(data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(GOOD) - 1))
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != GOOD[position]))
    mutated = GOOD[:position] + replacement + GOOD[position + 1 :]
    with pytest.raises((CheckpointError, SignatureInvalid)):
        parse_checkpoint_note(text=mutated, public_key=KEY.public_key)
