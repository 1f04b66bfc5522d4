"""A reader that goes away part way through a large output: exit 141 and one line, never 0.

`offerledger elections --json | head -1` exited 0 with nothing said: the output (400 KB on the
demo) went out in one write, the pipe took part of it and the reader left; the short count
raised nothing and Python's buffered stdout dropped the rest silently. The tests in
test_cli_habits.py close the pipe before the command starts, where the first write fails.
With ``2>&1`` the error line itself met the closed pipe and the exit code became 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli

LINE = "Error: the output was closed before everything was written (broken pipe)"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("pipe") / "demo.db")
    env = {"OFFERLEDGER_KEYS": str(Path(db).parent / "keys")}
    made = CliRunner(env=env).invoke(cli, ["--db", db, "demo", "--json"])
    assert made.exit_code == 0, made.output
    return db


def read_a_line_and_leave(db: str, args: list[str], *, merged: bool) -> tuple[int, str]:
    """Run offerledger, read its first line, close the pipe, and return (exit code, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "offerledger", "--db", db, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merged else subprocess.PIPE,
        env={**os.environ, "OFFERLEDGER_KEYS": str(Path(db).parent / "keys")},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first  # the command had started writing
    proc.stdout.close()
    err = b""
    if proc.stderr is not None:
        err = proc.stderr.read()
        proc.stderr.close()
    return proc.wait(timeout=120), err.decode()


@pytest.mark.parametrize("args", [["elections", "--json"], ["elections"], ["timeline", "--json"]])
def test_a_reader_gone_part_way_is_a_broken_pipe(demo_db: str, args: list[str]) -> None:
    whole = CliRunner().invoke(cli, ["--db", demo_db, *args]).stdout
    assert len(whole.encode()) > 80 * 1024  # more than a pipe holds (64 KiB): the reader leaves
    if "--json" in args:
        json.loads(whole)
    code, err = read_a_line_and_leave(demo_db, args, merged=False)
    assert code == 141, err
    assert [line for line in err.splitlines() if line.startswith("Error:")] == [LINE]
    assert "Traceback" not in err and "Exception ignored" not in err


def test_a_broken_pipe_that_also_carries_stderr_still_exits_141(demo_db: str) -> None:
    code, _ = read_a_line_and_leave(demo_db, ["elections", "--json"], merged=True)
    assert code == 141


def test_a_line_to_a_closed_stderr_is_a_broken_pipe_not_exit_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """rich's console exits 1 when its stream is a closed pipe (``ingest filing --dry-run 2>&1 |
    head -1`` exited 1); the stderr console raises a broken pipe instead, which every command
    turns into exit 141 and the one line."""
    from offerledger.cli.common import _StderrConsole

    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w") as closed:
        monkeypatch.setattr(sys, "stderr", closed)
        console = _StderrConsole()
        with pytest.raises(BrokenPipeError):
            console.print("a note", markup=False, highlight=False)
        console.print("and nothing more is tried")  # quiet from then on
        monkeypatch.undo()
        try:
            closed.close()
        except BrokenPipeError:
            pass
