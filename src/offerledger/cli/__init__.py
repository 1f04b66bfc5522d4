"""The ``offerledger`` command line: thin click commands over the library.

Each command parses its options, calls one library function and renders. Errors derive from
:class:`offerledger.errors.OfferLedgerError`; the group catches them once
(:class:`offerledger.cli.common.LedgerGroup`) and maps exit codes: 0 ok, 1 verification found
problems, 2 bad input or a refused action, 3 storage or configuration. ``--debug`` shows the
traceback.
"""

from __future__ import annotations

from offerledger.cli.common import cli

# Commands load on first use (offerledger.cli.lazy): the modules that define them register
# themselves on ``cli`` when get_command imports them.

INTERNAL_ERROR = 70  # sysexits' EX_SOFTWARE: a bug, never 1 ("verification found problems")


def main() -> None:
    """Console entry point. An exception no command expected (a bug) exits with
    :data:`INTERNAL_ERROR` and one ``Error:`` line (the traceback too with ``--debug``)."""
    import sys

    from offerledger.cli.common import output_closed
    from offerledger.cli.output import BROKEN_PIPE

    if sys.stdout is None:  # started with stdout closed (>&-): nothing it prints could be read
        if sys.stderr is not None:
            print("Error: standard output is closed; nothing was done", file=sys.stderr)
        sys.exit(BROKEN_PIPE)
    try:
        try:
            cli(prog_name="offerledger")
        finally:
            sys.stdout.flush()  # a reader gone before the last buffered bytes is a closed pipe
    except BrokenPipeError:
        output_closed()
    except Exception as e:
        import traceback

        if "--debug" in sys.argv[1:]:
            traceback.print_exc()
        print(
            f"Error: internal error: {type(e).__name__}: {e}\nHint: this is a bug in "
            "offerledger; run the command again with --debug and report the traceback",
            file=sys.stderr,
        )
        sys.exit(INTERNAL_ERROR)


__all__ = ["cli", "main"]
