"""A build gathers each employee's records by stream (``gather.Gathered``) instead of folding
a new state per event: the states it writes are the fold's, in one run or written in parts
(each part a delta appended to what is stored, as the read model does), and its timeline rows
are ``timeline_values``'s."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from offerledger.events import CorrectionRecorded, ElectionReceiptConfirmed, ElectionSubmitted
from offerledger.projections import EMPTY, fold_all
from offerledger.projections.core import Entry, _is_synthetic
from offerledger.projections.employee import EmployeeState, merge
from offerledger.projections.gather import Gathered, fold_entries
from offerledger.projections.state import StreamState
from offerledger.projections.timeline import TimelineValues, timeline_values
from test_projection_fold import ledgers
from test_read_stored import reference_for_ledger


def _gather_in_parts(entries: list[Entry], cuts: list[int], *, incremental_from: int) -> Any:
    """Fold ``entries`` as builds do: the records written at each cut (a full build's
    periodic writes), and from ``incremental_from`` on as an incremental run (the employees
    already written are known)."""
    stored: dict[uuid.UUID, EmployeeState] = {}
    streams: dict[uuid.UUID, StreamState] = {}
    pending: list[TimelineValues] = []
    gathered = Gathered(known=lambda stream: False)
    bounds = sorted({0, *cuts, incremental_from, len(entries)})
    for start, end in zip(bounds, bounds[1:], strict=False):
        if start == incremental_from:
            gathered = Gathered(known=lambda stream: stream in stored)
        fold_entries(entries[start:end], streams, gathered, pending)
        for state in gathered.states():
            before = stored.get(state.stream)
            stored[state.stream] = state if before is None else merge(before, state)
        gathered.open = {}
    return stored, streams, pending


@settings(max_examples=40, deadline=None)
@given(entries=ledgers(), data=st.data())
def test_gathered_records_are_the_fold_of_each_stream(
    entries: list[Entry], data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(entries)), max_size=3))
    incremental_from = data.draw(st.integers(0, len(entries)))
    stored, streams, pending = _gather_in_parts(entries, cuts, incremental_from=incremental_from)
    whole = fold_all(EMPTY, entries)
    assert stored == dict(whole.employees)
    assert streams == dict(whole.streams)
    assert pending == [timeline_values(entry) for entry in entries]


def _with_receipt_and_correction(entries: list[Entry]) -> list[Entry]:
    """The reference case with a receipt confirmed for its first form and that form corrected
    (it has neither)."""
    form = next(e for _, e in entries if isinstance(e, ElectionSubmitted))
    assert isinstance(form, ElectionSubmitted)
    header = {
        "originator_id": form.originator_id,
        "effective": form.effective,
        "recorded": entries[-1][1].recorded,
        "actor": form.actor,
        "key_id": form.key_id,
    }
    version = max(e.originator_version for _, e in entries if e.originator_id == form.originator_id)
    receipt = ElectionReceiptConfirmed(
        **header,
        originator_version=version + 1,
        offer_id=form.offer_id,
        employee_id=form.employee_id,
        form_id=form.form_id,
        channel="email",
        sent_at=form.received_at,
    )
    correction = CorrectionRecorded(
        **header,
        originator_version=version + 2,
        supersedes_version=form.originator_version,
        supersedes_topic=form.TOPIC,
        reason="keyed in wrong",
        corrected={"channel": "paper"},
    )
    _, offer = entries[0]  # the offer's commencement: a small stream's correction
    offer_version = max(
        e.originator_version for _, e in entries if e.originator_id == offer.originator_id
    )
    offer_correction = CorrectionRecorded(
        **{**header, "originator_id": offer.originator_id},
        originator_version=offer_version + 1,
        supersedes_version=1,
        supersedes_topic=offer.TOPIC,
        reason="typo",
        corrected={},
    )
    last = entries[-1][0]
    added = (receipt, correction, offer_correction)
    return [*entries, *((last + 1 + i, event) for i, event in enumerate(added))]


def test_every_action_of_the_reference_gathers_as_it_folds() -> None:
    entries = _with_receipt_and_correction(reference_for_ledger().entries)
    kinds = {type(event).__name__ for _, event in entries}
    assert {"ElectionRefused", "ElectionReceiptConfirmed", "EligibleGrantsRegistered"} <= kinds
    whole = fold_all(EMPTY, entries)
    assert any(e.receipts and e.corrections for e in whole.employees.values())
    assert any(s.corrections for s in whole.streams.values())
    for cuts in ([], [len(entries) // 2], [1, len(entries) // 3, len(entries) - 1]):
        stored, streams, pending = _gather_in_parts(entries, cuts, incremental_from=len(entries))
        assert stored == dict(whole.employees)
        assert streams == dict(whole.streams)
        assert pending == [timeline_values(entry) for entry in entries]


def test_a_stamp_says_synthetic_as_the_event_does() -> None:
    entries = _with_receipt_and_correction(reference_for_ledger().entries)
    events = [event for _, event in entries]
    events += [e.model_copy(update={"synthetic_record": True}) for e in events]
    events += [
        e.model_copy(update={"synthetic": flag})
        for e in events
        if "synthetic" in type(e).model_fields
        for flag in (True, False)
    ]
    assert {e.is_synthetic for e in events if "synthetic" not in type(e).model_fields} == {
        True,
        False,
    }
    for event in events:
        assert _is_synthetic(event) == event.is_synthetic, type(event).__name__
