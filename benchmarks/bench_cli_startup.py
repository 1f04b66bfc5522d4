"""CLI start-up: how long ``offerledger --help``, ``--version`` and a subcommand's ``--help`` take
(``record --help`` and one ``record ACTION --help`` among them).

Each command runs ``--repeat`` times (default 10) as a fresh ``python -m offerledger …``
process; the median wall time is reported, with the fastest and slowest run. ``--src DIR``
runs another source tree instead of the installed package (``PYTHONPATH=DIR``), to measure an
older commit: ``git archive COMMIT src | tar -x -C /tmp/before`` then ``--src
/tmp/before/src``. The last line printed is one JSON object.

    .venv/bin/python benchmarks/bench_cli_startup.py [--repeat 10] [--src DIR]

This is a measurement, not a test: tests/test_cli_habits.py checks what ``--help`` imports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

COMMANDS = [
    ["--help"],
    ["--version"],
    ["log", "--help"],
    ["elections", "--help"],
    ["keys", "list", "--help"],
    ["verify", "--help"],
    ["record", "--help"],
    ["record", "condition-waived", "--help"],
]


def _run(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "offerledger", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--src", default=None, help="A source tree to run instead (its src/).")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = args.src
    results: dict[str, dict[str, float]] = {}
    _run(["--version"], env)  # warm the file cache and the bytecode
    for command in COMMANDS:
        runs = [_run(command, env) for _ in range(args.repeat)]
        name = " ".join(command)
        results[name] = {
            "median_s": round(statistics.median(runs), 3),
            "min_s": round(min(runs), 3),
            "max_s": round(max(runs), 3),
        }
        print(
            f"offerledger {name:<30} median {statistics.median(runs):.3f} s "
            f"(min {min(runs):.3f}, max {max(runs):.3f}; {args.repeat} runs)"
        )
    print(json.dumps({"repeat": args.repeat, "src": args.src, "commands": results}))


if __name__ == "__main__":
    main()
