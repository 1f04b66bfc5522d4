"""What every command shares: the group, ``--db``, ``--json``, ``--offer`` and error mapping."""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from eventsourcing.persistence import PersistenceError
from rich.console import Console

from offerledger.errors import OfferLedgerError, StorageError

err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    db: str | None
    debug: bool


class LedgerGroup(click.Group):
    """Catches :class:`OfferLedgerError` once: one ``Error: …`` line, the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OfferLedgerError as e:
            settings = ctx.find_object(Settings)
            if settings is not None and settings.debug:
                raise
            err_console.print(f"Error: {e.diagnostics()}", markup=False, highlight=False)
            ctx.exit(e.exit_code)
        except (PersistenceError, sqlite3.Error) as e:  # storage: locked, not a database, …
            settings = ctx.find_object(Settings)
            if settings is not None and settings.debug:
                raise
            err_console.print(f"Error: storage: {e}", markup=False, highlight=False)
            ctx.exit(StorageError.exit_code)
        except OSError as e:  # a path given on the command line that cannot be used
            settings = ctx.find_object(Settings)
            if settings is not None and settings.debug:
                raise
            where = f"{e.filename}: " if e.filename else ""
            err_console.print(f"Error: {where}{e.strerror or e}", markup=False, highlight=False)
            ctx.exit(2)


@click.group(cls=LedgerGroup)
@click.option(
    "--db",
    envvar="OFFERLEDGER_DB",
    default=None,
    metavar="PATH|URL",
    help="SQLite file (default ./offerledger.db) or postgresql:// URL. Env: OFFERLEDGER_DB.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="offerledger")
@click.pass_context
def cli(ctx: click.Context, db: str | None, debug: bool) -> None:
    """A signed, event-sourced audit ledger of issuer tender offers (Schedule TO, Rule 13e-4).

    Example: offerledger demo && offerledger verify
    """
    ctx.obj = Settings(db=db, debug=debug)


def settings() -> Settings:
    return click.get_current_context().ensure_object(Settings)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(f)


def offer_option(f: F) -> F:
    return click.option(
        "--offer",
        "offer",
        default=None,
        metavar="ID",
        help="Offer stream name or id; may be left out when the ledger holds one offer.",
    )(f)


def emit_json(data: Any) -> None:
    """Stable JSON on stdout: sorted keys, two-space indent."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str))


def is_terminal() -> bool:
    return sys.stdout.isatty()


def with_ledger(f: F) -> F:
    """Open the ledger named by ``--db`` and pass it as ``ledger``; close it afterwards."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from offerledger.ledger import Ledger

        ledger = Ledger.open(settings().db)
        try:
            return f(*args, ledger=ledger, **kwargs)
        finally:
            ledger.close()

    return wrapper  # type: ignore[return-value]


__all__ = [
    "LedgerGroup",
    "Settings",
    "cli",
    "emit_json",
    "err_console",
    "is_terminal",
    "json_option",
    "offer_option",
    "settings",
    "with_ledger",
]
