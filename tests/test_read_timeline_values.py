"""A build writes the timeline's rows straight from the events (``timeline_values``): the same
columns a :class:`TimelineRow` of the same entry gives, for every action of the reference case
and for a correction."""

from __future__ import annotations

from offerledger.events import CorrectionRecorded
from offerledger.projections.timeline import timeline_row, timeline_values, values_of
from test_read_stored import reference_for_ledger


def test_timeline_values_are_the_row_of_timeline_row() -> None:
    r = reference_for_ledger()
    actions = set()
    for entry in r.entries:
        assert timeline_values(entry) == values_of(timeline_row(entry))
        actions.add(entry[1].action)
    assert len(actions) >= 10  # the reference case has every kind of action the fold keeps
    position, event = r.entries[-1]
    correction = CorrectionRecorded(
        originator_id=event.originator_id,
        originator_version=event.originator_version + 1,
        effective=event.effective,
        recorded=event.recorded,
        actor=event.actor,
        key_id=event.key_id,
        supersedes_version=event.originator_version,
        supersedes_topic=event.TOPIC,
        reason="typo",
        corrected={},
    )
    values = timeline_values((position + 1, correction))
    assert values == values_of(timeline_row((position + 1, correction)))
    assert values[13] == event.originator_version  # supersedes
