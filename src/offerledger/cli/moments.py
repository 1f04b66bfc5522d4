"""``--as-of`` and ``--as-recorded``: the one parser and the one help text every read command
uses (text, diff, elections, final-amendment, letters, findings, timeline).

A value is a date, ``YYYY-MM-DD`` (the end of that day, US Eastern time), or an instant,
``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` with an optional UTC offset or ``Z`` (without one, US
Eastern time). ``--as-of`` keeps the changes effective by then (an instant included);
``--as-recorded`` what the ledger had recorded by then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from offerledger.errors import InputError

if TYPE_CHECKING:  # imported when a moment is read, not when --help is shown
    from offerledger.projections import Moment

F = TypeVar("F", bound=Callable[..., Any])

FORMS = (
    "a date, YYYY-MM-DD (the end of that day, US Eastern time), or an instant, "
    "YYYY-MM-DDTHH:MM[:SS] with an optional offset (+HH:MM or Z; without one, US Eastern time)"
)
AS_OF_HELP = f"Only changes effective by then: {FORMS}. Default: every change on record."
AS_RECORDED_HELP = (
    f"Only what the ledger had recorded by then: {FORMS}. Default: everything recorded."
)
HINT = "use YYYY-MM-DD (e.g. 2001-09-13) or YYYY-MM-DDTHH:MM[:SS][+HH:MM] (e.g. 2001-09-13T17:00)"


def parse_instant(value: str | None, field: str) -> date | datetime | None:
    """A date (as a ``date``) or an aware instant; bad input names ``field`` (exit 2)."""
    if value is None:
        return None
    text = value.strip()
    try:
        if not any(c in text for c in "T :"):
            return _plausible(date.fromisoformat(text), value, field)
        at = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise InputError(
            f"cannot read {value!r} as a date or an instant", field=field, hint=HINT
        ) from None
    _plausible(at.date(), value, field)
    from offerledger.events import EASTERN

    return at if at.tzinfo is not None else at.replace(tzinfo=EASTERN)


def _plausible(day: date, value: str, field: str) -> date:
    """Dates a ledger can hold: years 1900 to 9998 (the end of a day in any zone stays
    representable)."""
    if not 1900 <= day.year <= 9998:
        raise InputError(f"the date {value!r} is out of range (years 1900 to 9998)", field=field)
    return day


def moment_of(as_of: str | None, as_recorded: str | None, *, field: str = "--as-of") -> Moment:
    """The :class:`~offerledger.projections.Moment` the two options name."""
    from offerledger.projections import Moment

    return Moment.at(parse_instant(as_of, field), parse_instant(as_recorded, "--as-recorded"))


def as_recorded_option(f: F) -> F:
    return click.option("--as-recorded", default=None, metavar="INSTANT", help=AS_RECORDED_HELP)(f)


def moment_options(f: F) -> F:
    """``--as-of INSTANT`` and ``--as-recorded INSTANT``, as every read command takes them."""
    f = as_recorded_option(f)
    return click.option("--as-of", default=None, metavar="INSTANT", help=AS_OF_HELP)(f)


__all__ = [
    "AS_OF_HELP",
    "AS_RECORDED_HELP",
    "FORMS",
    "as_recorded_option",
    "moment_of",
    "moment_options",
    "parse_instant",
]
