"""Times and actors that are true (issue 10 item 1): recorded time is the clock at recording.

The demo's story clock never records anything before it happened and never runs back, and each
event is recorded by the role that did it; the write side refuses an event recorded before what
it records or before the event before it; verify (and the standalone bundle verifier) reports
such an event when one is written past the write side.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dbedit import DbEdit
from offerledger import offerledger_verify as standalone
from offerledger.actions import record
from offerledger.demo import AGENT, CLERK, COMMS, EMAIL_INTAKE, OFFICER, demo_key, run_demo
from offerledger.errors import RuleViolation
from offerledger.events import (
    EASTERN,
    RECORDS_FIELDS,
    ElectionReceiptConfirmed,
    LedgerEvent,
    records_floor,
    stream_id,
)
from offerledger.integrity.service import verify_ledger, write_checkpoint
from offerledger.ledger import Ledger
from offerledger.signing.envelope import body_for, envelope_hash, sign_bodies
from offerledger.store import decode_stored

PASS = b"test-passphrase"
FORMS = {"ElectionSubmitted", "ElectionChanged", "ElectionWithdrawn", "ElectionRefused"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[LedgerEvent]:
    """The 300-employee demo's events in log order (SQLite; the store is not what is tested)."""
    db = str(tmp_path_factory.mktemp("demo") / "demo.db")
    run_demo(db, passphrase=PASS)
    with Ledger.open(db) as ledger:
        events = [e.event for e in ledger.log()]
    assert all(e is not None for e in events)
    return events  # type: ignore[return-value]


def floor(event: LedgerEvent) -> datetime | None:
    instants = {name: getattr(event, name, None) for name in RECORDS_FIELDS}
    found = records_floor(event.effective.model_dump(mode="json"), instants)
    return None if found is None else found[0]


def test_no_demo_event_is_recorded_before_what_it_records_or_the_event_before_it(
    demo: list[LedgerEvent],
) -> None:
    previous = None
    for position, event in enumerate(demo):
        at = floor(event)
        assert at is None or event.recorded >= at, (position, event.action, event.recorded, at)
        assert previous is None or event.recorded >= previous, (position, event.action)
        previous = event.recorded
    received = [e for e in demo if e.action in FORMS]
    assert received and all(e.recorded >= e.received_at for e in received)  # type: ignore[attr-defined]


def test_the_late_form_received_at_09_12_is_recorded_after_it(demo: list[LedgerEvent]) -> None:
    late = [
        e
        for e in demo
        if e.action == "ElectionRefused"
        and e.received_at == datetime(2001, 9, 28, 9, 12, tzinfo=EASTERN)  # type: ignore[attr-defined]
    ]
    assert len(late) == 1
    assert late[0].recorded > late[0].received_at  # type: ignore[attr-defined]
    assert late[0].recorded.astimezone(EASTERN).date().isoformat() == "2001-09-28"
    assert late[0].actor == CLERK  # a paper form


def test_every_demo_event_is_marked_synthetic_in_its_header(demo: list[LedgerEvent]) -> None:
    assert all(e.synthetic_record and e.is_synthetic for e in demo)


def test_each_demo_event_is_recorded_by_the_role_that_did_it(demo: list[LedgerEvent]) -> None:
    by_action: dict[str, set[str]] = {}
    for e in demo:
        by_action.setdefault(e.action, set()).add(e.actor)
    forms = [e for e in demo if e.action in FORMS]
    assert {e.actor for e in forms if e.channel == "email"} == {EMAIL_INTAKE}  # type: ignore[attr-defined]
    assert {e.actor for e in forms if e.channel == "paper"} == {CLERK}  # type: ignore[attr-defined]
    assert by_action["NoticeDispatched"] == {COMMS}
    for action in ("TenderedOptionsAccepted", "NewOptionsGranted", "EligibleGrantsRegistered"):
        assert by_action[action] == {OFFICER}
    assert by_action["FilingRecorded"] <= {OFFICER, AGENT}
    assert "SYNTHETIC" in OFFICER and "Zuckerman" not in OFFICER
    assert not any("Zuckerman" in e.actor for e in demo)  # a real person records nothing here


# --- the write side refuses -------------------------------------------------------------------


@pytest.fixture
def small_demo(ledger_db: str) -> str:
    run_demo(ledger_db, passphrase=PASS, employees=12)
    return ledger_db


def _confirmation(ledger: Ledger, sent_at: datetime) -> dict[str, Any]:
    return {
        "effective": {"kind": "instant", "at": sent_at.isoformat()},
        "employee_id": "E0001",
        "form_id": "F-E0001-1",
        "channel": "email",
        "sent_at": sent_at.isoformat(),
    }


def test_the_write_side_refuses_an_event_recorded_before_what_it_records(
    small_demo: str,
) -> None:
    with Ledger.open(small_demo) as ledger:
        last = max(e.event.recorded for e in ledger.log() if e.event is not None)
        ledger.clock = lambda: last + timedelta(hours=1)
        count = ledger.count()
        sent = last + timedelta(hours=2)  # sent an hour after the clock reads
        with pytest.raises(RuleViolation, match="recorded-before-effective") as caught:
            record(
                ledger,
                "election-receipt-confirmed",
                _confirmation(ledger, sent),
                signer=demo_key(COMMS),
            )
        assert caught.value.rule == "recorded-before-effective"
        assert f"before its effective {sent.isoformat()}" in caught.value.message
        assert ledger.count() == count  # nothing was written


def test_the_write_side_refuses_a_clock_that_runs_back(small_demo: str) -> None:
    with Ledger.open(small_demo) as ledger:
        last = max(e.event.recorded for e in ledger.log() if e.event is not None)
        ledger.clock = lambda: last - timedelta(minutes=1)
        count = ledger.count()
        with pytest.raises(RuleViolation, match="recorded-out-of-order"):
            record(
                ledger,
                "election-receipt-confirmed",
                _confirmation(ledger, last - timedelta(days=1)),
                signer=demo_key(COMMS),
            )
        assert ledger.count() == count
        ledger.clock = lambda: last  # the same instant is no step back
        record(
            ledger,
            "election-receipt-confirmed",
            _confirmation(ledger, last - timedelta(days=1)),
            signer=demo_key(COMMS),
        )
        assert ledger.count() == count + 1


# --- verify reports what got past the write side ----------------------------------------------


def _forge_confirmation(db: str, *, recorded: datetime, sent_at: datetime) -> int:
    """Append a receipt confirmation signed by People Communications' valid key, straight into
    the table (an insider past the write side); returns its position."""
    edit = DbEdit(db)
    stream = stream_id("employee:offer:1117042:005-59595:E0001")
    rows = [r for r in edit.rows() if r[1] == stream]
    _, _, version, _, state = rows[-1]
    last = decode_stored(rows[-1][3], state)
    event = ElectionReceiptConfirmed(
        originator_id=stream,
        originator_version=version + 1,
        effective={"kind": "instant", "at": sent_at},
        recorded=recorded,
        actor=COMMS,
        key_id=demo_key(COMMS).key_id,
        synthetic_record=last.synthetic_record,
        offer_id=stream_id("offer:1117042:005-59595"),
        employee_id="E0001",
        form_id="F-E0001-1",
        channel="email",
        sent_at=sent_at,
    )
    size, root = edit.head()
    (forged,), save = sign_bodies(
        bodies=[body_for(event, prev=envelope_hash(state))],
        signer=demo_key(COMMS),
        log_size=size,
        log_root=root,
        number=edit.next_save(),
    )
    edit.insert(stream, version + 1, event.TOPIC, forged)
    edit.put_save(save)
    edit.rebuild_index()
    edit.close()
    return size


def _last_recorded(db: str) -> datetime:
    with Ledger.open(db) as ledger:
        return max(e.event.recorded for e in ledger.log() if e.event is not None)


def _problems(db: str, **kwargs: Any) -> list[tuple[int | None, str]]:
    with Ledger.open(db) as ledger:
        report = verify_ledger(ledger, workers=1, **kwargs)
    return [(p.position, p.reason) for p in report.problems]


def test_event_recorded_before_what_it_records(small_demo: str) -> None:
    last = _last_recorded(small_demo)
    at = _forge_confirmation(
        small_demo, recorded=last + timedelta(hours=1), sent_at=last + timedelta(hours=3)
    )
    assert _problems(small_demo) == [(at, "recorded-before-effective")]


def test_event_recorded_before_the_event_before_it(small_demo: str, tmp_path: Path) -> None:
    checkpoint = tmp_path / "head.checkpoint"
    with Ledger.open(small_demo) as ledger:
        root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=PASS)
        write_checkpoint(ledger, out=checkpoint, root=root)
    last = _last_recorded(small_demo)
    at = _forge_confirmation(
        small_demo, recorded=last - timedelta(days=1), sent_at=last - timedelta(days=2)
    )
    assert _problems(small_demo) == [(at, "recorded-out-of-order")]
    # verify --since compares the first event after the checkpoint with the one before it
    assert _problems(small_demo, checkpoint=checkpoint, since=True) == [
        (at, "recorded-out-of-order")
    ]


def test_the_standalone_verifier_checks_recorded_time_alike() -> None:
    """The bundle verifier's check of one event against what it records and the one before."""
    verifier = object.__new__(standalone.Verifier)
    verifier.problems = []

    def event(position: int, recorded: str, effective: dict[str, Any], **payload: Any) -> Any:
        header = {"recorded": recorded, "effective": effective, "prev": None}
        return standalone.Event(
            position, f"s{position}", 1, "t", header=header, payload=payload, file=f"e{position}"
        )

    first = event(0, "2001-09-13T09:00:00-04:00", {"kind": "date", "on": "2001-09-13"})
    on_the_day = event(1, "2001-09-13T00:00:00-04:00", {"kind": "date", "on": "2001-09-13"})
    eastern_eve = event(2, "2001-09-13T03:59:00+00:00", {"kind": "date", "on": "2001-09-13"})
    received_later = event(
        3,
        "2001-09-28T09:00:00-04:00",
        {"kind": "instant", "at": "2001-09-28T09:00:00-04:00"},
        received_at="2001-09-28T09:12:00-04:00",
    )
    bounded = event(
        4,
        "2001-09-01T00:00:00-04:00",
        {"kind": "not_on_file", "after": "2001-09-02T00:00:00-04:00", "before": None},
    )
    verifier.check_sequence(on_the_day, None, first)
    assert [p[1] for p in verifier.problems] == ["recorded-out-of-order"]
    verifier.problems.clear()
    verifier.check_sequence(eastern_eve, None, first)  # 23:59 EDT the day before
    assert [p[1] for p in verifier.problems] == [
        "recorded-before-effective",
        "recorded-out-of-order",
    ]
    verifier.problems.clear()
    verifier.check_sequence(received_later, None, first)
    assert [p[1] for p in verifier.problems] == ["recorded-before-effective"]
    verifier.problems.clear()
    verifier.check_sequence(bounded, None, bounded)  # itself: no event before it
    assert [p[1] for p in verifier.problems] == ["recorded-before-effective"]


@pytest.mark.parametrize(
    ("effective_at", "received_at", "sent_at", "expected"),
    [
        ("2026-01-02T10:00:00+00:00", None, None, ("2026-01-02T10:00:00+00:00", "effective")),
        ("2026-01-02T10:00:00+00:00", "2026-01-02T05:00:00-05:00", None,
         ("2026-01-02T10:00:00+00:00", "effective")),  # the same instant: the first named
        ("2026-01-02T10:00:00+00:00", "2026-01-02T11:00:00+00:00", "2026-01-02T11:00:00+00:00",
         ("2026-01-02T11:00:00+00:00", "received_at")),
        (None, "2026-01-02T09:00:00+00:00", "2026-01-02T12:00:00+01:00",
         ("2026-01-02T12:00:00+01:00", "sent_at")),
        (None, None, "2026-01-02T12:00:00Z", ("2026-01-02T12:00:00+00:00", "sent_at")),
        (None, "not a time", "2026-01-02T12:00:00", None),  # naive: no instant
    ],
)  # fmt: skip
def test_records_floor_is_the_latest_instant_and_the_first_field_that_gives_it(
    effective_at: str | None, received_at: str | None, sent_at: str | None, expected: Any
) -> None:
    effective = {"kind": "instant", "at": effective_at} if effective_at else None
    found = records_floor(effective, {"received_at": received_at, "sent_at": sent_at})
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert (found[0], found[1]) == (datetime.fromisoformat(expected[0]), expected[1])
    assert found[0].isoformat() == expected[0]  # of equal instants, the first field's text
