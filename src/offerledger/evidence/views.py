"""The projections a bundle carries, rebuilt from the bundle's events alone.

The same function serves the export (which writes the files) and ``verify-bundle`` (which
rebuilds them from the bundle and compares byte for byte): the employee's election status
(JSON and text) and results letter, or every employee's for a whole-offer bundle, and the offer
document's text as of the date asked for (``--as-of``; every change on record without it).
Election status and letters cover every change on record: they are not as-of views.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from offerledger.events import CommittedList, LedgerEvent
from offerledger.projections import EMPTY, Moment, fold_all, outputs
from offerledger.projections.catalog import QueryError
from offerledger.projections.disclosed import OpenedList

__all__ = ["ELECTIONS_JSON", "projection_files"]

ELECTIONS_JSON = "projections/elections.json"  # the standalone verifier re-folds this one


def projection_files(
    events: Sequence[tuple[int, LedgerEvent]],
    lists: Mapping[CommittedList, OpenedList],
    *,
    offer_id: uuid.UUID,
    employee: str | None,
    as_of: date | None,
) -> dict[str, bytes]:
    """File name -> bytes of every projection of the bundle (raises QueryError when the
    events hold no such offer, or the date is before it commenced)."""
    state = replace(fold_all(EMPTY, sorted(events, key=lambda e: e[0])), lists=dict(lists))
    files = {
        ELECTIONS_JSON: outputs.elections_output(state, offer_id, employee=employee, fmt="json"),
        "projections/elections.txt": outputs.elections_output(state, offer_id, employee=employee),
        "projections/offer-text.txt": outputs.text_output(state, offer_id, Moment.on(as_of)),
    }
    try:
        letters = outputs.letters_output(state, offer_id)
    except QueryError:  # no results yet: the offer has not expired or nothing was accepted
        letters = []
    for name, text in letters:
        files["projections/letter.txt" if employee else f"projections/letters/{name}"] = text
    return {name: text.encode() for name, text in files.items()}
