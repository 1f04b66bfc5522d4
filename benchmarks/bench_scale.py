"""Scale benchmark: a large SYNTHETIC ledger (5M events by default) on PostgreSQL or SQLite, each
step measured in its own process with that process's peak RSS (issue 14 item 4).

The ledger is bench_projections' SYNTHETIC one (one offer with ten amendments, an employee per
ten events with three eligible grants, elections with changes, withdrawals and receipts,
notices, acceptance; saves of up to 500 events of one signer through ``Ledger.save``), so the
rebuild folds a real read model. Steps, in this order, each a fresh interpreter:

1. ``append``: ``bench_projections.generate`` builds N events (events made and saved; the
   rate includes making the event objects, as a caller's append does). Its elections
   interleave two signers (employees, the communications key), so a save of one signer holds
   a handful of events; ``--per-transaction N`` (default 500) stores consecutive saves together
   through ``Ledger.save_groups`` (the ingest path: each save signed by its own key, one commit
   for N events), 0 one ``Ledger.save`` (one commit) each;
2. ``checkpoint``: ``offerledger checkpoint --out FILE`` (the root key from the keystore);
3. ``rebuild_full``: ``offerledger rebuild --full`` of the N events into a fresh read model;
4. ``append_10k``: ``bench_projections.append_incremental`` saves 10,000 more (election changes);
5. ``verify_full``: ``offerledger verify --json`` of all N + 10,000 events (every core);
6. ``verify_since``: ``offerledger verify --since FILE --json`` (the 10,000 after the checkpoint);
7. ``rebuild_incremental``: ``offerledger rebuild --json`` (just the 10,000);
8. ``prove``: ``integrity.proofs.inclusion_of`` (what ``prove inclusion`` runs) at random
   positions on one open ledger (p50 / p90 / max, each proof checked by the call itself), and
   ``offerledger prove inclusion POS --json`` as whole processes (start-up included).

A step's ``seconds`` is its process's wall time (for the CLI steps: interpreter start-up and
imports included, about 0.3 s), ``cpu_s`` the CPU time of it and its helpers (steadier on a
shared machine). ``peak_rss_mb`` is the step's ``ru_maxrss`` from ``wait4``: the
largest of the process and every helper it waited for (verify's worker pool, the rebuild's fold
helper); ``main_rss_mb`` / ``helpers_rss_mb`` split it. Each peak is given beside the goal
(< 1,024 MB). Bytes on disk: ``pg_total_relation_size`` (heap, TOAST, indexes) of every table in
the ledger's schema, or the SQLite file after a WAL checkpoint, per stored event and beside the
mean canonical body of a sample of events (goal: at most 2x). The steps use the library's and the
command line's own operations only, so the benchmark runs unchanged on another stored format.

    .venv/bin/python benchmarks/bench_scale.py [--events N | --quick] [--backend postgresql|sqlite]
        [--pg-url URL] [--proofs K] [--keep DIR]

``--quick``: 100,000 events (about two minutes on PostgreSQL). The last line printed is one JSON
object; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_evidence
import bench_projections
from bench_ledger import Target, cpu_model  # a fresh database (file or schema), dropped after
from spawner import Spawner

RSS_GOAL_MB = 1024
STORAGE_GOAL = 2.0  # bytes on disk per event <= 2x the mean canonical body
NEW_EVENTS = bench_projections.INCREMENTAL  # 10,000
QUICK_EVENTS = 100_000
DEFAULT_EVENTS = 5_000_000
RUSAGE_ENV = "BENCH_SCALE_RUSAGE"


# --- steps (each run in a child process: ``bench_scale.py --step NAME ...``) ------------------


def step_append(db: str, events: str, state: str, per_transaction: str) -> dict[str, Any]:
    made = bench_projections.generate(db, int(events), Path(state), int(per_transaction))
    return {"events": made["events"], "employees": made["employees"]}


def step_append_more(db: str, state: str, count: str, per_transaction: str) -> dict[str, Any]:
    bench_projections.append_incremental(db, Path(state), int(count), int(per_transaction))
    return {"events": int(count)}


def step_prove(db: str, samples: str, seed: str) -> dict[str, Any]:
    from offerledger.integrity.proofs import inclusion_of
    from offerledger.ledger import Ledger

    ledger = Ledger.open(db)  # one open ledger, as a server answering proofs would hold
    try:
        size = inclusion_of(ledger, position=0)["tree_size"]  # (and a warm-up)
        rng = random.Random(int(seed))
        times: list[float] = []
        for _ in range(int(samples)):
            p = rng.randrange(size)
            t = time.perf_counter()
            proof = inclusion_of(ledger, position=p)
            times.append(time.perf_counter() - t)
            if proof["index"] != p or proof["tree_size"] != size:
                raise SystemExit(f"inclusion_of answered for another event: {proof}")
    finally:
        ledger.close()
    ms = sorted(x * 1e3 for x in times)
    return {
        "tree_size": size,
        "samples": len(ms),
        "ms_p50": statistics.median(ms),
        "ms_p90": ms[int(0.9 * (len(ms) - 1))],
        "ms_max": ms[-1],
    }


def step_cli(*argv: str) -> dict[str, Any]:
    """``offerledger ARGV`` in this process; its output goes to this process's stdout."""
    from offerledger.cli import main as cli_main

    sys.argv = ["offerledger", *argv]
    code: int | str | None = 0
    try:
        cli_main()
    except SystemExit as e:
        code = e.code
    return {"exit": code}


def step_profile_save(db: str, events: str, frames: str) -> dict[str, Any]:
    """One ``Ledger.save`` of ``events`` election events of distinct streams (one signature run)
    under tracemalloc: a sampling thread snapshots the traced heap each time it grows 25% past
    its high mark, so the last snapshot is taken near the peak; that snapshot less the one taken
    once the events were made, by allocating line (``frames`` deep), with the process's RSS at
    each snapshot (memory libpq or sqlite hold is not traced by Python)."""
    import threading
    import tracemalloc

    import bench_ledger

    def rss_mb() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20

    traced = int(frames) > 0  # 0: the same save without tracemalloc (its true peak RSS)
    if traced:
        # Under tracemalloc the save runs several times slower, and a snapshot taken inside its
        # transaction stops the client for a while: PostgreSQL would end the session as idle in
        # transaction (the store's 300 s). This process only: a longer limit.
        import offerledger.ledger

        module = vars(offerledger.ledger)
        resolve = module["resolve_backend"]

        def patient(db: str | None) -> Any:
            backend = resolve(db)
            if "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT" in backend.env:
                backend.env["POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT"] = "7200"
            return backend

        module["resolve_backend"] = patient
        tracemalloc.start(int(frames))
    ledger = bench_ledger.new_ledger(db)
    made = bench_ledger.make_saves(int(events), tag="profile", per_stream=1)
    save = [e for part in made for e in part]  # every stream new: one run, one signature
    del made
    base = tracemalloc.take_snapshot() if traced else None
    base_rss, base_traced = rss_mb(), tracemalloc.get_traced_memory()[0]
    best: dict[str, Any] = {"traced": base_traced, "snapshot": None, "rss": base_rss}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            now = tracemalloc.get_traced_memory()[0]
            if now > best["traced"] * 1.25:
                best.update(traced=now, rss=rss_mb(), snapshot=tracemalloc.take_snapshot())

    sampler = threading.Thread(target=sample, daemon=True)
    if traced:
        sampler.start()
    t = time.perf_counter()
    ledger.save(save, signer=bench_ledger.CLERK)
    seconds = time.perf_counter() - t
    done.set()
    if traced:
        sampler.join()
    peak_traced = tracemalloc.get_traced_memory()[1]
    ledger.close()
    top: list[dict[str, Any]] = []
    if best["snapshot"] is not None and base is not None:
        diff = best["snapshot"].compare_to(base, "traceback")
        for stat in diff[:12]:
            where = [
                f"{Path(f.filename).name}:{f.lineno}"
                for f in stat.traceback
                if "tracemalloc" not in f.filename and "threading" not in f.filename
            ]
            top.append(
                {"mb": round(stat.size_diff / 2**20, 1), "blocks": stat.count_diff, "at": where}
            )
    return {
        "events": len(save),
        "save_s": round(seconds, 2),
        "rss_before_save_mb": round(base_rss, 1),
        "traced_before_save_mb": round(base_traced / 2**20, 1),
        "traced_peak_mb": round(peak_traced / 2**20, 1),
        "snapshot_traced_mb": round(best["traced"] / 2**20, 1),
        "snapshot_rss_mb": round(best["rss"], 1),
        "top": top,
    }


STEPS: dict[str, Callable[..., dict[str, Any]]] = {
    "profile_save": step_profile_save,
    "append": step_append,
    "append_more": step_append_more,
    "prove": step_prove,
    "cli": step_cli,
}


def run_step(name: str, args: Sequence[str]) -> None:
    """The child's side: run the step, then write its result and its own and its helpers'
    peak RSS to the file the parent named."""
    result = STEPS[name](*args)
    sys.stdout.flush()
    result["main_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["helpers_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    Path(os.environ[RUSAGE_ENV]).write_text(json.dumps(result))
    code = result.get("exit", 0)
    sys.exit(code if isinstance(code, int) else 1)


# --- the parent's side ------------------------------------------------------------------------


class Step:
    """One child process: wall time and the ``wait4`` rusage of it and its waited-for helpers."""

    def __init__(self, workdir: Path, log: Callable[[str], None]) -> None:
        self.workdir = workdir
        self.log = log
        self.n = 0
        self.spawner = Spawner()

    def run(self, name: str, *args: str, ok_exit: int = 0) -> tuple[dict[str, Any], str]:
        self.n += 1
        out_path = self.workdir / f"step-{self.n}.out"
        err_path = self.workdir / f"step-{self.n}.err"
        result_path = self.workdir / f"step-{self.n}.json"
        env = dict(os.environ, **{RUSAGE_ENV: str(result_path)})
        command = [sys.executable, str(Path(__file__).resolve()), "--step", name, *args]
        t = time.perf_counter()
        usage = self.spawner.run(command, out=out_path, err=err_path, env=env)
        seconds = time.perf_counter() - t
        stdout = out_path.read_text(encoding="utf-8", errors="replace")
        if usage["exit"] != ok_exit or not result_path.exists():
            tail = err_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise SystemExit(
                f"step {name} {' '.join(args)} exited {usage['exit']}:\n{stdout[-1000:]}{tail}"
            )
        result: dict[str, Any] = json.loads(result_path.read_text())
        result.pop("exit", None)
        result["seconds"] = round(seconds, 3)
        # CPU of the process and its waited-for helpers: steadier than wall time on a shared
        # machine (the load average is in the JSON), and what a duration estimate scales
        result["cpu_s"] = round(usage["cpu_s"], 2)
        result["peak_rss_mb"] = round(usage["maxrss_kb"] / 1024, 1)
        result["main_rss_mb"] = round(result["main_rss_mb"], 1)
        result["helpers_rss_mb"] = round(result["helpers_rss_mb"], 1)
        result["rss_goal_mb"] = f"< {RSS_GOAL_MB}"
        result["rss_met"] = usage["maxrss_kb"] / 1024 < RSS_GOAL_MB
        self.log(
            f"  {name} {' '.join(a for a in args if not a.startswith(('postgresql', '/')))}: "
            f"{seconds:.1f} s ({result['cpu_s']:.1f} s CPU), peak RSS "
            f"{result['peak_rss_mb']:.0f} MB, load {os.getloadavg()[0]:.1f}"
        )
        return result, stdout


def cli_json(stdout: str) -> Any:
    return json.loads(stdout) if stdout.strip() else None


def rebuilt(stdout: str) -> dict[str, Any]:
    """What ``rebuild --json`` says it did: events applied, the log's size, full or not."""
    r = cli_json(stdout) or {}
    return {k: r.get(k) for k in ("applied", "events", "mode")}


def disk_bytes(db: str, kind: str) -> dict[str, Any]:
    """Bytes on disk now: per table (heap, TOAST, indexes) on PostgreSQL; the file on SQLite."""
    if kind == "sqlite":
        import sqlite3

        from offerledger.store import resolve_backend

        path = resolve_backend(db).sqlite_path
        assert path is not None
        lite = sqlite3.connect(path)
        try:
            lite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            lite.close()
        return {"total": os.path.getsize(path), "tables": None}
    from urllib.parse import parse_qsl, urlparse

    import psycopg
    from bench_ledger import _pg_base

    schema = dict(parse_qsl(urlparse(db).query))["schema"]
    with psycopg.connect(_pg_base(db), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r' "
            "ORDER BY 2 DESC",
            (schema,),
        ).fetchall()
    tables = {str(name): int(size) for name, size in rows}
    return {"total": sum(tables.values()), "tables": tables}


def mean_body_bytes(db: str, events: int, windows: int = 20, width: int = 500) -> float:
    """The mean canonical body of ``windows`` runs of ``width`` stored events spread over the
    log (the body is what was signed: the canonical JSON of the event's header and payload)."""
    from offerledger.ledger import Ledger
    from offerledger.signing import envelope

    # format v3 stores the body in a binary state (body_of); v2 in a JSON envelope
    body_of: Callable[[bytes], bytes] | None = getattr(envelope, "body_of", None)
    parse: Callable[[bytes], Any] | None = getattr(envelope, "parse_envelope", None)

    def body(state: bytes) -> bytes:
        if body_of is not None:
            return body_of(state)
        assert parse is not None, "offerledger.signing.envelope reads no stored event"
        return bytes(parse(state).body)

    ledger = Ledger.open(db)
    try:
        recorder: Any = ledger.app.recorder
        lengths: list[int] = []
        for k in range(windows):
            start = 1 + k * max(1, events // windows)
            for n in recorder.select_notifications(start, width):
                lengths.append(len(body(bytes(n.state))))
    finally:
        ledger.close()
    return statistics.fmean(lengths)


def measure(
    target: Target,
    *,
    events: int,
    proofs: int,
    workdir: Path,
    log: Callable[[str], None],
    per_transaction: int = bench_projections.SAVE,
) -> dict[str, Any]:
    """Every step on one fresh database of ``events`` (+10,000); the figures."""
    step = Step(workdir, log)
    steps: dict[str, dict[str, Any]] = {}
    checkpoint = workdir / "head.checkpoint"
    model = workdir / "read-model.sqlite"
    state = workdir / "gen.pickle"
    with target.fresh() as db:
        log(f"append {events:,} events ({target.kind})")
        steps["append"], _ = step.run("append", db, str(events), str(state), str(per_transaction))
        base = steps["append"]["events"]
        steps["append"]["events_per_s"] = round(base / steps["append"]["seconds"])
        disk_base = disk_bytes(db, target.kind)
        steps["checkpoint"], _ = step.run(
            "cli", "--db", db, "checkpoint", "--out", str(checkpoint), "--json"
        )
        log("rebuild --full")
        r, out = step.run(
            "cli", "--db", db, "rebuild", "--full", "--read-model", str(model), "--json"
        )
        steps["rebuild_full"] = {**r, **rebuilt(out)}
        steps["rebuild_full"]["events_per_s"] = round(base / r["seconds"])
        steps["append_10k"], _ = step.run(
            "append_more", db, str(state), str(NEW_EVENTS), str(per_transaction)
        )
        total = base + NEW_EVENTS
        log("verify (full)")
        r, out = step.run("cli", "--db", db, "verify", "--json")
        steps["verify_full"] = {**r, "events": total, "events_per_s": round(total / r["seconds"])}
        _check_verify(cli_json(out), "verify")
        r, out = step.run("cli", "--db", db, "verify", "--since", str(checkpoint), "--json")
        steps["verify_since"] = {**r, "new_events": NEW_EVENTS}
        _check_verify(cli_json(out), "verify --since")
        r, out = step.run("cli", "--db", db, "rebuild", "--read-model", str(model), "--json")
        steps["rebuild_incremental"] = {**r, **rebuilt(out)}
        steps["prove"], _ = step.run("prove", db, str(proofs), str(bench_evidence.SEED))
        cli_runs = []
        for p in (0, total // 2, total - 1):
            r, out = step.run("cli", "--db", db, "prove", "inclusion", str(p), "--json")
            if cli_json(out)["index"] != p:
                raise SystemExit(f"prove inclusion {p} answered {out[:200]}")
            cli_runs.append(r)
        steps["prove_cli"] = {
            "runs": len(cli_runs),
            "seconds": round(statistics.median(r["seconds"] for r in cli_runs), 3),
            "cpu_s": round(statistics.median(r["cpu_s"] for r in cli_runs), 3),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in cli_runs),
            "rss_goal_mb": f"< {RSS_GOAL_MB}",
            "rss_met": all(r["rss_met"] for r in cli_runs),
        }
        disk = disk_bytes(db, target.kind)
        body = mean_body_bytes(db, total)
    per_event = disk["total"] / total
    peak = max(s["peak_rss_mb"] for s in steps.values())
    return {
        "benchmark": "scale",
        "synthetic": True,
        "backend": target.kind,
        "events": total,
        "base_events": base,
        "new_events": NEW_EVENTS,
        "append_per_transaction": per_transaction,
        "append_events_per_s": steps["append"]["events_per_s"],
        "verify_full_s": steps["verify_full"]["seconds"],
        "verify_since_10k_s": steps["verify_since"]["seconds"],
        "rebuild_full_s": steps["rebuild_full"]["seconds"],
        "rebuild_incremental_10k_s": steps["rebuild_incremental"]["seconds"],
        "inclusion_proof_ms_p50": round(steps["prove"]["ms_p50"], 3),
        "prove_inclusion_cli_s": steps["prove_cli"]["seconds"],
        "peak_rss_mb": {"value": peak, "goal": f"< {RSS_GOAL_MB}", "met": peak < RSS_GOAL_MB},
        "over_rss_goal": [name for name, s in steps.items() if not s["rss_met"]],
        "bytes_on_disk": disk["total"],
        "bytes_on_disk_base": disk_base["total"],
        "bytes_per_event": round(per_event, 1),
        "mean_body_bytes": round(body, 1),
        "storage_vs_body": {
            "value": round(per_event / body, 3),
            "goal": f"<= {STORAGE_GOAL}",
            "met": per_event / body <= STORAGE_GOAL,
        },
        "tables": disk["tables"],
        "steps": steps,
    }


def _check_verify(report: Any, what: str) -> None:
    if not isinstance(report, dict) or report.get("ok") is not True:
        raise SystemExit(f"{what} did not come out clean: {str(report)[:500]}")


def profile_save(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """``--profile-save N``: one save of N events in a child (peak RSS without tracemalloc
    first, then the same under it), the top allocations near the peak."""
    if args.profile_save < 100 or args.profile_save % bench_ledger_save_size():
        parser.error(f"--profile-save {args.profile_save}: a multiple of 100, at least 100")
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - started:7.1f}s {msg}", file=sys.stderr, flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-profile-"))
    os.environ["OFFERLEDGER_KEYS"] = str(workdir / "keys")
    target = Target(str(workdir), postgres=args.pg_url if args.backend == "postgresql" else None)
    step = Step(workdir, log)
    try:
        with target.fresh() as db:
            plain, _ = step.run("profile_save", db, str(args.profile_save), "0")
        with target.fresh() as db:
            traced, _ = step.run("profile_save", db, str(args.profile_save), str(args.frames))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "benchmark": "scale-profile-save",
        "backend": target.kind,
        "events": args.profile_save,
        "peak_rss_mb": plain["peak_rss_mb"],
        "rss_before_save_mb": plain["rss_before_save_mb"],
        "save_s": plain["save_s"],
        "rss_goal_mb": f"< {RSS_GOAL_MB}",
        "rss_met": plain["rss_met"],
        "traced": {k: v for k, v in traced.items() if k not in ("rss_goal_mb", "rss_met")},
        "load_average": [round(x, 2) for x in os.getloadavg()],
        **bench_evidence.code_state(),
    }
    print(json.dumps(result, sort_keys=True))
    return 0


def _unreachable(url: str) -> str | None:
    """None when PostgreSQL at ``url`` answers; else why not (one line)."""
    import psycopg
    from bench_ledger import _pg_base

    try:
        with psycopg.connect(_pg_base(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as e:
        return (str(e).strip().splitlines() or [type(e).__name__])[0]
    return None


def bench_ledger_save_size() -> int:
    import bench_ledger

    return bench_ledger.SAVE_SIZE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=None, help=f"default {DEFAULT_EVENTS:,}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_EVENTS:,} events")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-url", default=bench_evidence.DEFAULT_PG)
    parser.add_argument(
        "--per-transaction",
        type=int,
        default=bench_projections.SAVE,
        metavar="N",
        help="append: signers' saves stored together (Ledger.save_groups) up to N events a "
        f"transaction (default {bench_projections.SAVE}; 0: one Ledger.save, one commit, each)",
    )
    parser.add_argument("--proofs", type=int, default=200, help="inclusion proofs timed")
    parser.add_argument(
        "--profile-save",
        type=int,
        metavar="N",
        help="instead: the memory of ONE Ledger.save of N events (tracemalloc, near its peak)",
    )
    parser.add_argument("--frames", type=int, default=6, help="--profile-save traceback depth")
    parser.add_argument("--keep", type=Path, help="keep the step outputs here (not the database)")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--step"]:  # a child: the step's own arguments follow, options included
        run_step(argv[1], argv[2:])
        return 0
    args = parser.parse_args(argv)
    if args.events is not None and args.quick:
        parser.error("give --events or --quick, not both")
    events = QUICK_EVENTS if args.quick else args.events or DEFAULT_EVENTS
    if events < 1000:
        parser.error(f"--events {events}: at least 1,000")
    if args.proofs < 1 or args.per_transaction < 0:
        parser.error("--proofs is at least 1 and --per-transaction at least 0")
    if args.backend == "postgresql":
        why = _unreachable(args.pg_url)
        if why:
            parser.exit(3, f"bench_scale.py: error: --pg-url: PostgreSQL does not answer: {why}\n")
    if args.profile_save:
        return profile_save(args, parser)
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - started:7.1f}s {msg}", file=sys.stderr, flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    os.environ["OFFERLEDGER_KEYS"] = str(workdir / "keys")
    target = Target(str(workdir), postgres=args.pg_url if args.backend == "postgresql" else None)
    try:
        result = measure(
            target,
            events=events,
            proofs=args.proofs,
            workdir=workdir,
            log=log,
            per_transaction=args.per_transaction,
        )
    finally:
        if args.keep:
            shutil.copytree(workdir, args.keep, dirs_exist_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)
    result.update(
        {
            "quick": bool(args.quick),
            "elapsed_seconds": round(time.perf_counter() - started, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "cores": os.cpu_count(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
            **bench_evidence.code_state(),
        }
    )
    for name, s in result["steps"].items():
        print(
            f"{name:20s} {s['seconds']:9.2f} s  peak RSS {s['peak_rss_mb']:7.0f} MB "
            f"(goal < {RSS_GOAL_MB}: {'met' if s['rss_met'] else 'NOT met'})",
            file=sys.stderr,
        )
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
