"""Errors of the ingest package; all derive from :class:`offerledger.errors.InputError` (exit 2).

::

    InputError
    ├── FilingUnreadable        the file is not a Schedule TO filing this parser can read
    ├── FilingAmbiguous         the filing states something two ways (two expirations, say)
    ├── UnparsedInstructions    amendment instructions the parser could not turn into operations
    └── CsvInvalid              one or more CSV rows fail validation (every problem listed)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from offerledger.errors import InputError

if TYPE_CHECKING:
    from offerledger.ingest.model import Problem


class FilingUnreadable(InputError):
    """A file that is not text, is empty, or holds no Schedule TO."""


class FilingAmbiguous(InputError):
    """What the filing leaves ambiguous, each item with its lines; nothing was recorded."""

    def __init__(self, problems: Sequence[Problem], *, file: str | Path) -> None:
        shown = "\n".join(f"  {p.describe()}" for p in problems)
        super().__init__(
            f"the filing is ambiguous; nothing was recorded:\n{shown}",
            file=file,
            line=problems[0].first_line,
            hint="nothing is guessed: check the filing, or record the action by hand "
            "('offerledger record ...'); 'offerledger parse FILE' shows what was read",
        )
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Unparsed:
    """One instruction the parser could not resolve, with where it stands in the file."""

    label: str | None
    first_line: int
    last_line: int
    text: str
    reason: str

    def describe(self) -> str:
        label = f"instruction {self.label}" if self.label else "instruction"
        return f"lines {self.first_line}-{self.last_line}: {label}: {self.reason}"


class UnparsedInstructions(InputError):
    """Instructions no rule of the grammar turns into text operations; nothing was recorded."""

    def __init__(self, items: list[Unparsed], *, file: str | Path | None = None) -> None:
        lines = "\n".join(f"  {u.describe()}" for u in items)
        super().__init__(
            f"{len(items)} amendment instruction(s) could not be resolved; nothing was "
            f"recorded:\n{lines}",
            file=file,
            hint="check the document registered for the offer, or pass --allow-unparsed to "
            "record them as unresolved instructions (kept raw, shown as such)",
        )
        self.items = items


@dataclass(frozen=True, slots=True)
class CsvProblem:
    line: int
    column: str | None
    message: str

    def describe(self) -> str:
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class CsvInvalid(InputError):
    """CSV rows that do not validate; one bad row means nothing is recorded."""

    def __init__(self, problems: list[CsvProblem], *, file: str | Path) -> None:
        first = problems[0]
        shown = "\n".join(f"  {p.describe()}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(
            f"{len(problems)} problem(s); nothing was recorded:\n{shown}{more}",
            file=file,
            hint="fix the rows named above and run the command again",
        )
        self.problems = problems
        self.line = first.line
        self.column = None
        self.field = first.column


__all__ = [
    "CsvInvalid",
    "CsvProblem",
    "FilingAmbiguous",
    "FilingUnreadable",
    "Unparsed",
    "UnparsedInstructions",
]
