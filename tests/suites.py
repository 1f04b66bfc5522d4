"""Shared by the crash, concurrency and fuzz suites: their size and a CLI run in a subprocess.

The suites run CI-sized by default; ``OFFERLEDGER_FULL_SUITES=1`` runs them at full size (more
kill points, more writers' rounds, 10,000 fuzz cases per target).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

FULL = os.environ.get("OFFERLEDGER_FULL_SUITES") == "1"
STEPS = ("locked", "sealed", "events", "log", "committed")  # offerledger.recorders.FAULTS
# the steps a rebuild tells the same hook (offerledger.projections.runner): a full build writes
# a new file and switches it in ("written": committed, not yet switched); an incremental one
# commits one transaction
REBUILD_STEPS = {
    "full": ("rebuild-begun", "rebuild-folded", "rebuild-written", "rebuild-done"),
    "incremental": ("rebuild-begun", "rebuild-folded", "rebuild-done"),
}


def cli_process(*args: str, kill_at: str | None = None) -> subprocess.Popen[str]:
    """``offerledger ARGS`` in a new process; ``kill_at``: ``STEP[:N]`` (SIGKILL there)."""
    env = dict(os.environ)
    env.pop("OFFERLEDGER_FAULT_KILL", None)
    if kill_at:
        env["OFFERLEDGER_FAULT_KILL"] = kill_at
    return subprocess.Popen(
        [sys.executable, "-m", "offerledger", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_killed(*args: str, kill_at: str) -> None:
    """Run ``offerledger ARGS`` and require that the fault hook killed it at ``kill_at``."""
    proc = cli_process(*args, kill_at=kill_at)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, (kill_at, proc.returncode, out, err)


def kill_after(delay: float, *args: str) -> bool:
    """Run ``offerledger ARGS`` and SIGKILL it after ``delay`` seconds; True if it was killed
    (False: it had finished, and then it must have succeeded)."""
    proc = cli_process(*args)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        return True
    out, err = proc.communicate()
    assert proc.returncode == 0, (args, out, err)
    return False
