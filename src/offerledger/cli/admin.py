"""Commands: init, log, verify, checkpoint, demo (the keys commands: :mod:`.keys_cmds`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from offerledger.cli import output
from offerledger.cli.common import (
    cli,
    emit_json,
    err_console,
    holder_option,
    json_option,
    settings,
    with_ledger,
)
from offerledger.cli.output import Progress, paged, plural
from offerledger.errors import InputError

if TYPE_CHECKING:  # the rest is imported when a command runs, not for --help
    from offerledger.ledger import Ledger, LogEntry


def _passphrase() -> bytes:
    from offerledger.signing.keys import passphrase_from_env_or_prompt

    return passphrase_from_env_or_prompt(prompt=True)


@cli.command()
@click.option(
    "--holder",
    default="ledger root",
    show_default=True,
    callback=holder_option,
    help="Who holds the root key.",
)
@json_option
def init(holder: str, as_json: bool) -> None:
    """Create a new ledger and its root key (written encrypted to the keystore).

    Example: OFFERLEDGER_KEY_PASSPHRASE=... offerledger --db ledger.db init
    """
    from offerledger.ledger import Ledger

    ledger, root = Ledger.init(
        settings().db, passphrase=_passphrase(), holder=holder, keys=settings().keys
    )
    try:
        made = {
            "ledger_id": str(ledger.ledger_id()),
            "location": str(ledger.backend.location),
            "root_key_id": root.key_id,
            "holder": holder,
            "keystore": str(ledger.keystore.folder),
        }
    finally:
        ledger.close()
    if as_json:
        emit_json(made)
        return
    click.echo(f"ledger {made['ledger_id']} created at {made['location']}")
    click.echo(f"root key {made['root_key_id']} ({holder}) in {made['keystore']}")


LOG_HEADER = ("pos", "stream", "v", "action", "effective", "recorded", "actor")


@cli.command()
@click.option("--stream", default=None, help="Only this stream (uuid or stream name).")
@click.option("--type", "action", default=None, help="Only this action (e.g. NoticeDispatched).")
@click.option(
    "--from",
    "start",
    type=click.IntRange(min=0),
    default=0,
    metavar="POSITION",
    help="Start at this log position (0-based).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@click.option("--no-pager", is_flag=True, help="Never page (a terminal pages by default).")
@json_option
@with_ledger
def log(
    stream: str | None,
    action: str | None,
    start: int,
    limit: int | None,
    no_pager: bool,
    as_json: bool,
    ledger: Ledger,
) -> None:
    """The events as stored, in log order.

    Rows are printed as they are read (the log is read in pages, never all at once): through
    the pager on a terminal ($PAGER, else less; --no-pager to print straight), with a progress
    bar on stderr when the output goes to a file or pipe and stderr is a terminal. Stream ids
    are printed in full.

    Example: offerledger log --type NoticeDispatched --json | jq '.[].payload'
    """
    from offerledger.events import TOPICS, stream_id

    names = {t.split(".")[1] for t in TOPICS}
    if action is not None and action not in names:
        raise InputError(
            f"no action {action!r}", field="--type", hint="one of: " + ", ".join(sorted(names))
        )
    want = None
    if stream is not None:
        import uuid

        try:
            want = uuid.UUID(stream)
        except ValueError:
            want = stream_id(stream)
        if not ledger.stream_exists(want):
            raise InputError(f"no stream {stream!r} in this ledger", field="--stream")

    def rows(bar: Progress | None) -> Iterator[dict[str, Any]]:
        shown = 0
        for entry in ledger.log(after=start - 1):
            if bar is not None:
                bar.update(entry.position + 1)
            if (want and entry.stream != want) or (action and _action(entry.topic) != action):
                continue
            yield _log_row(entry)
            shown += 1
            if limit is not None and shown >= limit:
                return

    lines = _json_lines if as_json else _text_lines
    if output.is_terminal():  # the pager, or the rows on the screen, show how far it has come
        paged(lines(rows(None)), pager=not no_pager)
        return
    total = ledger.count() if output.stderr_is_terminal() else None
    with Progress("log", total=total, unit="events") as bar:
        paged(lines(rows(bar)), pager=False)


def _action(topic: str) -> str:
    return topic.split(".")[1] if topic.count(".") >= 2 else topic


def _log_row(entry: LogEntry) -> dict[str, Any]:
    e = entry.event
    return {
        "position": entry.position,
        "stream": str(entry.stream),
        "version": entry.version,
        "topic": entry.topic,
        "effective": e.effective.model_dump(mode="json") if e else None,
        "recorded": e.recorded.isoformat() if e else None,
        "actor": e.actor if e else None,
        "key_id": e.key_id if e else None,
        "synthetic": e.is_synthetic if e else None,
        "payload": e.payload() if e else None,
        "error": entry.error,
    }


def _json_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one row at a time (the same text as dumping the whole list at once)."""
    first = True
    for row in rows:
        text = json.dumps(row, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        yield ("[\n" if first else ",\n") + "\n".join(f"  {line}" for line in text.split("\n"))
        first = False
    yield "[]\n" if first else "\n]\n"


def _text_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    """One line per event, in fixed columns (every value in full)."""
    line = "{:>7}  {:<36}  {:>3}  {:<28}  {:<25}  {:<25}  {}"
    yield line.format(*LOG_HEADER).rstrip() + "\n"
    for r in rows:
        eff = r["effective"] or {}
        actor = str(r["actor"])
        if r["synthetic"] and "SYNTHETIC" not in actor:  # said once
            actor += " (SYNTHETIC)"
        if r["error"] is not None:
            actor = f"undecodable: {r['error']}"
        yield (
            line.format(
                r["position"],
                r["stream"],
                r["version"],
                _action(r["topic"]),
                str(eff.get("at") or eff.get("on") or "not on file"),
                str(r["recorded"] or "not on file"),
                actor,
            )
            + "\n"
        )


@cli.command()
@click.option(
    "--checkpoint",
    type=click.Path(path_type=Path),
    default=None,
    help="A checkpoint written by 'offerledger checkpoint' (or a checkpoints file: its last).",
)
@click.option(
    "--since",
    "since",
    type=click.Path(path_type=Path),
    default=None,
    help="Verify only the events after this checkpoint (file or checkpoints file), once a "
    "consistency proof shows the ledger extends it.",
)
@click.option(
    "--root-key",
    default=None,
    metavar="FILE|FINGERPRINT",
    help="The trusted root public key (hex file) or its key id.",
)
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    metavar="VKEY",
    help="A witness's verifier key (name+id+key); the checkpoint must carry its cosignature.",
)
@json_option
@with_ledger
def verify(
    checkpoint: Path | None,
    since: Path | None,
    root_key: str | None,
    witnesses: tuple[str, ...],
    as_json: bool,
    ledger: Ledger,
) -> None:
    """Verify every event's signature, key, role, chain, version and save (and a checkpoint).

    Each save signed the log head it extends, so a deleted, inserted, moved or altered event
    that a later save follows is found without a checkpoint. Exit 0 clean, 1 problems found,
    2 bad input.

    Example: offerledger verify --since checkpoints --root-key root.pub
    """
    from offerledger.cli.verification import warnings_on_stderr
    from offerledger.key_admin import KEYS_PUBLIC_NOTICE, keys_public
    from offerledger.verifying import verify as verify_and_record

    if checkpoint is not None and since is not None:
        raise InputError("give --checkpoint or --since, not both", field="--since")
    given = checkpoint or since
    if given is not None and not given.exists():
        raise InputError("no such file", file=given, field="--since" if since else "--checkpoint")
    if witnesses and given is None:
        raise InputError(
            "a witness cosigns a checkpoint: give --checkpoint or --since", field="--witness"
        )
    # what it found is recorded: read commands' first line states it
    with warnings_on_stderr(), Progress("verify", unit="events") as bar:
        report = verify_and_record(
            ledger,
            root_key=root_key,
            checkpoint=given,
            since=since is not None,
            witnesses=witnesses,
            progress=bar.update if bar.on else None,
        )
    public = keys_public(ledger)
    if as_json:
        emit_json({**report.as_dict(), "keys_public": public})
    else:
        if public:
            click.echo(KEYS_PUBLIC_NOTICE)
        click.echo(f"root key: {report.root_key_id} (from {report.root_key_source})")
        if report.since is not None:
            click.echo(
                f"since checkpoint of {plural(report.since, 'event')} (consistency proof "
                f"checked): {plural(report.examined, 'event')} after it examined"
            )
        for p in report.problems:
            click.echo(
                f"position {p.position} stream {p.stream} version {p.version}: "
                f"{p.reason}: {p.detail}"
            )
        verdict = "verified" if report.ok else plural(len(report.problems), "problem")
        click.echo(
            f"{plural(report.count, 'event')}, {plural(report.signatures_checked, 'signature')}: "
            f"{verdict}; root {report.root.hex()}"
        )
    if not report.ok:
        click.get_current_context().exit(1)


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the signed note (the heads sidecar goes beside it).",
)
@click.option(
    "--append",
    "append",
    type=click.Path(path_type=Path),
    default=None,
    help="A checkpoints file kept outside the database: append a new checkpoint, refused "
    "unless it is consistent with the file's last.",
)
@json_option
@with_ledger
def checkpoint(out: Path | None, append: Path | None, as_json: bool, ledger: Ledger) -> None:
    """Write a signed checkpoint of the ledger's head, to keep outside the database.

    Example: offerledger checkpoint --append /mnt/evidence/checkpoints
    """
    from offerledger.integrity.service import append_checkpoint, write_checkpoint

    if (out is None) == (append is None):
        raise InputError("give one of --out FILE or --append FILE", field="--append")
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=_passphrase())
    if append is not None:
        result = append_checkpoint(ledger, path=append, root=root)
        if as_json:
            emit_json(result)
            return
        since = result["previous_size"]
        if not result["appended"]:
            click.echo(f"the ledger has not grown since the last checkpoint in {append}")
            return
        click.echo(
            f"checkpoint of {result['size']} events appended to {append}"
            + (f" (consistent with the last, of {since} events)" if since is not None else "")
        )
        return
    assert out is not None
    statement = write_checkpoint(ledger, out=out, root=root)
    if as_json:
        emit_json(statement)
        return
    click.echo(f"checkpoint of {statement['size']} events written to {out}")


@cli.command()
@click.option(
    "--employees",
    type=click.IntRange(min=3),
    default=300,
    show_default=True,
    help="Size of the synthetic roster (at least 3: the story's three forms at the deadline"
    " boundary, 23:59:59 accepted, 00:00:00 and 09:12 refused, need three employees).",
)
@json_option
def demo(employees: int, as_json: bool) -> None:
    """Build the reference case (Mpower, 2001) on a fresh ledger, verify it, summarize.

    What the verification found is recorded as 'offerledger verify' records it, so the read
    commands' first line states it (for this ledger: NOT EVIDENCE, its keys being public).

    The roster and elections are synthetic (fixed seed). Keys are derived from a public demo
    seed and encrypted with OFFERLEDGER_KEY_PASSPHRASE (default "demo"), with a cheap scrypt
    (n=2^10: the keys are public anyway). The ledger records that its keys are public: verify
    says so first, and writing into it needs --demo-keys-ok.

    Example: offerledger --db demo.db demo
    """
    import os

    from offerledger.cli.verification import warnings_on_stderr
    from offerledger.demo import run_demo, verify_demo
    from offerledger.key_admin import KEYS_PUBLIC_NOTICE

    passphrase = os.environ.get("OFFERLEDGER_KEY_PASSPHRASE", "demo").encode()
    summary = run_demo(
        settings().db or "offerledger.db",
        passphrase=passphrase,
        progress=lambda s: err_console.print(s, markup=False, highlight=False),
        employees=employees,
        keys=settings().keys,
    )
    with warnings_on_stderr(), Progress("verify", unit="events") as bar:
        report = verify_demo(
            settings().db, keys=settings().keys, progress=bar.update if bar.on else None
        )
    if as_json:
        emit_json({**summary.as_dict(), "verification": {**report.as_dict(), "keys_public": True}})
    else:
        click.echo(
            f"Mpower Holding Corporation option exchange (Schedule TO, Rule 13e-4) "
            f"recorded at {summary.db}: a demo, its roster, elections and recording clock "
            "SYNTHETIC, its keys public"
        )
        click.echo(
            f"  events: {summary.events:,}; employees (synthetic): {summary.employees:,}; "
            f"eligible grants: {summary.grants:,}"
        )
        click.echo(
            f"  election forms accepted: {summary.elections_accepted:,}; refused as late: "
            f"{summary.elections_refused:,}; grants tendered and accepted: "
            f"{summary.tendered_grants:,}"
        )
        verdict = (
            "signatures verified, NOT EVIDENCE (keys public: a demo ledger)"
            if report.ok
            else f"VERIFICATION FAILED: {plural(len(report.problems), 'problem')}"
        )
        click.echo(
            f"  verify: {plural(report.count, 'event')}, "
            f"{plural(report.signatures_checked, 'signature')}, {verdict}"
        )
        click.echo(f"  {KEYS_PUBLIC_NOTICE}")
    if not report.ok:
        click.get_current_context().exit(1)
