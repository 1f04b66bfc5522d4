"""Verify a whole ledger: every signature, key, role, chain link and version.

Two stages. Workers *examine* rows on every core: decode the envelope, check the body is
canonical and matches its row, rebuild the signed bytes and verify the Ed25519 signature with
the public key its key id names (a batch signature once per chunk). The main process then
*judges* the examined rows in log order: per-stream versions and ``prev`` links, and whether the
key was registered by the root key earlier in the log, unrevoked, in a role that may record the
action and valid at the recorded time. A key registration counts only if it verified itself.
Memory stays bounded by streams and keys; rows are streamed in chunks.

Reasons (fixed, documented in docs/verification.md): bad-signature, unknown-key, wrong-role,
revoked-key, recorded-outside-key-validity, body-row-mismatch, non-canonical, chain-break,
version-gap, undecodable, checkpoint-mismatch, stream-truncated. It reports every problem and
never crashes on garbage bytes.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple

from offerledger.errors import OfferLedgerError
from offerledger.events import KEYS_STREAM_NAME, key_valid_at, role_may_record, stream_id
from offerledger.integrity.merkle import MerkleAccumulator, leaf_hash
from offerledger.signing.canonical import canonical_json
from offerledger.signing.envelope import parse_envelope, signed_message
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
KEYS_STREAM = stream_id(KEYS_STREAM_NAME)
CHUNK = 2000
PARALLEL_THRESHOLD = 4000


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


class StoredRow(NamedTuple):
    """One row as verify reads it: 0-based log position, the row's columns and its state."""

    position: int
    stream: uuid.UUID
    version: int
    topic: str
    state: bytes


class Examined(NamedTuple):
    """What a worker learned of one row (cheap to send back to the main process)."""

    position: int
    stream: str
    version: int
    envelope_hash: str
    leaf: bytes
    key_id: str | None
    action: str
    recorded: datetime | None
    prev: Any
    key_event: dict[str, Any] | None
    problems: tuple[tuple[str, str], ...]
    signature: str  # "ok" | "bad" | "no-key" | "none"


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


# --- stage 1: examine (runs in workers) -------------------------------------------------------

_PUBLIC_KEYS: dict[str, bytes] = {}


def _init_worker(public_keys: dict[str, bytes]) -> None:
    _PUBLIC_KEYS.clear()
    _PUBLIC_KEYS.update(public_keys)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def examine_chunk(rows: list[StoredRow]) -> tuple[list[Examined], int]:
    """Examine rows with the public keys set by :func:`_init_worker`; (results, signatures)."""
    verified: dict[tuple[str, bytes, bytes], bool] = {}
    out = [_examine(row, verified) for row in rows]
    return out, len(verified)


def _examine(row: StoredRow, verified: dict[tuple[str, bytes, bytes], bool]) -> Examined:
    state = row.state
    digest = hashlib.sha256(state).hexdigest()
    leaf = leaf_hash(state)
    stream = str(row.stream)
    problems: list[tuple[str, str]] = []
    try:
        envelope = parse_envelope(state)
        header, payload, decoded = envelope.decoded()
    except OfferLedgerError as e:
        return Examined(row.position, stream, row.version, digest, leaf, None, "", None,
                        _UNREAD, None, (("undecodable", str(e)),), "none")
    try:
        canonical = canonical_json(decoded) == envelope.body
    except OfferLedgerError:
        canonical = False
    if not canonical:
        problems.append(("non-canonical", "the body does not re-canonicalize to itself"))
    topic = header.get("topic")
    if header.get("stream") != stream or header.get("version") != row.version or (
        topic != row.topic
    ):
        problems.append((
            "body-row-mismatch",
            f"body names stream {header.get('stream')} version {header.get('version')} "
            f"topic {topic}; the row is {stream} v{row.version} {row.topic}",
        ))
    if header.get("key_id") != envelope.key_id:
        problems.append(("bad-signature", "the envelope's key id differs from the body's"))
    action = topic.split(".")[1] if isinstance(topic, str) and topic.count(".") >= 2 else ""
    recorded = _time(header.get("recorded"))
    key_event = None
    if action in ("KeyRegistered", "KeyRevoked") and row.stream == KEYS_STREAM:
        key_event = {"action": action, **payload}
    prev = header.get("prev") if header.get("version") == row.version else _UNREAD
    public_key = _PUBLIC_KEYS.get(envelope.key_id)
    if public_key is None:
        return Examined(row.position, stream, row.version, digest, leaf, envelope.key_id, action,
                        recorded, prev, key_event, tuple(problems), "no-key")
    try:
        message = signed_message(body=envelope.body, batch=envelope.batch)
    except OfferLedgerError as e:
        problems.append(("bad-signature", str(e)))
        return Examined(row.position, stream, row.version, digest, leaf, envelope.key_id, action,
                        recorded, prev, key_event, tuple(problems), "bad")
    task = (envelope.key_id, message, envelope.signature)
    ok = verified.get(task)
    if ok is None:
        try:
            verify_signature(public_key=public_key, message=message, signature=envelope.signature)
            ok = True
        except OfferLedgerError:
            ok = False
        verified[task] = ok
    return Examined(row.position, stream, row.version, digest, leaf, envelope.key_id, action,
                    recorded, prev, key_event, tuple(problems), "ok" if ok else "bad")


_UNREAD = "<unread>"


# --- stage 2: judge (main process, log order) ---------------------------------------------------


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


class _Judge:
    def __init__(self, *, trusted_root: bytes | None) -> None:
        self.trusted_root = trusted_root
        self.keys: dict[str, _Key] = {}
        self.heads: dict[str, tuple[int, str]] = {}
        self.problems: list[Problem] = []
        self.root_key_id: str | None = None
        self.recorded_by: dict[str, list[tuple[int, str, int, datetime]]] = {}
        self.compromised: list[_Key] = []

    def flag(self, e: Examined, reason: str, detail: str) -> None:
        self.problems.append(Problem(e.position, e.stream, e.version, reason, detail))

    def judge(self, e: Examined) -> None:
        last = self.heads.get(e.stream)
        expected = 1 if last is None else last[0] + 1
        if e.version != expected:
            self.flag(e, "version-gap", f"expected version {expected}, found {e.version}")
        if e.prev != _UNREAD and e.prev != (last[1] if last else None):
            self.flag(e, "chain-break", "prev does not name the previous event's envelope")
        self.heads[e.stream] = (e.version, e.envelope_hash)
        before = len(self.problems)
        for reason, detail in e.problems:
            self.flag(e, reason, detail)
        if e.key_id is None:
            return
        if e.recorded is not None:
            self.recorded_by.setdefault(e.key_id, []).append(
                (e.position, e.stream, e.version, e.recorded)
            )
        self._key_checks(e)
        if e.signature == "bad":
            self.flag(e, "bad-signature", "the signature does not verify over the stored body")
        if e.key_event is not None and len(self.problems) == before:
            self._apply_key_event(e)

    def _key_checks(self, e: Examined) -> None:
        key = self.keys.get(e.key_id or "")
        ev = e.key_event or {}
        if (
            not self.keys
            and e.action == "KeyRegistered"
            and ev.get("role") == "root"
            and ev.get("registered_key_id") == e.key_id
        ):
            pub = _hex32(ev.get("public_key"))
            if pub is None or key_id_for(public_key=pub) != e.key_id:
                self.flag(e, "unknown-key", "the root key's registration names another key")
            elif self.trusted_root is not None and pub != self.trusted_root:
                self.flag(e, "unknown-key", "the ledger's root key is not the trusted root key")
            else:
                self.root_key_id = e.key_id
            return
        if key is None or e.signature == "no-key":
            self.flag(e, "unknown-key", f"key {(e.key_id or '')[:16]}… is not registered here")
            return
        if not role_may_record(role=key.role, action=e.action):
            self.flag(e, "wrong-role", f"role {key.role} may not record {e.action}")
        if e.recorded is None:
            self.flag(e, "undecodable", "the recorded time does not parse")
            return
        why = key_valid_at(
            recorded=e.recorded,
            valid_from=key.valid_from,
            valid_until=key.valid_until,
            revoked=key.revoked,
            compromised_since=key.compromised_since,
        )
        if why:
            self.flag(e, why, f"key {key.key_id[:16]}… ({key.holder})")

    def _apply_key_event(self, e: Examined) -> None:
        ev = e.key_event or {}
        if ev.get("action") == "KeyRegistered":
            pub, valid_from = _hex32(ev.get("public_key")), _time(ev.get("valid_from"))
            if pub is None or valid_from is None:
                self.flag(e, "undecodable", "key registration without key or validity")
                return
            kid = key_id_for(public_key=pub)
            self.keys[kid] = _Key(kid, pub, str(ev.get("holder")), str(ev.get("role")),
                                  valid_from, _time(ev.get("valid_until")))
            return
        key = self.keys.get(str(ev.get("revoked_key_id")))
        if key is not None:
            key.revoked = True
            key.compromised_since = _time(ev.get("compromised_since"))
            if key.compromised_since is not None:
                self.compromised.append(key)

    def finish(self) -> None:
        """Events a key recorded after its 'compromised since' time are flagged."""
        for key in self.compromised:
            assert key.compromised_since is not None
            for position, stream, version, recorded in self.recorded_by.get(key.key_id, []):
                if recorded >= key.compromised_since:
                    self.problems.append(Problem(
                        position, stream, version, "revoked-key",
                        f"recorded after key {key.key_id[:16]}… was compromised",
                    ))


def _hex32(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


# --- driver -----------------------------------------------------------------------------------


def public_keys_of(key_rows: Iterable[Any]) -> dict[str, bytes]:
    """Every public key any registration in the keys stream names (trust is judged later)."""
    found: dict[str, bytes] = {}
    for row in key_rows:
        try:
            _, payload, _ = parse_envelope(bytes(row.state)).decoded()
        except OfferLedgerError:
            continue
        pub = _hex32(payload.get("public_key"))
        if pub is not None:
            found[key_id_for(public_key=pub)] = pub
    return found


def _examined(
    rows: Iterator[StoredRow], public_keys: dict[str, bytes], workers: int, counter: list[int]
) -> Iterator[Examined]:
    first = list(islice(rows, PARALLEL_THRESHOLD))
    if workers <= 1 or len(first) < PARALLEL_THRESHOLD:
        _init_worker(public_keys)
        for chunk in (first, *iter(lambda: list(islice(rows, CHUNK)), [])):
            results, signatures = examine_chunk(chunk)
            counter[0] += signatures
            yield from results
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(public_keys,)) as pool:
        pending: deque[Future[tuple[list[Examined], int]]] = deque()
        chunks = iter(lambda: list(islice(rows, CHUNK)), [])
        for i in range(0, len(first), CHUNK):
            pending.append(pool.submit(examine_chunk, first[i : i + CHUNK]))
        for chunk in chunks:
            pending.append(pool.submit(examine_chunk, chunk))
            while len(pending) > 3 * workers:  # bounded memory: a few chunks in flight
                results, signatures = pending.popleft().result()
                counter[0] += signatures
                yield from results
        while pending:
            results, signatures = pending.popleft().result()
            counter[0] += signatures
            yield from results


def verify_rows(
    rows: Iterable[StoredRow],
    *,
    trusted_root: bytes | None = None,
    workers: int | None = None,
    checkpoint_size: int | None = None,
    public_keys: dict[str, bytes] | None = None,
) -> tuple[VerifyReport, bytes | None]:
    """Verify rows in log order; returns the report and the Merkle root at ``checkpoint_size``."""
    if public_keys is None:
        rows = list(rows)
        public_keys = public_keys_of(r for r in rows if r.stream == KEYS_STREAM)
    judge = _Judge(trusted_root=trusted_root)
    tree = MerkleAccumulator()
    root_at_size: bytes | None = None
    counter = [0]
    for examined in _examined(iter(rows), public_keys, workers or os.cpu_count() or 1, counter):
        if checkpoint_size is not None and tree.size == checkpoint_size:
            root_at_size = tree.root()
        tree.append(examined.leaf)
        judge.judge(examined)
    if checkpoint_size is not None and tree.size == checkpoint_size:
        root_at_size = tree.root()
    judge.finish()
    report = VerifyReport(count=tree.size, root=tree.root(), root_key_id=judge.root_key_id)
    report.signatures_checked = counter[0]
    report.heads = dict(judge.heads)
    report.problems = sorted(
        judge.problems, key=lambda p: (p.position if p.position is not None else -1, p.reason)
    )
    return report, root_at_size


def rows_of(notifications: Iterable[Any]) -> Iterator[StoredRow]:
    """Adapt eventsourcing notifications to positions (0-based ordinals, never raw ids)."""
    for position, n in enumerate(notifications):
        sid = n.originator_id if isinstance(n.originator_id, uuid.UUID) else uuid.UUID(
            str(n.originator_id)
        )
        yield StoredRow(position, sid, n.originator_version, n.topic, bytes(n.state))
