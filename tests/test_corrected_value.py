"""One reading of a correction's stored field text (``offerledger.events.corrected_value``), shared
by the write side's check (``domain.correction``), the reports' corrected event
(``projections.core``), the elections projection and the expiration schedule (``domain.timing``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from offerledger.domain.timing import Announcement, correct_announcements
from offerledger.events import EASTERN, ExpirationExtended, corrected_value
from offerledger.projections.elections import _corrected_act
from offerledger.projections.employee import Act


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("choices", '[{"grant_id":"G1","choice":"keep"}]', [{"grant_id": "G1", "choice": "keep"}]),
        ("grant_ids", '["G1"]', ["G1"]),
        ("channel", "mail", "mail"),
        ("channel", "[not json", "[not json"),  # starts like JSON, does not parse: the text
        ("choices", "keep", "keep"),
        ("received_at", "2001-09-20T10:00:00-04:00", "2001-09-20T10:00:00-04:00"),
        ("effective", "2001-09-20", {"kind": "date", "on": "2001-09-20"}),
        (
            "effective",
            "2001-09-20T10:00:00-04:00",
            {"kind": "instant", "at": "2001-09-20T10:00:00-04:00"},
        ),
    ],
)
def test_corrected_value_reads_text_json_and_effective(name: str, text: str, value: Any) -> None:
    assert corrected_value(name, text) == value


def _act() -> Act:
    from offerledger.projections.core import Stamp

    stamp = Stamp.__new__(Stamp)  # the act's stamp is carried along, never read here
    return Act(
        stamp=stamp,
        kind="submit",
        form_id="F1",
        received_at=datetime(2001, 9, 20, 10, tzinfo=EASTERN),
        channel="paper",
        acted_by="E1",
        choices=(("G1", "exchange"),),
    )


def test_elections_reads_a_correction_as_the_one_decoder_does() -> None:
    act = _act()
    fixed = _corrected_act(
        act,
        (("channel", "mail"), ("choices", '[{"choice":"keep","grant_id":"G1"}]')),
    )
    assert fixed == replace(act, channel="mail", choices=(("G1", "keep"),))


@pytest.mark.parametrize(
    "fields",
    [
        (("choices", "keep"),),  # the malformed correction, stored before it was refused
        (("choices", '["keep"]'),),
        (("grant_ids", "G1"),),
        (("received_at", '["2001"]'),),
        (("channel", '{"a": 1}'),),
    ],
)
def test_elections_drops_an_act_whose_stored_correction_makes_no_act(
    fields: tuple[tuple[str, str], ...],
) -> None:
    assert _corrected_act(_act(), fields) is None


def test_expiration_schedule_reads_a_corrected_effective_date_and_instant() -> None:
    old = datetime(2001, 9, 27, 23, 59, tzinfo=EASTERN)
    item = Announcement(announced=old, expiration=old, version=3)
    topic = ExpirationExtended.TOPIC
    day = correct_announcements(
        [item], version=3, topic=topic, corrected={"effective": "2001-09-21"}
    )
    assert day == (item._replace(announced=datetime(2001, 9, 21, tzinfo=EASTERN), day_only=True),)
    at = datetime(2001, 9, 21, 14, tzinfo=UTC)
    instant = correct_announcements(
        [item], version=3, topic=topic, corrected={"effective": at.isoformat()}
    )
    assert instant == (item._replace(announced=at, day_only=False),)
    # an instant with no zone, or JSON where an expiration goes, voids the extension
    for bad in ({"effective": "2001-09-21T14:00:00"}, {"new_expiration": '["x"]'}):
        assert correct_announcements([item], version=3, topic=topic, corrected=bad) == ()
