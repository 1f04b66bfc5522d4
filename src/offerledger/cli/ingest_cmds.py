"""``offerledger ingest filing|roster|elections`` and ``offerledger findings``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from offerledger.cli.common import (
    cli,
    emit_json,
    err_console,
    json_option,
    offer_option,
    with_ledger,
)
from offerledger.cli.moments import moment_of, moment_options
from offerledger.cli.output import Progress, plural, show

if TYPE_CHECKING:  # the rest is imported when a command runs, not for --help
    from offerledger.events import LedgerEvent
    from offerledger.ingest.csvingest import CsvIngest
    from offerledger.ingest.service import FilingIngest
    from offerledger.ledger import Ledger

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _dry(f: Any) -> Any:
    return click.option(
        "--dry-run", is_flag=True, help="Show what would be recorded; write nothing."
    )(f)


@cli.group("ingest")
def ingest() -> None:
    """Record what the world sends: SEC filing text, CSV rosters and elections.

    Example: offerledger ingest filing amendment-2.txt --dry-run
    """


@ingest.command("filing")
@click.argument("file", type=_FILE)
@_dry
@json_option
@offer_option
@click.option(
    "--allow-unparsed",
    is_flag=True,
    help="Record instructions the grammar cannot resolve as unresolved (kept raw).",
)
@click.option(
    "--key",
    "key",
    default=None,
    metavar="WHO",
    help="Issuer officer's key (default: the only one registered).",
)
@click.option(
    "--notice-key",
    default=None,
    metavar="WHO",
    help="Communications key for notices the filing holds (default: the only one).",
)
@click.option(
    "--cik",
    default=None,
    metavar="CIK",
    help="The issuer's CIK, for a file without an SEC header.",
)
@click.option(
    "--file-number",
    default=None,
    metavar="NUMBER",
    help="The SEC file number (005-...), for a file without an SEC header.",
)
@with_ledger
def ingest_filing(
    file: Path,
    dry_run: bool,
    as_json: bool,
    offer: str | None,
    allow_unparsed: bool,
    key: str | None,
    notice_key: str | None,
    cik: str | None,
    file_number: str | None,
    ledger: Ledger,
) -> None:
    """Ingest a Schedule TO filing (TO-C, TO-I, TO-I/A, final amendment): plain text, EDGAR
    submission or HTML. A Schedule TO-I of an issuer with no offer in the ledger starts the
    offer: offer commenced, the filing with its exhibits, the Offer to Exchange as the offer's
    document, its notices to employees. Amendment instructions become text operations; a notice
    exhibit becomes a notice-dispatched event per channel. The same file twice records nothing
    the second time. --dry-run needs no key and no passphrase.

    Example: offerledger ingest filing mpower-schedule-to-amendment-2-2001-09-13.txt --dry-run
    """
    from offerledger.ingest.filing import parse_filing, read_filing
    from offerledger.ingest.service import plan_filing, save_plan
    from offerledger.ingest.signers import default_key, dry_run_key
    from offerledger.signing.keys import passphrase_from_env_or_prompt

    raw = read_filing(file)  # (refused over the size or line limit before it is read whole)
    parsed = parse_filing(raw, name=str(file))
    if dry_run:  # no key, no passphrase: unsigned where no key can be chosen
        officer, note = dry_run_key(ledger, role="issuer_officer", who=key)
        comms, comms_note = _dry_notice_key(ledger, notice_key)
    else:
        officer, note = default_key(ledger, role="issuer_officer", who=key).key_id, None
        comms, comms_note = _optional_key(ledger, "communications", notice_key), None
    result = plan_filing(
        ledger,
        parsed,
        raw=raw,
        key_id=officer,
        notice_key_id=comms,
        offer=offer,
        allow_unparsed=allow_unparsed,
        cik=cik,
        file_number=file_number,
    )
    result.notes.extend(n for n in (note, comms_note) if n and result.groups)
    if not dry_run and result.groups:
        passphrase = passphrase_from_env_or_prompt(prompt=True)
        keys = [officer, *([comms] if comms else [])]
        save_plan(ledger, result, [ledger.signer(k, passphrase) for k in keys])
    if as_json:
        emit_json(result.as_json())
    else:
        _render_filing(result, dry_run)
    for line in result.notes:
        err_console.print(line, markup=False, highlight=False)


def _dry_notice_key(ledger: Ledger, who: str | None) -> tuple[str | None, str | None]:
    """A dry run's communications key: the one a real run would use, else UNSIGNED."""
    from offerledger.ingest.signers import dry_run_key

    found = _optional_key(ledger, "communications", who)
    if found is not None:
        return found, None
    return dry_run_key(ledger, role="communications", who=None, option="--notice-key")


def _optional_key(ledger: Ledger, role: str, who: str | None) -> str | None:
    from offerledger.ingest.signers import default_key

    if who:
        return default_key(ledger, role=role, who=who, option="--notice-key").key_id
    live = [k for k in ledger.registry().keys.values() if k.role == role and not k.revoked]
    return live[0].key_id if len(live) == 1 else None


def _render_filing(result: FilingIngest, dry_run: bool) -> None:
    """The events, checks and unresolved instructions: the same text on a terminal and in a
    pipe (a terminal adds colour only)."""
    from offerledger.ingest.report import describe_event
    from offerledger.ingest.service import OUTCOMES
    from offerledger.projections.findings import cross_check_text

    events = result.events
    lines: list[str] = []
    for e in events:
        lines.append(
            f"{e.action} stream {e.originator_id} v{e.originator_version} "
            f"effective {_when(e)} signed by {e.actor}\n"
        )
        lines.extend(f"  {line}\n" for line in describe_event(e))
    lines.extend(
        f"[{cross_check_text(OUTCOMES[c.status])}] {c.check}: {c.detail}\n" for c in result.checks
    )
    lines.extend(f"[UNRESOLVED] {u.describe()}\n" for u in result.unresolved)
    show("".join(lines))
    if result.already_recorded:
        return
    verb = "would be recorded (dry run: nothing was written)" if dry_run else "recorded"
    err_console.print(f"{plural(len(events), 'event')} {verb}", markup=False, highlight=False)


def _when(e: LedgerEvent) -> str:
    return str(
        e.effective.model_dump(mode="json").get("on")
        or e.effective.model_dump(mode="json").get("at")
        or "not on file"
    )


def _csv(
    kind: str,
    file: Path,
    dry_run: bool,
    as_json: bool,
    offer: str | None,
    key: str | None,
    role: str,
    ledger: Ledger,
    effective: date | None = None,
    late_recorded_reason: str | None = None,
) -> None:
    from offerledger.ingest.csvingest import plan_elections, plan_roster
    from offerledger.ingest.signers import default_key
    from offerledger.signing.keys import passphrase_from_env_or_prompt

    info = default_key(ledger, role=role, who=key)
    unit = "employees" if kind == "roster" else "forms"
    with Progress(f"ingest {kind}: planning", unit=unit) as bar:
        tick = bar.update if bar.on else None
        if kind == "roster":
            result = plan_roster(
                ledger, file, key_id=info.key_id, offer=offer, effective=effective, progress=tick
            )
        else:
            result = plan_elections(
                ledger,
                file,
                key_id=info.key_id,
                offer=offer,
                late_recorded_reason=late_recorded_reason,
                progress=tick,
            )
    if not dry_run and result.events:
        signer = ledger.signer(info.key_id, passphrase_from_env_or_prompt(prompt=True))
        saving = f"ingest {kind}: signing and saving {plural(len(result.events), 'event')}"
        with Progress(saving, unit=""):
            result.save(ledger, signer=signer)
    if as_json:
        emit_json(result.as_json())
        return
    _render_csv(result, dry_run)


def _render_csv(result: CsvIngest, dry_run: bool) -> None:
    """Each row not simply recorded (every row on a dry run), then one summary line on
    stderr that counts rows as rows and forms (or grants) as forms (or grants):
    ``3 rows: 2 forms (1 recorded, 1 refused), 1 duplicate row dropped; 1 event recorded``."""
    shown = [o for o in result.outcomes if o.status != "recorded" or dry_run]
    show(
        "".join(
            f"line {','.join(map(str, o.lines))}: {o.status} {o.employee_id} {o.ref} "
            f"{o.action} {o.reason}".rstrip()
            + "\n"
            for o in shown
        )
    )
    unit = "form" if result.kind == "elections" else "grant"
    counted = [o for o in result.outcomes if o.status != "duplicate"]
    statuses = ("recorded", "refused", "already_recorded")
    counts = ", ".join(
        f"{result.count(s)} {s.replace('_', ' ')}" for s in statuses if result.count(s)
    )
    duplicates = result.count("duplicate")
    verb = "would be recorded (dry run: nothing was written)" if dry_run else "recorded"
    err_console.print(
        f"{plural(result.rows, 'row')}: {plural(len(counted), unit)}"
        + (f" ({counts})" if counts else "")
        + (f", {plural(duplicates, 'duplicate row')} dropped" if duplicates else "")
        + f"; {plural(len(result.events), 'event')} {verb}",
        markup=False,
        highlight=False,
    )


@ingest.command("roster")
@click.argument("file", type=_FILE)
@_dry
@json_option
@offer_option
@click.option(
    "--key",
    "key",
    default=None,
    metavar="WHO",
    help="Issuer officer's key (default: the only one registered).",
)
@click.option(
    "--effective",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date the grants are registered as of (default: the offer's commencement).",
)
@with_ledger
def ingest_roster(
    file: Path,
    dry_run: bool,
    as_json: bool,
    offer: str | None,
    key: str | None,
    effective: Any,
    ledger: Ledger,
) -> None:
    """Ingest eligible grants from CSV: employee_id, name, grant_id, plan, grant_date,
    exercise_price, options_outstanding (optional: email, synthetic).

    Example: offerledger ingest roster roster.csv --dry-run
    """
    _csv(
        "roster",
        file,
        dry_run,
        as_json,
        offer,
        key,
        "issuer_officer",
        ledger,
        effective.date() if effective else None,
    )


@ingest.command("elections")
@click.argument("file", type=_FILE)
@_dry
@json_option
@offer_option
@click.option(
    "--key",
    "key",
    default=None,
    metavar="WHO",
    help="Clerk's key recording the forms (default: the only one registered).",
)
@click.option(
    "--late-recorded-reason",
    default=None,
    metavar="TEXT",
    help="Why the file's forms received before the deadline are recorded only after the "
    "offer's expiration was on record (required then; each such form is a finding).",
)
@with_ledger
def ingest_elections(
    file: Path,
    dry_run: bool,
    as_json: bool,
    offer: str | None,
    key: str | None,
    late_recorded_reason: str | None,
    ledger: Ledger,
) -> None:
    """Ingest election forms from CSV: employee_id, grant_id, choice (exchange, keep, withdraw),
    received_at (with its time zone), form_id, channel (optional: acted_by, synthetic). Late
    forms are recorded as refused. Once the offer's expiration is on record, forms claiming
    receipt before the deadline need --late-recorded-reason.

    Example: offerledger ingest elections elections.csv --json
    """
    _csv(
        "elections",
        file,
        dry_run,
        as_json,
        offer,
        key,
        "clerk",
        ledger,
        late_recorded_reason=late_recorded_reason,
    )


@cli.command("findings")
@json_option
@offer_option
@moment_options
@with_ledger
def findings_cmd(
    as_json: bool, offer: str | None, as_of: str | None, as_recorded: str | None, ledger: Ledger
) -> None:
    """Timing findings: Rules 14e-1(a)-(d) and 13e-4(c), (e)(3) and (f), each cited (quoted
    where checked word for word, else a labelled paraphrase), with the events it rests on
    (SYNTHETIC where it rests on synthetic ones); business days per Rule 14d-1(g)(3); then the
    cross-checks recorded at ingest. With --as-of or --as-recorded, judged on what the ledger
    showed then.

    Example: offerledger findings --json --as-recorded 2001-09-28
    """
    from offerledger.cli.read import log_read
    from offerledger.cli.verification import standing_of
    from offerledger.projections import NOW
    from offerledger.projections.catalog import offers
    from offerledger.projections.filed import identifiers
    from offerledger.projections.findings import findings, render_text
    from offerledger.projections.verification import headed

    when = moment_of(as_of, as_recorded)
    offer_id = None if offer is None else ledger.resolve_offer(offer)
    state, built = log_read(ledger)
    verified = standing_of(ledger, built)  # what the last verify of this state found
    items = findings(state, when, offer_id=offer_id)
    chosen = [offer_id] if offer_id else [o.stream for o in offers(state)]
    ids = [i for o in chosen if (i := identifiers(state, o, when)) is not None]
    if as_json:
        data = {
            "findings": [f.as_json() for f in items],
            "identifiers": [i.as_dict() for i in ids],
            "verification": verified.as_dict(),
        }
        emit_json(data if when == NOW else {**data, "moment": when.as_dict()})
    else:
        sources = "".join(f"{i.line}\n" for i in ids)
        click.echo(headed(f"{sources}\n{render_text(items, when)}", verified), nl=False)


__all__ = ["findings_cmd", "ingest"]
