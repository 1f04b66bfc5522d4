"""What the world sends, turned into events: SEC filing text, CSV rosters and elections.

The filing parser has two stages so each can be tested alone:

1. :func:`parse_filing` — a file's bytes into a :class:`ParsedFiling` (cover page, check boxes,
   introductory statement, instructions with their line ranges and locator AST, signature block,
   exhibit index, exhibits with SHA-256; for a Schedule TO-I, the Offer to Exchange as sections
   and the stated expiration and plans). No ledger needed (``offerledger parse FILE``).
2. :func:`resolve` — the locators and the offer's documents as they stand into text operations;
   an instruction whose target cannot be shown for certain is refused with its line numbers.

:mod:`offerledger.ingest.service` puts both together with the ledger (a new offer from its
Schedule TO-I, amendments, dry run, idempotence by the filing's SHA-256, all or nothing).
"""

from __future__ import annotations

from offerledger.ingest.errors import (
    CsvInvalid,
    CsvProblem,
    FilingAmbiguous,
    FilingUnreadable,
    Unparsed,
    UnparsedInstructions,
)
from offerledger.ingest.filing import parse_filing, parse_filing_file
from offerledger.ingest.locators import GrammarError, Locator, parse_head
from offerledger.ingest.model import ParsedFiling
from offerledger.ingest.resolve import Resolved, resolve

__all__ = [
    "CsvInvalid",
    "CsvProblem",
    "FilingAmbiguous",
    "FilingUnreadable",
    "GrammarError",
    "Locator",
    "ParsedFiling",
    "Resolved",
    "Unparsed",
    "UnparsedInstructions",
    "parse_filing",
    "parse_filing_file",
    "parse_head",
    "resolve",
]
