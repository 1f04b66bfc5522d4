"""The write side's rules on the reference case: a refusal is a clear error, writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from dbedit import DbEdit
from offerledger.actions import record, record_election
from offerledger.demo import EXPIRATION, OFFICER, demo_key, run_demo
from offerledger.errors import RuleViolation
from offerledger.events import EASTERN
from offerledger.ledger import Ledger

PASS = b"test-passphrase"
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
    """On this accepted ledger the acceptance is named first (test_outcome_rules.py checks the
    eligible-grant rule on an open offer)."""
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
    assert err.rule == "outcome-recorded"


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
            "condition-waived",
            {
                "effective": {"kind": "date", "on": "2001-09-20"},
                "condition_id": "7(b)",
                "condition_kind": "other",
            },
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


def _cond(at: str, kind: str = "other", cid: str = "7(d)") -> dict[str, Any]:
    return {
        "effective": {"kind": "instant", "at": at},
        "condition_id": cid,
        "condition_kind": kind,
        "reason": "recorded after the fact",
    }


def test_history_is_judged_at_its_effective_time(ledger: Ledger) -> None:
    """Recorded today, effective at 23:59:59 on the last evening: the rule is met then."""
    officer = demo_key(OFFICER)
    event = record(ledger, "condition-asserted", _cond("2001-09-27T23:59:59-04:00"), signer=officer)
    assert event.originator_version > 1
    # a governmental approval after expiration but before acceptance (09:00 on 09-28)
    record(
        ledger,
        "condition-asserted",
        _cond("2001-09-28T08:00:00-04:00", "governmental_approval", "7(a)"),
        signer=officer,
    )


def test_termination_after_acceptance_refused(ledger: Ledger) -> None:
    officer = demo_key(OFFICER)
    err = _unchanged(
        ledger,
        lambda: record(
            ledger,
            "offer-terminated",
            {"effective": {"kind": "date", "on": "2001-10-02"}, "reason": "board decision"},
            signer=officer,
        ),
    )
    assert err.rule == "termination"


@pytest.mark.parametrize(
    ("grants", "date", "message"),
    [
        (
            [{"employee_id": "E0001", "grant_id": "N9", "options": 10, "replaces": ["G0001-1"]}],
            "2002-04-01",
            "already granted",
        ),
    ],
)
def test_new_options_granted_only_once(
    ledger: Ledger, grants: list[dict[str, Any]], date: str, message: str
) -> None:
    officer = demo_key(OFFICER)
    err = _unchanged(
        ledger,
        lambda: record(
            ledger,
            "new-options-granted",
            {
                "effective": {"kind": "date", "on": date},
                "grants": grants,
                "grant_date": date,
                "plan": "Holding Plan",
            },
            signer=officer,
        ),
    )
    assert err.rule == "new-grants" and message in err.message


def test_rule_bearing_action_needs_a_known_effective_time(ledger: Ledger) -> None:
    from offerledger.errors import InputError

    officer = demo_key(OFFICER)
    edit = DbEdit(ledger.backend.location)
    before = edit.snapshot()
    with pytest.raises(InputError, match="needs a known effective time"):
        record(
            ledger,
            "condition-waived",
            {
                "effective": {"kind": "not_on_file"},
                "condition_id": "7(e)",
                "condition_kind": "other",
            },
            signer=officer,
        )
    assert edit.snapshot() == before
    edit.close()


def test_actor_must_be_the_keys_holder(ledger: Ledger) -> None:
    from offerledger.events import ConditionWaived

    officer = demo_key(OFFICER)
    offer = ledger.offer_state(ledger.resolve_offer(None))
    when = datetime(2001, 9, 20, tzinfo=EASTERN)
    forged = ConditionWaived(
        originator_id=offer.id,
        originator_version=offer.version + 1,
        effective={"kind": "instant", "at": when},
        recorded=datetime.now(EASTERN),
        actor="Mallory",
        key_id=officer.key_id,
        condition_id="7(f)",
        condition_kind="other",
    )
    err = _unchanged(ledger, lambda: ledger.save([forged], signer=officer))
    assert err.rule == "signer-key"


def test_expiration_in_force_follows_effective_order() -> None:
    from offerledger.domain.offer import Offer

    start = datetime(2001, 8, 27, tzinfo=EASTERN)
    d = lambda m, day: datetime(2001, m, day, tzinfo=EASTERN)  # noqa: E731
    offer = Offer(
        id=None,  # type: ignore[arg-type]
        version=1,
        name="o",
        issuer="i",
        commenced=start,
        # recorded in this order: extended on 9/25 to 10/12, then (late) on 9/20 to 10/5
        expirations=((start, EXPIRATION), (d(9, 25), d(10, 12)), (d(9, 20), d(10, 5))),
    )
    assert offer.expiration_in_force(d(9, 19)) == EXPIRATION
    assert offer.expiration_in_force(d(9, 22)) == d(10, 5)
    assert offer.expiration_in_force(d(9, 26)) == d(10, 12)


def test_forms_count_in_order_of_receipt_not_of_recording() -> None:
    import uuid

    from offerledger.domain.election import fold_employee
    from offerledger.events import ElectionSubmitted, EligibleGrantsRegistered

    sid, offer = uuid.uuid4(), uuid.uuid4()
    head = {
        "originator_id": sid,
        "recorded": datetime.now(EASTERN),
        "actor": "clerk",
        "key_id": "0" * 64,
    }
    grant = {
        "grant_id": "G1",
        "plan": "P",
        "grant_date": "2000-01-03",
        "exercise_price": "1",
        "options_outstanding": 10,
    }
    emp = fold_employee(
        None,
        EligibleGrantsRegistered(
            **head,
            originator_version=1,
            effective={"kind": "date", "on": "2001-08-27"},
            offer_id=offer,
            employee_id="E1",
            employee_name="Ann",
            grants=[grant],
        ),
    )

    def form(version: int, day: int, choice: str) -> ElectionSubmitted:
        at = datetime(2001, 9, day, tzinfo=EASTERN)
        return ElectionSubmitted(
            **head,
            originator_version=version,
            effective={"kind": "instant", "at": at},
            offer_id=offer,
            employee_id="E1",
            form_id=f"F{version}",
            received_at=at,
            channel="paper",
            acted_by="E1",
            choices=[{"grant_id": "G1", "choice": choice}],
        )

    emp = fold_employee(emp, form(2, 20, "exchange"))  # received 9/20, recorded first
    emp = fold_employee(emp, form(3, 10, "keep"))  # received 9/10, recorded later
    assert emp is not None
    assert emp.tendered() == ["G1"]
    assert emp.last_act == datetime(2001, 9, 20, tzinfo=EASTERN)


def test_unasserted_conditions_are_deemed_waived_at_expiration() -> None:
    from offerledger.domain.offer import Condition, Offer

    start = datetime(2001, 8, 27, tzinfo=EASTERN)
    offer = Offer(
        id=None,  # type: ignore[arg-type]
        version=1,
        name="o",
        issuer="i",
        commenced=start,
        expirations=((start, EXPIRATION),),
        conditions={"7(b)": Condition("7(b)", "other", asserted=True)},
    )
    last_second = datetime(2001, 9, 27, 23, 59, 59, tzinfo=EASTERN)
    after = datetime(2001, 9, 28, 0, 0, tzinfo=EASTERN)
    assert offer.condition_status("7(c)", kind="other", at=last_second) == "open"
    assert offer.condition_status("7(c)", kind="other", at=after) == "deemed waived"
    assert offer.condition_status("7(b)", kind="other", at=after) == "asserted"
    assert offer.condition_status("7(a)", kind="governmental_approval", at=after) == "open"
