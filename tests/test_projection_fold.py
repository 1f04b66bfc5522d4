"""The folds: prefix property, determinism, and the read model's codec (hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from offerledger.events import (
    CorrectionRecorded,
    ElectionChanged,
    ElectionSubmitted,
    ElectionWithdrawn,
    GrantChoice,
    Instant,
    LedgerEvent,
)
from offerledger.projections import EMPTY, fold, fold_all, outputs
from offerledger.projections.codec import employee_in, employee_out, stream_in, stream_out
from offerledger.projections.core import Entry
from offerledger.projections.employee import delta_for, fold_employee, merge
from offerledger.projections.timeline import fold_timeline, timeline_row
from test_projection_reference import (
    EMPLOYEES,
    OFFER,
    Recorder,
    employee_stream,
    et,
    opened_state,
    reference_entries,
    reference_recorder,
)

GRANTS = {eid: [g for g, _, _ in grants] for eid, _, _, grants in EMPLOYEES}
OPENED = et(2001, 8, 27, 9)
WINDOW = (et(2001, 9, 28) - OPENED) // timedelta(seconds=1)


@st.composite
def ledgers(draw: Any) -> list[Entry]:
    """The reference case through its amendment and roster, then random election acts (some
    recorded late with earlier received times) and corrections."""
    r: Recorder = reference_recorder(through="elections")
    r.entries = [e for e in r.entries if not _is_act(e[1])]
    r.versions = {}
    for _, event in r.entries:
        r.versions[event.originator_id] = event.originator_version
    for _ in range(draw(st.integers(0, 12))):
        eid = draw(st.sampled_from(sorted(GRANTS)))
        at = OPENED + timedelta(seconds=draw(st.integers(0, WINDOW - 1)))
        kind = draw(st.sampled_from(["submit", "change", "withdraw", "correct"]))
        grants = draw(st.lists(st.sampled_from(GRANTS[eid]), min_size=1, unique=True))
        common: dict[str, Any] = {
            "effective": Instant(at=at),
            "actor": eid,
            "key": "employee",
            "offer_id": OFFER,
            "employee_id": eid,
            "form_id": f"F{len(r.entries)}",
            "received_at": at,
            "channel": "web",
            "acted_by": eid,
        }
        stream = employee_stream(eid)
        if kind == "correct":
            r.add(
                CorrectionRecorded,
                stream,
                effective=Instant(at=at),
                actor="clerk",
                key="clerk",
                supersedes_version=draw(st.integers(1, 3)),
                supersedes_topic=ElectionSubmitted.TOPIC,
                reason="keyed in wrong",
                corrected=draw(
                    st.sampled_from([{}, {"channel": "paper"}, {"received_at": at.isoformat()}])
                ),
            )
        elif kind == "withdraw":
            r.add(ElectionWithdrawn, stream, grant_ids=tuple(grants), **common)
        else:
            choices = tuple(
                GrantChoice(grant_id=g, choice=draw(st.sampled_from(["exchange", "keep"])))
                for g in grants
            )
            cls = ElectionSubmitted if kind == "submit" else ElectionChanged
            r.add(cls, stream, choices=choices, **common)
    return r.entries


def _is_act(event: LedgerEvent) -> bool:
    return event.action.startswith("Election")


def render_all(entries: list[Entry]) -> list[str]:
    state = opened_state(entries)
    rows = [timeline_row(e) for e in entries]
    return [
        outputs.text_output(state, OFFER, provenance=True),
        outputs.elections_output(state, OFFER, fmt="json"),
        outputs.timeline_output(rows, None, as_json=True),
    ]


@settings(max_examples=40, deadline=None)
@given(entries=ledgers(), data=st.data())
def test_folding_any_prefix_then_the_rest_equals_folding_the_whole(
    entries: list[Entry], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(entries)))
    assert fold_all(fold_all(EMPTY, entries[:cut]), entries[cut:]) == fold_all(EMPTY, entries)
    one_by_one = EMPTY
    for entry in entries[cut:]:
        one_by_one = fold(one_by_one, entry)
    assert fold_all(one_by_one, ()) == fold_all(EMPTY, entries[cut:])
    rows: tuple[Any, ...] = ()
    for entry in entries:
        rows = fold_timeline(rows, entry)
    assert rows == tuple(timeline_row(e) for e in entries)


@settings(max_examples=25, deadline=None)
@given(entries=ledgers(), data=st.data())
def test_the_read_model_codec_round_trips_every_state(
    entries: list[Entry], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(entries)))
    state = fold_all(EMPTY, entries[:cut])
    for stream in state.streams.values():
        assert stream_in(stream_out(stream)) == stream
    for employee in state.employees.values():
        encoded = employee_out(employee)
        identity = {
            "stream": employee.stream,
            "offer_id": employee.offer_id,
            "employee_id": employee.employee_id,
        }
        assert employee_in(encoded, **identity) == employee
        # A delta's records appended to the stored ones give the merged state.
        rest = [e for e in entries[cut:] if e[1].originator_id == employee.stream]
        delta = delta_for(employee.stream)
        for entry in rest:
            delta = fold_employee(delta, entry)
        whole = fold_all(EMPTY, entries).employees[employee.stream]
        assert merge(employee, delta) == whole
        assert employee_in(encoded + employee_out(delta), **identity).acts == whole.acts


@settings(max_examples=15, deadline=None)
@given(entries=ledgers())
def test_same_ledger_same_bytes(entries: list[Entry]) -> None:
    assert render_all(entries) == render_all(list(entries))


def test_the_reference_renders_the_same_twice() -> None:
    assert render_all(reference_entries()) == render_all(reference_entries())
