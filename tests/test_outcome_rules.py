"""Issue 13 items 2 and 3: corrections that cannot break the read side, and rules against
rewriting the outcome, judged against what the ledger had recorded when the action is recorded.

The issue's own cases run on the 300-employee demo with the clerk's key, in today's clock
(2026): a new election for E0108 and a withdrawal of E0261's accepted and cancelled grant, both
claiming receipt on 2001-09-27, are refused naming the acceptance; a roster of new employees is
refused; the malformed correction is refused naming its field.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from demo_prefix import PASS, demo_until, invoke
from offerledger.demo import CLERK, OFFICER, run_demo
from offerledger.events import OfferExpired, TenderedOptionsAccepted
from offerledger.ledger import Ledger

E_STREAM = "employee:offer:1117042:005-59595:{}"
TIMELY = "2001-09-27T12:00:00-04:00"


@pytest.fixture(scope="module")
def demo300(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo300")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        run_demo(str(folder / "ledger.db"), passphrase=PASS, employees=300)
    return folder


@pytest.fixture
def db(demo300: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the 300-employee demo ledger (accepted and cancelled) and its keys."""
    shutil.copy(demo300 / "ledger.db", tmp_path / "ledger.db")
    shutil.copytree(demo300 / "keys", tmp_path / "keys")
    monkeypatch.setenv("OFFERLEDGER_KEYS", str(tmp_path / "keys"))
    return str(tmp_path / "ledger.db")


def _count(db: str) -> int:
    ledger = Ledger.open(db)
    try:
        return ledger.count()
    finally:
        ledger.close()


def _position(db: str, topic_prefix: str) -> int:
    ledger = Ledger.open(db)
    try:
        return next(e.position for e in ledger.log() if e.topic.startswith(topic_prefix))
    finally:
        ledger.close()


def _refused(db: str, *args: str) -> Result:
    before = _count(db)
    result = invoke(db, *args)
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.output
    assert _count(db) == before
    return result


def _election(employee: str, form: str, grant: str, choice: str = "exchange") -> list[str]:
    return [
        "--key",
        CLERK,
        "--employee-id",
        employee,
        "--form-id",
        form,
        "--received-at",
        TIMELY,
        "--channel",
        "paper",
        "--acted-by",
        employee,
        "--choices",
        json.dumps([{"grant_id": grant, "choice": choice}]),
    ]


def _names_acceptance(result: Result, db: str) -> None:
    position = _position(db, "offerledger.TenderedOptionsAccepted")
    assert "refused (outcome-recorded)" in result.stderr
    assert f"TenderedOptionsAccepted at log position {position}, effective 2001-09-28" in (
        result.stderr
    )


# --- the cases ---------------------------------------------------------------------


def test_2026_election_for_e0108_claiming_2001_is_refused_naming_the_acceptance(db: str) -> None:
    result = _refused(db, "record", "election-submitted", *_election("E0108", "F-2026", "G0108-1"))
    _names_acceptance(result, db)
    assert "election form 'F-2026' for employee E0108" in result.stderr


def test_2026_withdrawal_of_e0261s_cancelled_grant_is_refused_naming_the_acceptance(
    db: str,
) -> None:
    args = _election("E0261", "W-2026", "G0261-1")[:-2] + ["--grant-ids", '["G0261-1"]']
    result = _refused(db, "record", "election-withdrawn", *args)
    _names_acceptance(result, db)


def test_roster_of_new_employees_after_acceptance_is_refused(db: str, tmp_path: Path) -> None:
    roster = tmp_path / "more.csv"
    roster.write_text(
        "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\n"
        + "".join(
            f"N{i:05d},New Person {i},NG{i}-1,Holding Plan,2000-01-04,10.00,100\n"
            for i in range(50)
        )
    )
    result = _refused(db, "ingest", "roster", str(roster), "--key", OFFICER)
    _names_acceptance(result, db)
    record = _refused(
        db,
        "record",
        "eligible-grants-registered",
        "--key",
        OFFICER,
        "--effective",
        "2001-08-27",
        "--employee-id",
        "N1",
        "--employee-name",
        "New Person",
        "--grants",
        '[{"grant_id":"NG1","plan":"Holding Plan","grant_date":"2000-01-04",'
        '"exercise_price":"10.00","options_outstanding":100}]',
    )
    _names_acceptance(record, db)


def test_malformed_correction_is_refused_naming_the_field(db: str) -> None:
    result = _refused(
        db,
        "record",
        "correction-recorded",
        "--key",
        CLERK,
        "--effective",
        "2026-05-01",
        "--stream",
        E_STREAM.format("E0001"),
        "--supersedes-version",
        "2",
        "--supersedes-topic",
        "offerledger.ElectionSubmitted.v1",
        "--reason",
        "typo",
        "--corrected",
        '{"choices":"keep"}',
    )
    assert "field 'corrected.choices'" in result.stderr
    assert "must still be a valid ElectionSubmitted" in result.stderr


def test_correction_of_an_election_after_acceptance_is_refused(db: str) -> None:
    result = _refused(
        db,
        "record",
        "correction-recorded",
        "--key",
        CLERK,
        "--effective",
        "2026-05-01",
        "--stream",
        E_STREAM.format("E0001"),
        "--supersedes-version",
        "2",
        "--supersedes-topic",
        "offerledger.ElectionSubmitted.v1",
        "--reason",
        "the form said keep",
        "--corrected",
        '{"choices":[{"grant_id":"G0001-1","choice":"keep"}]}',
    )
    _names_acceptance(result, db)


def test_late_form_after_acceptance_is_still_put_on_file_as_refused(
    db: str, tmp_path: Path
) -> None:
    late = tmp_path / "late.csv"
    late.write_text(
        "employee_id,grant_id,choice,received_at,form_id,channel\n"
        "E0108,G0108-1,exchange,2001-10-02T10:00:00-04:00,F-LATE,paper\n"
    )
    result = invoke(db, "ingest", "elections", str(late), "--key", CLERK)
    assert result.exit_code == 0, result.stderr
    timely = tmp_path / "timely.csv"
    timely.write_text(late.read_text().replace("2001-10-02", "2001-09-20").replace("LATE", "T"))
    refused = _refused(db, "ingest", "elections", str(timely), "--key", CLERK)
    _names_acceptance(refused, db)


# --- after expiration, before acceptance -----------------------------------------------------


@pytest.fixture
def expired(tmp_path: Path) -> str:
    """A 12-employee demo stopped after the offer's expiration, before the acceptance."""
    db = str(tmp_path / "expired.db")
    demo_until(db, before=TenderedOptionsAccepted)
    return db


def _late_args(form: str) -> list[str]:
    return ["record", "election-submitted", *_election("E0002", form, "G0002-1", "keep")]


def test_form_claiming_timely_receipt_after_expiration_needs_a_reason(expired: str) -> None:
    result = _refused(expired, *_late_args("F-LATE-1"))
    assert "refused (late-recorded)" in result.stderr
    assert "--late-recorded-reason" in result.stderr


def test_late_recorded_receipt_is_recorded_with_its_reason_and_is_a_finding(
    expired: str,
) -> None:
    reason = "found in the mail room on 2026-11-30, stamped received 2001-09-27"
    result = invoke(expired, *_late_args("F-LATE-2"), "--late-recorded-reason", reason)
    assert result.exit_code == 0, result.stderr
    ledger = Ledger.open(expired)
    try:
        last = list(ledger.log())[-1].event
    finally:
        ledger.close()
    assert getattr(last, "late_recorded_reason", None) == reason
    findings = invoke(expired, "findings", "--json")
    assert findings.exit_code == 0, findings.stderr
    shown = json.loads(findings.stdout)
    items = shown["findings"] if isinstance(shown, dict) else shown
    late = [f for f in items if "late-recorded" in f["rule"]]
    assert len(late) == 1, findings.stdout
    detail = late[0]["detail"]
    assert "F-LATE-2" in detail and "E0002" in detail
    assert CLERK in detail  # who recorded it
    assert "after the offer's end (OfferExpired effective 2001-09-28T00:00:00-04:00" in detail
    assert late[0]["status"] == "not_met"


def _late_csv(tmp_path: Path, *forms: str) -> Path:
    """An elections CSV of E0002 keeping G0002-1, received before the deadline, one row a form."""
    path = tmp_path / "late.csv"
    rows = [f"E0002,G0002-1,keep,{TIMELY},{form},paper" for form in forms]
    path.write_text(
        "employee_id,grant_id,choice,received_at,form_id,channel\n" + "\n".join(rows) + "\n"
    )
    return path


def test_ingest_elections_claiming_timely_receipt_after_expiration_needs_a_reason(
    expired: str, tmp_path: Path
) -> None:
    csv = _late_csv(tmp_path, "C-1")
    result = _refused(expired, "ingest", "elections", str(csv), "--key", CLERK)
    assert "line 2:" in result.stderr and "form 'C-1' of employee E0002" in result.stderr
    assert "accepted only as a late-recorded receipt" in result.stderr
    assert "--late-recorded-reason" in result.stderr


def test_ingest_elections_records_late_recorded_receipts_with_the_reason(
    expired: str, tmp_path: Path
) -> None:
    reason = "a batch of paper forms found in the mail room, stamped received 2001-09-27"
    before = _count(expired)
    csv = _late_csv(tmp_path, "C-2")
    result = invoke(
        expired, "ingest", "elections", str(csv), "--key", CLERK, "--late-recorded-reason", reason
    )
    assert result.exit_code == 0, result.stderr
    assert _count(expired) == before + 1
    ledger = Ledger.open(expired)
    try:
        last = list(ledger.log())[-1].event
    finally:
        ledger.close()
    assert getattr(last, "form_id", None) == "C-2"
    assert getattr(last, "late_recorded_reason", None) == reason
    findings = json.loads(invoke(expired, "findings", "--json").stdout)["findings"]
    late = [f for f in findings if "late-recorded" in f["rule"]]
    assert len(late) == 1 and "C-2" in late[0]["detail"] and CLERK in late[0]["detail"]


def test_ingest_elections_reason_refused_while_the_offer_has_not_ended(tmp_path: Path) -> None:
    db = str(tmp_path / "open.db")
    demo_until(db, before=OfferExpired)
    csv = _late_csv(tmp_path, "C-3")
    result = _refused(
        db, "ingest", "elections", str(csv), "--key", CLERK, "--late-recorded-reason", "none"
    )
    assert "field 'late_recorded_reason'" in result.stderr


def test_roster_after_expiration_is_refused(expired: str) -> None:
    result = _refused(
        expired,
        "record",
        "eligible-grants-registered",
        "--key",
        OFFICER,
        "--effective",
        "2001-08-27",
        "--employee-id",
        "N1",
        "--employee-name",
        "New Person",
        "--grants",
        '[{"grant_id":"NG1","plan":"Holding Plan","grant_date":"2000-01-04",'
        '"exercise_price":"10.00","options_outstanding":100}]',
    )
    assert "refused (roster)" in result.stderr
    assert "its end is on record" in result.stderr


def test_reason_refused_while_the_offer_has_not_ended_on_record(tmp_path: Path) -> None:
    db = str(tmp_path / "open.db")
    demo_until(db, before=OfferExpired)
    result = _refused(db, *_late_args("F-EARLY"), "--late-recorded-reason", "no reason")
    assert "field 'late_recorded_reason'" in result.stderr


# --- corrections on an open offer ------------------------------------------------------------


@pytest.fixture
def open_offer(tmp_path: Path) -> str:
    db = str(tmp_path / "open.db")
    demo_until(db, before=OfferExpired)
    return db


def _correct(db: str, version: int, topic: str, corrected: Any, key: str = CLERK) -> Result:
    return invoke(
        db,
        "record",
        "correction-recorded",
        "--key",
        key,
        "--effective",
        "2001-09-20",
        "--stream",
        E_STREAM.format("E0001"),
        "--supersedes-version",
        str(version),
        "--supersedes-topic",
        topic,
        "--reason",
        "the form was misread",
        "--corrected",
        json.dumps(corrected),
    )


@pytest.mark.parametrize(
    "corrected,field",
    [
        ({"choices": "keep"}, "corrected.choices"),
        ({"choices": [{"grant_id": "G0001-1"}]}, "corrected.choices.0.choice"),
        ({"choices": []}, "corrected.choices"),
        ({"received_at": "yesterday"}, "corrected.received_at"),
        ({"received_at": "2001-09-20T10:00:00"}, "corrected.received_at"),
        ({"channel": "pigeon"}, "corrected.channel"),
        ({"employee_id": "E0002"}, "corrected.employee_id"),
        ({"late_recorded_reason": None}, "corrected.late_recorded_reason"),
        ({"acted_by": "[1]"}, "corrected.acted_by"),
        ({"colour": "red"}, "corrected"),
        ({}, "corrected"),
    ],
)
def test_corrections_that_do_not_make_a_valid_event_are_refused(
    open_offer: str, corrected: dict[str, Any], field: str
) -> None:
    before = _count(open_offer)
    result = _correct(open_offer, 2, "offerledger.ElectionSubmitted.v1", corrected)
    assert result.exit_code == 2, result.output
    assert f"field '{field}'" in result.stderr, result.stderr
    assert _count(open_offer) == before


def test_correction_naming_an_unregistered_grant_or_a_late_time_is_refused(
    open_offer: str,
) -> None:
    topic = "offerledger.ElectionSubmitted.v1"
    grant = _correct(open_offer, 2, topic, {"choices": [{"grant_id": "X", "choice": "keep"}]})
    assert grant.exit_code == 2 and "refused (eligible-grant)" in grant.stderr
    late = _correct(open_offer, 2, topic, {"received_at": "2001-09-28T00:00:00-04:00"})
    assert late.exit_code == 2 and "refused (election-window)" in late.stderr


def test_valid_correction_is_stored_canonically_and_every_reader_reads_it(
    open_offer: str,
) -> None:
    corrected = {"choices": [{"choice": "keep", "grant_id": "G0001-1"}], "channel": "mail"}
    result = _correct(open_offer, 2, "offerledger.ElectionSubmitted.v1", corrected)
    assert result.exit_code == 0, result.stderr
    ledger = Ledger.open(open_offer)
    try:
        stored = list(ledger.log())[-1].event
    finally:
        ledger.close()
    assert getattr(stored, "corrected", None) == {
        "channel": "mail",
        "choices": '[{"choice":"keep","grant_id":"G0001-1"}]',
    }
    shown = invoke(open_offer, "elections", "--employee", "E0001", "--format", "json")
    assert shown.exit_code in (0, 1), shown.stderr  # 1: an unverified ledger may say so
    assert "Traceback" not in shown.output
    assert '"not_tendered"' in shown.stdout or '"keep"' in shown.stdout


def test_unregistered_grant_refused_before_acceptance(open_offer: str) -> None:
    """The eligible-grant rule (after acceptance, the acceptance is named first)."""
    args = ["record", "election-changed", *_election("E0002", "x-1", "NOT-A-GRANT")]
    result = _refused(open_offer, *args)
    assert "refused (eligible-grant)" in result.stderr


@pytest.fixture
def accepted_both(ledger_db: str) -> Iterator[str]:
    run_demo(ledger_db, passphrase=PASS, employees=12)
    yield ledger_db


def test_acceptance_named_on_both_backends(accepted_both: str) -> None:
    result = _refused(
        accepted_both, "record", "election-submitted", *_election("E0003", "Z", "G0003-1")
    )
    _names_acceptance(result, accepted_both)
