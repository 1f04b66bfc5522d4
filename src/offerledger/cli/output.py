"""How every command writes: the same content piped or on a terminal (only styling differs),
``--json`` the one way to ask for JSON, progress on stderr only when it is a terminal, a pager
for long output on a terminal, and a closed output (broken pipe) said as such.

Nothing here imports rich until something is drawn, so ``--help`` stays fast.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from offerledger.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])

BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a process its reader went away from


def is_terminal() -> bool:
    """Is standard output a terminal (styling and a pager then; never other content)?"""
    return sys.stdout.isatty()


def stderr_is_terminal() -> bool:
    """Is standard error a terminal (progress bars then; nothing otherwise)?"""
    return sys.stderr.isatty()


def stdout_console() -> Console:
    """rich's console on standard output, styling only: no wrapping, markup or emoji, so what
    it prints is the plain text plus colour codes."""
    from rich.console import Console

    return Console(
        file=sys.stdout,
        force_terminal=True,
        soft_wrap=True,
        markup=False,
        emoji=False,
        highlight=True,
    )


STYLED_MAX = 128 * 1024  # colouring costs about 2 us a byte: longer text is printed plain


def show(text: str) -> None:
    """Print ``text`` (which ends with its own newline) as is; on a terminal, with colour
    (up to :data:`STYLED_MAX` characters; the content is the same either way)."""
    if not text:
        return
    if is_terminal() and len(text) <= STYLED_MAX:
        stdout_console().print(text, end="")
    else:
        write_stdout(text)


WRITE_CHUNK = 64 * 1024


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output whole, or raise :class:`BrokenPipeError`.

    One large write to a pipe whose reader goes away part way returns a short count and no
    error, and Python's buffered stdout then reports success with the rest lost (``elections
    --json | head -1`` exited 0, silently half-done). Written to the file descriptor a chunk at
    a time, every short count is followed by a write that fails. A stdout with no descriptor
    (a test runner's) is written as click does."""
    import os

    stream = sys.stdout
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        click.echo(text, nl=False)
        return
    stream.flush()
    data = memoryview(text.encode(stream.encoding or "utf-8", stream.errors or "strict"))
    while data:
        data = data[os.write(fd, data[:WRITE_CHUNK]) :]


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text: str) -> str:
    """``text`` without terminal control sequences (what tests compare)."""
    return _ANSI.sub("", text)


def columns(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns, two spaces apart, every value in full (nothing truncated)."""
    table = [list(header), *(list(r) for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    return "".join(
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n" for r in table
    )


# --- --json -------------------------------------------------------------------------------


def json_or_format(as_json: bool, fmt: str, *, default: str) -> str:
    """The output format: ``--json`` (the documented way), or ``--format`` (whose ``json``
    choice is kept as an alias); both at once must agree."""
    if as_json and fmt not in (default, "json"):
        raise InputError(f"give --json or --format {fmt}, not both", field="--json")
    return "json" if as_json else fmt


# --- progress on stderr -------------------------------------------------------------------


class Progress:
    """A rich progress bar on standard error while it is a terminal; nothing otherwise (pipes
    and CI logs stay clean). ``advance``/``update`` cost nothing when it is off."""

    def __init__(self, label: str, total: int | None = None, unit: str = "rows") -> None:
        self.label, self.total, self.unit = label, total, unit
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if stderr_is_terminal():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress

            console = Console(file=sys.stderr, force_terminal=True)
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self.unit),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._task = self._bar.add_task(self.label, total=self.total)
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    @property
    def on(self) -> bool:
        return self._bar is not None

    def update(self, completed: int, total: int | None = None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=completed, total=total or self.total)

    def advance(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def describe(self, label: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=label)

    def note(self, line: str) -> None:
        """A line on stderr (above the bar while it shows)."""
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
        else:
            sys.stderr.write(f"{line}\n")


# --- pager ----------------------------------------------------------------------------------


def paged(lines: Iterator[str], *, pager: bool) -> None:
    """Write ``lines`` (each ending with a newline) as they come: through the pager on a
    terminal (``$PAGER``, else ``less``), straight to standard output otherwise."""
    if pager and is_terminal():
        click.echo_via_pager(lines)  # click starts the pager only if stdin and stdout are ttys
        return
    for line in lines:
        click.echo(line, nl=False)


# --- wording ------------------------------------------------------------------------------


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``1 eligible grant``, ``2 eligible grants``, ``0 eligible grants``, with thousands
    separators."""
    word = singular if n == 1 else (plural_form or f"{singular}s")
    return f"{n:,} {word}"


__all__ = [
    "BROKEN_PIPE",
    "Progress",
    "columns",
    "is_terminal",
    "json_or_format",
    "paged",
    "plain",
    "plural",
    "show",
    "stderr_is_terminal",
    "stdout_console",
]
