"""The command line's habits (issue 12 item 4): --json on every command that prints data, the
same content on a terminal as in a pipe, a --help that imports nothing heavy, progress on
stderr only when it is a terminal, a log that streams and pages, a closed pipe said as such,
and counts in the singular and plural."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

import offerledger.cli.output as output
from offerledger import data
from offerledger.cli import cli
from offerledger.cli.lazy import COMMANDS

FILING = Path(data.__file__).parent / "mpower-schedule-to-amendment-2-2001-09-13.txt"
OFFICER = "Demo issuer officer (SYNTHETIC)"
CLERK = "People Services (paper forms)"
HEAVY = ("eventsourcing", "cryptography", "offerledger.events", "pydantic", "rich", "jinja2")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, (args, result.stderr)
    return result.stdout


def leaves(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command that runs (not a group), as its words after ``offerledger``."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from leaves(command, (*path, name))
        else:
            yield (*path, name)


def command(words: tuple[str, ...]) -> click.Command:
    found: click.Command = cli
    for word in words:
        assert isinstance(found, click.Group)
        sub = found.get_command(click.Context(found), word)
        assert sub is not None
        found = sub
    return found


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    db = str(tmp_path / "demo.db")
    made = json.loads(ok("--db", db, "demo", "--employees", "4", "--json"))
    assert made["synthetic"] is True and made["verification"]["ok"] is True
    return db


# --- --json everywhere --------------------------------------------------------------------

# What each command is run with (after --db DB) to show its --json output parses. {t} is a
# scratch folder, {sha} a stored document's hash, {kid} a clerk key made for the test.
RUNS: dict[tuple[str, ...], list[str]] = {
    ("text",): ["text", "--section", "7"],
    ("diff",): ["diff", "2001-09-12", "2001-09-13"],
    ("elections",): ["elections"],
    ("final-amendment",): ["final-amendment"],
    ("findings",): ["findings"],
    ("timeline",): ["timeline"],
    ("log",): ["log", "--limit", "5"],
    ("verify",): ["verify"],
    ("rebuild",): ["rebuild"],
    ("letters",): ["letters", "--out", "{t}/letters"],
    ("report",): ["report", "--out", "{t}/report"],
    ("checkpoint",): ["checkpoint", "--append", "{t}/checkpoints"],
    ("nightly",): ["nightly", "--out", "{t}/nightly", "--checkpoints", "{t}/nightly-cps"],
    ("prove", "inclusion"): ["prove", "inclusion", "0"],
    ("prove", "consistency"): ["prove", "consistency", "1"],
    ("show", "document"): ["show", "document", "{sha}"],
    ("parse",): ["parse", str(FILING)],
    ("ingest", "filing"): ["ingest", "filing", str(FILING), "--dry-run"],
    ("ingest", "roster"): ["ingest", "roster", "{t}/roster.csv", "--dry-run"],
    ("ingest", "elections"): [
        "ingest", "elections", "{t}/elections.csv", "--dry-run", "--key", CLERK,
    ],
    ("export", "evidence"): ["export", "evidence", "--employee", "E0001", "--out", "{t}/e.zip"],
    ("verify-bundle",): ["verify-bundle", "{t}/e.zip"],
    ("keys", "list"): ["keys", "list"],
    ("keys", "new"): ["--keys", "{t}/clerk", "keys", "new", "--out", "{t}/clerk.pub"],
    ("keys", "export-public"): ["--keys", "{t}/clerk", "keys", "export-public", "{kid}"],
    ("keys", "create"): [
        "--demo-keys-ok", "keys", "create", "--holder", "Test clerk", "--role", "clerk",
        "--public-key", "{t}/clerk.pub",
    ],
    ("keys", "rewrap"): ["--keys", "{t}/clerk", "keys", "rewrap"],
    ("keys", "revoke"): ["--demo-keys-ok", "keys", "revoke", "{kid}", "--reason", "test"],
    ("witness", "keygen"): ["witness", "keygen", "--name", "counsel", "--out", "{t}/w.key"],
    ("witness", "cosign"): [
        "witness", "cosign", "{t}/checkpoints", "--key", "{t}/w.key", "--name", "counsel",
        "--root-key", "{t}/root.pub",
    ],
    ("record", "condition-asserted"): [
        "--demo-keys-ok", "record", "condition-asserted", "--key", OFFICER,
        "--effective", "2001-09-20", "--condition-id", "7(a)",
        "--condition-kind", "governmental_approval", "--reason", "a regulator's review",
    ],
    ("db", "migrate"): ["db", "migrate", "{db}", "{t}/copy.db"],
    ("keys", "rotate-root"): ["--demo-keys-ok", "keys", "rotate-root"],  # last: a new root
}  # fmt: skip
# Run without a demo ledger, or elsewhere (the test named).
RUN_APART = {
    ("demo",): "the demo_db fixture: demo --json",
    ("init",): "test_init_prints_json",
    ("db", "harden"): "tests/test_db_admin.py::test_the_ledger_works_through_the_hardened_role",
}
# Every record ACTION is the same function (cli/record.py makes one per action); one stands
# for them all here, and each must still have --json.
RECORD_SAMPLE = ("record", "condition-asserted")


def test_every_command_has_json_and_a_run_here() -> None:
    everything = list(leaves(cli))
    assert len(everything) > 40
    missing = [
        " ".join(w)
        for w in everything
        if not any(isinstance(p, click.Option) and "--json" in p.opts for p in command(w).params)
    ]
    assert missing == [], f"commands that print data without --json: {missing}"
    not_run = [
        " ".join(w) for w in everything if w not in RUNS and w not in RUN_APART and w[0] != "record"
    ]
    assert not_run == [], f"add them to RUNS (tests/test_cli_habits.py): {not_run}"


def test_every_json_output_parses(demo_db: str, tmp_path: Path) -> None:
    t = str(tmp_path)
    registered = json.loads(
        ok("--db", demo_db, "log", "--type", "EligibleGrantsRegistered", "--limit", "1", "--json")
    )[0]["payload"]  # a roster row already on record: planned as already recorded
    (tmp_path / "roster.csv").write_text(
        "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding,synthetic\n"
        + "".join(
            f"{registered['employee_id']},{registered['employee_name']},{g['grant_id']},"
            f"{g['plan']},{g['grant_date']},{g['exercise_price']},{g['options_outstanding']},"
            "true\n"
            for g in registered["grants"]
        )
    )
    (tmp_path / "elections.csv").write_text(
        "employee_id,grant_id,choice,received_at,form_id,channel\n"
        "E0001,G0001-1,exchange,2001-09-29T10:00:00-04:00,F-LATE-1,paper\n"
    )
    logged = json.loads(ok("--db", demo_db, "log", "--type", "FilingRecorded", "--json"))
    sha = next(e["payload"]["source_sha256"] for e in logged if e["payload"]["source_sha256"])
    values = {"t": t, "db": demo_db, "sha": sha, "kid": ""}
    roots = [k for k in json.loads(ok("--db", demo_db, "keys", "list", "--json"))
             if k["role"] == "root"]  # fmt: skip
    ok("--db", demo_db, "keys", "export-public", roots[0]["key_id"], "--out", f"{t}/root.pub")
    shown: dict[tuple[str, ...], Any] = {}
    for words, args in RUNS.items():
        filled = [a.format(**values) for a in args]
        result = invoke("--db", demo_db, *filled, "--json")
        assert result.exit_code == 0, (words, result.stderr)
        shown[words] = json.loads(result.stdout)  # the whole of stdout is one JSON document
        if words == ("keys", "new"):
            values["kid"] = shown[words]["key_id"]
    assert shown[("keys", "create")]["key_id"] == values["kid"]
    assert len(shown[("letters",)]["letters"]) == len(os.listdir(f"{t}/letters"))
    amendment = shown[("final-amendment",)]  # its figures, its text, what verify found
    assert amendment["results"]["synthetic"] is True and amendment["verification"]["state"]
    assert "SYNTHETIC DATA" in amendment["text"]
    assert shown[("log",)][0]["position"] == 0 and len(shown[("log",)]) == 5
    # --format json stays an alias of --json where it existed
    assert json.loads(ok("--db", demo_db, "elections", "--format", "json")) == json.loads(
        ok("--db", demo_db, "elections", "--json")
    )
    refused = invoke("--db", demo_db, "elections", "--json", "--format", "csv")
    assert refused.exit_code == 2 and "give --json or --format csv, not both" in refused.stderr


def test_init_prints_json(tmp_path: Path) -> None:
    made = json.loads(ok("--db", str(tmp_path / "new.db"), "init", "--json"))
    assert set(made) == {"ledger_id", "location", "root_key_id", "holder", "keystore"}


def test_the_lazy_command_list_is_the_commands_own() -> None:
    """``--help`` lists commands from cli/lazy.py without importing them: the same text as
    the commands' own help gives, once they are all loaded."""
    lazy = invoke("--help").stdout
    cli.load_all()  # type: ignore[attr-defined]
    for name, (module, first) in COMMANDS.items():
        loaded = cli.commands[name]
        assert loaded.callback is not None and loaded.callback.__module__.endswith(module)
        assert first == " ".join((loaded.help or "").split("\n\n")[0].split()), name
    assert invoke("--help").stdout == lazy


# --- fast --help ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["log", "--help"], ["elections", "--help"],
     ["keys", "list", "--help"], ["verify", "--help"], ["ingest", "elections", "--help"],
     ["report", "--help"], ["timeline", "--help"], ["record", "--help"]],
)  # fmt: skip
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['offerledger', *{args!r}]\n"
        "try:\n    runpy.run_module('offerledger', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()  # it printed its help or version
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_record_action_help_imports_the_models_only() -> None:
    """``record ACTION --help`` builds its options from the pydantic event models, and imports
    nothing else heavy: no storage, no crypto; of eventsourcing only its topic registry
    (``eventsourcing.utils``, which the models register with)."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['offerledger', 'record', 'filing-recorded', '--help']\n"
        "try:\n    runpy.run_module('offerledger', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "print(sorted(m for m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "--source-sha256" in done.stdout  # an option built from the model
    modules = set(ast.literal_eval(done.stderr.strip().splitlines()[-1]))
    assert "offerledger.events" in modules
    heavy = {
        m
        for m in modules
        if m.startswith(("cryptography", "nacl", "sqlite3", "psycopg", "rich", "jinja2"))
        or m.startswith(("offerledger.ledger", "offerledger.signing", "offerledger.store"))
        or (m.startswith("eventsourcing") and m not in {"eventsourcing", "eventsourcing.utils"})
    }
    assert heavy == set()


def test_record_action_sentences_are_the_models() -> None:
    """``record --help`` lists the actions from cli/record_actions.py: each the first sentence
    of its event class, as the built command says it."""
    from offerledger.cli.record import summary
    from offerledger.cli.record_actions import ACTIONS
    from offerledger.recording import action_classes

    expected = {name: summary(cls) for name, cls in action_classes().items()}
    assert ACTIONS == expected, (
        "src/offerledger/cli/record_actions.py is out of date; ACTIONS should be:\n"
        + json.dumps(expected, indent=4, ensure_ascii=False)
    )
    from offerledger.cli.record import RecordGroup

    def listing(group: click.Group) -> str:
        formatter = click.HelpFormatter(width=78)
        group.format_commands(click.Context(group), formatter)
        return formatter.getvalue()

    lazy = RecordGroup("record")
    unloaded = listing(lazy)
    assert not lazy.commands  # listing built no command
    record = cli.get_command(click.Context(cli), "record")
    assert isinstance(record, RecordGroup)
    record.load_all()
    assert set(record.commands) == set(ACTIONS)
    assert listing(record) == unloaded


# --- the same content piped or not ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["elections"], ["elections", "--employee", "E0002"], ["keys", "list"],
     ["log", "--no-pager"], ["timeline"], ["text", "--section", "7"], ["findings"],
     ["final-amendment"], ["verify"]],
)  # fmt: skip
def test_a_terminal_only_adds_colour(
    demo_db: str, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    piped = ok("--db", demo_db, *args)
    monkeypatch.setattr(output, "is_terminal", lambda: True)  # rich then forces a terminal
    shown = ok("--db", demo_db, *args)
    assert output.plain(shown) == piped


def test_keys_list_shows_whole_key_ids(demo_db: str) -> None:
    ids = [k["key_id"] for k in json.loads(ok("--db", demo_db, "keys", "list", "--json"))]
    listed = ok("--db", demo_db, "keys", "list")
    assert all(len(i) == 64 and i in listed for i in ids)


# --- progress on stderr -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "label"),
    [(["verify"], "verify"), (["rebuild", "--full"], "rebuild"), (["log"], "log"),
     (["ingest", "elections", "{t}/elections.csv", "--dry-run", "--key", CLERK],
      "ingest elections: planning"),
     (["nightly", "--out", "{t}/n", "--checkpoints", "{t}/cps"], "nightly rebuild")],
)  # fmt: skip
def test_progress_on_stderr_only_when_it_is_a_terminal(
    demo_db: str, tmp_path: Path, args: list[str], label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elections.csv").write_text(
        "employee_id,grant_id,choice,received_at,form_id,channel\n"
        "E0001,G0001-1,exchange,2001-09-29T10:00:00-04:00,F-LATE-1,paper\n"
    )
    filled = [a.format(t=tmp_path) for a in args]
    quiet = invoke("--db", demo_db, *filled)
    assert quiet.exit_code == 0, quiet.stderr
    assert "\x1b[" not in quiet.stderr and label not in output.plain(quiet.stderr)
    monkeypatch.setattr(output, "stderr_is_terminal", lambda: True)
    shown = invoke("--db", demo_db, *filled)
    assert shown.exit_code == 0, shown.stderr
    assert f"{label} " in output.plain(shown.stderr)  # the bar, drawn then cleared
    assert "\x1b[2K" in shown.stderr  # cleared: it leaves no lines behind
    assert output.plain(shown.stdout) == quiet.stdout or args[0] == "nightly"


# --- log streams and pages --------------------------------------------------------------------


def test_log_reads_only_what_it_prints(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from offerledger.ledger import Ledger

    read: list[int] = []
    real = Ledger.log

    def counted(self: Ledger, *, after: int = -1) -> Iterator[Any]:
        for entry in real(self, after=after):
            read.append(entry.position)
            yield entry

    monkeypatch.setattr(Ledger, "log", counted)
    rows = json.loads(ok("--db", demo_db, "log", "--from", "10", "--limit", "3", "--json"))
    assert [r["position"] for r in rows] == [10, 11, 12]
    assert read == [10, 11, 12]  # pulled row by row from the storage layer's pages, no more
    text = ok("--db", demo_db, "log", "--from", "10", "--limit", "3").splitlines()
    assert text[0].split() == ["pos", "stream", "v", "action", "effective", "recorded", "actor"]
    assert [line.split()[1] for line in text[1:]] == [r["stream"] for r in rows]  # full ids


def test_log_pages_on_a_terminal_unless_told_not_to(
    demo_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    paged: list[str] = []

    def pager(lines: Iterator[str]) -> None:
        paged.extend(lines)

    monkeypatch.setattr(click, "echo_via_pager", pager)
    monkeypatch.setattr(output, "is_terminal", lambda: True)
    assert ok("--db", demo_db, "log", "--limit", "2") == ""
    assert len(paged) == 3 and paged[0].startswith("    pos")
    assert len(ok("--db", demo_db, "log", "--limit", "2", "--no-pager").splitlines()) == 3
    assert len(paged) == 3  # --no-pager printed straight


# --- a closed pipe ----------------------------------------------------------------------------


def closed_stdout(*args: str) -> subprocess.CompletedProcess[str]:
    """Run offerledger with a stdout whose reader is already gone (``… | head`` that quit)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "offerledger", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": ""},
        )
    finally:
        os.close(write_end)


def test_letters_into_a_closed_pipe_write_every_letter_and_say_so(
    demo_db: str, tmp_path: Path
) -> None:
    expected = json.loads(ok("--db", demo_db, "letters", "--out", str(tmp_path / "a"), "--json"))
    done = closed_stdout("--db", demo_db, "letters", "--out", str(tmp_path / "b"))
    assert done.returncode == 141
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: the output was closed before everything was written")
    assert f"every letter was written to {tmp_path / 'b'}" in last
    assert sorted(os.listdir(tmp_path / "b")) == sorted(os.listdir(tmp_path / "a"))
    assert len(expected["letters"]) == len(os.listdir(tmp_path / "b"))
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.mark.parametrize("args", [["log"], ["log", "--json"], ["elections"], ["keys", "list"]])
def test_a_closed_pipe_stops_with_one_line(demo_db: str, args: list[str]) -> None:
    done = closed_stdout("--db", demo_db, *args)
    assert done.returncode == 141, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: the output was closed before everything was written (broken pipe)"]
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


# --- wording ----------------------------------------------------------------------------------


def test_counts_say_one_in_the_singular() -> None:
    assert output.plural(1, "eligible grant") == "1 eligible grant"
    assert output.plural(0, "eligible grant") == "0 eligible grants"
    assert output.plural(1200, "entry", "entries") == "1,200 entries"


def test_verify_counts_events_and_signatures(demo_db: str) -> None:
    out = ok("--db", demo_db, "verify")
    assert "(s)" not in out and " events, " in out and " signatures: verified" in out


def test_the_final_amendment_says_one_in_the_singular(tmp_path: Path) -> None:
    """The synthetic demo of 3 employees (fixed seed) has one employee tendering."""
    db = str(tmp_path / "three.db")
    ok("--db", db, "demo", "--employees", "3")
    text = " ".join(ok("--db", db, "final-amendment").split())
    assert "tendered by 1 employee," in text
    assert not re.search(r"(?<![\d,])1 (employees|option grants|shares)\b", text)


def test_the_timeline_says_one_grant_in_the_singular(demo_db: str) -> None:
    from offerledger.events import EligibleGrantsRegistered
    from offerledger.ledger import Ledger
    from offerledger.projections.timeline import _summary

    with Ledger.open(demo_db) as ledger:
        registered = next(
            e.event for e in ledger.log() if isinstance(e.event, EligibleGrantsRegistered)
        )
    one = registered.model_copy(update={"grants": registered.grants[:1]})
    options = registered.grants[0].options_outstanding
    assert _summary(one) == (
        f"{one.employee_id}: 1 eligible grant ({options:,} option{'s' * (options != 1)}) registered"
    )
    assert f"{len(registered.grants)} eligible grants (" in _summary(registered)


def test_a_closed_stdout_does_nothing_and_says_so(demo_db: str, tmp_path: Path) -> None:
    import shlex

    out = tmp_path / "letters"
    line = f"{shlex.quote(sys.executable)} -m offerledger --db {shlex.quote(demo_db)} letters "
    done = subprocess.run(f"{line} --out {shlex.quote(str(out))} >&-", shell=True, text=True,
                          capture_output=False, stderr=subprocess.PIPE)  # fmt: skip
    assert done.returncode == 141
    assert done.stderr.strip() == "Error: standard output is closed; nothing was done"
    assert not out.exists()
