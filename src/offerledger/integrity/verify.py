"""Verify a whole ledger: every signature, key, role, chain link and version.

Two stages. Workers *examine* rows on every core (:mod:`.examine`): decode the envelope, check
the body is canonical and matches its row, rebuild the signed bytes and verify the Ed25519
signature with the public key its key id names (a batch signature once per chunk). The main
process then *judges* the examined rows in log order (:mod:`.judge`): per-stream versions and
``prev`` links, and whether the key was registered by the root key earlier in the log,
unrevoked, held by the actor the body names, in a role that may record the action and valid at
the recorded time. Memory stays bounded by streams and keys; rows are streamed in chunks.

Rows are read as stored (``LedgerApplication.raw_rows``), never through eventsourcing's
converters, so garbage in any column is reported, never raised. Reasons (fixed, documented in
docs/verification.md) are :data:`REASONS`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

from offerledger.errors import OfferLedgerError, StorageError
from offerledger.integrity.examine import (
    KEYS_STREAM,
    Examined,
    SaveReader,
    StoredRow,
    examine_chunk,
    hex32,
    init_worker,
    with_saves,
)
from offerledger.integrity.judge import Judge
from offerledger.integrity.logtree import IndexDigest
from offerledger.integrity.merkle import MerkleAccumulator
from offerledger.integrity.problems import REASONS, Problem, VerifyReport
from offerledger.integrity.results import ExaminedChunk, examine_packed, unpack
from offerledger.integrity.saves import SaveChecker
from offerledger.integrity.slices import Slices, examine_slice
from offerledger.recorders import NODE_LEVEL_FROM
from offerledger.signing.envelope import body_of, decode_body
from offerledger.signing.keys import key_id_for

__all__ = [
    "CHUNK",
    "KEYS_STREAM",
    "PARALLEL_THRESHOLD",
    "REASONS",
    "KeyScan",
    "Resume",
    "Problem",
    "StoredRow",
    "VerifyReport",
    "public_keys_of",
    "raw_rows_of",
    "rows_of",
    "scan_keys",
    "verify_rows",
]

CHUNK = 2000
PARALLEL_THRESHOLD = 4000
_SMALLEST_CHUNK = 250


def _chunk_size(chunk: int, rows: int, workers: int) -> int:
    """At most ``chunk`` rows a task, fewer for a log of few chunks: about eight tasks per
    worker, so that no worker is left with one more chunk than the others while they idle, and
    the judging in order can start after a small first chunk rather than a whole one."""
    return max(1, min(chunk, max(_SMALLEST_CHUNK, -(-rows // (8 * workers)))))


@dataclass
class Resume:
    """Where verify --since picks the log up: the first position, its notification id, the
    tree of the positions before it, and a judge that has seen the keys before it and knows
    the earlier head of every stream the rest of the log continues."""

    start: int
    after_id: Any
    tree: MerkleAccumulator
    judge: Judge


@dataclass(frozen=True)
class KeyScan:
    """What the keys stream's rows name, read before verifying (nothing here is trusted).

    ``public_keys`` maps each key id to its key (a key id is the hash of its key, so the map
    cannot lie); ``revoked`` holds the key ids some revocation names (the judge remembers
    events of those keys only); ``root_key_id`` is the first root registration's key id and
    ``roots`` that id followed by each key a ``RootKeyRotated`` names (the judge checks them).
    """

    public_keys: dict[str, bytes]
    revoked: frozenset[str]
    root_key_id: str | None
    roots: tuple[str, ...] = ()


def scan_keys(states: Iterable[Any]) -> KeyScan:
    """Scan the keys stream's stored states in version order; garbage is skipped."""
    found: dict[str, bytes] = {}
    revoked: set[str] = set()
    root: str | None = None
    roots: list[str] = []
    for state in states:
        if not isinstance(state, bytes | bytearray | memoryview):
            continue
        try:
            _, payload, _ = decode_body(body_of(bytes(state)))
        except OfferLedgerError:
            continue
        pub = hex32(payload.get("public_key"))
        if pub is not None:
            kid = key_id_for(public_key=pub)
            found[kid] = pub
            if root is None and payload.get("role") == "root":
                root = kid
                roots.append(kid)
            elif root is not None and payload.get("new_root_key_id") == kid:
                roots.append(kid)
        named = payload.get("revoked_key_id")
        if isinstance(named, str):
            revoked.add(named)
    return KeyScan(found, frozenset(revoked), root, tuple(roots))


def public_keys_of(key_rows: Iterable[Any]) -> dict[str, bytes]:
    """Every public key any row of the keys stream names (trust is judged later)."""
    return scan_keys(getattr(row, "state", None) for row in key_rows).public_keys


def _examined(
    rows: Iterator[StoredRow],
    public_keys: dict[str, bytes],
    *,
    workers: int,
    threshold: int,
    chunk: int,
    counter: list[int],
    read_saves: SaveReader,
) -> Iterator[Examined]:
    first = list(islice(rows, threshold))
    chunks = iter(lambda: with_saves(list(islice(rows, chunk)), read_saves), [])
    if workers <= 1 or len(first) < threshold:
        init_worker(public_keys)
        for part in (with_saves(first, read_saves), *chunks):
            results, signatures = examine_chunk(part)
            counter[0] += signatures
            yield from results
        return
    with ProcessPoolExecutor(workers, initializer=init_worker, initargs=(public_keys,)) as pool:
        pending: deque[Future[ExaminedChunk]] = deque()
        for i in range(0, len(first), chunk):
            part = with_saves(first[i : i + chunk], read_saves)
            pending.append(pool.submit(examine_packed, part))
        for part in chunks:
            pending.append(pool.submit(examine_packed, part))
            while len(pending) > 3 * workers:  # bounded memory: a few chunks in flight
                yield from _received(pending.popleft(), counter)
        while pending:
            yield from _received(pending.popleft(), counter)


def _received(future: Future[ExaminedChunk], counter: list[int]) -> list[Examined]:
    packed = future.result()
    counter[0] += packed.signatures_checked
    return unpack(packed)


def _examined_slices(
    slices: Slices,
    public_keys: dict[str, bytes],
    *,
    workers: int,
    chunk: int,
    counter: list[int],
    start: int = 0,
    after_id: int = -1,
) -> Iterator[Examined]:
    """Workers read and examine their own ranges of the log; only results cross the pipe."""
    with ProcessPoolExecutor(workers, initializer=init_worker, initargs=(public_keys,)) as pool:
        pending: deque[Future[ExaminedChunk]] = deque()
        position = start
        for first_id, last_id, count in slices.ranges(size=chunk, after=after_id):
            pending.append(pool.submit(examine_slice, slices, first_id, last_id, position))
            position += count
            while len(pending) > 3 * workers:
                yield from _received(pending.popleft(), counter)
        while pending:
            yield from _received(pending.popleft(), counter)


def verify_rows(
    rows: Iterable[StoredRow],
    *,
    read_saves: SaveReader,
    trusted_roots: frozenset[str] | None = None,
    workers: int | None = None,
    checkpoint_size: int | None = None,
    public_keys: dict[str, bytes] | None = None,
    revoked_keys: frozenset[str] | None = None,
    parallel_threshold: int = PARALLEL_THRESHOLD,
    chunk: int = CHUNK,
    slices: Slices | None = None,
    row_count: int | None = None,
    resume: Resume | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[VerifyReport, bytes | None]:
    """Verify rows in log order; returns the report and the Merkle root at ``checkpoint_size``.

    ``read_saves`` reads the rows of the saves the events name (``raw_saves`` of the ledger
    application). ``trusted_roots``: the key ids the ledger's root key may have (None: trust
    the ledger's own registration). Without ``public_keys`` the rows are read into memory and
    the keys stream scanned first. From ``parallel_threshold`` rows on, ``workers`` processes
    examine ``chunk`` rows at a time. With ``resume`` the rows start at ``resume.start``
    (verify --since): the tree and the judge come in already holding what the log before it
    established.
    ``progress`` is told how many rows have been examined, every 1,000 rows and at the end.
    """
    if public_keys is None:
        rows = list(rows)
        scan = scan_keys(r.state for r in rows if r.stream in (KEYS_STREAM, KEYS_STREAM.hex))
        public_keys, revoked_keys = scan.public_keys, scan.revoked
    judge = resume.judge if resume else Judge(trusted_roots=trusted_roots, watched=revoked_keys)
    saves = SaveChecker()
    tree = resume.tree if resume else MerkleAccumulator(record_nodes=True)
    index = IndexDigest()
    stream_bytes: dict[str | None, bytes] = {}  # each stream's 16 bytes, for the index digest
    root_at_size: bytes | None = None
    counter = [0]
    report_cites: dict[str, int] = {}
    corrections: list[tuple[int, str | None, int | None, int, str, tuple[tuple[str, str], ...]]]
    corrections = []
    cores = workers or os.cpu_count() or 1
    if slices is not None and cores > 1 and (row_count or 0) >= max(1, parallel_threshold):
        stream = _examined_slices(
            slices,
            public_keys,
            workers=cores,
            chunk=_chunk_size(chunk, row_count or 0, cores),
            counter=counter,
            start=resume.start if resume else 0,
            after_id=resume.after_id if resume else -1,
        )
    else:
        stream = _examined(
            iter(rows),
            public_keys,
            workers=cores,
            threshold=max(1, parallel_threshold),
            chunk=max(1, chunk),
            counter=counter,
            read_saves=read_saves,
        )
    for examined in stream:
        if checkpoint_size is not None and tree.size == checkpoint_size:
            root_at_size = tree.root()
        saves.check(examined, tree)
        tree.append(examined.leaf)
        if tree.completed:
            _fold_index(index, tree.completed, examined, stream_bytes)
        judge.judge(examined)
        for sha in examined.cites:
            report_cites.setdefault(sha, examined.position)
        if examined.correction is not None:
            corrections.append((examined.position, examined.stream, examined.version,
                                *examined.correction))  # fmt: skip
        if progress is not None and tree.size % 1000 == 0:
            progress(tree.size - (resume.start if resume else 0))
    if progress is not None:
        progress(tree.size - (resume.start if resume else 0))
    if checkpoint_size is not None and tree.size == checkpoint_size:
        root_at_size = tree.root()
    judge.finish()
    saves.finish(end=tree.size)
    report = VerifyReport(count=tree.size, root=tree.root(), root_key_id=judge.root_key_id)
    report.examined = tree.size - (resume.start if resume else 0)
    report.cited = report_cites
    report.corrections = corrections
    report.index_digest = None if resume else index.value
    report.signatures_checked = counter[0]
    report.heads = dict(judge.heads)
    report.problems = sorted(
        [*judge.problems, *saves.problems],
        key=lambda p: (p.position if p.position is not None else -1, p.reason),
    )
    return report, root_at_size


def _fold_index(
    index: IndexDigest,
    completed: list[tuple[int, int, bytes]],
    e: Examined,
    stream_bytes: dict[str | None, bytes],
) -> None:
    for level, idx, digest in completed:
        if level == 0:
            stream = stream_bytes.get(e.stream)
            if stream is None:
                # e.stream is str() of a UUID (examine.py: _columns): its hex digits are its bytes
                stream = bytes(16) if e.stream is None else bytes.fromhex(e.stream.replace("-", ""))
                stream_bytes[e.stream] = stream
            index.leaf(idx, stream, e.version if e.version is not None else -1, digest)
        elif level >= NODE_LEVEL_FROM:  # the levels below are computed, not stored
            index.node(level, idx, digest)
    completed.clear()


def rows_of(notifications: Iterable[Any]) -> Iterator[StoredRow]:
    """Adapt eventsourcing notifications to positions (0-based ordinals, never raw ids)."""
    for position, n in enumerate(notifications):
        yield StoredRow(position, n.originator_id, n.originator_version, n.topic, n.state)


def raw_rows_of(raw: Iterable[tuple[Any, ...]], *, start: int = 0) -> Iterator[StoredRow]:
    """Adapt ``raw_rows()`` tuples (id, originator_id, version, topic, state) to positions.

    The values are passed on unconverted (workers judge them); a driver error while reading
    (say, text that is not UTF-8 in a SQLite column) is a StorageError naming the position.
    """
    source = iter(raw)
    position = start
    while True:
        try:
            row = next(source)
        except StopIteration:
            return
        except Exception as e:  # driver errors arrive as many types: wrap them all, once
            raise StorageError(
                f"the database cannot return its stored events from position {position} on "
                f"(the batch being read holds an unreadable value): {e}",
                hint="the database itself is damaged; inspect it with sqlite3 or psql",
            ) from e
        yield StoredRow(position, row[1], row[2], row[3], row[4])
        position += 1
