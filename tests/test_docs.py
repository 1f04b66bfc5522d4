"""Docs are part of the product: the CLI reference is current, every command has an example,
the README's test command is the one CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from offerledger.cli.reference import reference

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text() == reference(), (
        "regenerate: python -m offerledger.cli.reference > docs/cli.md"
    )


def test_every_command_help_ends_with_an_example() -> None:
    sections = reference().split("\n## ")[1:]
    missing = [s.splitlines()[0] for s in sections if "Example:" not in s]
    assert missing == []


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.DOTALL)
    test_command = blocks[1].split("&&")[-1].strip()
    assert test_command.startswith(".venv/bin/python -m pytest")
    assert test_command in (ROOT / ".ci" / "run").read_text()
