"""docs/recording.md, executed: every command on the page runs on a fresh ledger, in order.

Files the page shows (a JSON block under `` `NAME.json` ``, a text block under `` `NAME` ``) are
written first, as a reader would save them; each ``ACTION.json`` must be exactly what
``record ACTION --template`` prints; every action ``record`` takes has its section and is
recorded; the ledger verifies at the end. ``OFFERLEDGER_UPDATE_GOLDEN=1`` rewrites the page's
``ACTION.json`` blocks from ``--template`` (then read the diff).
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.actions import action_classes
from offerledger.cli import cli

DOC = Path(__file__).resolve().parents[1] / "docs" / "recording.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
NAMED = re.compile(r"`([\w.-]+\.(?:json|md|txt))`.*:\s*$")


def _steps(text: str) -> list[tuple[str, str, str | None]]:
    """(kind, body, file name) of each fenced block, in page order."""
    out = []
    for m in FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").splitlines()
        named = NAMED.search(before[-1]) if before else None
        out.append((m.group(1), m.group(2), named.group(1) if named else None))
    return out


def _commands(body: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", body)
    out = []
    for line in joined.splitlines():
        line = line.split("  #", 1)[0].strip()
        if not line or line.startswith(("#", "export ")):
            continue
        assert line.startswith("offerledger "), line
        out.append(line)
    return out


def _update_templates(text: str) -> str:
    """The page with each ``ACTION.json`` block replaced by what ``--template`` prints
    (``OFFERLEDGER_UPDATE_GOLDEN=1``)."""
    runner = CliRunner()

    def fresh(m: re.Match[str]) -> str:
        before = text[: m.start()].rstrip("\n").splitlines()
        named = NAMED.search(before[-1]) if before else None
        stem = named.group(1).removesuffix(".json") if named else ""
        if m.group(1) != "json" or stem not in action_classes():
            return m.group(0)
        shown = runner.invoke(cli, ["record", stem, "--template"]).stdout
        return f"```json\n{shown}```"

    return FENCE.sub(fresh, text)


def test_every_example_runs(
    ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite and PostgreSQL: the page's ``--db ledger.db`` is the test's database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OFFERLEDGER_KEY_PASSPHRASE", "recording-doc")
    text = DOC.read_text(encoding="utf-8")
    if os.environ.get("OFFERLEDGER_UPDATE_GOLDEN"):
        text = _update_templates(text)
        DOC.write_text(text, encoding="utf-8")
    runner = CliRunner()
    sections = set(re.findall(r"^### ([a-z-]+)$", text, re.M))
    assert sections == set(action_classes()), "docs/recording.md: one section per action"
    ran = 0
    for kind, body, name in _steps(text):
        if name is not None:
            (tmp_path / name).write_text(body, encoding="utf-8")
            stem = name.removesuffix(".json")
            if kind == "json" and stem in action_classes():
                shown = runner.invoke(cli, ["record", stem, "--template"])
                assert shown.exit_code == 0, shown.output
                assert json.loads(body) == json.loads(shown.stdout), (
                    f"docs/recording.md: {name} is not what record {stem} --template prints"
                )
            continue
        if kind != "sh":
            continue
        for command in _commands(body):
            args = [ledger_db if a == "ledger.db" else a for a in shlex.split(command)[1:]]
            target = None
            if ">" in args:
                at = args.index(">")
                args, target = args[:at], args[at + 1]
            result = runner.invoke(cli, args)
            assert result.exit_code == 0, f"{command}\n{result.output}"
            if target is not None:
                (tmp_path / target).write_text(result.stdout, encoding="utf-8")
            ran += 1
    log = runner.invoke(cli, ["--db", ledger_db, "log", "--json"])
    recorded = {row["topic"].split(".")[1] for row in json.loads(log.stdout)}
    missing = {a for a, cls in action_classes().items() if cls.TOPIC.split(".")[1] not in recorded}
    assert not missing, f"docs/recording.md records no {sorted(missing)}"
    assert ran > 30
    shown = runner.invoke(cli, ["--db", ledger_db, "text", "--offer", "offer:0000999101:005-99103"])
    assert "Section 2. Conditions of the Offer" in shown.stdout
    assert "Section ." not in shown.stdout and "\nSummary Term Sheet\n" in shown.stdout
