"""Verify a whole ledger: every signature, key, role, chain link and version, and the checkpoint.

Streams the log once in notification order (memory stays bounded by the number of streams and
keys), checks everything cheap inline, and verifies the Ed25519 signatures in parallel on every
core. A batch signature is verified once for all its members; each member's audit path to the
batch root is checked on its own. Every problem is reported (position, stream, version,
reason); it goes on past the first and never crashes on garbage bytes.

Reasons (fixed, documented in docs/verification.md): bad-signature, unknown-key, wrong-role,
revoked-key, recorded-outside-key-validity, body-row-mismatch, non-canonical, chain-break,
version-gap, undecodable, checkpoint-mismatch, stream-truncated.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from offerledger.errors import OfferLedgerError, SignatureInvalid
from offerledger.events import TOPICS, key_valid_at, role_may_record
from offerledger.integrity.merkle import MerkleAccumulator, leaf_hash
from offerledger.signing.canonical import is_canonical
from offerledger.signing.envelope import envelope_hash, parse_envelope, signed_message
from offerledger.signing.keys import key_id_for, verify_signature

REASONS = (
    "bad-signature",
    "unknown-key",
    "wrong-role",
    "revoked-key",
    "recorded-outside-key-validity",
    "body-row-mismatch",
    "non-canonical",
    "chain-break",
    "version-gap",
    "undecodable",
    "checkpoint-mismatch",
    "stream-truncated",
)
PARALLEL_THRESHOLD = 4000
CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Problem:
    position: int | None
    stream: str | None
    version: int | None
    reason: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "stream": self.stream,
            "version": self.version,
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class StoredRow:
    """What verify reads of one row: position, the row's columns and its stored state."""

    position: int
    stream: uuid.UUID
    version: int
    topic: str
    state: bytes


@dataclass
class _Key:
    key_id: str
    public_key: bytes
    holder: str
    role: str
    valid_from: datetime
    valid_until: datetime | None
    revoked: bool = False
    compromised_since: datetime | None = None


@dataclass
class VerifyReport:
    count: int = 0
    root: bytes = b""
    root_key_id: str | None = None
    root_key_source: str = ""
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    signatures_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.count,
            "root": self.root.hex(),
            "root_key_id": self.root_key_id,
            "root_key_source": self.root_key_source,
            "signatures_checked": self.signatures_checked,
            "problems": [p.as_dict() for p in self.problems],
        }


def _verify_many(tasks: list[tuple[bytes, bytes, bytes]]) -> list[bool]:
    out = []
    for public_key, message, signature in tasks:
        try:
            verify_signature(public_key=public_key, message=message, signature=signature)
            out.append(True)
        except (SignatureInvalid, ValueError):
            out.append(False)
    return out


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class _Verifier:
    def __init__(self, *, trusted_root: bytes | None) -> None:
        self.trusted_root = trusted_root
        self.keys: dict[str, _Key] = {}
        self.heads: dict[uuid.UUID, tuple[int, str]] = {}
        self.problems: list[Problem] = []
        # (public key, message, signature) -> positions it vouches for
        self.pending: dict[tuple[bytes, bytes, bytes], list[tuple[int, str, int]]] = {}
        self.root_key_id: str | None = None
        self.recorded_by: dict[str, list[tuple[int, str, int, datetime]]] = {}
        self.compromised: list[_Key] = []
        self.workers = 1
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[tuple[Any, list[list[tuple[int, str, int]]]]] = []
        self.checked = 0

    def flag(self, row: StoredRow, reason: str, detail: str) -> None:
        self.problems.append(Problem(row.position, str(row.stream), row.version, reason, detail))

    def check(self, row: StoredRow) -> None:
        self._chain(row)
        try:
            envelope = parse_envelope(row.state)
            header, payload = envelope.header_and_payload()
        except OfferLedgerError as e:
            self.flag(row, "undecodable", str(e))
            return
        if not is_canonical(envelope.body):
            self.flag(row, "non-canonical", "the body does not re-canonicalize to itself")
        if (
            header.get("stream") != str(row.stream)
            or header.get("version") != row.version
            or header.get("topic") != row.topic
        ):
            self.flag(
                row,
                "body-row-mismatch",
                f"body names stream {header.get('stream')} version {header.get('version')} "
                f"topic {header.get('topic')}; the row is {row.stream} v{row.version} {row.topic}",
            )
        self._prev(row, header)
        if header.get("key_id") != envelope.key_id:
            self.flag(row, "bad-signature", "the envelope's key id differs from the body's")
        recorded = _parse_time(header.get("recorded"))
        if recorded is not None:
            self.recorded_by.setdefault(envelope.key_id, []).append(
                (row.position, str(row.stream), row.version, recorded)
            )
        topic = header.get("topic")
        action = topic.split(".")[1] if isinstance(topic, str) and topic.count(".") >= 2 else ""
        key = self.keys.get(envelope.key_id)
        self_registration = (
            not self.keys
            and action == "KeyRegistered"
            and payload.get("role") == "root"
            and payload.get("registered_key_id") == envelope.key_id
        )
        public_key: bytes | None = key.public_key if key else None
        if self_registration:
            public_key = _hex(payload.get("public_key"))
            if public_key is None or key_id_for(public_key=public_key) != envelope.key_id:
                self.flag(row, "unknown-key", "the root key's registration names another key")
                return
            if self.trusted_root is not None and public_key != self.trusted_root:
                self.flag(row, "unknown-key", "the ledger's root key is not the trusted root key")
                return
            self.root_key_id = envelope.key_id
        elif key is None:
            self.flag(row, "unknown-key", f"key {envelope.key_id[:16]}… is not registered here")
            return
        else:
            if not role_may_record(role=key.role, action=action):
                self.flag(row, "wrong-role", f"role {key.role} may not record {action}")
            if recorded is None:
                self.flag(row, "undecodable", "the recorded time does not parse")
            else:
                why = key_valid_at(
                    recorded=recorded,
                    valid_from=key.valid_from,
                    valid_until=key.valid_until,
                    revoked=key.revoked,
                    compromised_since=key.compromised_since,
                )
                if why:
                    self.flag(row, why, f"key {key.key_id[:16]}… ({key.holder})")
        try:
            message = signed_message(body=envelope.body, batch=envelope.batch)
        except SignatureInvalid as e:
            self.flag(row, "bad-signature", str(e))
            return
        assert public_key is not None
        task = (public_key, message, envelope.signature)
        self.pending.setdefault(task, []).append((row.position, str(row.stream), row.version))
        if topic in ("offerledger.KeyRegistered.v1", "offerledger.KeyRevoked.v1") and (
            row.stream == _KEYS
        ):
            self._keys_event(row, action, payload, recorded)

    def _chain(self, row: StoredRow) -> None:
        last = self.heads.get(row.stream)
        expected = 1 if last is None else last[0] + 1
        if row.version != expected:
            self.flag(row, "version-gap", f"expected version {expected}, found {row.version}")

    def _prev(self, row: StoredRow, header: dict[str, Any]) -> None:
        last = self.heads.get(row.stream)
        want = None if last is None else last[1]
        if header.get("prev") != want and header.get("version") == row.version:
            self.flag(row, "chain-break", "prev does not name the previous event's envelope")
        self.heads[row.stream] = (row.version, envelope_hash(row.state))

    def _keys_event(
        self, row: StoredRow, action: str, payload: dict[str, Any], recorded: datetime | None
    ) -> None:
        if action == "KeyRegistered":
            pub = _hex(payload.get("public_key"))
            vf = _parse_time(payload.get("valid_from"))
            if pub is None or vf is None:
                self.flag(row, "undecodable", "key registration without key or validity")
                return
            kid = key_id_for(public_key=pub)
            self.keys[kid] = _Key(
                kid,
                pub,
                str(payload.get("holder")),
                str(payload.get("role")),
                vf,
                _parse_time(payload.get("valid_until")),
            )
        else:
            key = self.keys.get(str(payload.get("revoked_key_id")))
            if key is not None:
                key.revoked = True
                key.compromised_since = _parse_time(payload.get("compromised_since"))
                if key.compromised_since is not None:
                    self._flag_compromised(key)

    def _flag_compromised(self, key: _Key) -> None:
        """Events recorded by a key after its 'compromised since' time are flagged at the end."""
        self.compromised.append(key)

    def flush(self, *, final: bool = False) -> None:
        """Hand pending signature checks to the worker pool (bounded memory on huge logs)."""
        if not self.pending or (not final and len(self.pending) < PARALLEL_THRESHOLD):
            return
        tasks = list(self.pending)
        owners = [self.pending[t] for t in tasks]
        self.pending = {}
        self.checked += len(tasks)
        if self.workers > 1 and (self.pool is not None or len(tasks) >= PARALLEL_THRESHOLD):
            if self.pool is None:
                self.pool = ProcessPoolExecutor(max_workers=self.workers)
            for i in range(0, len(tasks), CHUNK):
                future = self.pool.submit(_verify_many, tasks[i : i + CHUNK])
                self.futures.append((future, owners[i : i + CHUNK]))
        else:
            self._collect(_verify_many(tasks), owners)

    def _collect(self, results: list[bool], owners: list[list[tuple[int, str, int]]]) -> None:
        for ok, vouched in zip(results, owners, strict=True):
            if not ok:
                for position, stream, version in vouched:
                    self.problems.append(
                        Problem(
                            position,
                            stream,
                            version,
                            "bad-signature",
                            "the signature does not verify over the stored body",
                        )
                    )

    def finish_signatures(self) -> int:
        self.flush(final=True)
        try:
            for future, owners in self.futures:
                self._collect(future.result(), owners)
        finally:
            if self.pool is not None:
                self.pool.shutdown()
        return self.checked


def _hex(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


_KEYS = uuid.uuid5(uuid.UUID("6f1d5a52-5b0e-5b8e-9d0c-0ff3e41ed9e2"), "keys")
assert TOPICS  # events registered before any body is read


def verify_rows(
    rows: Iterable[StoredRow],
    *,
    trusted_root: bytes | None = None,
    workers: int | None = None,
    checkpoint_size: int | None = None,
) -> tuple[VerifyReport, bytes | None]:
    """Verify rows in log order; returns the report and the Merkle root at ``checkpoint_size``."""
    verifier = _Verifier(trusted_root=trusted_root)
    verifier.workers = workers or os.cpu_count() or 1
    tree = MerkleAccumulator()
    root_at_size: bytes | None = None
    count = 0
    for row in rows:
        if checkpoint_size is not None and count == checkpoint_size:
            root_at_size = tree.root()
        tree.append(leaf_hash(row.state))
        count += 1
        verifier.check(row)
        verifier.flush()
    if checkpoint_size is not None and count == checkpoint_size:
        root_at_size = tree.root()
    for key in verifier.compromised:
        assert key.compromised_since is not None
        for position, stream, version, recorded in verifier.recorded_by.get(key.key_id, []):
            if recorded >= key.compromised_since:
                verifier.problems.append(
                    Problem(
                        position,
                        stream,
                        version,
                        "revoked-key",
                        f"recorded after key {key.key_id[:16]}… was compromised",
                    )
                )
    report = VerifyReport(count=count, root=tree.root(), root_key_id=verifier.root_key_id)
    report.signatures_checked = verifier.finish_signatures()
    report.heads = {str(s): h for s, h in verifier.heads.items()}
    report.problems = sorted(
        verifier.problems, key=lambda p: (p.position if p.position is not None else -1, p.reason)
    )
    return report, root_at_size


def rows_of(notifications: Iterable[Any]) -> Iterator[StoredRow]:
    """Adapt eventsourcing notifications to positions (0-based ordinals, never raw ids)."""
    for position, n in enumerate(notifications):
        yield StoredRow(position, n.originator_id, n.originator_version, n.topic, bytes(n.state))
