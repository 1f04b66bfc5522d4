"""Timing findings: a pure fold over events, checked on the reference case and edge cases."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from offerledger.commitments import commit_action_list
from offerledger.events import (
    EASTERN,
    ElectionRefused,
    ExpirationExtended,
    FilingRecorded,
    LedgerEvent,
    OfferCommenced,
    OfferExpired,
    TenderedOptionsAccepted,
    stream_id,
)
from offerledger.projections.calendar import business_days, excluded_days, is_business_day
from offerledger.projections.findings import Finding, findings, fold_all, render_text

OFFER = stream_id("offer:0001068855:005-59791")
KEY = "ab" * 32
EXPIRES = datetime(2001, 9, 27, 23, 59, tzinfo=EASTERN)


def _ev(
    cls: type[LedgerEvent],
    version: int,
    at: datetime | date,
    stream: uuid.UUID = OFFER,
    **payload: Any,
) -> LedgerEvent:
    eff = (
        {"kind": "date", "on": at.isoformat()}
        if not isinstance(at, datetime)
        else {"kind": "instant", "at": at.isoformat()}
    )
    return cls.model_validate(
        {
            "originator_id": stream,
            "originator_version": version,
            "effective": eff,
            "recorded": datetime(2024, 1, 1, tzinfo=EASTERN),
            "actor": "Officer",
            "key_id": KEY,
            **payload,
        }
    )


def reference_events() -> list[LedgerEvent]:
    return [
        _ev(
            OfferCommenced,
            1,
            date(2001, 8, 27),
            offer_name="offer:0001068855:005-59791",
            issuer="Mpower",
            cik="0001068855",
            file_number="005-59791",
            securities="options",
            expiration=EXPIRES.isoformat(),
        ),
        _ev(
            FilingRecorded,
            1,
            date(2001, 9, 13),
            stream=stream_id("filing:x"),
            offer_id=OFFER,
            form="SC TO-I/A",
            amendment_number=2,
            filed_on="2001-09-13",
        ),
    ]


def by_rule(items: list[Finding]) -> dict[str, Finding]:
    return {f.rule: f for f in items}


def test_reference_case_23_business_days_labor_day_excluded_closures_counted() -> None:
    f = by_rule(findings(fold_all(reference_events())))["Rule 14e-1(a)"]
    assert f.status == "met"
    assert f.dates["business_days"] == "23"
    assert "23 business days counted inclusively (2001-08-27 through 2001-09-27)" in f.detail
    assert "excluded: 2001-09-03 Labor Day" in f.detail
    assert (
        "counted: 2001-09-11, 2001-09-12, 2001-09-13, 2001-09-14 (U.S. equity markets "
        "closed after the attacks of September 11, 2001: not federal holidays"
    ) in f.detail
    assert "Rule 14d-1(g)(3)" in f.convention


def test_calendar_from_the_holidays_package() -> None:
    assert len(business_days(date(2001, 8, 27), date(2001, 9, 27))) == 23
    assert excluded_days(date(2001, 8, 27), date(2001, 9, 27)) == [(date(2001, 9, 3), "Labor Day")]
    assert is_business_day(date(2001, 9, 11)) and not is_business_day(date(2001, 11, 12))


def test_amendment_gives_the_14e1b_reference_count() -> None:
    f = by_rule(findings(fold_all(reference_events())))["Rule 14e-1(b)"]
    assert f.status == "not_applicable"
    assert "Amendment No. 2 filed 2001-09-13: 11 business days to expiration" in f.detail


def test_short_offer_is_not_met() -> None:
    events = reference_events()
    events[0] = _ev(
        OfferCommenced,
        1,
        date(2001, 9, 4),
        offer_name="o",
        issuer="x",
        cik="1",
        file_number="2",
        securities="s",
        expiration=EXPIRES.isoformat(),
    )
    f = by_rule(findings(fold_all(events)))["Rule 14e-1(a)"]
    assert (f.status, f.dates["business_days"]) == ("not_met", "18")


@pytest.mark.parametrize(
    "announced,status",
    [
        (datetime(2001, 9, 28, 8, 59, tzinfo=EASTERN), "met"),
        (datetime(2001, 9, 28, 9, 1, tzinfo=EASTERN), "not_met"),
    ],
)
def test_extension_notice_by_nine_next_business_day(announced: datetime, status: str) -> None:
    events = [
        *reference_events(),
        _ev(
            ExpirationExtended,
            2,
            announced,
            new_expiration=(EXPIRES + timedelta(days=7)).isoformat(),
        ),
    ]
    f = by_rule(findings(fold_all(events)))["Rule 14e-1(d)"]
    assert f.status == status
    assert "due by 2001-09-28T09:00:00-04:00" in f.detail


def test_prompt_acceptance_and_pending_final_amendment() -> None:
    end = EXPIRES + timedelta(minutes=1)
    events = [
        *reference_events(),
        _ev(OfferExpired, 2, end),
        _ev(
            TenderedOptionsAccepted,
            3,
            datetime(2001, 9, 28, 9, tzinfo=EASTERN),
            **commit_action_list("TenderedOptionsAccepted", {"grants": []})[0],
            cancelled_on="2001-09-28",
        ),
    ]
    f = by_rule(findings(fold_all(events)))
    assert f["Rule 14e-1(c)"].status == "met"
    assert f["Rule 13e-4(c)(4)"].status == "pending"
    final = _ev(
        FilingRecorded,
        1,
        date(2001, 10, 30),
        stream=stream_id("filing:f"),
        offer_id=OFFER,
        form="SC TO-I/A",
        amendment_number=3,
        filed_on="2001-10-30",
        final_amendment=True,
    )
    late = by_rule(findings(fold_all([*events, final])))["Rule 13e-4(c)(4)"]
    assert late.status == "not_met" and "21 business day(s) after" in late.detail


def test_withdrawal_refused_while_open_breaks_13e4f2() -> None:
    refused = _ev(
        ElectionRefused,
        2,
        datetime(2001, 9, 20, tzinfo=EASTERN),
        stream=stream_id("employee:x:E1"),
        offer_id=OFFER,
        employee_id="E1",
        form_id="F1",
        received_at="2001-09-20T10:00:00-04:00",
        channel="paper",
        acted_by="E1",
        attempted="withdraw",
        rule="r",
        reason="clerk error",
    )
    f = by_rule(findings(fold_all([*reference_events(), refused])))["Rule 13e-4(f)(2)"]
    assert f.status == "not_met" and "while the offer was open was refused" in f.detail


def test_fold_is_pure_and_output_deterministic() -> None:
    events = reference_events()
    whole = fold_all(events)
    split = fold_all(events[1:], fold_all(events[:1]))
    assert findings(whole) == findings(split)
    assert render_text(findings(whole)) == render_text(findings(fold_all(events)))
    assert [f.rule for f in findings(whole)] == [
        "Rule 14e-1(a)",
        "Rule 14e-1(b)",
        "Rule 14e-1(c)",
        "Rule 14e-1(d)",
        "Rule 13e-4(c)(4)",
        "Rule 13e-4(f)(2)",
    ]
