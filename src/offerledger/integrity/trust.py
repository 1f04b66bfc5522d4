"""Which root key verify trusts, taken from outside the database where there is one.

In order (DESIGN §4):

1. ``--root-key FILE|FINGERPRINT``: a file holding the hex public key, or the full key id
   (64 hex digits: a short prefix could be ground out by an attacker who makes keys until one
   matches). The ledger's root registration must name that key.
2. Without it, the keystore folder (files named ``<key id>.pem``): if it holds a file named
   by the ledger's root key id, that key id is trusted; if it holds key files but none for
   the ledger's root, the ledger's root is untrusted (every event under it fails with
   ``unknown-key``, as with a foreign ``--root-key``).
3. With no key files at all, the ledger's own registration: not independent, and the report
   says so.

After a root rotation, a later root (``--root-key`` or its key file in the keystore) vouches
for the ledger's first root: the new root countersigned the hand-over, bound to the keys
stream's history (:mod:`.judge` checks every rotation; one that does not verify is a problem).
Checkpoints are signed by the root in force when they were made, the last of the chain.

A checkpoint given with ``--checkpoint`` must verify against the key trusted so; when it does,
it is the independent anchor (it was kept outside the database).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from offerledger.errors import InputError, KeyFileError
from offerledger.integrity.checkpoint import note_key_id
from offerledger.integrity.verify import KeyScan
from offerledger.signing.keys import Keystore, key_id_for

__all__ = ["RootTrust", "anchor_of", "checkpoint_key", "load_root_key", "resolve_trust"]

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class RootTrust:
    """The key ids the ledger's root may have (None: its own registration) and why."""

    ids: frozenset[str] | None
    public_key: bytes | None  # from a --root-key file
    source: str


def load_root_key(spec: str) -> tuple[str, bytes | None]:
    """``--root-key FILE|FINGERPRINT``: (key id, public key if a file gave it); InputError."""
    path = Path(spec)
    try:
        is_dir, is_file = path.is_dir(), path.exists()
    except (OSError, ValueError):
        is_dir = is_file = False
    if is_dir:
        raise InputError("is a directory, not a public key file", file=path, field="--root-key")
    if is_file:
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"cannot read the root key: {e}", file=path, field="--root-key") from e
        word = text.split()[0].lower() if text else ""
        if len(word) != 64 or not set(word) <= _HEX:
            raise InputError(
                "is not a hex Ed25519 public key (64 hex digits)", file=path, field="--root-key"
            )
        public_key = bytes.fromhex(word)
        return key_id_for(public_key=public_key), public_key
    fingerprint = spec.strip().lower()
    if len(fingerprint) != 64 or not set(fingerprint) <= _HEX:
        raise InputError(
            f"{spec[:80]!r} is neither a file nor a full key id",
            field="--root-key",
            hint="pass the root public key file, or its whole key id (64 hex digits: the "
            "SHA-256 of the key); a shorter prefix is refused",
        )
    return fingerprint, None


def resolve_trust(*, root_key: str | None, keystore: Path, scan: KeyScan) -> RootTrust:
    """The root key to trust: ``--root-key``, else the keystore, else the ledger's own."""
    if root_key is not None:
        key_id, public_key = load_root_key(root_key)
        if key_id in scan.roots[1:] and scan.root_key_id is not None:
            return RootTrust(
                frozenset({scan.root_key_id}),
                public_key,
                f"--root-key {root_key}, which the ledger's first root {scan.root_key_id} was "
                f"rotated to",
            )
        return RootTrust(frozenset({key_id}), public_key, f"--root-key {root_key}")
    try:
        held = Keystore(keystore).key_ids()
    except OSError as e:
        raise KeyFileError(f"cannot list the keystore: {e.strerror}", path=keystore) from e
    ledger_root = scan.root_key_id
    if held and ledger_root in held:
        return RootTrust(
            frozenset({ledger_root}), None, f"the keystore's root key {ledger_root} ({keystore})"
        )
    later = [kid for kid in scan.roots[1:] if kid in held]
    if later and ledger_root is not None:
        return RootTrust(
            frozenset({ledger_root}),
            None,
            f"the keystore's root key {later[-1]} ({keystore}), which the ledger's first root "
            f"{ledger_root} was rotated to",
        )
    if held:
        return RootTrust(
            frozenset(),
            None,
            f"the keystore ({keystore}), which holds no key file for the ledger's root key "
            f"{ledger_root}: the ledger's root is untrusted",
        )
    return RootTrust(
        None,
        None,
        f"the ledger's own root key registration (not independent: no --root-key and no key "
        f"files in {keystore}; pass --root-key)",
    )


def checkpoint_key(trust: RootTrust, scan: KeyScan, note: str | None = None) -> bytes | None:
    """The public key a checkpoint must be signed with, if the trusted root has one here.

    When the trusted root starts the ledger's chain of roots (rotations), the root of the
    chain whose C2SP key ID signs ``note``, else the last of the chain (the root in force).
    """
    if scan.roots and (trust.ids is None or scan.roots[0] in trust.ids):
        chain = [scan.public_keys[kid] for kid in reversed(scan.roots) if kid in scan.public_keys]
        signers = _note_signers(note) if note is not None else set()
        for public_key in chain:
            if any(note_key_id(name=name, public_key=public_key) == kid for name, kid in signers):
                return public_key
        return chain[0] if chain else None
    if trust.public_key is not None:
        return trust.public_key
    if trust.ids is None:
        return scan.public_keys.get(scan.root_key_id or "")
    for key_id in sorted(trust.ids):
        if key_id in scan.public_keys:
            return scan.public_keys[key_id]
    return None


def anchor_of(scan: KeyScan, public_key: bytes) -> str:
    """The root key id to trust when ``public_key`` signed a trusted checkpoint: the ledger's
    first root if the key is one of its chain of roots, else the key's own id."""
    key_id = key_id_for(public_key=public_key)
    return scan.roots[0] if key_id in scan.roots else key_id


def _note_signers(note: str) -> set[tuple[str, bytes]]:
    """(key name, 4-byte key ID) of each signature line of a signed note; garbage skipped."""
    found = set()
    for line in note.rpartition("\n\n")[2].splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == "\u2014":
            try:
                found.add((parts[1], base64.b64decode(parts[2], validate=True)[:4]))
            except ValueError:
                continue
    return found
