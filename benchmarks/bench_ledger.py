"""Ledger core benchmark: signed appends vs plain eventsourcing, verify vs a raw Ed25519 loop.

One run measures, each figure the median of several repeats (interleaved, so drift on a noisy
machine hits every contender alike):

(a) **plain eventsourcing** — the project's own pydantic event models saved through a stock
    eventsourcing ``Application`` with a small pydantic/orjson mapper (the idea of
    eventsourcing's ``examples/aggregate7``), unsigned, on the same backend with the same
    recorder settings; one event per save and 100 events per save (100 different streams);
(b) **offerledger signed appends** — the same event objects, same batch sizes, through
    ``Ledger.save`` (key-registry authorization, chaining, signing: one signature per
    save-layer, a Merkle batch for 100 streams). This is the headline. Beside it the same
    through ``LedgerApplication.save(..., signer=key)`` with the authorization hook replaced by
    a no-op ("store only"), to show what authorization costs;
(c) a **raw Ed25519 sign loop** (PyNaCl / libsodium, the fastest Ed25519 in Python here) doing
    the same number of signatures as (b): one per event for single saves, one per 100 events
    for batched saves;
(d) **full verify** of N events (100k; 10k with ``--quick``) through ``verify_ledger`` (reads
    the database, checks everything, signatures on every core) against a raw parallel Ed25519
    verify loop (PyNaCl, a process pool over every core, the very same (key, message,
    signature) triples). The headline ledger carries one signature per event; a second ledger
    of the same size saved 100 events per signature is verified too and compared both with a
    raw loop over its signatures and, per event, with the headline raw loop.

``--postgres URL`` repeats (a), (b) and (d) on PostgreSQL, each repeat in a fresh schema that is
dropped afterwards. ``--profile`` adds a cProfile of one verify (run serially) after the
figures. The last line printed is one JSON object. Targets (reported, not asserted): signed
batched append >= 0.5x plain; verify >= 0.8x the raw parallel loop.

``--storage`` measures only bytes on disk per event (all ledger tables with their indexes:
the SQLite file after VACUUM, or PostgreSQL's ``pg_total_relation_size`` summed over the
schema after VACUUM FULL) against the mean canonical body, for 50k events in saves
of 100 and 10k in saves of 1 (one commit each: slow to build; 5k of each with ``--quick``).
Target: at most 2x the body.

    .venv/bin/python benchmarks/bench_ledger.py [--quick] [--postgres URL] [--profile]
    .venv/bin/python benchmarks/bench_ledger.py --storage [--quick] [--postgres URL]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

import nacl.bindings
import nacl.exceptions
import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.utils import Environment, resolve_topic

from offerledger.events import ElectionChanged, ElectionSubmitted, Instant, LedgerEvent, stream_id
from offerledger.integrity.service import verify_ledger
from offerledger.ledger import Ledger
from offerledger.signing.envelope import (
    SAVE_PREFIX,
    body_of,
    parse_state,
    save_leaf,
    save_message,
)
from offerledger.signing.keys import SigningKey
from offerledger.store import resolve_backend

PASSPHRASE = b"bench-ledger passphrase"
T0 = datetime(2001, 9, 1, 9, 0, tzinfo=UTC)
OFFER_ID = stream_id("offer:bench:0")
SAVE_SIZE = 100
SIGNED_TARGET = 0.5
VERIFY_TARGET = 0.8
STORAGE_TARGET = 2.0


def _seed(name: str) -> bytes:
    import hashlib

    return hashlib.sha256(f"bench_ledger key: {name}".encode()).digest()


def _key(name: str) -> SigningKey:
    return SigningKey.from_seed(seed=_seed(name))


ROOT = _key("root")
CLERK = _key("clerk")


# --- (a) plain eventsourcing: a pydantic mapper over model_dump / orjson -----------------------


class OrjsonTranscoder(Transcoder):
    def register(self, transcoding: Any) -> None:  # pragma: no cover - no transcodings
        pass

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


class PydanticMapper(Mapper[uuid.UUID]):
    """Stores ``model_dump(mode="json")`` (less the stream id and version) as orjson bytes."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = domain_event.model_dump(
            mode="json", exclude={"originator_id", "originator_version"}
        )
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=domain_event.TOPIC,
            state=self.transcoder.encode(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = resolve_topic(stored_event.topic)
        state: dict[str, Any] = self.transcoder.decode(stored_event.state)
        class_version = getattr(cls, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        return cls.model_validate(state)


class PlainApplication(Application[uuid.UUID]):
    """Stock eventsourcing Application; same recorder settings as the ledger's."""

    name = "plain"

    def construct_env(self, name: str, env: Any = None) -> Environment:
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        return PydanticMapper(transcoder=OrjsonTranscoder())


# --- the workload ------------------------------------------------------------------------------


def make_saves(n_events: int, *, tag: str, per_stream: int = 5) -> list[list[LedgerEvent]]:
    """``n_events`` election events grouped in saves of 100 distinct employee streams.

    Streams are reused round-robin (``per_stream`` events each), so most events chain to a
    predecessor. The flat concatenation, saved one event at a time, is the single-save workload.
    """
    assert n_events % SAVE_SIZE == 0
    pool = max(SAVE_SIZE, (n_events // per_stream) // SAVE_SIZE * SAVE_SIZE)
    streams = [stream_id(f"employee:bench:{tag}:{i:06d}") for i in range(pool)]
    versions = [0] * pool
    saves: list[list[LedgerEvent]] = []
    i = 0
    for s in range(n_events // SAVE_SIZE):
        block = (s * SAVE_SIZE) % pool
        save: list[LedgerEvent] = []
        for j in range(block, block + SAVE_SIZE):
            versions[j] += 1
            at = T0 + timedelta(seconds=i)
            cls = ElectionSubmitted if versions[j] == 1 else ElectionChanged
            save.append(
                cls(
                    originator_id=streams[j],
                    originator_version=versions[j],
                    effective={"kind": "instant", "at": at},
                    recorded=at,
                    actor="bench clerk",
                    key_id=CLERK.key_id,
                    offer_id=OFFER_ID,
                    employee_id=f"E{j:06d}",
                    form_id=f"F-{tag}-{i:07d}",
                    received_at=at,
                    channel="email" if i % 3 else "paper",
                    acted_by=f"employee E{j:06d}",
                    choices=[
                        {"grant_id": f"G{j:06d}-1", "choice": "exchange"},
                        {"grant_id": f"G{j:06d}-2", "choice": "keep" if i % 2 else "exchange"},
                    ],
                    synthetic=True,
                )
            )
            i += 1
        saves.append(save)
    return saves


def single_saves(saves: list[list[LedgerEvent]]) -> list[list[LedgerEvent]]:
    return [[e] for save in saves for e in save]


def one_stream_saves(n_events: int, *, tag: str) -> list[list[LedgerEvent]]:
    """Saves of 100 events of ONE stream: 100 layers, so one signature per event."""
    saves = make_saves(n_events, tag=tag, per_stream=SAVE_SIZE)
    flat = [e for s in saves for e in s]
    flat.sort(key=lambda e: (str(e.originator_id), e.originator_version))
    flat = [  # times again in save order: recorded time never goes back in log order
        e.model_copy(
            update={
                "effective": Instant(at=T0 + timedelta(seconds=k)),
                "recorded": T0 + timedelta(seconds=k),
                "received_at": T0 + timedelta(seconds=k),
            }
        )
        for k, e in enumerate(flat)
    ]
    out: list[list[LedgerEvent]] = []
    current: list[LedgerEvent] = []
    for e in flat:
        if current and (current[-1].originator_id != e.originator_id or len(current) == SAVE_SIZE):
            out.append(current)
            current = []
        current.append(e)
    if current:
        out.append(current)
    return out


# --- databases ---------------------------------------------------------------------------------


class Target:
    """Where each repeat's fresh database lives: a SQLite file or a PostgreSQL schema."""

    def __init__(self, workdir: str, postgres: str | None = None) -> None:
        self.workdir = workdir
        self.postgres = postgres
        self.kind = "postgres" if postgres else "sqlite"
        self.n = 0

    @contextlib.contextmanager
    def fresh(self) -> Iterator[str]:
        self.n += 1
        if self.postgres is None:
            path = os.path.join(self.workdir, f"bench-{self.n}.db")
            try:
                yield path
            finally:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path + suffix)
            return
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:12]}"
        base = _pg_base(self.postgres)
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield _with_query(self.postgres, schema=schema)
        finally:
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _pg_base(url: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(query=""))


def _with_query(url: str, **extra: str) -> str:
    parts = urlparse(url)
    query = dict(parse_qsl(parts.query))
    query.update(extra)
    return urlunparse(parts._replace(query=urlencode(query)))


class FixedClock:
    def __call__(self) -> datetime:
        return T0 - timedelta(days=1)


def new_ledger(db: str) -> Ledger:
    ledger, root = Ledger.init(db, passphrase=PASSPHRASE, clock=FixedClock(), root_key=ROOT)
    ledger.register_key(
        root=root,
        holder="bench clerk",
        role="clerk",
        key=CLERK,
        valid_from=T0 - timedelta(days=1),
    )
    return ledger


# --- timing helpers ----------------------------------------------------------------------------


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run_plain(target: Target, saves: list[list[LedgerEvent]]) -> float:
    with target.fresh() as db:
        app = PlainApplication(env=resolve_backend(db).env)
        try:

            def go() -> None:
                for save in saves:
                    app.save(*save)

            return timed(go)
        finally:
            app.close()


def run_signed(target: Target, saves: list[list[LedgerEvent]], *, authorize: bool) -> float:
    with target.fresh() as db:
        ledger = new_ledger(db)
        try:
            if authorize:

                def go() -> None:
                    for save in saves:
                        ledger.save(save, signer=CLERK)

            else:
                app = ledger.app
                app.store.authorize = lambda events, signer: None

                def go() -> None:
                    for save in saves:
                        app.save(*save, signer=CLERK)

            return timed(go)
        finally:
            ledger.close()


def raw_sign(messages: list[bytes], secret: bytes) -> float:
    sign = nacl.bindings.crypto_sign

    def go() -> None:
        for m in messages:
            sign(m, secret)

    return timed(go)


def _raw_verify_chunk(tasks: list[tuple[bytes, bytes, bytes]]) -> int:
    open_ = nacl.bindings.crypto_sign_open
    bad = nacl.exceptions.BadSignatureError
    ok = 0
    for public_key, message, signature in tasks:
        try:
            open_(signature + message, public_key)
            ok += 1
        except bad:
            pass
    return ok


def raw_verify_parallel(tasks: list[tuple[bytes, bytes, bytes]], workers: int) -> tuple[float, int]:
    """Pool start-up included (verify starts its own pool too)."""
    t = time.perf_counter()
    chunk = max(1, -(-len(tasks) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        ok = sum(
            pool.map(_raw_verify_chunk, [tasks[i : i + chunk] for i in range(0, len(tasks), chunk)])
        )
    return time.perf_counter() - t, ok


# --- the measurements --------------------------------------------------------------------------


def append_figures(
    target: Target, *, n_single: int, n_batch: int, repeats: int, log: Callable[[str], None]
) -> dict[str, Any]:
    batch_saves = make_saves(n_batch, tag="batch")
    singles = single_saves(make_saves(n_single, tag="single"))
    times: dict[str, list[float]] = {
        k: []
        for k in (
            "plain_single",
            "signed_single",
            "store_single",
            "plain_batch",
            "signed_batch",
            "store_batch",
        )
    }
    # warm-up (imports, first-table creation paths), not counted
    run_plain(target, singles[:50])
    run_signed(target, singles[:50], authorize=True)
    for r in range(repeats):
        times["plain_single"].append(run_plain(target, singles))
        times["signed_single"].append(run_signed(target, singles, authorize=True))
        times["store_single"].append(run_signed(target, singles, authorize=False))
        times["plain_batch"].append(run_plain(target, batch_saves))
        times["signed_batch"].append(run_signed(target, batch_saves, authorize=True))
        times["store_batch"].append(run_signed(target, batch_saves, authorize=False))
        log(f"  [{target.kind}] append repeat {r + 1}/{repeats} done")
    eps = {k: (n_single if k.endswith("single") else n_batch) / median(v) for k, v in times.items()}
    per_repeat = [p / q for p, q in zip(times["plain_batch"], times["signed_batch"], strict=True)]
    return {
        "n_single": n_single,
        "n_batch": n_batch,
        "plain_append_eps_single": eps["plain_single"],
        "plain_append_eps_batch100": eps["plain_batch"],
        "signed_append_eps_single": eps["signed_single"],
        "signed_append_eps_batch100": eps["signed_batch"],
        "signed_store_append_eps_single": eps["store_single"],
        "signed_store_append_eps_batch100": eps["store_batch"],
        "signed_vs_plain_append_ratio": eps["signed_batch"] / eps["plain_batch"],
        "signed_vs_plain_append_ratio_range": [min(per_repeat), max(per_repeat)],
        "signed_vs_plain_append_ratio_single": eps["signed_single"] / eps["plain_single"],
        "signed_store_vs_plain_append_ratio": eps["store_batch"] / eps["plain_batch"],
        "signed_store_vs_plain_append_ratio_single": eps["store_single"] / eps["plain_single"],
        "signed_append_target_met": eps["signed_batch"] / eps["plain_batch"] >= SIGNED_TARGET,
    }


def sign_figures(*, n_single: int, n_batch: int, repeats: int) -> dict[str, Any]:
    """(c): as many signatures as (b) makes, over messages like (b)'s."""
    secret = _seed("clerk") + CLERK.public_key  # libsodium's 64-byte secret: seed || public key
    # format v2: a save of one event or of 100 signs SAVE_PREFIX ‖ u64 log size ‖ log root ‖
    # u64 save size ‖ save root (80 bytes after the prefix)
    bodies = [SAVE_PREFIX + os.urandom(80) for _ in range(n_single)]
    roots = [SAVE_PREFIX + os.urandom(80) for _ in range(n_batch // SAVE_SIZE)]
    single = median([raw_sign(bodies, secret) for _ in range(repeats)])
    batch = median([raw_sign(roots, secret) for _ in range(repeats)])
    return {
        "raw_sign_signatures": len(bodies),
        "raw_sign_signatures_batch100": len(roots),
        "raw_sign_sps_single": len(bodies) / single,
        "raw_sign_us_per_signature": single / len(bodies) * 1e6,
        "raw_sign_eps_single": n_single / single,
        "raw_sign_eps_batch100": n_batch / batch,
    }


def _tasks_of(db: str) -> tuple[list[tuple[bytes, bytes, bytes]], int]:
    """The distinct (public key, signed message, signature) triples stored in a ledger."""
    ledger = Ledger.open(db)
    try:
        keys = {k.key_id: k.public_key for k in ledger.registry().keys.values()}
        firsts: dict[int, tuple[str, bytes]] = {}  # save -> (key id, leaf) of its first event
        count = 0
        for n in ledger.app.notifications():
            own = parse_state(bytes(n.state))
            if own.save not in firsts:
                key_id = orjson.loads(own.body)["header"]["key_id"]
                firsts[own.save] = (key_id, save_leaf(salt=own.salt, body=own.body))
            count += 1
        seen: dict[tuple[bytes, bytes, bytes], None] = {}
        found = ledger.app.saves(firsts)
        for number, (key_id, leaf) in firsts.items():
            save = found[number]
            msg = save_message(
                log_size=save.log_size,
                log_root=save.log_root,
                size=save.size,
                save_root=save.root(leaf),
            )
            seen[(keys[key_id], msg, save.signature)] = None
        return list(seen), count
    finally:
        ledger.close()


def verify_serial_seconds(db: str) -> float:
    """Diagnostic: one whole ``verify_ledger`` in ONE process (workers=1), fresh connection.

    All of verify's work done serially; less the raw signature time it leaves what verify
    spends per event besides Ed25519 (reading, decoding, checks, hashing), whichever process
    does it in the parallel run.
    """
    ledger = Ledger.open(db)
    try:
        return timed(lambda: verify_ledger(ledger, workers=1))
    finally:
        ledger.close()


def verify_figures(
    target: Target,
    *,
    n_events: int,
    repeats: int,
    workers: int,
    log: Callable[[str], None],
    profile: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, saves in (
        ("", one_stream_saves(n_events, tag="verify")),
        ("_batched", make_saves(n_events, tag="verify")),
    ):
        out.update(
            _verify_one(
                target,
                label=label,
                saves=saves,
                repeats=repeats,
                workers=workers,
                log=log,
                profile=profile,
            )
        )
    out["verify_target_met"] = out["verify_vs_raw_ratio"] >= VERIFY_TARGET
    # per event: the batched ledger's verify against a raw loop at one signature per event
    out["verify_batched_vs_raw_per_event_ratio"] = out["verify_batched_eps"] / out["raw_verify_sps"]
    return out


def _verify_one(
    target: Target,
    *,
    label: str,
    saves: list[list[LedgerEvent]],
    repeats: int,
    workers: int,
    log: Callable[[str], None],
    profile: bool,
    diagnostics: bool = True,
) -> dict[str, Any]:
    """One ledger's verify against the raw parallel loop; ``diagnostics``: also the serial
    verify and the one-process raw loop (one-signature-per-event ledger only)."""
    out: dict[str, Any] = {}
    with target.fresh() as db:
        ledger = new_ledger(db)
        t = time.perf_counter()
        for save in saves:
            ledger.save(save, signer=CLERK)
        t_build = time.perf_counter() - t
        ledger.close()
        tasks, stored = _tasks_of(db)
        log(
            f"  [{target.kind}] verify ledger{label or ' (one signature per event)'}: "
            f"{stored} events, {len(tasks)} signatures, built in {t_build:.1f}s"
        )
        v_times: list[float] = []
        r_times: list[float] = []
        read_times: list[float] = []
        checked: list[int] = []
        for _ in range(repeats):
            ledger = Ledger.open(db)  # a fresh connection, as `offerledger verify` has
            try:
                t = time.perf_counter()
                report = verify_ledger(ledger, workers=workers)
                v_times.append(time.perf_counter() - t)
            finally:
                ledger.close()
            ledger = Ledger.open(db)
            try:
                t = time.perf_counter()  # the stock eventsourcing read, fresh connection
                for _n in ledger.app.notifications():
                    pass
                read_times.append(time.perf_counter() - t)
            finally:
                ledger.close()
            if not report.ok or report.count != stored or report.signatures_checked < len(tasks):
                raise SystemExit(
                    f"verify did not come out clean: {report.problems[:3]} ({report.count} "
                    f"events, {report.signatures_checked} signatures checked, {len(tasks)} "
                    "distinct signatures stored)"
                )
            checked.append(report.signatures_checked)
            dt, ok = raw_verify_parallel(tasks, workers)
            if ok != len(tasks):
                raise SystemExit("the raw loop rejected a stored signature")
            r_times.append(dt)
        v, r = median(v_times), median(r_times)
        out[f"verify{label}_events"] = stored
        out[f"verify{label}_signatures"] = len(tasks)
        out[f"verify{label}_signatures_checked"] = max(checked)
        out[f"verify{label}_eps"] = stored / v
        out[f"verify{label}_seconds"] = v
        out[f"read{label}_eps"] = stored / median(read_times)
        out[f"raw_verify{label}_sps"] = len(tasks) / r
        out[f"raw_verify{label}_seconds"] = r
        out[f"verify{label}_vs_raw_ratio"] = r / v
        ratios = [rt / vt for rt, vt in zip(r_times, v_times, strict=True)]
        out[f"verify{label}_vs_raw_ratio_range"] = [min(ratios), max(ratios)]
        if not label and diagnostics:
            sample = tasks[: min(len(tasks), 5000)]
            serial = median([timed(lambda: _raw_verify_chunk(sample)) for _ in range(3)])
            sig_us = serial / len(sample) * 1e6
            serial_us = verify_serial_seconds(db) / stored * 1e6
            other_us = max(0.0, serial_us - sig_us * len(tasks) / stored)
            out["raw_verify_serial_us"] = sig_us
            out["verify_serial_us_per_event"] = serial_us
            out["verify_other_us_per_event"] = other_us
            # A bound, not a measurement: verify's whole CPU (reading, other checks and the
            # signatures) spread perfectly over every core, against the raw loop's.
            out["verify_vs_raw_ceiling"] = sig_us / (sig_us + other_us)
            if profile and target.kind == "sqlite":
                out["profile"] = profile_verify(db)
    return out


def _disk_bytes(db: str, kind: str) -> int:
    """Bytes on disk of the whole ledger: the SQLite file after VACUUM, or the sum of
    pg_total_relation_size (table, TOAST and indexes) of every table in the schema."""
    if kind == "sqlite":
        import sqlite3

        path = resolve_backend(db).sqlite_path
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("VACUUM")
        return os.path.getsize(path)
    import psycopg

    schema = dict(parse_qsl(urlparse(db).query))["schema"]
    with psycopg.connect(_pg_base(db), autocommit=True) as conn:
        conn.execute(f'VACUUM (FULL, ANALYZE) "{schema}".offerledger_events')
        row = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
            (schema,),
        ).fetchone()
        assert row is not None
        return int(row[0])


def storage_figures(
    target: Target, *, n_events: int, n_single: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """Bytes on disk per event against the mean canonical body, saves of 100 and of 1."""
    out: dict[str, Any] = {}
    for label, saves in (
        ("batch100", make_saves(n_events, tag="storage")),
        ("single", single_saves(make_saves(n_single, tag="storage"))),
    ):
        with target.fresh() as db:
            ledger = new_ledger(db)
            app = ledger.app
            app.store.authorize = lambda events, signer: None  # storage, not authorization
            t = time.perf_counter()
            for save in saves:
                app.save(*save, signer=CLERK)
            built = time.perf_counter() - t
            count = app.count()
            body = sum(len(body_of(bytes(n.state))) for n in app.notifications())
            ledger.close()
            size = _disk_bytes(db, target.kind)
        per_event, mean_body = size / count, body / count
        out[label] = {
            "events": count,
            "bytes_on_disk": size,
            "bytes_per_event": per_event,
            "mean_body_bytes": mean_body,
            "ratio_to_body": per_event / mean_body,
            "target_met": per_event / mean_body <= STORAGE_TARGET,
            "append_eps": count / built,
        }
        log(
            f"  [{target.kind}] {label}: {count} events, {per_event:,.0f} bytes per event, "
            f"mean body {mean_body:,.0f} bytes: {per_event / mean_body:.2f}x"
        )
    return out


def print_storage(f: dict[str, Any], title: str) -> None:
    print(f"\n{title}: bytes on disk per event (all ledger tables and indexes)")
    for label, what in (("batch100", "saves of 100"), ("single", "saves of 1")):
        g = f[label]
        print(
            f"  {what:13} {g['events']} events: {g['bytes_per_event']:8,.0f} bytes per event, "
            f"mean canonical body {g['mean_body_bytes']:,.0f} bytes = "
            f"{g['ratio_to_body']:.2f}x (target <= {STORAGE_TARGET}x: "
            f"{'met' if g['target_met'] else 'NOT met'})"
        )


def profile_verify(db: str) -> str:
    """cProfile of one verify run serially, so the work normally done in workers shows too."""
    ledger = Ledger.open(db)
    prof = cProfile.Profile()
    try:
        t = time.perf_counter()
        prof.enable()
        verify_ledger(ledger, workers=1)
        prof.disable()
        wall = time.perf_counter() - t
    finally:
        ledger.close()
    buf = io.StringIO()
    buf.write(
        f"verify_ledger(workers=1) under cProfile: {wall:.2f}s "
        "(all of verify's work in one process, so every stage shows)\n"
    )
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(22)
    stats.sort_stats("cumulative").print_stats(18)
    return buf.getvalue()


# --- main --------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _fmt(eps: float) -> str:
    return f"{eps:>10,.0f}/s"


def print_append(f: dict[str, Any], title: str) -> None:
    print(
        f"\n{title}: appends ({f['n_single']} events one per save; {f['n_batch']} in saves of 100)"
    )
    print(f"  {'':44}{'1 per save':>14}{'100 per save':>14}")
    for label, key in (
        ("plain eventsourcing (unsigned)", "plain_append_eps"),
        ("offerledger Ledger.save (authorized, signed)", "signed_append_eps"),
        ("offerledger store only (no authorization)", "signed_store_append_eps"),
    ):
        print(f"  {label:44}{_fmt(f[key + '_single'])}{_fmt(f[key + '_batch100'])}")
    print(
        f"  signed/plain per event: {f['signed_vs_plain_append_ratio_single']:.2f}x single, "
        f"{f['signed_vs_plain_append_ratio']:.2f}x batch 100 (target >= {SIGNED_TARGET}x: "
        f"{'met' if f['signed_append_target_met'] else 'NOT met'}); store only "
        f"{f['signed_store_vs_plain_append_ratio_single']:.2f}x / "
        f"{f['signed_store_vs_plain_append_ratio']:.2f}x"
    )


def print_verify(f: dict[str, Any], title: str, workers: int) -> None:
    n = f["verify_events"]
    print(f"\n{title}: full verify of {n} events, {workers} worker processes")
    print(
        f"  one signature per event:  verify_ledger {_fmt(f['verify_eps'])} events "
        f"({f['verify_seconds']:.2f}s) | raw parallel PyNaCl loop over the same "
        f"{f['verify_signatures']} signatures {_fmt(f['raw_verify_sps'])} "
        f"({f['raw_verify_seconds']:.2f}s)"
    )
    print(
        f"    ratio {f['verify_vs_raw_ratio']:.2f}x (target >= {VERIFY_TARGET}x: "
        f"{'met' if f['verify_target_met'] else 'NOT met'})"
    )
    print(
        f"    per event, verify in one process {f['verify_serial_us_per_event']:.1f} us: PyNaCl "
        f"verify {f['raw_verify_serial_us']:.1f} us, everything else "
        f"{f['verify_other_us_per_event']:.1f} us; even spread perfectly over {workers} cores "
        f"that CPU allows at most {f['verify_vs_raw_ceiling']:.2f}x; a stock eventsourcing "
        f"read of the log {_fmt(f['read_eps'])} events"
    )
    print(
        f"  100 events per signature: verify_ledger {_fmt(f['verify_batched_eps'])} events "
        f"({f['verify_batched_seconds']:.2f}s) | raw loop over its "
        f"{f['verify_batched_signatures']} signatures {f['raw_verify_batched_seconds']:.3f}s "
        f"(ratio {f['verify_batched_vs_raw_ratio']:.2f}x, mostly pool start-up)"
    )
    print(
        f"    per event vs the raw loop at one signature per event: "
        f"{f['verify_batched_vs_raw_per_event_ratio']:.2f}x; a stock eventsourcing read of it "
        f"{_fmt(f['read_batched_eps'])} events"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: under a minute")
    parser.add_argument("--postgres", metavar="URL", help="also on PostgreSQL (schema per repeat)")
    parser.add_argument("--profile", action="store_true", help="cProfile one verify (SQLite)")
    parser.add_argument("--verify-events", type=int, help="override N for verify")
    parser.add_argument("--repeats", type=int, help="override the number of repeats")
    parser.add_argument(
        "--storage",
        action="store_true",
        help="only bytes on disk per event: 50k events in saves of 100 and 10k in saves of 1 "
        "(5k of each with --quick)",
    )
    parser.add_argument("--storage-events", type=int, help="override N for --storage")
    parser.add_argument(
        "--verify-cpu",
        action="store_true",
        help="only CPU time per event (main process and workers) of verify and of the raw "
        "parallel loop, one signature per event: steadier than wall time on a loaded machine",
    )
    args = parser.parse_args(argv)
    if args.storage:
        return storage_main(args)
    if args.verify_cpu:
        return verify_cpu_main(args)

    cores = os.cpu_count() or 1
    if args.quick:
        n_single, n_batch, n_verify, repeats, v_repeats = 600, 5000, 10_000, 3, 3
    else:
        n_single, n_batch, n_verify, repeats, v_repeats = 3000, 20_000, 100_000, 5, 3
    if args.verify_events:
        n_verify = args.verify_events // SAVE_SIZE * SAVE_SIZE
    if args.repeats:
        repeats = v_repeats = args.repeats
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - started:6.1f}s {msg}", file=sys.stderr, flush=True)

    workdir = tempfile.mkdtemp(prefix="bench-ledger-")
    os.environ["OFFERLEDGER_KEYS"] = os.path.join(workdir, "keys")
    results: dict[str, Any] = {
        "benchmark": "ledger-core",
        "quick": bool(args.quick),
        "cores": cores,
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "repeats": repeats,
        **_code_state(),
    }
    try:
        print(
            f"offerledger ledger-core benchmark: {cores} cores, {results['cpu']}, "
            f"Python {results['python']}, median of {repeats} repeats"
            + (" (--quick)" if args.quick else "")
        )
        sqlite = Target(workdir)
        log("appends on SQLite")
        app_f = append_figures(sqlite, n_single=n_single, n_batch=n_batch, repeats=repeats, log=log)
        log("raw sign loop")
        sign_f = sign_figures(n_single=n_single, n_batch=n_batch, repeats=repeats)
        log("verify on SQLite")
        ver_f = verify_figures(
            sqlite,
            n_events=n_verify,
            repeats=v_repeats,
            workers=cores,
            log=log,
            profile=args.profile,
        )
        profile_text = ver_f.pop("profile", None)
        results.update(app_f)
        results.update(sign_f)
        results.update(ver_f)
        print_append(app_f, "SQLite")
        print(
            f"  raw PyNaCl sign loop, same signature count: {_fmt(sign_f['raw_sign_sps_single'])}"
            f" signatures ({sign_f['raw_sign_us_per_signature']:.1f} us each) = "
            f"{_fmt(sign_f['raw_sign_eps_single'])} events at 1 per save, "
            f"{_fmt(sign_f['raw_sign_eps_batch100'])} events at 100 per signature"
        )
        print_verify(ver_f, "SQLite", cores)
        if args.postgres:
            pg = Target(workdir, postgres=args.postgres)
            log("appends on PostgreSQL")
            pg_repeats = min(repeats, 3)  # keeps the full run with PostgreSQL under ~8 minutes
            pg_app = append_figures(  # one event per save is slow on PostgreSQL: fewer events
                pg, n_single=min(n_single, 1000), n_batch=n_batch, repeats=pg_repeats, log=log
            )
            log("verify on PostgreSQL")
            pg_ver = verify_figures(
                pg, n_events=n_verify, repeats=pg_repeats, workers=cores, log=log, profile=False
            )
            pg_ver["repeats"] = pg_repeats
            print_append(pg_app, f"PostgreSQL (median of {pg_repeats} repeats)")
            print_verify(pg_ver, f"PostgreSQL (median of {pg_repeats} repeats)", cores)
            results["postgres"] = {**pg_app, **pg_ver}
        else:
            results["postgres"] = None
        if profile_text:
            print("\nProfile of one verify, run serially (workers=1):")
            print(profile_text)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    print(f"\ntotal {results['elapsed_seconds']}s")
    print(json.dumps(_rounded(results), sort_keys=True))
    return 0


def _cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (a pool's workers, once shut down)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def verify_cpu_main(args: argparse.Namespace) -> int:
    """CPU per event of ``verify_ledger`` over every core and of the raw parallel loop over the
    same signatures, on a SQLite ledger with one signature per event; medians of the repeats."""
    n = (args.verify_events or (10_000 if args.quick else 100_000)) // SAVE_SIZE * SAVE_SIZE
    repeats, workers = args.repeats or 3, os.cpu_count() or 1
    workdir = tempfile.mkdtemp(prefix="bench-verify-cpu-")
    os.environ["OFFERLEDGER_KEYS"] = os.path.join(workdir, "keys")
    try:
        with Target(workdir).fresh() as db:
            ledger = new_ledger(db)
            for save in one_stream_saves(n, tag="verify"):
                ledger.save(save, signer=CLERK)
            ledger.close()
            tasks, stored = _tasks_of(db)
            verify_us, raw_us = [], []
            for _ in range(repeats):
                ledger = Ledger.open(db)
                try:
                    before = _cpu_seconds()
                    report = verify_ledger(ledger, workers=workers)
                    verify_us.append((_cpu_seconds() - before) / stored * 1e6)
                finally:
                    ledger.close()
                if not report.ok:
                    raise SystemExit(f"verify did not come out clean: {report.problems[:3]}")
                before = _cpu_seconds()
                raw_verify_parallel(tasks, workers)
                raw_us.append((_cpu_seconds() - before) / len(tasks) * 1e6)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    v, r = median(verify_us), median(raw_us)
    print(
        f"{stored} events, {len(tasks)} signatures, {workers} workers: verify {v:.1f} us of CPU "
        f"an event, the raw loop {r:.1f} us a signature: ratio {r / v:.3f} (load "
        f"{os.getloadavg()[0]:.2f})"
    )
    out = {
        "benchmark": "verify-cpu",
        "events": stored,
        "verify_cpu_us_per_event": v,
        "raw_cpu_us_per_signature": r,
        "cpu_ratio": r / v,
        "verify_runs_us": verify_us,
        "load_average": os.getloadavg(),
        **_code_state(),
    }
    print(json.dumps(_rounded(out), sort_keys=True))
    return 0


def storage_main(args: argparse.Namespace) -> int:
    n = args.storage_events or (5000 if args.quick else 50_000)
    n = max(SAVE_SIZE, n // SAVE_SIZE * SAVE_SIZE)
    n_single = min(n, 5000 if args.quick else 10_000)  # one commit per event: slow to build
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - started:6.1f}s {msg}", file=sys.stderr, flush=True)

    workdir = tempfile.mkdtemp(prefix="bench-storage-")
    os.environ["OFFERLEDGER_KEYS"] = os.path.join(workdir, "keys")
    results: dict[str, Any] = {
        "benchmark": "ledger-storage",
        "events": n,
        "events_single": n_single,
        **_code_state(),
    }
    try:
        results["sqlite"] = storage_figures(Target(workdir), n_events=n, n_single=n_single, log=log)
        print_storage(results["sqlite"], "SQLite")
        if args.postgres:
            pg_target = Target(workdir, postgres=args.postgres)
            pg = storage_figures(pg_target, n_events=n, n_single=n_single, log=log)
            results["postgres"] = pg
            print_storage(pg, "PostgreSQL")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(_rounded(results), sort_keys=True))
    return 0


def _code_state() -> dict[str, Any]:
    """Which code was measured: the commit, and whether src/ had uncommitted changes."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"git_head": None, "src_modified": None}
    return {"git_head": head, "src_modified": bool(dirty)}


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3) if abs(value) < 100 else round(value, 1)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
