"""Verify a ledger and write its checkpoint: the integrity operations the CLI calls.

A checkpoint is a C2SP tlog-checkpoint signed note (origin ``offerledger/<ledger uuid>``, tree
size = event count, base64 RFC 9162 root of the envelopes in log order) signed by the root key,
plus a JSON sidecar (``<FILE>.heads.json``) of every stream's head (version, envelope hash),
signed by the same key, so that verify can name the stream whose tail was cut.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from offerledger.errors import CheckpointError, InputError, SignatureInvalid
from offerledger.integrity.checkpoint import make_checkpoint_note, parse_checkpoint_note
from offerledger.integrity.verify import (
    KEYS_STREAM,
    Problem,
    VerifyReport,
    public_keys_of,
    rows_of,
    verify_rows,
)
from offerledger.ledger import Ledger
from offerledger.signing.canonical import canonical_json
from offerledger.signing.keys import SigningKey, key_id_for, verify_signature

UNTRUSTED = b"\xff" * 32


def origin_of(ledger: Ledger) -> str:
    return f"offerledger/{ledger.app.ledger_id()}"


def load_root_key(spec: str, ledger: Ledger) -> bytes:
    """``--root-key FILE|FINGERPRINT``: a file with the hex public key, or the key id (hex)."""
    path = Path(spec)
    if path.exists():
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        try:
            raw = bytes.fromhex(text.split()[0]) if text else b""
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise InputError("is not a hex Ed25519 public key (64 hex digits)", file=path)
        return raw
    spec = spec.lower()
    if len(spec) < 8 or any(c not in "0123456789abcdef" for c in spec):
        raise InputError(
            f"{spec!r} is neither a file nor a key fingerprint",
            field="--root-key",
            hint="pass the root public key file, or its key id (hex SHA-256 of the key)",
        )
    root = ledger.root_key_info()
    if not root.key_id.startswith(spec):
        return UNTRUSTED  # the fingerprint names another key: the ledger's root is not trusted
    return root.public_key


def verify_ledger(
    ledger: Ledger,
    *,
    root_key: str | None = None,
    checkpoint: Path | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Verify every event; with a checkpoint, also what it vouches for."""
    trusted: bytes | None = None
    source = "the ledger's own root key registration (not independent: pass --root-key)"
    note = None
    if root_key is not None:
        trusted = load_root_key(root_key, ledger)
        source = f"--root-key {root_key}"
    if checkpoint is not None:
        text = _read(checkpoint)
        key = trusted if trusted is not None else ledger.root_key_info().public_key
        try:
            note = parse_checkpoint_note(text=text, public_key=key, source=str(checkpoint))
        except SignatureInvalid as e:
            raise CheckpointError(
                f"the checkpoint's signature does not verify with the root key ({e})",
                path=checkpoint,
            ) from e
        if trusted is None:
            trusted = key
            source = f"the root key that signed checkpoint {checkpoint}"
    report, root_at = verify_rows(
        rows_of(ledger.app.notifications()),
        trusted_root=trusted,
        workers=workers,
        checkpoint_size=note.size if note is not None else None,
        public_keys=public_keys_of(ledger.app.recorder.select_events(KEYS_STREAM)),
    )
    report.root_key_source = source
    if note is not None:
        assert checkpoint is not None
        _check_note(ledger, report, note, root_at, checkpoint, trusted)
    return report


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CheckpointError(f"cannot read the checkpoint: {e}", path=path) from e


def _check_note(
    ledger: Ledger,
    report: VerifyReport,
    note: Any,
    root_at: bytes | None,
    path: Path,
    trusted: bytes | None,
) -> None:
    if note.origin != origin_of(ledger):
        report.problems.append(
            Problem(
                None,
                None,
                None,
                "checkpoint-mismatch",
                f"checkpoint is for {note.origin}, not this ledger",
            )
        )
    if note.size > report.count:
        report.problems.append(
            Problem(
                None,
                None,
                None,
                "stream-truncated",
                f"checkpoint vouches for {note.size} events; the ledger holds {report.count}",
            )
        )
    elif root_at != note.root:
        report.problems.append(
            Problem(
                None,
                None,
                None,
                "checkpoint-mismatch",
                f"the first {note.size} events do not hash to the checkpoint's root",
            )
        )
    sidecar = heads_path(path)
    if not sidecar.exists():
        return
    heads = _read_heads(sidecar, trusted or ledger.root_key_info().public_key)
    for stream, (version, digest) in sorted(heads.items()):
        have = report.heads.get(stream)
        if have is None or have[0] < version:
            report.problems.append(
                Problem(
                    None,
                    stream,
                    version,
                    "stream-truncated",
                    f"the checkpoint saw version {version}; the ledger "
                    f"has {have[0] if have else 'no events'}",
                )
            )
        elif have[0] == version and have[1] != digest:
            report.problems.append(
                Problem(
                    None,
                    stream,
                    version,
                    "checkpoint-mismatch",
                    "the stream's head differs from the checkpoint's",
                )
            )


def heads_path(path: Path) -> Path:
    return path.with_name(path.name + ".heads.json")


def _read_heads(path: Path, public_key: bytes) -> dict[str, tuple[int, str]]:
    try:
        doc = json.loads(_read(path))
        body = canonical_json(doc["heads_statement"])
        signature = base64.b64decode(doc["signature"], validate=True)
        statement = doc["heads_statement"]
        heads = {s: (int(v["version"]), str(v["hash"])) for s, v in statement["heads"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise CheckpointError(f"malformed heads sidecar: {e}", path=path) from e
    try:
        verify_signature(public_key=public_key, message=body, signature=signature)
    except SignatureInvalid as e:
        raise CheckpointError("the heads sidecar's signature does not verify", path=path) from e
    return heads


def write_checkpoint(ledger: Ledger, *, out: Path, root: SigningKey) -> dict[str, Any]:
    """Verify, then write the signed note to ``out`` and the signed heads sidecar beside it."""
    if root.key_id != ledger.root_key_info().key_id:
        raise InputError("the key given is not this ledger's root key", field="--key")
    report = verify_ledger(ledger)
    if not report.ok:
        raise CheckpointError(
            f"verify found {len(report.problems)} problem(s); no checkpoint written",
            hint="run 'offerledger verify' and resolve them first",
        )
    origin = origin_of(ledger)
    note = make_checkpoint_note(
        origin=origin, size=report.count, root=report.root, key_name=origin, key=root
    )
    statement = {
        "origin": origin,
        "size": report.count,
        "root": base64.b64encode(report.root).decode(),
        "root_key_id": key_id_for(public_key=root.public_key),
        "heads": {s: {"version": v, "hash": h} for s, (v, h) in sorted(report.heads.items())},
    }
    signature = root.sign(message=canonical_json(statement))
    out.write_text(note, encoding="utf-8")
    heads_path(out).write_text(
        json.dumps(
            {"heads_statement": statement, "signature": base64.b64encode(signature).decode()},
            indent=2,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    return statement
