"""Every read command as of any moment (issue 10 item 3): the one parser of ``--as-of`` and
``--as-recorded``, the moments it makes, and each command taking both on a stored ledger
(SQLite and PostgreSQL). The final amendment as of its own date knows only what was known then.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.cli.moments import AS_OF_HELP, AS_RECORDED_HELP, moment_of, parse_instant
from offerledger.errors import InputError
from offerledger.events import EASTERN
from offerledger.projections import Moment, QueryError, outputs
from offerledger.projections.core import Stamp
from test_projection_reference import OFFER, et, reference_state
from test_read_stored import store_reference

# --- the one parser ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2001-09-13", date(2001, 9, 13)),
        ("2001-09-13T17:00", et(2001, 9, 13, 17)),  # no zone: US Eastern (EDT here)
        ("2001-09-13 17:00:30", et(2001, 9, 13, 17, 0, 30)),
        ("2001-12-13T17:00", et(2001, 12, 13, 17)),  # EST
        ("2001-09-13T21:00Z", datetime(2001, 9, 13, 21, tzinfo=UTC)),
        ("2001-09-13T17:00-04:00", et(2001, 9, 13, 17)),
    ],
)
def test_a_date_or_an_instant(value: str, expected: date | datetime) -> None:
    parsed = parse_instant(value, "--as-of")
    assert parsed == expected and type(parsed) is type(expected)
    if isinstance(parsed, datetime):
        assert parsed.utcoffset() is not None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "cannot read 'yesterday' as a date or an instant"),
        ("2001-13-01", "cannot read '2001-13-01' as a date or an instant"),
        ("2001-09-13T25:00", "cannot read '2001-09-13T25:00' as a date or an instant"),
        ("0999-01-01", r"the date '0999-01-01' is out of range \(years 1900 to 9998\)"),
    ],
)
def test_bad_input_names_the_option(value: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_instant(value, "--as-recorded")
    assert caught.value.field == "--as-recorded"


def test_one_help_text_says_both_forms() -> None:
    for text in (AS_OF_HELP, AS_RECORDED_HELP):
        assert "the end of that day, US Eastern time" in text
        assert "without one, US Eastern time" in text


def _stamp(effective: datetime, recorded: datetime) -> Stamp:
    return Stamp(0, 1, "X", effective, None, recorded, "a", "k")


def test_a_date_is_the_end_of_the_day_and_an_instant_includes_itself() -> None:
    day = moment_of("2001-09-13", None)
    assert day.admits(_stamp(et(2001, 9, 13, 23, 59, 59), et(2001, 9, 13)))
    assert not day.admits(_stamp(et(2001, 9, 14), et(2001, 9, 13)))
    at = moment_of("2001-09-13T17:00", None)
    assert at.admits(_stamp(et(2001, 9, 13, 17), et(2001, 9, 13)))
    assert not at.admits(_stamp(et(2001, 9, 13, 17) + timedelta(microseconds=1), et(2001, 9, 1)))
    recorded = moment_of(None, "2001-09-28")
    assert recorded.admits(_stamp(et(2001, 9, 1), et(2001, 9, 28, 23, 59, 59)))
    assert not recorded.admits(_stamp(et(2001, 9, 1), et(2001, 9, 29)))
    assert recorded.as_recorded_text == "2001-09-28 (end of day, US Eastern)"
    assert at.as_of_text == "2001-09-13T17:00:00-04:00"


def test_until_end_of_a_day_keeps_what_is_earlier() -> None:
    bounded = Moment().until_end_of(date(2001, 9, 28))
    assert bounded == Moment.at(date(2001, 9, 28), date(2001, 9, 28))
    earlier = Moment.at(None, et(2001, 9, 20, 12)).until_end_of(date(2001, 9, 28))
    assert earlier.as_recorded == et(2001, 9, 20, 12)
    assert earlier.as_of_day == date(2001, 9, 28)


# --- the final amendment knows only what was known by its date ----------------------------------


def test_the_final_amendment_as_of_its_date_states_no_later_fact() -> None:
    state = reference_state()
    dated = outputs.final_amendment_output(state, OFFER)
    assert "2002" not in dated  # the grant (April 1, 2002) is later than September 28, 2001
    assert "[not yet known on September 28, 2001:" in dated
    pinned = outputs.final_amendment_output(state, OFFER, moment=Moment.at(None, date(2001, 9, 28)))
    assert pinned == dated
    later = outputs.final_amendment_output(state, OFFER, on=date(2002, 4, 2))
    assert "on April 1, 2002 at an exercise price of $0.51" in " ".join(later.split())


def test_no_final_amendment_as_of_before_the_acceptance() -> None:
    with pytest.raises(QueryError, match="no acceptance of tendered options is recorded"):
        outputs.final_amendment_output(
            reference_state(), OFFER, moment=Moment.at(date(2001, 9, 20))
        )


def test_letters_at_their_date_do_not_list_the_later_grant() -> None:
    letters = dict(outputs.letters_output(reference_state(), OFFER))
    assert "N001" not in letters["E001.txt"]
    assert (
        "[not yet known on September 28, 2001: the grant of the new options]"
        in (letters["E001.txt"])
    )


# --- every read command takes both, on a stored ledger ------------------------------------------

COMMANDS = [
    ("text",),
    ("text", "--format", "json"),
    ("diff", "2001-09-12"),
    ("elections",),
    ("elections", "--format", "json"),
    ("elections", "--format", "csv"),
    ("final-amendment", "--draft"),
    ("findings",),
    ("findings", "--json"),
    ("timeline",),
    ("timeline", "--json"),
]


@pytest.fixture
def stored(ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(tmp_path / "read-model.sqlite"))
    store_reference(ledger_db)
    yield ledger_db


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(
    "moment",
    [
        ("--as-of", "2001-09-13"),
        ("--as-of", "2001-09-26T15:30"),
        ("--as-recorded", "2001-09-28"),
        ("--as-of", "2001-09-27", "--as-recorded", "2001-09-30T12:00-04:00"),
    ],
    ids=" ".join,
)
def test_every_read_command_takes_as_of_and_as_recorded(
    stored: str, command: tuple[str, ...], moment: tuple[str, ...]
) -> None:
    code, out, err = run(stored, *command, *moment)
    assert code == 0, err
    if "json" in command or "--json" in command:
        data = json.loads(out)
        assert data["moment"]["as_of"] or data["moment"]["as_recorded"]
    else:
        assert "As of: " in out or "as of " in out


def test_letters_take_as_of_and_as_recorded(stored: str, tmp_path: Path) -> None:
    code, out, err = run(
        stored, "letters", "--out", str(tmp_path / "l"), "--as-recorded", "2002-12-31"
    )
    assert code == 0, err
    code, _, err = run(stored, "letters", "--out", str(tmp_path / "m"), "--as-of", "2001-09-20")
    assert code == 2 and "no acceptance of tendered options is recorded" in err


def test_a_moment_changes_what_the_commands_see(stored: str) -> None:
    def tendering(*moment: str) -> int:
        data = json.loads(run(stored, "elections", "--format", "json", *moment)[1])
        return int(data["summary"]["total"]["employees_tendering"])

    assert tendering("--as-of", "2001-08-27") == 0
    assert tendering("--as-of", "2001-09-21T09:00") == 1 < tendering() == 2
    everything = json.loads(run(stored, "timeline", "--json")[1])["events"]
    times = sorted(datetime.fromisoformat(r["recorded"]) for r in everything)
    middle = times[len(times) // 2]
    rows = json.loads(run(stored, "timeline", "--json", "--as-recorded", middle.isoformat())[1])
    recorded = [datetime.fromisoformat(r["recorded"]) for r in rows["events"]]
    assert len(recorded) == sum(t <= middle for t in times) < len(everything)
    assert max(recorded) == middle
    effective = json.loads(run(stored, "timeline", "--json", "--as-of", "2001-09-12")[1])
    assert [r["position"] for r in effective["events"]] == [
        r["position"]
        for r in everything
        if datetime.fromisoformat(r["effective_sort_key"]) < datetime(2001, 9, 13, tzinfo=EASTERN)
    ]


def test_a_bad_moment_is_bad_input(stored: str) -> None:
    code, _, err = run(stored, "elections", "--as-of", "tomorrow")
    assert code == 2
    assert "Error: field '--as-of': cannot read 'tomorrow' as a date or an instant" in err
    code, _, err = run(stored, "text", "--as-of", "2001-08-01")
    assert code == 2 and "the offer had not commenced at the moment asked for" in err
