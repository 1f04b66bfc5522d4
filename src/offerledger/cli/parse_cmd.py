"""``offerledger parse FILE``: what the filing parser understands of a file; no ledger needed."""

from __future__ import annotations

from pathlib import Path

import click

from offerledger.cli.common import cli, emit_json, json_option


@cli.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def parse_cmd(file: Path, as_json: bool) -> None:
    """What the filing parser reads in a Schedule TO filing (plain text, EDGAR submission or
    HTML), each item with its lines: SEC header, cover page, amendment instructions with their
    locators and new text, exhibits, notices, the stated expiration and plans, the Offer to
    Exchange's sections, and what it did not understand. Opens no ledger and needs no key; a
    locator that addresses the offer's document is shown unresolved.

    Example: offerledger parse mpower-schedule-to-amendment-2-2001-09-13.txt --json
    """
    from offerledger.ingest.filing import parse_filing_file
    from offerledger.ingest.report import parse_report, render_parse

    parsed = parse_filing_file(file)
    if as_json:
        emit_json(parse_report(parsed))
    else:
        click.echo("\n".join(render_parse(parsed)))


__all__ = ["parse_cmd"]
