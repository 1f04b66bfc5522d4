"""The write side's rules on the reference case: a refusal is a clear error, writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from dbedit import DbEdit
from offerledger.actions import record, record_election
from offerledger.demo import EXPIRATION, demo_key, run_demo
from offerledger.errors import RuleViolation
from offerledger.events import EASTERN
from offerledger.ledger import Ledger

PASS = b"test-passphrase"
OFFICER = "Russell I. Zuckerman"
CLERK = "People Services (paper forms)"


@pytest.fixture
def ledger(ledger_db: str) -> Iterator[Ledger]:
    run_demo(ledger_db, passphrase=PASS, employees=12)
    opened = Ledger.open(ledger_db)
    yield opened
    opened.close()


def _unchanged(ledger: Ledger, action: Any) -> RuleViolation:
    edit = DbEdit(ledger.backend.location)
    before = edit.snapshot()
    with pytest.raises(RuleViolation) as info:
        action()
    assert edit.snapshot() == before
    edit.close()
    return info.value


def _election(eid: str, form: str, when: datetime, grant: str) -> dict[str, Any]:
    return {
        "employee_id": eid,
        "form_id": form,
        "received_at": when.isoformat(),
        "channel": "paper",
        "acted_by": eid,
        "choices": [{"grant_id": grant, "choice": "exchange"}],
    }


def test_election_boundary_is_the_whole_stated_minute(ledger: Ledger) -> None:
    """23:59:59 EDT on 2001-09-27 was accepted, 00:00:00 on 2001-09-28 refused (demo)."""
    offer_id = ledger.resolve_offer(None)
    last = ledger.employee_state(offer_id, "E0012")
    assert last.last_act == datetime(2001, 9, 27, 23, 59, 59, tzinfo=EASTERN)
    late = ledger.employee_state(offer_id, "E0011")
    assert late.last_act is None and late.forms == {"F-E0011-1"}
    assert EXPIRATION.minute == 59


def test_late_election_refused_and_nothing_written(ledger: Ledger) -> None:
    clerk = demo_key(CLERK)
    offer_id = ledger.resolve_offer(None)
    grant = sorted(ledger.employee_state(offer_id, "E0001").grants)[0]
    when = datetime(2001, 9, 28, 0, 0, tzinfo=EASTERN)
    err = _unchanged(
        ledger,
        lambda: record(
            ledger, "election-submitted", _election("E0001", "late-1", when, grant), signer=clerk
        ),
    )
    assert err.rule == "election-window"
    assert "2001-09-28T00:00:00-04:00" in err.message


def test_election_for_unregistered_grant_refused(ledger: Ledger) -> None:
    clerk = demo_key(CLERK)
    when = datetime(2001, 9, 10, 12, 0, tzinfo=EASTERN)
    ledger.clock = lambda: when + timedelta(minutes=1)
    err = _unchanged(
        ledger,
        lambda: record_election(
            ledger,
            "election-submitted",
            _election("E0002", "x-1", when, "NOT-A-GRANT"),
            signer=clerk,
        ),
    )
    assert err.rule == "eligible-grant"


def test_other_condition_only_before_expiration(ledger: Ledger) -> None:
    officer = demo_key(OFFICER)
    err = _unchanged(
        ledger,
        lambda: record(
            ledger,
            "condition-asserted",
            {
                "effective": {"kind": "instant", "at": "2001-09-28T10:00:00-04:00"},
                "condition_id": "7(c)",
                "condition_kind": "other",
                "reason": "market disruption",
            },
            signer=officer,
        ),
    )
    assert err.rule == "condition-timing"


def test_governmental_approval_refused_after_acceptance(ledger: Ledger) -> None:
    officer = demo_key(OFFICER)
    err = _unchanged(
        ledger,
        lambda: record(
            ledger,
            "condition-asserted",
            {
                "effective": {"kind": "instant", "at": "2001-10-01T10:00:00-04:00"},
                "condition_id": "7(a)",
                "condition_kind": "governmental_approval",
                "reason": "approval withheld",
            },
            signer=officer,
        ),
    )
    assert err.rule == "condition-timing"


def test_role_refused_on_save(ledger: Ledger) -> None:
    comms = demo_key("People Communications")
    err = _unchanged(
        ledger,
        lambda: record(
            ledger,
            "offer-terminated",
            {"effective": {"kind": "date", "on": "2001-10-02"}, "reason": "x"},
            signer=comms,
        ),
    )
    assert err.rule == "key-role"


def test_amendment_must_address_existing_paragraph(ledger: Ledger) -> None:
    officer = demo_key(OFFICER)
    filing = next(e for e in ledger.log() if e.topic.startswith("offerledger.FilingRecorded"))
    op = {
        "op": "delete_paragraph",
        "section_id": "s7",
        "paragraph_id": "s7-p99",
        "locator": "the ninety-ninth paragraph of Section 7",
    }
    err = _unchanged(
        ledger,
        lambda: record(
            ledger,
            "document-amended",
            {
                "effective": {"kind": "date", "on": "2001-09-20"},
                "filing_id": str(filing.stream),
                "document_id": "offer-to-exchange",
                "operations": [op],
            },
            signer=officer,
        ),
    )
    assert err.rule == "amendment-target"
    assert "ninety-ninth" in err.message


def test_waiving_one_condition_waives_no_other(ledger_db: str) -> None:
    from offerledger.domain.offer import Condition, Offer, check_condition_assertion

    start = datetime(2001, 8, 27, tzinfo=EASTERN)
    offer = Offer(
        id=None,  # type: ignore[arg-type]
        version=1,
        name="o",
        issuer="i",
        commenced=start,
        expirations=((start, EXPIRATION),),
        conditions={"7(a)": Condition("7(a)", "other", waived=True)},
    )
    at = datetime(2001, 9, 20, tzinfo=EASTERN)
    check_condition_assertion(offer, kind="other", at=at, condition_id="7(b)")
    with pytest.raises(RuleViolation, match="was waived"):
        check_condition_assertion(offer, kind="other", at=at, condition_id="7(a)")
