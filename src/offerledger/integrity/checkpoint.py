"""C2SP signed notes and tlog checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).

A checkpoint is the signed head of the ledger's Merkle log, kept outside the database::

    offerledger/<ledger uuid>          origin
    1000000                            tree size, decimal, no leading zeros
    <base64 RFC 9162 root>             root hash
    [extension lines]                  optional, non-empty
                                       blank line
    — <key name> <base64(key ID ‖ Ed25519 signature of the text above the blank line)>

The key ID of an Ed25519 key is the first four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖
public key); a verifier key ("vkey") is ``<name>+<hex key ID>+<base64(0x01 ‖ public key)>``.
Signatures by other keys (witnesses, a rotated key) are ignored, as the spec requires; every
signature by the expected key must verify, and at least one must be present.

Parsing never raises anything but :class:`CheckpointError` (malformed: names the source and the
line) or :class:`SignatureInvalid` (well-formed, but not signed by the expected key).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from offerledger.errors import CheckpointError, SignatureInvalid
from offerledger.signing.keys import SigningKey, verify_signature

__all__ = [
    "Checkpoint",
    "make_checkpoint_note",
    "note_key_id",
    "open_note",
    "parse_checkpoint_note",
    "parse_vkey",
    "sign_note",
    "vkey_string",
]

ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_NOTE_CHARS = 1 << 20
MAX_SIGNATURES = 100
MAX_TREE_SIZE = 2**64 - 1

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\ud800-\udfff]")
_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A verified checkpoint: the log ``origin`` had ``size`` leaves with tree hash ``root``."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]
    key_name: str


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _strict_b64(text: str) -> bytes | None:
    """Standard base64 with padding, canonical (re-encodes to itself), else None."""
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    return decoded if _b64(decoded) == text else None


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def note_key_id(*, name: str, public_key: bytes) -> bytes:
    """The 4-byte C2SP key ID of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519_TYPE + public_key).digest()[:4]


def vkey_string(*, name: str, public_key: bytes) -> str:
    """The verifier key ``<name>+<hex key ID>+<base64(0x01 ‖ public key)>``."""
    if not _valid_name(name):
        raise CheckpointError(f"key name {name!r} is empty or contains a space or '+'")
    key_id = note_key_id(name=name, public_key=public_key).hex()
    return f"{name}+{key_id}+{_b64(ED25519_TYPE + public_key)}"


def parse_vkey(*, text: str, source: str = "<verifier key>") -> tuple[str, bytes]:
    """The (key name, raw public key) of an Ed25519 verifier key; raise CheckpointError."""
    name, _, rest = text.strip().partition("+")
    key_id_hex, _, material = rest.partition("+")
    key = _strict_b64(material)
    if not _valid_name(name) or key is None or len(key) != 33 or key[:1] != ED25519_TYPE:
        raise CheckpointError("not an Ed25519 verifier key <name>+<key id>+<base64>", path=source)
    if note_key_id(name=name, public_key=key[1:]).hex() != key_id_hex:
        raise CheckpointError("the key ID does not match the key name and key", path=source)
    return name, key[1:]


def sign_note(*, text: str, key_name: str, key: SigningKey) -> str:
    """The signed note of ``text`` (non-empty lines of UTF-8, ending in a newline)."""
    if not _valid_name(key_name):
        raise CheckpointError(f"key name {key_name!r} is empty or contains a space or '+'")
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise CheckpointError("a note text is non-empty lines, each ending in a newline")
    if _CONTROL.search(text):
        raise CheckpointError("a note text holds no control characters other than newline")
    signature = key.sign(message=text.encode("utf-8"))
    blob = note_key_id(name=key_name, public_key=key.public_key) + signature
    return f"{text}\n{SIGNATURE_PREFIX}{key_name} {_b64(blob)}\n"


def _decode(raw: str | bytes, source: str) -> str:
    if isinstance(raw, str):
        note = raw
    else:
        try:
            note = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise CheckpointError("the note is not valid UTF-8", path=source, line=line) from None
    if len(note) > MAX_NOTE_CHARS:
        raise CheckpointError(f"the note is longer than {MAX_NOTE_CHARS} characters", path=source)
    bad = _CONTROL.search(note)
    if bad:
        line = note.count("\n", 0, bad.start()) + 1
        raise CheckpointError(
            f"character U+{ord(bad.group()):04X} is not allowed in a signed note",
            path=source,
            line=line,
            hint="signed notes use \\n line endings and no other control characters",
        )
    return note


def _signatures(block: str, first_line: int, source: str) -> list[tuple[str, bytes, int]]:
    if not block.endswith("\n"):
        raise CheckpointError("the note does not end with a newline", path=source)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"more than {MAX_SIGNATURES} signature lines", path=source)
    parsed = []
    for number, line in enumerate(lines, start=first_line):
        name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        blob = _strict_b64(encoded)
        if not line.startswith(SIGNATURE_PREFIX) or not _valid_name(name) or blob is None:
            raise CheckpointError(
                "not a signature line '— <key name> <base64>'", path=source, line=number
            )
        if len(blob) < 5:
            raise CheckpointError("the signature is too short", path=source, line=number)
        parsed.append((name, blob, number))
    return parsed


def _split(note: str, source: str) -> tuple[str, str, int]:
    cut = note.rfind("\n\n")
    if cut < 0:
        raise CheckpointError("no blank line before the signature lines", path=source)
    text = note[: cut + 1]
    return text, note[cut + 2 :], text.count("\n") + 2


def open_note(
    *, text: str | bytes, public_key: bytes, key_name: str, source: str = "<note>"
) -> str:
    """Verify a signed note by ``key_name``/``public_key``; return its text (signed part)."""
    note = _decode(text, source)
    body, block, first = _split(note, source)
    _verify(body, _signatures(block, first, source), public_key, key_name, source)
    return body


def _verify(
    body: str,
    signatures: list[tuple[str, bytes, int]],
    public_key: bytes,
    key_name: str,
    source: str,
) -> None:
    wanted = note_key_id(name=key_name, public_key=public_key)
    found = False
    for name, blob, number in signatures:
        if name != key_name or blob[:4] != wanted:
            continue  # another key's signature (a witness, a rotated key): ignored
        found = True
        try:
            verify_signature(
                public_key=public_key, message=body.encode("utf-8"), signature=blob[4:]
            )
        except SignatureInvalid:
            raise SignatureInvalid(
                f"{source}, line {number}: the signature by {key_name} does not verify"
            ) from None
    if not found:
        raise SignatureInvalid(f"{source}: no signature by key {key_name} (key ID {wanted.hex()})")


def make_checkpoint_note(
    *,
    origin: str,
    size: int,
    root: bytes,
    key_name: str,
    key: SigningKey,
    extensions: Sequence[str] = (),
) -> str:
    """The signed checkpoint note of a tree of ``size`` leaves with hash ``root``."""
    if not origin or "\n" in origin:
        raise CheckpointError("the origin must be one non-empty line")
    if isinstance(size, bool) or not 0 <= size <= MAX_TREE_SIZE:
        raise CheckpointError(f"tree size {size!r} is not in 0..2**64-1")
    if len(root) != 32:
        raise CheckpointError(f"the root hash has {len(root)} bytes, not 32")
    for extension in extensions:
        if not extension or "\n" in extension:
            raise CheckpointError("extension lines must be single non-empty lines")
    lines = [origin, str(size), _b64(root), *extensions]
    return sign_note(text="".join(f"{line}\n" for line in lines), key_name=key_name, key=key)


def _parse_body(body: str, source: str) -> tuple[str, int, bytes, tuple[str, ...]]:
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(
            "a checkpoint has an origin, a tree size and a root hash line",
            path=source,
            line=len(lines) + 1,
        )
    for number, line in enumerate(lines, start=1):
        if not line:
            raise CheckpointError("empty line in the checkpoint text", path=source, line=number)
    origin, size_text, root_text, *extensions = lines
    if not _SIZE.fullmatch(size_text) or int(size_text) > MAX_TREE_SIZE:
        raise CheckpointError(
            f"tree size {size_text!r} is not a decimal number without leading zeros",
            path=source,
            line=2,
        )
    root = _strict_b64(root_text)
    if root is None or len(root) != 32:
        raise CheckpointError("the root hash is not the base64 of 32 bytes", path=source, line=3)
    return origin, int(size_text), root, tuple(extensions)


def parse_checkpoint_note(
    *,
    text: str | bytes,
    public_key: bytes,
    key_name: str | None = None,
    source: str = "<checkpoint>",
) -> Checkpoint:
    """Parse and verify a checkpoint signed by ``public_key`` under ``key_name`` (or origin)."""
    note = _decode(text, source)
    body, block, first = _split(note, source)
    origin, size, root, extensions = _parse_body(body, source)
    name = origin if key_name is None else key_name
    _verify(body, _signatures(block, first, source), public_key, name, source)
    return Checkpoint(origin=origin, size=size, root=root, extensions=extensions, key_name=name)
