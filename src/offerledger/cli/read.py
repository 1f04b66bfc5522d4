"""Read commands: text, diff, elections, final-amendment, letters (timeline, rebuild and
nightly are in cli/batch.py).

Each parses its options, gets projection state (the read model, brought up to date in memory,
or the log itself with ``--from-log``) and prints what :mod:`offerledger.projections.outputs`
renders. Both paths give byte-identical output; notes about which was used go to stderr. Each
output states, first, the log size and root of the rows it rests on and what the last
verification of that state found (:mod:`offerledger.cli.verification`; never verified here).
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from offerledger.cli.common import (
    cli,
    err_console,
    json_option,
    list_written,
    offer_option,
    with_ledger,
)
from offerledger.cli.moments import moment_of, moment_options
from offerledger.cli.output import json_or_format, plural, show
from offerledger.errors import DisclosureInvalid, InputError, OfferLedgerError

if TYPE_CHECKING:  # the rest is imported when a command runs, not for --help
    from offerledger.ledger import Ledger
    from offerledger.projections import LedgerState
    from offerledger.projections.source import LedgerSource
    from offerledger.projections.verification import Head, Standing

F = TypeVar("F", bound=Callable[..., Any])


class ReadModelStale(OfferLedgerError):
    """The read model was built on a ledger whose events have since changed."""

    exit_code = 1


def ledger_source(ledger: Ledger) -> LedgerSource:
    """The ledger as the runner's log source (with its stored source documents): the
    library's :func:`offerledger.reading.log_source`."""
    from offerledger.reading import log_source

    return log_source(ledger)


# --- shared options and helpers ----------------------------------------------------------


def read_options(f: F) -> F:
    f = click.option(
        "--from-log", is_flag=True, help="Fold the log itself instead of using the read model."
    )(f)
    return click.option(
        "--read-model",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        envvar="OFFERLEDGER_READ_MODEL",
        help="Read-model file (default: <db>.projections.sqlite beside a SQLite ledger; for "
        "PostgreSQL ledger.projections.sqlite in the ledger's folder under "
        "~/.local/share/offerledger/). Env: OFFERLEDGER_READ_MODEL.",
    )(f)


def translate_errors(f: F) -> F:
    """Projection errors become the CLI's: bad input (exit 2), stale read model (exit 1), a
    committed list whose entries cannot be read (exit 1)."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from offerledger.projections import runner
        from offerledger.projections.catalog import QueryError
        from offerledger.projections.disclosed import ListUnavailable

        try:
            return f(*args, **kwargs)
        except QueryError as e:
            # an option is named bare (as-of); a positional argument in capitals (FROM) as is
            field = e.field if not e.field or e.field.isupper() else f"--{e.field}"
            raise InputError(e.message, field=field, hint=e.hint) from None
        except runner.ReadModelDiverged as e:
            raise ReadModelStale(
                str(e), hint="run 'offerledger verify', then 'offerledger rebuild --full'"
            ) from None
        except ListUnavailable as e:
            raise DisclosureInvalid(
                e.message, document_sha256=e.document_sha256, hint="run 'offerledger verify'"
            ) from None

    return wrapper  # type: ignore[return-value]


def log_state(ledger: Ledger) -> LedgerState:
    return log_read(ledger)[0]


def log_read(ledger: Ledger) -> tuple[LedgerState, Head]:
    """The log folded, and the size and root of the rows folded (the library's
    :func:`offerledger.reading.fold_log`)."""
    from offerledger.reading import fold_log

    state, head, _ = fold_log(ledger)
    return state, head


def projection_state(
    ledger: Ledger, *, from_log: bool, read_model: Path | None, employees: bool = True
) -> tuple[LedgerState, Standing]:
    """The state a read command renders (see the module docstring), and what the
    verification records say about the rows it rests on."""
    from offerledger.cli.verification import standing_of

    state, built = _projection_state(ledger, from_log, read_model, employees)
    return state, standing_of(ledger, built, read_model)


def _projection_state(
    ledger: Ledger, from_log: bool, read_model: Path | None, employees: bool
) -> tuple[LedgerState, Head]:
    from offerledger.cli.verification import read_model_path
    from offerledger.projections import runner

    if from_log:
        return log_read(ledger)
    path = read_model_path(ledger, read_model)
    try:
        loaded = runner.load(ledger_source(ledger), path, employees=employees)
    except runner.ReadModelDiverged as e:
        err_console.print(f"Warning: {e}; reading the log instead", markup=False)
        return log_read(ledger)
    if loaded is None:
        err_console.print(
            f"Note: no read model at {path}; folding the log (run 'offerledger rebuild')",
            markup=False,
        )
        return log_read(ledger)
    if loaded.behind:
        err_console.print(
            f"Note: the read model is {loaded.behind} events behind; folded them "
            "in memory (run 'offerledger rebuild')",
            markup=False,
        )
    return loaded.state, loaded.head


def parse_day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"cannot read the date {value!r}", field=field, hint="use YYYY-MM-DD, e.g. 2001-09-13"
        ) from None
    return _plausible(day, value, field)


def _plausible(day: date, value: str, field: str) -> date:
    """Dates a ledger can hold: years 1900 to 9998 (the end of a day in any zone stays
    representable)."""
    if not 1900 <= day.year <= 9998:
        raise InputError(f"the date {value!r} is out of range (years 1900 to 9998)", field=field)
    return day


def emit(text: str) -> None:
    """Print a command's output: the same text piped or on a terminal (colour only there)."""
    show(text)


FORMAT_HELP = "Text layout; --json is the way to ask for JSON (--format json is its alias)."


# --- text, diff ------------------------------------------------------------------------------


@cli.command("text")
@offer_option
@moment_options
@click.option("--section", default=None, metavar="N", help='Only this section ("7").')
@click.option("--document", default=None, metavar="ID", help="Document id (default: the first).")
@click.option(
    "--exhibit",
    default=None,
    metavar="ID",
    help='An exhibit of the filings instead ("(a)(11)"): its filing, the notices that '
    "carried it and its text as stored, checked against the filing's hash.",
)
@click.option("--provenance", is_flag=True, help="Say which filing and event made each part.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    help=FORMAT_HELP,
)
@json_option
@read_options
@with_ledger
@translate_errors
def text_cmd(
    offer: str | None,
    as_of: str | None,
    as_recorded: str | None,
    section: str | None,
    document: str | None,
    exhibit: str | None,
    provenance: bool,
    fmt: str,
    as_json: bool,
    from_log: bool,
    read_model: Path | None,
    ledger: Ledger,
) -> None:
    """The offer document as it stood at a moment, with its provenance on request; or an
    exhibit of the offer's filings (--exhibit).

    Example: offerledger text --as-of 2001-09-13 --section 7 --provenance
    """
    from offerledger.projections import outputs

    fmt = json_or_format(as_json, fmt, default="text")
    when = moment_of(as_of, as_recorded)
    offer_id = ledger.resolve_offer(offer)
    state, verified = projection_state(
        ledger, from_log=from_log, read_model=read_model, employees=False
    )
    emit(
        outputs.text_output(
            state,
            offer_id,
            when,
            section=section,
            provenance=provenance,
            fmt=fmt,
            document=document,
            verification=verified,
            exhibit=exhibit,
        )
    )


@cli.command("diff")
@click.argument("from_date", metavar="FROM")
@click.argument("to_date", metavar="[TO]", required=False)
@offer_option
@moment_options
@click.option("--document", default=None, metavar="ID")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", help=FORMAT_HELP
)
@json_option
@read_options
@with_ledger
@translate_errors
def diff_cmd(
    from_date: str,
    to_date: str | None,
    offer: str | None,
    as_of: str | None,
    as_recorded: str | None,
    document: str | None,
    fmt: str,
    as_json: bool,
    from_log: bool,
    read_model: Path | None,
    ledger: Ledger,
) -> None:
    """What changed in the offer document between two moments, paragraph by paragraph, and
    the exhibits filed in between.

    FROM and TO take what --as-of takes; TO may be given as --as-of instead (default: every
    change on record).

    Example: offerledger diff 2001-09-12 2001-09-13
    """
    from offerledger.projections import outputs

    fmt = json_or_format(as_json, fmt, default="text")
    if to_date is not None and as_of is not None:
        raise InputError("give TO or --as-of, not both", field="--as-of")
    before = moment_of(from_date, as_recorded, field="FROM")
    after = moment_of(to_date if to_date is not None else as_of, as_recorded, field="TO")
    offer_id = ledger.resolve_offer(offer)
    state, verified = projection_state(
        ledger, from_log=from_log, read_model=read_model, employees=False
    )
    emit(
        outputs.diff_output(
            state,
            offer_id,
            before,
            after,
            fmt=fmt,
            document=document,
            verification=verified,
            named_by=("FROM", "TO" if to_date is not None else None),
        )
    )


# --- elections, final amendment, letters --------------------------------------------------------


@cli.command("elections")
@offer_option
@moment_options
@click.option("--employee", default=None, metavar="ID", help="Only this employee.")
@click.option(
    "--status",
    default=None,
    metavar="S",
    help="Only grants whose standing is exchange, not_tendered or withdrawn.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    help=FORMAT_HELP,
)
@json_option
@read_options
@with_ledger
@translate_errors
def elections_cmd(
    offer: str | None,
    as_of: str | None,
    as_recorded: str | None,
    employee: str | None,
    status: str | None,
    fmt: str,
    as_json: bool,
    from_log: bool,
    read_model: Path | None,
    ledger: Ledger,
) -> None:
    """Each employee's standing choice per eligible grant, refusals, notices; the summary.

    The same text on a terminal and in a pipe (a terminal adds colour only).

    Example: offerledger elections --status withdrawn --format csv
    """
    from offerledger.projections import outputs

    fmt = json_or_format(as_json, fmt, default="table")
    when = moment_of(as_of, as_recorded)
    offer_id = ledger.resolve_offer(offer)
    state, verified = projection_state(ledger, from_log=from_log, read_model=read_model)
    if status is not None:
        status = status.replace("-", "_")
    text = outputs.elections_output(
        state,
        offer_id,
        employee=employee,
        status=status,
        fmt=fmt,
        verification=verified,
        moment=when,
    )
    emit(text)


@cli.command("final-amendment")
@offer_option
@moment_options
@click.option("--draft", is_flag=True, help="Render even before expiration and acceptance.")
@click.option(
    "--date",
    "on",
    default=None,
    metavar="DATE",
    help="The amendment's date (default: the acceptance's effective date); it shows only what "
    "the ledger had, effective and recorded, by the end of that day (US Eastern).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown"]),
    default="text",
    help="Text layout (with --json: the layout of the JSON's text field).",
)
@json_option
@read_options
@with_ledger
@translate_errors
def final_amendment_cmd(
    offer: str | None,
    as_of: str | None,
    as_recorded: str | None,
    draft: bool,
    on: str | None,
    fmt: str,
    as_json: bool,
    from_log: bool,
    read_model: Path | None,
    ledger: Ledger,
) -> None:
    """The amendment to Schedule TO that reports the results, every figure from the ledger, as
    known by its date: a later event is not yet known, never stated as fact.

    With --json: the figures it rests on and its text, with the verification state.

    Example: offerledger final-amendment --as-recorded 2001-09-28 --format markdown
    """
    from offerledger.projections import outputs

    when = moment_of(as_of, as_recorded)
    day = parse_day(on, "--date")
    offer_id = ledger.resolve_offer(offer)
    _not_before_acceptance(ledger, offer_id, day, draft=draft)
    state, verified = projection_state(ledger, from_log=from_log, read_model=read_model)
    if as_json:
        emit(
            outputs.final_amendment_json(
                state, offer_id, draft=draft, fmt=fmt, on=day, verification=verified, moment=when
            )
        )
        return
    emit(
        outputs.final_amendment_output(
            state, offer_id, draft=draft, fmt=fmt, on=day, verification=verified, moment=when
        )
    )


def _not_before_acceptance(
    ledger: Ledger, offer_id: uuid.UUID, day: date | None, *, draft: bool = False
) -> None:
    """A results document cannot be dated before the results exist (a draft before the
    offer commenced is refused too)."""
    if day is None:
        return
    offer = ledger.offer_state(offer_id)
    floor = (
        offer.commenced.date() if draft or offer.accepted_at is None else (offer.accepted_at.date())
    )
    if day < floor:
        what = (
            "the offer commenced"
            if floor == offer.commenced.date()
            else ("tendered options were accepted and cancelled")
        )
        raise InputError(f"{day} is before {what} ({floor})", field="--date")


@cli.command("letters")
@offer_option
@moment_options
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the letters.",
)
@click.option(
    "--date",
    "on",
    default=None,
    metavar="DATE",
    help="The letters' date (default: the acceptance's effective date); they show only what "
    "the ledger had by the end of that day (US Eastern).",
)
@json_option
@read_options
@with_ledger
@translate_errors
def letters_cmd(
    offer: str | None,
    as_of: str | None,
    as_recorded: str | None,
    out: Path,
    on: str | None,
    as_json: bool,
    from_log: bool,
    read_model: Path | None,
    ledger: Ledger,
) -> None:
    """Each participating employee's results letter with its Attachment A, and a notice to each
    employee whose election form was refused; one file each.

    Every letter is written (each file whole: written beside, then renamed) before their paths
    are printed; a letter that cannot be written stops the command with the count written and
    the first one not written. With --json: each file's path and SHA-256.

    Example: offerledger letters --out letters/
    """
    from offerledger.cli.verification import warn
    from offerledger.projections import outputs

    when = moment_of(as_of, as_recorded)
    day = parse_day(on, "--date")
    offer_id = ledger.resolve_offer(offer)
    _not_before_acceptance(ledger, offer_id, day)
    state, verified = projection_state(ledger, from_log=from_log, read_model=read_model)
    letters = outputs.letters_output(state, offer_id, on=day, verification=verified, moment=when)
    warn(verified)
    written = write_letters(out, letters)
    count = plural(len(written), "letter")
    list_written(
        out,
        written,
        as_json=as_json,
        key="letters",
        done=f"every letter was written to {out} ({count})",
        verification=verified,
    )
    err_console.print(f"{count} written to {out}", markup=False, highlight=False)


def write_letters(out: Path, letters: list[tuple[str, str]]) -> list[tuple[Path, str]]:
    """Write every letter (each whole: to a hidden file beside it, then renamed over it);
    (path, SHA-256 of its bytes) for each. A letter that cannot be written raises an
    :class:`InputError` saying how many were written and which was not."""
    import os

    out.mkdir(parents=True, exist_ok=True)
    written: list[tuple[Path, str]] = []
    for name, text in letters:
        path = out / name
        data = text.encode("utf-8")
        staged = out / f".{name}.partial"
        try:
            staged.write_bytes(data)
            os.replace(staged, path)
        except OSError as e:
            staged.unlink(missing_ok=True)
            raise InputError(
                f"wrote {len(written)} of {plural(len(letters), 'letter')} to {out}; "
                f"{name} and the {len(letters) - len(written) - 1} after it were not written: "
                f"{e.strerror or e}",
                file=path,
            ) from None
        written.append((path, hashlib.sha256(data).hexdigest()))
    return written
