"""Commands: init, log, verify, checkpoint, demo (the keys commands: :mod:`.keys_cmds`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from offerledger.cli.common import (
    cli,
    emit_json,
    err_console,
    is_terminal,
    json_option,
    settings,
    with_ledger,
)
from offerledger.errors import InputError
from offerledger.key_admin import KEYS_PUBLIC_NOTICE, keys_public
from offerledger.ledger import Ledger
from offerledger.signing.keys import passphrase_from_env_or_prompt


def _passphrase() -> bytes:
    return passphrase_from_env_or_prompt(prompt=True)


@cli.command()
@click.option("--holder", default="ledger root", show_default=True, help="Who holds the root key.")
def init(holder: str) -> None:
    """Create a new ledger and its root key (written encrypted to the keystore).

    Example: OFFERLEDGER_KEY_PASSPHRASE=... offerledger --db ledger.db init
    """
    ledger, root = Ledger.init(
        settings().db, passphrase=_passphrase(), holder=holder, keys=settings().keys
    )
    try:
        click.echo(f"ledger {ledger.app.ledger_id()} created at {ledger.backend.location}")
        click.echo(f"root key {root.key_id} ({holder}) in {ledger.keystore.folder}")
    finally:
        ledger.close()


@cli.command()
@click.option("--stream", default=None, help="Only this stream (uuid or stream name).")
@click.option("--type", "action", default=None, help="Only this action (e.g. NoticeDispatched).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@json_option
@with_ledger
def log(
    stream: str | None, action: str | None, limit: int | None, as_json: bool, ledger: Ledger
) -> None:
    """The events as stored, in log order.

    Example: offerledger log --type NoticeDispatched --json
    """
    from offerledger.events import TOPICS, stream_id

    if action is not None and action not in {t.split(".")[1] for t in TOPICS}:
        raise InputError(
            f"no action {action!r}",
            field="--type",
            hint="one of: " + ", ".join(sorted({t.split(".")[1] for t in TOPICS})),
        )
    want = None
    if stream is not None:
        import uuid

        try:
            want = uuid.UUID(stream)
        except ValueError:
            want = stream_id(stream)
        if not ledger.app.recorder.select_events(want, limit=1):
            raise InputError(f"no stream {stream!r} in this ledger", field="--stream")
    rows: list[dict[str, Any]] = []
    for entry in ledger.log():
        name = entry.topic.split(".")[1] if entry.topic.count(".") >= 2 else entry.topic
        if (want and entry.stream != want) or (action and name != action):
            continue
        e = entry.event
        rows.append(
            {
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
        )
        if limit is not None and len(rows) >= limit:
            break
    if as_json:
        emit_json(rows)
        return
    table = Table("pos", "stream", "v", "action", "effective", "recorded", "actor")
    for r in rows:
        eff = r["effective"] or {}
        table.add_row(
            str(r["position"]),
            r["stream"][:8],
            str(r["version"]),
            r["topic"].split(".")[1] if r["topic"].count(".") >= 2 else r["topic"],
            str(eff.get("at") or eff.get("on") or "not on file"),
            str(r["recorded"]),
            str(r["actor"]) + (" (SYNTHETIC)" if r["synthetic"] else ""),
        )
    Console(soft_wrap=True, width=None if is_terminal() else 160).print(table)


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
    from offerledger.cli.verification import record
    from offerledger.integrity.service import verify_ledger

    if checkpoint is not None and since is not None:
        raise InputError("give --checkpoint or --since, not both", field="--since")
    given = checkpoint or since
    if given is not None and not given.exists():
        raise InputError("no such file", file=given, field="--since" if since else "--checkpoint")
    if witnesses and given is None:
        raise InputError(
            "a witness cosigns a checkpoint: give --checkpoint or --since", field="--witness"
        )
    report = verify_ledger(
        ledger, root_key=root_key, checkpoint=given, since=since is not None, witnesses=witnesses
    )
    record(ledger, report, by="verify", checkpoint=given)  # read commands' first line states it
    public = keys_public(ledger)
    if as_json:
        emit_json({**report.as_dict(), "keys_public": public})
    else:
        if public:
            click.echo(KEYS_PUBLIC_NOTICE)
        click.echo(f"root key: {report.root_key_id} (from {report.root_key_source})")
        if report.since is not None:
            click.echo(
                f"since checkpoint of {report.since} events (consistency proof checked): "
                f"{report.examined} event(s) after it examined"
            )
        for p in report.problems:
            click.echo(
                f"position {p.position} stream {p.stream} version {p.version}: "
                f"{p.reason}: {p.detail}"
            )
        verdict = "verified" if report.ok else f"{len(report.problems)} problem(s)"
        click.echo(
            f"{report.count} events, {report.signatures_checked} signatures: {verdict}; "
            f"root {report.root.hex()}"
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
    "--employees", type=int, default=300, show_default=True, help="Size of the synthetic roster."
)
def demo(employees: int) -> None:
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

    from offerledger.cli.verification import record
    from offerledger.demo import run_demo
    from offerledger.integrity.service import verify_ledger

    passphrase = os.environ.get("OFFERLEDGER_KEY_PASSPHRASE", "demo").encode()
    summary = run_demo(
        settings().db or "offerledger.db",
        passphrase=passphrase,
        progress=lambda s: err_console.print(s, markup=False, highlight=False),
        employees=employees,
        keys=settings().keys,
    )
    ledger = Ledger.open(settings().db, keys=settings().keys)
    try:
        report = verify_ledger(ledger)
        # kept as verify keeps it, so read commands state what this verification found
        record(ledger, report, by="demo")
    finally:
        ledger.close()
    click.echo(
        f"Mpower Holding Corporation option exchange (Schedule TO, Rule 13e-4) "
        f"recorded at {summary.db}"
    )
    click.echo(
        f"  events: {summary.events}; employees (synthetic): {summary.employees}; "
        f"eligible grants: {summary.grants}"
    )
    click.echo(
        f"  election forms accepted: {summary.elections_accepted}; refused as late: "
        f"{summary.elections_refused}; grants tendered and accepted: "
        f"{summary.tendered_grants}"
    )
    click.echo(
        f"  verify: {report.count} events, {report.signatures_checked} signatures, "
        + ("verified" if report.ok else f"{len(report.problems)} problem(s)")
    )
    click.echo(f"  {KEYS_PUBLIC_NOTICE}")
    if not report.ok:
        click.get_current_context().exit(1)
