"""The top-level commands, loaded on first use: ``offerledger --help`` and ``--version`` import
no command module (and so no storage, crypto, event models, rich or jinja2).

This is click's documented ``LazyGroup`` pattern ("Lazily Loading Subcommands" in click's
*Complex Applications*): ``list_commands`` names every command and ``get_command`` imports the
one module that defines it. The group's own ``--help`` lists each command by the first
paragraph of its help, kept here (:data:`COMMANDS`) so that listing needs no import;
tests/test_cli_habits.py checks that it equals the commands' own help.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import click

# name -> (module under offerledger.cli that registers it, first paragraph of its help)
COMMANDS: dict[str, tuple[str, str]] = {
    "checkpoint": (
        "admin",
        "Write a signed checkpoint of the ledger's head, to keep outside the database.",
    ),
    "db": (
        "db_cmds",
        ("Database administration: copy a ledger between backends, make PostgreSQL append-only."),
    ),
    "demo": (
        "admin",
        "Build the reference case (Mpower, 2001) on a fresh ledger, verify it, summarize.",
    ),
    "diff": (
        "read",
        (
            "What changed in the offer document between two moments, paragraph by paragraph, "
            "and the exhibits filed in between."
        ),
    ),
    "elections": (
        "read",
        ("Each employee's standing choice per eligible grant, refusals, notices; the summary."),
    ),
    "export": ("evidence", "Export what an outsider can check without the database."),
    "final-amendment": (
        "read",
        (
            "The amendment to Schedule TO that reports the results, every figure from the "
            "ledger, as known by its date: a later event is not yet known, never stated as "
            "fact."
        ),
    ),
    "findings": (
        "ingest_cmds",
        (
            "Timing findings: Rules 14e-1(a)-(d) and 13e-4(c), (e)(3) and (f), each cited "
            "(quoted where checked word for word, else a labelled paraphrase), with the "
            "events it rests on (SYNTHETIC where it rests on synthetic ones); business days "
            "per Rule 14d-1(g)(3); then the cross-checks recorded at ingest. With --as-of or "
            "--as-recorded, judged on what the ledger showed then."
        ),
    ),
    "ingest": (
        "ingest_cmds",
        "Record what the world sends: SEC filing text, CSV rosters and elections.",
    ),
    "init": ("admin", "Create a new ledger and its root key (written encrypted to the keystore)."),
    "keys": ("keys_cmds", "Actors' keys and roles, registered in the ledger by the root key."),
    "letters": (
        "read",
        (
            "Each participating employee's results letter with its Attachment A, and a notice "
            "to each employee whose election form was refused; one file each."
        ),
    ),
    "log": ("admin", "The events as stored, in log order."),
    "nightly": (
        "batch",
        (
            "Verify, rebuild incrementally, write the outputs and a signed manifest, append a "
            "checkpoint."
        ),
    ),
    "parse": (
        "parse_cmd",
        (
            "What the filing parser reads in a Schedule TO filing (plain text, EDGAR "
            "submission or HTML), each item with its lines: SEC header, cover page, amendment "
            "instructions with their locators and new text, exhibits, notices, the stated "
            "expiration and plans, the Offer to Exchange's sections, and what it did not "
            "understand. Opens no ledger and needs no key; a locator that addresses the "
            "offer's document is shown unresolved."
        ),
    ),
    "prove": (
        "proofs",
        ("RFC 9162 proofs from the persisted log: an event's inclusion, the log's consistency."),
    ),
    "rebuild": (
        "batch",
        ("Materialize every projection into the read model (only new events, unless --full)."),
    ),
    "record": (
        "record",
        ("Record one action (signed by --key). Run 'offerledger record ACTION --help' for fields."),
    ),
    "report": (
        "report_cmd",
        (
            "A static HTML report to open in a browser or print to PDF: the offer's redline "
            "from --from to --as-of (each change with its filing and event), the elections "
            "dashboard, the timeline against the rule deadlines and the findings. Every page "
            "begins with the verification line; pages resting on synthetic events say "
            "SYNTHETIC. No network, no script."
        ),
    ),
    "show": (
        "documents",
        "Show what the ledger stores besides events: the source documents events cite.",
    ),
    "text": (
        "read",
        (
            "The offer document as it stood at a moment, with its provenance on request; or "
            "an exhibit of the offer's filings (--exhibit)."
        ),
    ),
    "timeline": (
        "batch",
        "Every action in effective order: recorded time, actor, key, verification status.",
    ),
    "verify": (
        "admin",
        ("Verify every event's signature, key, role, chain, version and save (and a checkpoint)."),
    ),
    "verify-bundle": (
        "evidence",
        (
            "Check an evidence bundle as offerledger_verify.py does, and rebuild every "
            "projection from its events. Exit 0 clean, 1 problems found, 2 not a bundle."
        ),
    ),
    "witness": (
        "proofs",
        (
            "A second key (e.g. outside counsel's) that cosigns checkpoints kept outside the "
            "database."
        ),
    ),
}


class LazyGroup(click.Group):
    """A group whose commands live in modules imported when the command is first asked for."""

    def __init__(
        self, *args: Any, lazy_subcommands: dict[str, tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_subcommands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_subcommands:
            module, _ = self.lazy_subcommands[cmd_name]
            importlib.import_module(f"offerledger.cli.{module}")  # registers on the group
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, from :data:`COMMANDS` for commands not loaded yet (click lists a
        command by the first paragraph of its help, which is all a stand-in needs)."""

        def stand_in(name: str) -> click.Command:
            return click.Command(name, help=self.lazy_subcommands[name][1])

        write_commands(self, ctx, formatter, stand_in)

    def load_all(self) -> None:
        """Import every command module (the CLI reference and tests walk the whole tree)."""
        for name in self.lazy_subcommands:
            self.get_command(click.Context(self), name)


__all__ = ["COMMANDS", "LazyGroup"]


def write_commands(
    group: click.Group,
    ctx: click.Context,
    formatter: click.HelpFormatter,
    stand_in: Callable[[str], click.Command],
) -> None:
    """click's "Commands" section of ``group``, with ``stand_in(name)`` listed for a command
    not built yet (click shows a command by its short help, which is all a stand-in needs)."""
    rows: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        command = group.commands.get(name) or stand_in(name)
        if not command.hidden:
            rows.append((name, command))
    if not rows:
        return
    limit = formatter.width - 6 - max(len(name) for name, _ in rows)
    with formatter.section("Commands"):
        formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in rows])
