"""The nightly manifest's signature: the root key signs what a nightly run wrote.

The signed message is ``b"offerledger/nightly-manifest/v1\\n"`` followed by the RFC 8785
canonical JSON of the manifest without its ``signature`` field; the field holds::

    {"algorithm": "ed25519", "key_id": "<root key id>", "prefix": "offerledger/nightly-manifest/v1",
     "value": "<base64 signature>"}

The prefix separates this message from every other one the root key signs (saves, checkpoints,
heads sidecars). :func:`verify_manifest` returns nothing or raises :class:`SignatureInvalid`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from offerledger.errors import SignatureInvalid
from offerledger.signing.canonical import canonical_json
from offerledger.signing.keys import SigningKey, key_id_for, verify_signature

__all__ = ["MANIFEST_PREFIX", "manifest_message", "sign_manifest", "verify_manifest"]

MANIFEST_PREFIX = b"offerledger/nightly-manifest/v1\n"


def manifest_message(manifest: dict[str, Any]) -> bytes:
    """The bytes the root key signs: the prefix and the canonical JSON of the manifest
    without its ``signature`` field."""
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return MANIFEST_PREFIX + canonical_json(body)


def sign_manifest(*, manifest: dict[str, Any], root: SigningKey) -> dict[str, Any]:
    """The ``signature`` field for ``manifest``, made with the root key."""
    value = root.sign(message=manifest_message(manifest))
    return {
        "algorithm": "ed25519",
        "key_id": root.key_id,
        "prefix": MANIFEST_PREFIX.decode().rstrip("\n"),
        "value": base64.b64encode(value).decode(),
    }


def verify_manifest(*, manifest: dict[str, Any], public_key: bytes) -> None:
    """Check that the root key with ``public_key`` signed ``manifest``; raise
    :class:`SignatureInvalid` when it did not, or when the manifest carries no signature."""
    field = manifest.get("signature")
    if not isinstance(field, dict):
        raise SignatureInvalid(
            "the manifest is not signed",
            hint="set OFFERLEDGER_KEY_PASSPHRASE when nightly runs, so it can sign",
        )
    if field.get("key_id") != key_id_for(public_key=public_key):
        raise SignatureInvalid(
            f"the manifest names key {str(field.get('key_id'))[:16]}…, not the root key given"
        )
    try:
        value = base64.b64decode(str(field.get("value")), validate=True)
    except binascii.Error as e:
        raise SignatureInvalid(f"the manifest's signature is not base64: {e}") from e
    verify_signature(public_key=public_key, message=manifest_message(manifest), signature=value)
