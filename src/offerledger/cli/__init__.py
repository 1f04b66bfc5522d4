"""The ``offerledger`` command line: thin click commands over the library.

Each command parses its options, calls one library function and renders. Errors derive from
:class:`offerledger.errors.OfferLedgerError`; the group catches them once
(:class:`offerledger.cli.common.LedgerGroup`) and maps exit codes: 0 ok, 1 verification found
problems, 2 bad input or a refused action, 3 storage or configuration. ``--debug`` shows the
traceback.
"""

from __future__ import annotations

import importlib

from offerledger.cli.common import cli

# Command modules register themselves on ``cli`` when imported.
for _module in (
    "admin",
    "record",
    "read",
    "batch",
    "ingest_cmds",
    "proofs",
    "documents",
    "evidence",
):
    try:
        importlib.import_module(f"offerledger.cli.{_module}")
    except ModuleNotFoundError as _e:  # a module not written yet
        if _e.name != f"offerledger.cli.{_module}":
            raise


def main() -> None:
    """Console entry point."""
    cli(prog_name="offerledger")


__all__ = ["cli", "main"]
