"""``offerledger report --out DIR``: the static HTML report (:mod:`.projections.report`)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import click

from offerledger.cli.batch import timeline_rows
from offerledger.cli.common import (
    cli,
    err_console,
    json_option,
    list_written,
    offer_option,
    with_ledger,
)
from offerledger.cli.moments import moment_of, moment_options
from offerledger.cli.output import plural
from offerledger.cli.read import projection_state, read_options, translate_errors
from offerledger.errors import InputError, OfferLedgerError

if TYPE_CHECKING:  # imported when the command runs, not for --help
    from offerledger.ledger import Ledger


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
@click.option(
    "--pdf",
    "pdf",
    is_flag=True,
    help="Also print every page, in one document, to DIR/report.pdf with headless Chromium "
    "(chromium on PATH, or OFFERLEDGER_CHROMIUM); without Chromium: exit 2, nothing written.",
)
@moment_options
@json_option
@read_options
@with_ledger
@translate_errors
def report_cmd(
    offer: str | None,
    out: Path,
    from_date: str | None,
    pdf: bool,
    as_of: str | None,
    as_recorded: str | None,
    as_json: bool,
    from_log: bool,
    read_model: Path | None,
    ledger: Ledger,
) -> None:
    """A static HTML report to open in a browser or print to PDF: the offer's redline from
    --from to --as-of (each change with its filing and event), the elections dashboard, the
    timeline against the rule deadlines and the findings. Every page begins with the
    verification line; pages resting on synthetic events say SYNTHETIC. No network, no script.

    Each employee has a page (employees/ID.html, linked from the dashboard): grants and their
    standing, every form received with its time and channel, receipts, notices and the results
    letter. Every file is written before any is listed: each file written, one a line (with
    --json: each file's path and SHA-256); --pdf adds report.pdf.

    Example: offerledger report --out report/ --from 2001-09-12 --as-of 2001-09-13 --pdf
    """
    from offerledger.cli.verification import warn
    from offerledger.projections.catalog import commenced
    from offerledger.projections.core import eastern
    from offerledger.projections.report import PRINT_PAGE, build_report

    browser = chromium() if pdf else None  # before anything is read or written

    after = moment_of(as_of, as_recorded)
    offer_id = ledger.resolve_offer(offer)
    state, verified = projection_state(ledger, from_log=from_log, read_model=read_model)
    rows, _ = timeline_rows(ledger, from_log=from_log, read_model=read_model)
    from_given = from_date is not None
    if from_date is None:
        from_date = eastern(commenced(state, offer_id, after).effective.earliest())[:10]
    before = moment_of(from_date, as_recorded, field="--from")
    pages = build_report(
        state,
        offer_id,
        rows,
        verified,
        before=before,
        after=after,
        combined=browser is not None,
        # an option is named only when given: --from defaults to the commencement
        named_by=("from" if from_given else "", None),
    )
    warn(verified)
    out.mkdir(parents=True, exist_ok=True)
    stale = set((out / "employees").glob("*.html")) - {out / name for name in pages}
    for path in sorted(stale):  # an employee no longer shown keeps no page from an older run
        path.unlink()
    written: list[tuple[Path, str]] = []
    for name, html in pages.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        data = html.encode("utf-8")
        (out / name).write_bytes(data)
        written.append((out / name, hashlib.sha256(data).hexdigest()))
    employees = sum(1 for name in pages if name.startswith("employees/"))
    if browser is not None:
        target = out / "report.pdf"
        print_pdf(browser, out / PRINT_PAGE, target)
        written.append((target, hashlib.sha256(target.read_bytes()).hexdigest()))
    list_written(
        out,
        written,
        as_json=as_json,
        key="files",
        done=f"every file was written to {out} ({plural(len(written), 'file')})",
        verification=verified,
    )
    err_console.print(
        f"{plural(len(pages), 'page')} written to {out} "
        f"({plural(employees, 'employee page')} in {out / 'employees'})"
        + ("; report.pdf printed by Chromium" if browser else ""),
        markup=False,
    )


CHROMIUM_ENV = "OFFERLEDGER_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str:
    """The Chromium to print with: ``OFFERLEDGER_CHROMIUM``, else the first of
    :data:`CHROMIUM_NAMES` on PATH; none is an input error (exit 2) naming what is missing."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        found = shutil.which(given)
        if found is None:
            raise InputError(
                f"{CHROMIUM_ENV}={given} is not an executable; report --pdf needs Chromium",
                field="--pdf",
            )
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise InputError(
        "report --pdf needs Chromium, and none is installed: no "
        + ", ".join(CHROMIUM_NAMES)
        + f" on PATH and {CHROMIUM_ENV} not set; nothing was written",
        field="--pdf",
        hint="install it (Debian/Ubuntu: apt-get install chromium), or leave out --pdf and "
        "print the pages from a browser",
    )


def print_pdf(browser: str, page: Path, target: Path) -> None:
    """Print ``page`` to ``target`` with headless Chromium; a failure says what Chromium said."""
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--print-to-pdf={partial.resolve()}",
        page.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise OfferLedgerError(f"Chromium ({browser}) could not print {page}: {e}") from e
    if done.returncode != 0 or not partial.exists() or not partial.read_bytes()[:5] == b"%PDF-":
        said = " ".join(done.stderr.strip().splitlines()[-3:]) or f"exit {done.returncode}"
        partial.unlink(missing_ok=True)
        raise OfferLedgerError(f"Chromium ({browser}) did not print {page} to PDF: {said}")
    partial.replace(target)


__all__ = ["chromium", "print_pdf", "report_cmd"]
