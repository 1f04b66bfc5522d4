"""``db migrate`` (a ledger SQLite ↔ PostgreSQL, byte for byte) and ``db harden`` (PostgreSQL)."""

from __future__ import annotations

import click

from offerledger.cli.common import cli, emit_json, json_option, settings


@cli.group()
def db() -> None:
    """Database administration: copy a ledger between backends, make PostgreSQL append-only.

    Example: offerledger db migrate ledger.db 'postgresql://postgres@127.0.0.1/test?schema=l'
    """


@db.command("migrate")
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@json_option
def migrate(source: str, target: str, as_json: bool) -> None:
    """Copy the ledger at FROM into the empty database TO (SQLite path or postgresql:// URL).

    Every stored envelope is copied with its exact bytes in log order, with the documents and
    the log tables; the tree heads of both must be equal. Run 'offerledger verify' on TO after.

    Example: offerledger db migrate ledger.db 'postgresql://postgres@127.0.0.1/test?schema=l'
    """
    from offerledger.dbadmin import migrate as run

    done = run(source, target)
    if as_json:
        emit_json(
            {
                "documents": done.documents,
                "events": done.events,
                "root": done.target_head.root.hex(),
                "size": done.target_head.size,
            }
        )
        return
    click.echo(
        f"copied {done.events} events and {done.documents} documents; tree head "
        f"{done.target_head.size} {done.target_head.root.hex()} on both"
    )


@db.command("harden")
@click.option("--role", required=True, metavar="NAME", help="The application role to create.")
@json_option
def harden(role: str, as_json: bool) -> None:
    """Make the PostgreSQL ledger of --db append-only and create its application role.

    The role (LOGIN, no password: set one or use your pg_hba rules) may SELECT and INSERT the
    ledger's tables and UPDATE the head row (every save moves it; the events table's UPDATE grant
    only lets it take the lock that orders the log); triggers refuse UPDATE, DELETE and TRUNCATE
    of events, leaves, nodes and documents, and any move of the head backwards, for every role,
    unless the owner runs SET offerledger.maintenance = 'on' (docs/operations.md).

    Example: offerledger --db postgresql://postgres@127.0.0.1/test db harden --role ol_app
    """
    from offerledger.dbadmin import harden as run

    run(settings().db or "", role=role)
    if as_json:
        emit_json(
            {
                "role": role,
                "grants": ["SELECT", "INSERT", "UPDATE of the head row"],
                "refused_by_triggers": ["UPDATE", "DELETE", "TRUNCATE"],
            }
        )
        return
    click.echo(
        f"role {role} may SELECT and INSERT the ledger's tables and move its head; UPDATE, "
        "DELETE and TRUNCATE are refused by triggers"
    )
