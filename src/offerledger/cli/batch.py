"""Batch and history commands: timeline, rebuild, nightly (read side, see cli/read.py)."""

from __future__ import annotations

import os
import uuid
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
from offerledger.cli.output import Progress, plural
from offerledger.cli.read import (
    emit,
    ledger_source,
    projection_state,
    read_options,
    translate_errors,
)
from offerledger.errors import InputError, OfferLedgerError, UnknownEntity

if TYPE_CHECKING:  # the rest is imported when a command runs, not for --help
    from offerledger.ledger import Ledger
    from offerledger.projections.timeline import TimelineRow
    from offerledger.projections.verification import Head, VerificationRecord
    from offerledger.signing.keys import SigningKey

# --- timeline ------------------------------------------------------------------------------


def verify_and_record(
    ledger: Ledger, *, since: Path | None = None, read_model: Path | None = None
) -> VerificationRecord:
    """Verify every event (in parallel) and record what was found beside the read model; with
    ``since`` (a checkpoints file holding a checkpoint), only the events after its last
    checkpoint."""
    from offerledger.cli.verification import record
    from offerledger.integrity.service import verify_ledger

    report = verify_ledger(ledger, checkpoint=since, since=since is not None)
    return record(ledger, report, by="nightly", checkpoint=since, read_model=read_model)


def timeline_rows(
    ledger: Ledger, *, from_log: bool, read_model: Path | None
) -> tuple[list[TimelineRow], Head]:
    from offerledger.cli.verification import read_model_path
    from offerledger.projections import runner
    from offerledger.reading import log_timeline

    if not from_log:
        path = read_model_path(ledger, read_model)
        try:
            found = runner.timeline(ledger_source(ledger), path)
        except runner.ReadModelDiverged as e:
            err_console.print(f"Warning: {e}; reading the log instead", markup=False)
            found = None
        if found is not None:
            return found
        err_console.print(f"Note: no read model at {path}; reading the log", markup=False)
    return log_timeline(ledger)


@cli.command("timeline")
@offer_option
@moment_options
@click.option("--employee", default=None, metavar="ID", help="Only this employee's actions.")
@click.option(
    "--filing", default=None, metavar="ID", help="Only this filing's (stream id or filing:… name)."
)
@click.option("--no-verify", is_flag=True, hidden=True)  # timeline no longer verifies: ignored
@json_option
@read_options
@with_ledger
@translate_errors
def timeline_cmd(
    offer: str | None,
    as_of: str | None,
    as_recorded: str | None,
    employee: str | None,
    filing: str | None,
    no_verify: bool,
    as_json: bool,
    from_log: bool,
    read_model: Path | None,
    ledger: Ledger,
) -> None:
    """Every action in effective order: recorded time, actor, key, verification status.

    The status is what the last 'offerledger verify' (or nightly) of exactly this state found;
    timeline does not verify.

    With --as-of or --as-recorded, only the events effective (or recorded) by then.

    Example: offerledger timeline --employee E0042 --as-recorded 2001-09-28
    """
    from offerledger.cli.verification import standing_of
    from offerledger.events import stream_id
    from offerledger.projections import outputs
    from offerledger.projections.catalog import offers

    when = moment_of(as_of, as_recorded)
    filing_id = None
    if filing is not None:
        try:
            filing_id = (
                uuid.UUID(filing) if not filing.startswith("filing:") else (stream_id(filing))
            )
        except ValueError:
            raise InputError(f"{filing!r} is not a filing stream id", field="--filing") from None
    rows, built = timeline_rows(ledger, from_log=from_log, read_model=read_model)
    notices: list[int] = []
    if employee is not None:
        if not any(r.employee_id == employee for r in rows):
            raise UnknownEntity(f"no employee {employee!r} in this ledger")
        state, _ = projection_state(
            ledger, from_log=from_log, read_model=read_model, employees=False
        )
        ids = [ledger.resolve_offer(offer)] if offer else [s.stream for s in offers(state)]
        notices = outputs.notice_positions(state, ids, employee, when)
    if filing_id is not None and not any(r.filing_id == filing_id for r in rows):
        raise UnknownEntity(f"no filing {filing} in this ledger")
    emit(
        outputs.timeline_output(
            rows,
            None,
            as_json=as_json,
            employee=employee,
            filing=filing_id,
            employee_notices=notices,
            verification=standing_of(ledger, built, read_model),
            moment=when,
        )
    )


# --- rebuild, nightly ------------------------------------------------------------------------


@cli.command("rebuild")
@click.option("--full", is_flag=True, help="Rebuild from the first event, not incrementally.")
@click.option(
    "--read-model",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="OFFERLEDGER_READ_MODEL",
    help="Read-model file.",
)
@json_option
@with_ledger
@translate_errors
def rebuild_cmd(full: bool, read_model: Path | None, as_json: bool, ledger: Ledger) -> None:
    """Materialize every projection into the read model (only new events, unless --full).

    Example: offerledger rebuild && offerledger rebuild --full
    """
    from offerledger.cli.verification import read_model_path
    from offerledger.projections import runner

    path = read_model_path(ledger, read_model)
    total = ledger.count() if full and _bar() else None  # incremental: the new events only
    with Progress("rebuild", total=total, unit="events") as bar:
        result = runner.build(
            ledger_source(ledger), path, full=full, progress=bar.update, step=ledger.fault
        )
    report = {
        "mode": result.mode,
        "applied": result.applied,
        "read_model": str(path),
        "position": result.tracker.position,
        "events": result.tracker.events,
        "leaf_hash": result.tracker.leaf_hash,
        "tree_root": result.tracker.root,
        "notes": result.notes,
    }
    if as_json:
        emit_json(report)
        return
    click.echo(
        f"read model {path}: {result.mode}, {plural(result.applied, 'event')} applied; "
        f"{plural(result.tracker.events, 'event')}, head {result.tracker.leaf_hash[:16]}"
    )


@cli.command("nightly")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--read-model",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="OFFERLEDGER_READ_MODEL",
    help="Read-model file.",
)
@click.option(
    "--checkpoints",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="OFFERLEDGER_CHECKPOINTS",
    help="The checkpoints file kept outside the database (default: 'checkpoints' beside a "
    "SQLite ledger, or in a PostgreSQL ledger's per-user folder, "
    "$XDG_DATA_HOME/offerledger/HOST-PORT-DB-SCHEMA/). Verify starts from its last "
    "checkpoint; a new one is appended.",
)
@json_option
@with_ledger
@translate_errors
def nightly_cmd(
    out: Path, read_model: Path | None, checkpoints: Path | None, as_json: bool, ledger: Ledger
) -> None:
    """Verify, rebuild incrementally, write the outputs and a signed manifest, append a
    checkpoint.

    Verify checks the events after the last checkpoint in the checkpoints file (after a
    consistency proof), so the work grows with the new events; what it found is recorded, and
    each output's first line states it. The manifest and the new checkpoint are signed with
    the root key (passphrase from OFFERLEDGER_KEY_PASSPHRASE; without one, the manifest is
    unsigned, no checkpoint is appended and a warning says so). Exit 1 when verification found
    problems, or an earlier full verify of this state did (the outputs and manifest are still
    written; no checkpoint is appended); else exit 3 when a passphrase was given but the root
    key could not be loaded with it (wrong passphrase, key file unreadable), after the outputs
    and the unsigned manifest are written.

    Example: offerledger nightly --out reports/ --checkpoints /mnt/evidence/checkpoints
    """
    from offerledger.cli.verification import read_model_path, standing_of
    from offerledger.integrity.manifest import sign_manifest
    from offerledger.projections.nightly import run_nightly
    from offerledger.signing.keystore import PASSPHRASE_ENV

    cps = checkpoints or _default_checkpoints(ledger)
    since = cps if cps.is_file() and cps.stat().st_size else None
    path = read_model_path(ledger, read_model)
    source = ledger_source(ledger)
    offer_ids = [o.originator_id for o in ledger.offers()]
    root = _root_key(ledger)
    with Progress("nightly rebuild", unit="events") as bar:  # the new events: no total
        manifest = run_nightly(
            source,
            path,
            out,
            offers=offer_ids,
            verify=lambda: verify_and_record(ledger, since=since, read_model=read_model),
            standing=lambda built: standing_of(ledger, built, read_model),
            sign=lambda m: (
                None if isinstance(root, OfferLedgerError) else sign_manifest(manifest=m, root=root)
            ),
            progress=bar.update,
            step=lambda s: bar.note(f"nightly: {s}"),
        )
    if isinstance(root, OfferLedgerError):
        err_console.print(f"Warning: nightly: manifest not signed: {root.message}", markup=False)
    stated = manifest["outputs_verification"]
    ok = manifest["verification"]["ok"] and stated["state"] != "failed"
    checkpoint = None
    if ok:
        checkpoint = _nightly_checkpoint(ledger, cps, root)
    if as_json:
        emit_json({**manifest, "checkpoint": checkpoint})
    else:
        held = manifest["ledger"]
        click.echo(
            f"{plural(len(manifest['outputs']), 'output')} and manifest.json written to {out}; "
            f"{plural(held['events'], 'event')}, root {held['tree_root']}"
        )
        click.echo(f"outputs state: {stated['line']}")
        if checkpoint is not None and checkpoint.get("size") is not None:
            click.echo(f"checkpoint of {plural(checkpoint['size'], 'event')} in {cps}")
    if not ok:
        err_console.print(f"Error: {stated['line']}; see manifest.json", markup=False)
    if isinstance(root, OfferLedgerError) and os.environ.get(PASSPHRASE_ENV):
        # a passphrase was given and did not open the root key: a scheduled job must notice
        err_console.print(
            f"Error: nightly: the root key could not be loaded with {PASSPHRASE_ENV}: "
            f"{root.message}; the outputs and an unsigned manifest were written to {out}",
            markup=False,
        )
        if ok:
            raise SystemExit(root.exit_code)  # 3: KeyFileError, KeyNotFound
    if not ok:
        raise SystemExit(1)


def _bar() -> bool:
    """Will a progress bar show (then its total is worth a count of the log)?"""
    from offerledger.cli.output import stderr_is_terminal

    return stderr_is_terminal()


def _default_checkpoints(ledger: Ledger) -> Path:
    """``checkpoints`` beside a SQLite ledger, or in a PostgreSQL ledger's per-user folder
    (:func:`offerledger.pgurl.ledger_home`, made mode 0700 when missing, as for its read model
    and keys): the same file from any working folder."""
    home = ledger.backend.home
    if home is not None:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        return home / "checkpoints"
    return ledger.backend.sqlite_path.resolve().parent / "checkpoints"


def _root_key(ledger: Ledger) -> SigningKey | OfferLedgerError:
    """The root key (to sign the manifest and the checkpoint), or why it cannot be loaded."""
    from offerledger.signing.keys import passphrase_from_env_or_prompt

    try:
        return ledger.keystore.load(
            key_id=ledger.root_key_info().key_id,
            passphrase=passphrase_from_env_or_prompt(prompt=False),
        )
    except OfferLedgerError as e:
        return e


def _nightly_checkpoint(
    ledger: Ledger, path: Path, root: SigningKey | OfferLedgerError
) -> dict[str, Any]:
    """Append the night's checkpoint; a reason on stderr (and in the JSON) when it cannot."""
    from offerledger.integrity.service import append_checkpoint

    if isinstance(root, OfferLedgerError):
        why = root.message
    else:
        try:
            return append_checkpoint(ledger, path=path, root=root)
        except OfferLedgerError as e:
            why = e.message
    err_console.print(f"Warning: nightly: no checkpoint appended: {why}", markup=False)
    return {"appended": False, "why": why}
