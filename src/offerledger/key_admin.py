"""What the ``keys`` commands do, as a library: root rotation, public key files, key files.

Run for real, each actor keeps a keystore of their own (``--keys DIR``) and hands the root
holder only a public key file (``keys new``, ``keys export-public``); the root key lives in a
keystore of its own, which nothing else uses (docs/keys.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from offerledger.errors import InputError, OfferLedgerError, RuleViolation
from offerledger.events import KeyRegistered, RootKeyRotated
from offerledger.ledger import Ledger
from offerledger.signing.envelope import envelope_hash
from offerledger.signing.keys import (
    KdfParams,
    KeyId,
    Keystore,
    SigningKey,
    check_public_key,
    key_id_for,
    read_kdf,
    rewrap_key_file,
    rotation_message,
    verify_signature,
)
from offerledger.store import KEYS_STREAM

__all__ = [
    "KEYS_PUBLIC_NOTICE",
    "KeyFileInfo",
    "keys_public",
    "keystore_files",
    "public_key_text",
    "read_public_key_file",
    "rewrap_keystore",
    "rotate_root",
]


KEYS_PUBLIC_NOTICE = (
    "WARNING: this ledger's keys are public (a demo ledger: its root key registration says "
    "so); anyone can sign as any of its actors, so nothing in it is evidence"
)


def keys_public(ledger: Ledger) -> bool:
    """Whether the ledger's root key registration (its first event) says its keys are public.

    Read as stored, whatever else verify finds; a first event that does not decode says no.
    """
    try:
        first = ledger.rows(KEYS_STREAM, limit=1)
        event = first[0].event() if first else None
    except (OfferLedgerError, ValueError, KeyError, TypeError):
        return False
    return isinstance(event, KeyRegistered) and event.keys_public is True


def public_key_text(public_key: bytes) -> str:
    """A public key file's text: the hex raw key, then its key id (what ``--root-key`` and
    ``keys create --public-key`` read: the first word)."""
    return f"{public_key.hex()}  key id {key_id_for(public_key=public_key)}\n"


def read_public_key_file(path: Path) -> bytes:
    """The raw public key of a public key file (its first word, 64 hex digits), checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the public key file: {e}", file=path) from None
    word = text.split()[0].lower() if text.split() else ""
    try:
        public_key = bytes.fromhex(word)
    except ValueError:
        public_key = b""
    if len(public_key) != 32:
        raise InputError(
            "is not a public key file (64 hex digits first)",
            file=path,
            hint="make one with 'offerledger keys export-public KEY --out FILE'",
        )
    check_public_key(public_key=public_key)
    return public_key


def rotate_root(
    ledger: Ledger, *, old: SigningKey, new: SigningKey, holder: str | None = None
) -> RootKeyRotated:
    """Record the rotation from the root in force (``old``) to ``new``; both sign it.

    ``old`` signs the event (the envelope), ``new`` its countersignature over the keys
    stream's head (:func:`~offerledger.signing.keys.rotation_message`). The new key's file is
    the caller's to keep (``Keystore.save``) before or after.
    """
    registry = ledger.registry()
    if registry.root_key_id != old.key_id:
        raise RuleViolation(
            f"key {old.key_id[:16]}… is not the ledger's root in force", rule="root-rotation"
        )
    check_public_key(public_key=new.public_key)
    last = ledger.last_row(KEYS_STREAM)
    assert last is not None  # a ledger's keys stream starts with its root's registration
    prev = envelope_hash(last.state)
    message = rotation_message(prev=prev, old_key_id=old.key_id, new_key_id=new.key_id)
    signature = new.sign(message=message)
    verify_signature(public_key=new.public_key, message=message, signature=signature)
    now = ledger.clock()
    event = RootKeyRotated(
        originator_id=KEYS_STREAM,
        originator_version=registry.version + 1,
        effective={"kind": "instant", "at": now},
        recorded=now,
        actor=registry.keys[old.key_id].holder,
        key_id=old.key_id,
        new_root_key_id=new.key_id,
        public_key=new.public_key.hex(),
        holder=holder or registry.keys[old.key_id].holder,
        valid_from=now,
        new_root_signature=signature.hex(),
    )
    ledger.save([event], signer=old)
    return event


@dataclass(frozen=True)
class KeyFileInfo:
    """One key file of a keystore: its key id and the key derivation it states."""

    key_id: KeyId
    path: Path
    kdf: KdfParams | None  # None: the file does not parse as an encrypted PKCS#8 PEM

    @property
    def weak(self) -> bool:
        return self.kdf is None or not self.kdf.strong()


def keystore_files(keystore: Keystore) -> list[KeyFileInfo]:
    """Every key file in the keystore with its parameters (no passphrase needed)."""
    return [
        KeyFileInfo(kid, keystore.path_for(kid), read_kdf(keystore.path_for(kid)))
        for kid in keystore.key_ids()
    ]


def rewrap_keystore(
    keystore: Keystore,
    *,
    passphrase: bytes,
    key_ids: list[str] | None = None,
    force: bool = False,
    new_passphrase: bytes | None = None,
) -> list[tuple[KeyFileInfo, KdfParams | None]]:
    """Re-encrypt the keystore's weak key files (or ``key_ids``; ``force``: even strong ones)
    with the current parameters; returns each file with its new parameters (None: skipped)."""
    wanted = {keystore.resolve(k) for k in key_ids} if key_ids else None
    done: list[tuple[KeyFileInfo, KdfParams | None]] = []
    for info in keystore_files(keystore):
        if wanted is not None and info.key_id not in wanted:
            continue
        if not (info.weak or force or new_passphrase):
            done.append((info, None))
            continue
        _, after = rewrap_key_file(
            path=info.path, passphrase=passphrase, new_passphrase=new_passphrase
        )
        done.append((info, after))
    return done
