"""Generate docs/cli.md from every command's --help: ``python -m offerledger.cli.reference``."""

from __future__ import annotations

import click

from offerledger.cli import cli


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):  # loads lazily loaded commands
            sub = command.get_command(ctx, name)
            if sub is not None:
                found.extend(_walk(sub, [*path, name]))
    return found


def reference() -> str:
    """The CLI reference in Markdown: one section per command, its --help verbatim."""
    parts = [
        "# CLI reference\n",
        "Generated from `--help`; regenerate with "
        "`python -m offerledger.cli.reference > docs/cli.md`.\n",
    ]
    for path, command in _walk(cli, ["offerledger"]):
        with click.Context(command, info_name=" ".join(path), terminal_width=100) as ctx:
            text = command.get_help(ctx)
        parts.append(f"## {' '.join(path)}\n\n```\n{text}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
