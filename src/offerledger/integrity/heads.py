"""The checkpoint's heads sidecar (``<FILE>.heads.json``) and atomic checkpoint files.

The sidecar holds a statement (origin, size, root, root key id and every stream's head: version
and envelope hash); the root key signs ``"offerledger/heads/v2\n" ‖ canonical JSON of it``, and
its size and root must be those of the checkpoint note beside it::

    {"heads_statement": {...}, "signature": "<base64 Ed25519 signature>"}

Reading it never raises anything but :class:`CheckpointError` (a malformed file); a sidecar
that is well formed but not signed by the trusted root, or names another ledger, is a
``checkpoint-mismatch`` problem.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

from offerledger.errors import CheckpointError, InputError, OfferLedgerError, SignatureInvalid
from offerledger.integrity.problems import Problem
from offerledger.signing.canonical import canonical_json
from offerledger.signing.keys import SigningKey, key_id_for, verify_signature

__all__ = ["HEADS_PREFIX", "heads_path", "read_heads", "write_atomically", "write_heads"]

HEADS_PREFIX = b"offerledger/heads/v2\n"
_INDENTED = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def heads_path(path: Path) -> Path:
    return path.with_name(path.name + ".heads.json")


def read_heads(
    path: Path,
    *,
    public_key: bytes,
    origin: str | None,
    problems: list[Problem],
    size: int | None = None,
    root: bytes | None = None,
) -> dict[str, tuple[int, str]]:
    """Every stream's (version, hash) the sidecar vouches for; {} when it vouches for nothing."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CheckpointError(f"cannot read the heads sidecar: {e}", path=path) from e
    try:
        doc = orjson.loads(data)  # refuses bytes that are not UTF-8 (a ValueError, as json's)
        statement = doc["heads_statement"]
        body = canonical_json(statement)
        signature = base64.b64decode(doc["signature"], validate=True)
        heads = {s: _head(s, v) for s, v in statement["heads"].items()}
        stated_origin = statement["origin"]
        stated = (statement["size"], statement["root"])
        stated_key = statement["root_key_id"]
    except (
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        binascii.Error,
        OfferLedgerError,
    ) as e:
        raise CheckpointError(f"malformed heads sidecar: {e}", path=path) from e
    try:
        verify_signature(public_key=public_key, message=HEADS_PREFIX + body, signature=signature)
    except SignatureInvalid:
        problems.append(
            Problem(
                None,
                None,
                None,
                "checkpoint-mismatch",
                f"the heads sidecar {path} is not signed by the trusted root key",
            )
        )
        return {}
    if stated_origin != origin:
        problems.append(
            Problem(
                None,
                None,
                None,
                "checkpoint-mismatch",
                f"the heads sidecar {path} is for {stated_origin}, not this ledger",
            )
        )
        return {}
    note = (size, base64.b64encode(root).decode() if root is not None else None)
    if stated_key != key_id_for(public_key=public_key):
        problems.append(
            Problem(
                None,
                None,
                None,
                "checkpoint-mismatch",
                f"the heads sidecar {path} names root key {str(stated_key)[:16]}…, not the one "
                "that signed it",
            )
        )
        return {}
    if size is not None and stated != note:
        problems.append(
            Problem(
                None,
                None,
                None,
                "checkpoint-mismatch",
                f"the heads sidecar {path} states {stated[0]} events and root {stated[1]}; "
                f"its checkpoint note {note[0]} and {note[1]}",
            )
        )
        return {}
    return heads


def _head(stream: Any, value: Any) -> tuple[int, str]:
    version, digest = value["version"], value["hash"]
    if type(version) is not int or not isinstance(digest, str) or not isinstance(stream, str):
        raise ValueError(f"stream {str(stream)[:40]!r}: a head is an integer version and a hash")
    return version, digest


def write_heads(path: Path, *, statement: dict[str, Any], root: SigningKey) -> None:
    """Sign ``statement`` with the root key and write the sidecar atomically."""
    signature = root.sign(message=HEADS_PREFIX + canonical_json(statement))
    # orjson, not json.dumps(indent=2): the same layout (two-space indent, sorted keys) without
    # the pure-Python encoder's list of small strings (500,000 streams: 17 s of CPU, +135 MB)
    document = {"heads_statement": statement, "signature": base64.b64encode(signature).decode()}
    write_atomically(path, orjson.dumps(document, option=_INDENTED) + b"\n")


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write a temporary file in the same folder, then rename it over ``path`` (text in UTF-8)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise InputError(
            f"cannot write the checkpoint: {e.strerror}", file=path, field="--out"
        ) from e
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # a checkpoint is public: it is handed to verifiers
        os.replace(temporary, path)
    except OSError as e:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(
            f"cannot write the checkpoint: {e.strerror}", file=path, field="--out"
        ) from e
