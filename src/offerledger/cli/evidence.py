"""Commands: export evidence, verify-bundle."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from offerledger.cli.common import (
    cli,
    emit_json,
    err_console,
    json_option,
    offer_option,
    with_ledger,
)
from offerledger.cli.output import plural

if TYPE_CHECKING:  # imported when a command runs, not for --help
    from offerledger.ledger import Ledger


@cli.group("export")
def export() -> None:
    """Export what an outsider can check without the database.

    Example: offerledger export evidence --employee E0001 --out E0001.zip
    """


@export.command("evidence")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The ZIP."
)
@click.option("--employee", default=None, metavar="ID", help="Only this employee's evidence.")
@offer_option
@click.option(
    "--as-of", default=None, metavar="DATE", help="The offer text as of this date (end of day, ET)."
)
@json_option
@with_ledger
def export_evidence(
    out: Path,
    employee: str | None,
    offer: str | None,
    as_of: str | None,
    as_json: bool,
    ledger: Ledger,
) -> None:
    """Write an evidence bundle: events as stored, their keys, proofs against a fresh
    checkpoint signed by the root key, source documents, projections and the standalone
    verifier. With --employee, nothing in it names any other employee. Needs the root key's
    passphrase (OFFERLEDGER_KEY_PASSPHRASE, or a prompt).

    Example: offerledger export evidence --employee E0001 --out E0001.zip
    """
    from offerledger.cli.read import parse_day
    from offerledger.evidence import export_bundle
    from offerledger.signing.keys import passphrase_from_env_or_prompt

    day = parse_day(as_of, "--as-of")
    passphrase = passphrase_from_env_or_prompt(prompt=True)
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=passphrase)
    summary = export_bundle(
        ledger, out=out, employee=employee, offer=offer, as_of=day, checkpoint_key=root
    )
    if as_json:
        emit_json(
            {
                "out": str(summary.out),
                "events": summary.events,
                "documents": summary.documents,
                "withheld": summary.withheld,
                "entries": summary.entries,
                "checkpoint_size": summary.tree_size,
                "root_key_id": summary.root_key_id,
                "key_findings": summary.findings,
            }
        )
    else:
        click.echo(
            f"{summary.out}: {plural(summary.events, 'event')}, "
            f"{plural(summary.documents, 'document')} ({summary.withheld} withheld), "
            f"{plural(summary.entries, 'entry', 'entries')}; checkpoint of "
            f"{plural(summary.tree_size, 'event')} signed by root key {summary.root_key_id}"
        )
    if summary.findings:
        err_console.print(
            f"Warning: verify found {plural(summary.findings, 'key finding')} (revoked-key, "
            "recorded-outside-key-validity); the bundle's verifier reports those in it",
            markup=False,
            highlight=False,
        )
    err_console.print(
        f"check it: python offerledger_verify.py {summary.out} --trust {summary.root_key_id}",
        markup=False,
        highlight=False,
    )


@cli.command("verify-bundle")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--trust", default=None, metavar="ROOT_KEY_ID", help="The root key id you trust.")
@click.option(
    "--witness", multiple=True, metavar="VKEY", help="A C2SP verifier key that must co-sign."
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    metavar="N",
    default=1 << 30,  # offerledger_verify.LIMITS (not imported for --help; a test compares)
    show_default=True,
    help="Refuse a bundle larger, on disk or unpacked, before reading its files.",
)
@click.option(
    "--max-events",
    type=click.IntRange(min=1),
    metavar="N",
    default=1_000_000,
    show_default=True,
    help="Refuse a bundle whose index lists more events, before checking any.",
)
@json_option
def verify_bundle(
    bundle: Path,
    trust: str | None,
    witness: tuple[str, ...],
    max_bytes: int,
    max_events: int,
    as_json: bool,
) -> None:
    """Check an evidence bundle as offerledger_verify.py does, and rebuild every projection
    from its events. Exit 0 clean, 1 problems found, 2 not a bundle.

    Example: offerledger verify-bundle E0001.zip --trust 3f2a…(64 hex digits)
    """
    from offerledger.evidence import check_bundle

    result = check_bundle(
        bundle, trust=trust, witnesses=witness, max_bytes=max_bytes, max_events=max_events
    )
    if as_json:
        emit_json(
            {
                "ok": result.ok,
                "events": result.events,
                "employee": result.employee,
                "root_key_id": result.root_key_id,
                "trusted": result.trusted,
                "problems": [{"file": f, "reason": r, "detail": d} for f, r, d in result.problems],
            }
        )
    else:
        for file, reason, detail in result.problems:
            click.echo(f"{file}: {reason}: {detail}")
        verdict = f"{len(result.problems)} problem(s)" if result.problems else "verified"
        click.echo(f"{bundle}: {result.events} events: {verdict}")
    if not result.trusted:
        err_console.print(
            f"Warning: no --trust given; the bundle's own root key {result.root_key_id} was "
            "trusted, which proves nothing about who made it",
            markup=False,
            highlight=False,
        )
    if not result.ok:
        click.get_current_context().exit(1)
