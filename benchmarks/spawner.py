"""Start benchmark child processes from a small process, so their peak RSS is their own.

On Linux a process's ``ru_maxrss`` survives ``execve``: a child forked by a benchmark that has
built a ledger, or read a large output, reports at least the benchmark's own peak, whatever
it used itself. A child forked by :class:`Spawner` (a process that stays at ~11 MB) reports
its own peak, and ``wait4`` that of it and the helpers it waited for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_SPAWNER = r"""
import json, os, subprocess, sys
for line in sys.stdin:
    job = json.loads(line)
    with open(job["out"], "wb") as out, open(job["err"], "wb") as err:
        proc = subprocess.Popen(job["command"], stdout=out, stderr=err, env=job["env"])
        _, status, usage = os.wait4(proc.pid, 0)
    reply = {"exit": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
             "cpu_s": usage.ru_utime + usage.ru_stime}
    print(json.dumps(reply), flush=True)
"""


class Spawner:
    """A small process that starts each command and reports its exit and ``wait4`` rusage
    (``exit``, ``maxrss_kb``, ``cpu_s``); stdout and stderr go to the files named."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SPAWNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(
        self, command: list[str], *, out: Path, err: Path, env: dict[str, str]
    ) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {"command": command, "out": str(out), "err": str(err), "env": env}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise SystemExit(f"the step spawner exited ({self.proc.wait()})")
        result: dict[str, Any] = json.loads(reply)
        return result
