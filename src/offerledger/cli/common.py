"""What every command shares: the group, ``--db``, ``--json``, ``--offer`` and error mapping."""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeVar, cast

import click

from offerledger.cli.lazy import COMMANDS, LazyGroup
from offerledger.errors import InputError, OfferLedgerError, StorageError, WeakKeyFileWarning

if TYPE_CHECKING:
    from rich.console import Console

    from offerledger.ledger import Ledger


class _StderrConsole:
    """rich's stderr console, made on first use (``--help`` imports no rich)."""

    _console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, soft_wrap=True)
            self._console.on_broken_pipe = self._closed  # type: ignore[method-assign]
        return getattr(self._console, name)

    def _closed(self) -> None:
        """stderr is a closed pipe (``… 2>&1 | head``): rich's own handler exits 1; raised on
        as a broken pipe, the command exits 141 like any other (docs/errors.md)."""
        if self._console is not None:
            self._console.quiet = True
        raise BrokenPipeError(32, "Broken pipe")


err_console = cast("Console", _StderrConsole())
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    db: str | None
    debug: bool
    keys: Path | None = None  # the keystore folder (--keys, OFFERLEDGER_KEYS)
    demo_keys_ok: bool = False  # write into a ledger whose keys are public (the demo's)


def _storage_error(e: BaseException) -> bool:
    """A storage error (locked, not a database, …) from eventsourcing or sqlite3; a module not
    imported yet raised nothing (so ``--help`` imports neither)."""
    persistence = sys.modules.get("eventsourcing.persistence")
    sqlite3 = sys.modules.get("sqlite3")
    return (persistence is not None and isinstance(e, persistence.PersistenceError)) or (
        sqlite3 is not None and isinstance(e, sqlite3.Error)
    )


class LedgerGroup(LazyGroup):
    """Catches :class:`OfferLedgerError` once: one ``Error: …`` line, the error's exit code.

    ``--debug`` adds the traceback on stderr and keeps the exit code. Warnings offerledger
    issues (:class:`~offerledger.errors.WeakKeyFileWarning`) print as ``Warning: …``. Its
    commands load on first use (:mod:`offerledger.cli.lazy`).
    """

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("always", WeakKeyFileWarning)
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except OfferLedgerError as e:
                _fail(ctx, f"Error: {e.diagnostics()}", e.exit_code)
            except BrokenPipeError:  # the reader of stdout went away (`… | head`)
                output_closed(ctx)
            except OSError as e:  # a path given on the command line that cannot be used
                where = f"{e.filename}: " if e.filename else ""
                _fail(ctx, f"Error: {where}{e.strerror or e}", 2)
            except Exception as e:
                if not _storage_error(e):
                    raise
                _fail(ctx, f"Error: storage: {e}", StorageError.exit_code)


def _fail(ctx: click.Context, line: str, code: int) -> NoReturn:
    """Print the error line (after the traceback, with ``--debug``) and exit with ``code``."""
    settings = ctx.find_object(Settings)
    if settings is not None and settings.debug:
        import traceback

        err_console.print(traceback.format_exc(), end="", markup=False, highlight=False)
    err_console.print(line, markup=False, highlight=False)
    ctx.exit(code)


def output_closed(ctx: click.Context | None = None, what: str = "") -> NoReturn:
    """Standard output was closed before everything was written: one line on stderr, exit
    141 (128 + SIGPIPE), never a silent half-done exit. ``what`` says what was done anyway."""
    import os

    from offerledger.cli.output import BROKEN_PIPE

    try:  # nothing more reaches the closed pipe (Python would complain when it exits)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's stdout)
        pass
    line = "Error: the output was closed before everything was written (broken pipe)"
    try:  # stderr may be the same closed pipe (`… 2>&1 | head`): the exit code still says it
        sys.stderr.write(f"{line}{'; ' + what if what else ''}\n")
        sys.stderr.flush()
    except OSError:
        pass
    if ctx is not None:
        ctx.exit(BROKEN_PIPE)
    sys.exit(BROKEN_PIPE)


_default_showwarning = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    if category.__module__.startswith("offerledger."):
        err_console.print(f"Warning: {message}", markup=False, highlight=False)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


@click.group(cls=LedgerGroup, lazy_subcommands=COMMANDS)
@click.option(
    "--db",
    envvar="OFFERLEDGER_DB",
    default=None,
    metavar="PATH|URL",
    help="SQLite file (default ./offerledger.db) or postgresql:// URL. Env: OFFERLEDGER_DB.",
)
@click.option(
    "--debug", is_flag=True, help="Show the traceback of an error (the exit code stays the same)."
)
@click.option(
    "--keys",
    "keys",
    envvar="OFFERLEDGER_KEYS",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    metavar="DIR",
    help="The keystore folder of whoever runs this command (default: keys/ beside the SQLite "
    "file; for a postgresql:// ledger keys/ in ~/.local/share/offerledger/HOST-PORT-DB-SCHEMA/, "
    "whatever the working folder). Env: OFFERLEDGER_KEYS.",
)
@click.option(
    "--demo-keys-ok",
    is_flag=True,
    help="Write into a ledger whose keys are public (the demo's) all the same.",
)
@click.version_option(package_name="offerledger")
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, debug: bool, keys: Path | None, demo_keys_ok: bool
) -> None:
    """A signed, event-sourced audit ledger of issuer tender offers (Schedule TO, Rule 13e-4).

    Example: offerledger demo && offerledger verify
    """
    ctx.obj = Settings(db=db, debug=debug, keys=keys, demo_keys_ok=demo_keys_ok)


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


def holder_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--holder``: a key holder's name is one line of plain text (every report prints it as
    given), refused as bad input before anything is written."""
    if value is None:
        return None
    from offerledger.values import not_a_formula, one_line

    try:
        return not_a_formula(one_line(value))
    except ValueError as e:
        raise InputError(str(e), field="--holder") from None


def emit_json(data: Any) -> None:
    """Stable JSON on stdout: sorted keys, two-space indent."""
    from offerledger.cli.output import write_stdout

    write_stdout(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def list_written(
    out: Path,
    written: Sequence[tuple[Path, str]],
    *,
    as_json: bool,
    key: str,
    done: str,
    verification: Any,
) -> None:
    """List the files a command has written (path and SHA-256 under ``key`` with ``--json``,
    else one path a line); they are all on disk first, so a reader that goes away cuts only the
    list, and :func:`output_closed` says so with ``done`` (what was written where)."""
    try:
        if as_json:
            emit_json(
                {
                    "out": str(out),
                    key: [{"path": str(path), "sha256": digest} for path, digest in written],
                    "verification": verification.as_dict(),
                }
            )
        else:
            for path, _ in written:
                click.echo(str(path))
    except BrokenPipeError:
        output_closed(
            click.get_current_context(),
            what=f"{done}; only the list of their paths was cut short",
        )


def is_terminal() -> bool:
    """Is stdout a terminal? (:func:`offerledger.cli.output.is_terminal`, which tests patch.)"""
    from offerledger.cli import output

    return output.is_terminal()


def open_ledger() -> Ledger:
    """The ledger named by ``--db``, with the keystore of ``--keys``; it refuses to write into
    a ledger whose keys are public unless ``--demo-keys-ok``."""
    from offerledger.ledger import Ledger

    given = settings()
    return Ledger.open(given.db, keys=given.keys, demo_keys_ok=given.demo_keys_ok)


def with_ledger(f: F) -> F:
    """Open the ledger (:func:`open_ledger`) and pass it as ``ledger``; close it afterwards."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ledger = open_ledger()
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
    "open_ledger",
    "output_closed",
    "settings",
    "with_ledger",
]
