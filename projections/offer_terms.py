"""The terms of the new options as the offer document on record states them, quoted.

Real final amendments and results letters say how the new options' exercise price is set, when
they will be granted, how they vest and that the employee must stay employed until the grant.
The ledger holds the offer document as sentences; this module finds, for each of those terms,
the first sentence of the document (as it stood at the moment asked for) that states it, and
returns it word for word with where it stands. A term no sentence states is None: the renderers
then say not on file (or not yet known), never a wording of their own.

Pure: the document view in, quotes out.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from offerledger.projections.catalog import QueryError
from offerledger.projections.core import Moment
from offerledger.projections.state import LedgerState
from offerledger.projections.text import DocumentView, document_at


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence of the offer document, word for word, and where it stands."""

    text: str
    section: str
    document: str

    @property
    def where(self) -> str:
        """ "Section 8 of the Offer to Exchange"."""
        return f"{self.section} of the {self.document}"


def _has(sentence: str, *words: str) -> bool:
    return all(w in sentence for w in words)


def _any(sentence: str, *words: str) -> bool:
    return any(w in sentence for w in words)


TERMS: dict[str, Callable[[str], bool]] = {
    # how the exercise price of the new options is set
    "price": lambda s: (
        _has(s, "exercise price", "new option")
        and _any(s, "fair market value", "closing", "market price", "last reported", "sale price")
    ),
    # when the new options will be granted
    "grant": lambda s: (
        _has(s, "new option", "grant")
        and _any(s, "six months and one day", "business day", "on or about", "expect to grant")
    ),
    # how the new options vest
    "vesting": lambda s: _has(s, "new option") and _any(s, "vest"),
    # continued employment until the new grant
    "employment": lambda s: (
        _has(s, "new option")
        and _any(s, "employ")
        and _any(s, "continu", "remain", "through the date", "until")
    ),
}


def _sentences(view: DocumentView) -> list[tuple[str, str]]:
    out = []
    for part in view.parts:
        if part.kind != "section":
            continue
        for block in part.blocks:
            for sentence in block.sentences:
                if isinstance(sentence, str):
                    out.append((f"Section {part.number}", sentence))
    return out


def offer_terms(state: LedgerState, offer_id: uuid.UUID, moment: Moment) -> dict[str, Quote]:
    """Term name (``price``, ``grant``, ``vesting``, ``employment``) -> the first sentence of
    the offer document at ``moment`` that states it; a term none states is absent."""
    try:
        view = document_at(state, offer_id, moment)
    except QueryError:
        return {}
    found: dict[str, Quote] = {}
    for section, sentence in _sentences(view):
        lower = sentence.lower()
        for term, states in TERMS.items():
            if term not in found and states(lower):
                found[term] = Quote(sentence, section, view.title)
    return found


__all__ = ["TERMS", "Quote", "offer_terms"]
