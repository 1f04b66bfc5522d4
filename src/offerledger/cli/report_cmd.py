"""``offerledger report --out DIR``: the static HTML report (:mod:`.projections.report`)."""

from __future__ import annotations

from pathlib import Path

import click

from offerledger.cli.batch import timeline_rows
from offerledger.cli.common import cli, err_console, offer_option, with_ledger
from offerledger.cli.moments import moment_of, moment_options
from offerledger.cli.read import projection_state, read_options, translate_errors
from offerledger.cli.verification import warn
from offerledger.ledger import Ledger
from offerledger.projections.catalog import commenced
from offerledger.projections.core import eastern


@cli.command("report")
@offer_option
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the HTML pages (written over).",
)
@click.option(
    "--from",
    "from_date",
    default=None,
    metavar="DATE",
    help="Start of the redline: what --as-of takes (default: the day the offer commenced).",
)
@moment_options
@read_options
@with_ledger
@translate_errors
def report_cmd(
    offer: str | None,
    out: Path,
    from_date: str | None,
    as_of: str | None,
    as_recorded: str | None,
    from_log: bool,
    read_model: Path | None,
    ledger: Ledger,
) -> None:
    """A static HTML report to open in a browser or print to PDF: the offer's redline from
    --from to --as-of (each change with its filing and event), the elections dashboard, the
    timeline against the rule deadlines and the findings. Every page begins with the
    verification line; pages resting on synthetic events say SYNTHETIC. No network, no script.

    Example: offerledger report --out report/ --from 2001-09-12 --as-of 2001-09-13
    """
    from offerledger.projections.report import build_report

    after = moment_of(as_of, as_recorded)
    offer_id = ledger.resolve_offer(offer)
    state, verified = projection_state(ledger, from_log=from_log, read_model=read_model)
    rows, _ = timeline_rows(ledger, from_log=from_log, read_model=read_model)
    if from_date is None:
        from_date = eastern(commenced(state, offer_id, after).effective.earliest())[:10]
    before = moment_of(from_date, as_recorded, field="--from")
    pages = build_report(state, offer_id, rows, verified, before=before, after=after)
    warn(verified)
    out.mkdir(parents=True, exist_ok=True)
    for name, html in pages.items():
        (out / name).write_bytes(html.encode("utf-8"))
        click.echo(str(out / name))
    err_console.print(f"{len(pages)} pages written to {out}", markup=False)


__all__ = ["report_cmd"]
