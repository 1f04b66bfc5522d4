"""The read side: pure folds over the signed events, and what a compliance officer reads.

Each projection is a pure fold ``(state, (position, event)) -> state`` over the event models of
:mod:`offerledger.events` plus a renderer; no database, clock or file inside a fold. Same ledger
in, byte-identical output out. Import it as ``offerledger.projections``, never ``projections``.
"""

from __future__ import annotations

from offerledger.projections.catalog import QueryError
from offerledger.projections.core import NOW, Entry, Moment, Stamp
from offerledger.projections.state import EMPTY, LedgerState, fold, fold_all, fold_into
from offerledger.projections.text import DocumentView, document_at

__all__ = [
    "EMPTY",
    "NOW",
    "DocumentView",
    "Entry",
    "LedgerState",
    "Moment",
    "QueryError",
    "Stamp",
    "document_at",
    "fold",
    "fold_all",
    "fold_into",
]
