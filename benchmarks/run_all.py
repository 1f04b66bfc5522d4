"""Every ratio of issue 14 in one run, each beside its goal: one JSON object on the last line.

Reuses the benchmark modules' own functions (nothing here measures anything itself):

* ``signed_vs_plain_append`` — ``bench_ledger.append_figures``: ``Ledger.save`` (saves of 100
  events, signed, authorized) over plain eventsourcing (same events, unsigned), per event;
  goal >= 0.5.
* ``verify_vs_raw_sqlite`` / ``verify_vs_raw_postgres`` — ``bench_ledger._verify_one`` on a
  ledger with one signature per event (the worst case): ``verify_ledger`` over every core
  against a raw parallel Ed25519 loop over the same signatures; goal >= 0.8. PostgreSQL only
  when ``--pg-url`` answers (a fresh schema, dropped after); else ``null`` with the reason.
* ``rebuild_vs_raw_decode`` — ``bench_projections.measure``: ``rebuild --full`` over a raw read
  + JSON decode of the same rows (a SYNTHETIC ledger); goal >= 0.5, with the peak RSS of the
  rebuild and its helper (< 1,024 MB each).
* ``ingest_vs_signed_append`` — ``bench_ingest.measure``: an elections CSV ingested against
  ``Ledger.save`` of the very events it planned; goal >= 0.8 (median of the runs' own ratios).
* ``verify_since_10k_s`` — ``bench_evidence.since_figures``: ``verify --since`` a checkpoint;
  goal < 2 s for 10,000 new events on a 1M-event ledger. At other sizes the figure is scaled to
  10,000 new events (seconds x 10,000 / new events) and ``at_goal_size`` is false.

* ``scale_peak_rss_mb`` / ``scale_storage_vs_body`` — ``bench_scale.measure``: a SYNTHETIC
  ledger built, checkpointed, rebuilt, grown by 10,000, verified (full and ``--since``), rebuilt
  incrementally and proved from, each step in its own process: the largest step's peak RSS
  (goal < 1,024 MB; each step's beside it) and bytes on disk per event over the mean canonical
  body (goal <= 2). On PostgreSQL when it answers (else SQLite, said so); the 5M-event run is
  ``bench_scale.py``'s own (hours), not this one's.

* ``cli_help_s`` / ``cli_version_s`` — ``bench_cli_startup._run``: ``offerledger --help`` and
  ``--version`` as fresh processes, the median of ``cli_repeats`` runs; goal < 0.3 s (issue 12).

``--quick`` (under about a minute on an idle two-core machine) uses small sizes; the
``sizes`` key says which; without it the full sizes (1M-event rebuild, 100k-row ingest,
100,000-event verify, 1M-event ``--since``: about an hour here).

    .venv/bin/python benchmarks/run_all.py --quick [--pg-url URL | --no-postgres] [--only NAME...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OFFERLEDGER_KEY_PASSPHRASE", "bench")

import bench_cli_startup
import bench_evidence
import bench_ingest
import bench_ledger
import bench_projections
import bench_scale

DEFAULT_PG = bench_evidence.DEFAULT_PG
NAMES = ("append", "verify", "rebuild", "ingest", "since", "scale", "cli")

QUICK = {
    "append_batch_events": 3_000,
    "append_single_events": 100,
    "append_repeats": 3,
    "verify_events": 5_000,
    "verify_repeats": 3,
    "rebuild_events": 10_000,
    "rebuild_repeats": 3,
    "ingest_rows": 6_000,
    "ingest_repeats": 3,
    "since_base_events": 10_000,
    "since_new_events": 2_000,
    "since_repeats": 3,
    "scale_events": 20_000,
    "cli_repeats": 5,
}
FULL = {
    "append_batch_events": 20_000,
    "append_single_events": 3_000,
    "append_repeats": 5,
    "verify_events": 100_000,
    "verify_repeats": 3,
    "rebuild_events": 1_000_000,
    "rebuild_repeats": 3,
    "ingest_rows": 100_000,
    "ingest_repeats": 3,
    "since_base_events": 1_000_000,
    "since_new_events": 10_000,
    "since_repeats": 3,
    "scale_events": 1_000_000,
    "cli_repeats": 10,
}


def goal(value: float | None, op: str, target: float, **extra: Any) -> dict[str, Any]:
    """A ratio (or seconds) beside its goal; ``met`` is None when it was not measured."""
    if value is None:
        met = None
    elif op == ">=":
        met = value >= target
    elif op == "<=":
        met = value <= target
    else:
        met = value < target
    return {"value": None if value is None else round(value, 3), "goal": f"{op} {target}",
            "met": met, **extra}  # fmt: skip


def postgres_reachable(url: str) -> str | None:
    """None when ``url`` answers; else why not."""
    try:
        import psycopg

        with psycopg.connect(bench_ledger._pg_base(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as e:
        return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e) else ''}"
    return None


def run_append(sizes: dict[str, int], workdir: str, log: Callable[[str], None]) -> dict[str, Any]:
    f = bench_ledger.append_figures(
        bench_ledger.Target(workdir),
        n_single=sizes["append_single_events"],
        n_batch=sizes["append_batch_events"],
        repeats=sizes["append_repeats"],
        log=log,
    )
    return {
        "signed_vs_plain_append": goal(
            f["signed_vs_plain_append_ratio"],
            ">=",
            bench_ledger.SIGNED_TARGET,
            repeats_range=[round(x, 3) for x in f["signed_vs_plain_append_ratio_range"]],
            signed_events_per_s=round(f["signed_append_eps_batch100"]),
            plain_events_per_s=round(f["plain_append_eps_batch100"]),
            events=f["n_batch"],
            backend="sqlite",
        )
    }


def _verify(target: Any, sizes: dict[str, int], log: Callable[[str], None]) -> dict[str, Any]:
    f = bench_ledger._verify_one(
        target,
        label="",
        saves=bench_ledger.one_stream_saves(sizes["verify_events"], tag="verify"),
        repeats=sizes["verify_repeats"],
        workers=os.cpu_count() or 1,
        log=log,
        profile=False,
        diagnostics=False,
    )
    return goal(
        f["verify_vs_raw_ratio"],
        ">=",
        bench_ledger.VERIFY_TARGET,
        repeats_range=[round(x, 3) for x in f["verify_vs_raw_ratio_range"]],
        verify_events_per_s=round(f["verify_eps"]),
        raw_signatures_per_s=round(f["raw_verify_sps"]),
        events=f["verify_events"],
        signatures=f["verify_signatures"],
        backend=target.kind,
    )


def run_verify(
    sizes: dict[str, int], workdir: str, pg_url: str | None, log: Callable[[str], None]
) -> dict[str, Any]:
    out = {"verify_vs_raw_sqlite": _verify(bench_ledger.Target(workdir), sizes, log)}
    if pg_url is None:
        out["verify_vs_raw_postgres"] = goal(None, ">=", 0.8, note="not asked (--no-postgres)")
        return out
    why = postgres_reachable(pg_url)
    if why is not None:
        out["verify_vs_raw_postgres"] = goal(None, ">=", 0.8, note=f"not reachable: {why}")
        return out
    out["verify_vs_raw_postgres"] = _verify(
        bench_ledger.Target(workdir, postgres=pg_url), sizes, log
    )
    return out


def run_rebuild(sizes: dict[str, int], workdir: str, log: Callable[[str], None]) -> dict[str, Any]:
    f = bench_projections.measure(
        sizes["rebuild_events"],
        workdir=Path(workdir) / "projections",
        repeats=sizes["rebuild_repeats"],
        incremental_run=False,
    )
    processes = 2 if f["rebuild_processes"] >= 2 and f["events"] >= _min_parallel() else 1
    return {
        "rebuild_vs_raw_decode": goal(
            f["rebuild_vs_raw_decode_ratio"],
            ">=",
            0.5,
            round_ratios=f["round_ratios"],
            rebuild_events_per_s=f["rebuild_events_per_s"],
            raw_events_per_s=f["raw_decode_events_per_s"],
            events=f["events"],
            processes=processes,
            synthetic=True,
            at_goal_size=f["events"] >= 1_000_000,
            backend="sqlite",
        ),
        "rebuild_peak_rss_mb": goal(
            max(f["peak_rss_mb"], f["helper_peak_rss_mb"]),
            "<",
            1024,
            rebuild=f["peak_rss_mb"],
            helper=f["helper_peak_rss_mb"],
            at_goal_size=f["events"] >= 1_000_000,
        ),
    }


def _min_parallel() -> int:  # the projections' own threshold (read when used)
    from offerledger.projections import parallel

    return parallel.MIN_ROWS


def run_ingest(sizes: dict[str, int], log: Callable[[str], None]) -> dict[str, Any]:
    f = bench_ingest.measure(sizes["ingest_rows"], sizes["ingest_repeats"])
    return {
        "ingest_vs_signed_append": goal(
            float(f["median_run_ratio"]),  # type: ignore[arg-type]
            ">=",
            0.8,
            run_ratios=f["run_ratios"],
            cpu_ratio=f["median_cpu_ratio"],  # the same from CPU time: steadier when loaded
            ingest_rows_per_s=f["median_ingest_rows_per_s"],
            signed_append_events_per_s=f["median_signed_append_events_per_s"],
            rows=f["rows"],
            at_goal_size=f["rows"] >= 100_000,
            backend="sqlite",
        )
    }


def run_since(sizes: dict[str, int], workdir: str, log: Callable[[str], None]) -> dict[str, Any]:
    f = bench_evidence.since_figures(
        bench_ledger.Target(workdir),
        n_base=sizes["since_base_events"],
        n_new=sizes["since_new_events"],
        repeats=sizes["since_repeats"],
        full_repeats=1,
        one_process=False,
        workdir=workdir,
        log=log,
        profile=False,
    )
    new = f["verify_since_new_events"]
    seconds = f["verify_since_checkpoint_10k_s"]
    return {
        "verify_since_10k_s": goal(
            seconds * 10_000 / new,
            "<",
            2.0,
            measured_s=round(seconds, 3),
            runs_s=[round(x, 3) for x in f["verify_since_runs_s"]],
            base_events=f["verify_since_base_events"],
            new_events=new,
            full_verify_s=round(f["verify_full_s"], 3),
            at_goal_size=f["verify_since_base_events"] >= 1_000_000 and new >= 10_000,
            backend="sqlite",
        )
    }


def run_scale(
    sizes: dict[str, int], workdir: str, pg_url: str | None, log: Callable[[str], None]
) -> dict[str, Any]:
    why = "not asked (--no-postgres)" if pg_url is None else postgres_reachable(pg_url)
    target = bench_ledger.Target(workdir, postgres=None if why else pg_url)
    folder = Path(workdir) / "scale"
    folder.mkdir()
    f = bench_scale.measure(
        target, events=sizes["scale_events"], proofs=50, workdir=folder, log=log
    )
    where = {"backend": f["backend"], "events": f["events"], "synthetic": True}
    if why:
        where["note"] = f"PostgreSQL {why}: measured on SQLite"
    at_goal = f["backend"] == "postgres" and f["base_events"] >= 5_000_000
    return {
        "scale_peak_rss_mb": goal(
            f["peak_rss_mb"]["value"],
            "<",
            bench_scale.RSS_GOAL_MB,
            steps={name: s["peak_rss_mb"] for name, s in f["steps"].items()},
            at_goal_size=at_goal,
            **where,
        ),
        "scale_storage_vs_body": goal(
            f["storage_vs_body"]["value"],
            "<=",
            bench_scale.STORAGE_GOAL,
            bytes_per_event=f["bytes_per_event"],
            mean_body_bytes=f["mean_body_bytes"],
            at_goal_size=at_goal,
            **where,
        ),
    }


def run_cli(sizes: dict[str, int], log: Callable[[str], None]) -> dict[str, Any]:
    env = dict(os.environ)
    bench_cli_startup._run(["--version"], env)  # warm the file cache and the bytecode, as it does
    out = {}
    for name, command in (("cli_help_s", ["--help"]), ("cli_version_s", ["--version"])):
        runs = [bench_cli_startup._run(command, env) for _ in range(sizes["cli_repeats"])]
        out[name] = goal(
            statistics.median(runs), "<", 0.3, runs=len(runs), min_s=round(min(runs), 3)
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help=f"PostgreSQL (default {DEFAULT_PG})")
    parser.add_argument("--no-postgres", action="store_true", help="skip verify on PostgreSQL")
    parser.add_argument("--only", nargs="+", choices=NAMES, help="run only these figures")
    args = parser.parse_args(argv)
    sizes = dict(QUICK if args.quick else FULL)
    chosen = set(args.only or NAMES)
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"{time.perf_counter() - started:6.1f}s {msg}", file=sys.stderr, flush=True)

    workdir = tempfile.mkdtemp(prefix="bench-run-all-")
    os.environ["OFFERLEDGER_KEYS"] = os.path.join(workdir, "keys")
    ratios: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    try:
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("append", lambda: run_append(sizes, workdir, log)),
            (
                "verify",
                lambda: run_verify(sizes, workdir, None if args.no_postgres else args.pg_url, log),
            ),
            ("rebuild", lambda: run_rebuild(sizes, workdir, log)),
            ("ingest", lambda: run_ingest(sizes, log)),
            ("since", lambda: run_since(sizes, workdir, log)),
            (
                "scale",
                lambda: run_scale(sizes, workdir, None if args.no_postgres else args.pg_url, log),
            ),
            ("cli", lambda: run_cli(sizes, log)),
        ]
        for name, step in steps:
            if name not in chosen:
                continue
            log(name)
            t = time.perf_counter()
            ratios.update(step())
            seconds[name] = round(time.perf_counter() - t, 1)
            os.environ["OFFERLEDGER_KEYS"] = os.path.join(workdir, "keys")  # (a step sets its own)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    measured = [v["met"] for v in ratios.values() if v["met"] is not None]
    result = {
        "benchmark": "run_all",
        "issue": 14,
        "quick": bool(args.quick),
        "sizes": sizes,
        "ratios": ratios,
        "all_met": bool(measured) and all(measured),
        "step_seconds": seconds,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
        "cpu": bench_ledger.cpu_model(),
        **bench_evidence.code_state(),
    }
    for name, v in ratios.items():
        mark = {True: "met", False: "NOT met", None: "not measured"}[v["met"]]
        print(f"{name:28s} {v['value']!s:>8}  goal {v['goal']:8s} {mark}", file=sys.stderr)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
