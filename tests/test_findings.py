"""Timing findings on the read side: facts gathered from the events (corrections applied, at any
moment), judged by the domain's rules, rendered deterministically and labelled SYNTHETIC where
they rest on synthetic events. The rules' own hand-counted tables are in tests/test_timing.py."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from offerledger.commitments import commit_action_list
from offerledger.domain.offer import project_offer
from offerledger.events import (
    EASTERN,
    CorrectionRecorded,
    DocumentAmended,
    ElectionRefused,
    ExpirationExtended,
    FilingRecorded,
    LedgerEvent,
    NewOptionsGranted,
    NoticeDispatched,
    OfferCommenced,
    OfferExpired,
    TenderedOptionsAccepted,
    TermsChanged,
    TimeNotOnFile,
    stream_id,
)
from offerledger.projections import EMPTY, Moment, fold_all
from offerledger.projections.catalog import expiration_in_force, offer_changes
from offerledger.projections.findings import Finding, findings, render_text

OFFER = stream_id("offer:1117042:005-59595")
FILING = stream_id("filing:amendment-2")
KEY = "ab" * 32
EXPIRES = datetime(2001, 9, 27, 23, 59, tzinfo=EASTERN)
SHA = "cd" * 32


def at(m: int, d: int, h: int = 0, mi: int = 0, y: int = 2001) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=EASTERN)


def _ev(
    cls: type[LedgerEvent],
    version: int,
    when: datetime | date,
    stream: uuid.UUID = OFFER,
    **payload: Any,
) -> LedgerEvent:
    eff = (
        {"kind": "instant", "at": when.isoformat()}
        if isinstance(when, datetime)
        else {"kind": "date", "on": when.isoformat()}
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


def commenced(expiration: datetime = EXPIRES) -> LedgerEvent:
    return _ev(
        OfferCommenced,
        1,
        date(2001, 8, 27),
        offer_name="offer:1117042:005-59595",
        issuer="Mpower Holding Corporation",
        cik="1117042",
        file_number="005-59595",
        securities="options",
        expiration=expiration.isoformat(),
        plans=["Holding Plan", "PNH Plan"],
    )


def reference_events() -> list[LedgerEvent]:
    """The Mpower record as the demo holds it: the Schedule TO-I's offer, Amendment No. 2
    with its change and its (a)(11) notice sent by e-mail and on paper on 2001-09-13, the
    expiration, and a synthetic acceptance and grant."""
    return [
        commenced(),
        _ev(
            FilingRecorded,
            1,
            date(2001, 9, 13),
            stream=FILING,
            offer_id=OFFER,
            form="SC TO-I/A",
            amendment_number=2,
            filed_on="2001-09-13",
            exhibits=[{"exhibit_id": "(a)(11)", "title": "Notice", "sha256": SHA}],
        ),
        _ev(
            DocumentAmended,
            2,
            date(2001, 9, 13),
            filing_id=FILING,
            document_id="offer-to-exchange",
            operations=[
                {
                    "op": "delete_paragraph",
                    "section_id": "s7",
                    "paragraph_id": "p1",
                    "locator": "the last paragraph of Section 7",
                }
            ],
        ),
        *(
            _ev(
                NoticeDispatched,
                v,
                date(2001, 9, 13),
                notice_id="(a)(11) 2001-09-13",
                notice_kind="amendment_notice",
                exhibit="(a)(11)",
                channel=channel,
                recipient_class="Mpower employees",
                content_sha256=SHA,
            )
            for v, channel in ((3, "email"), (4, "paper"))
        ),
        _ev(OfferExpired, 5, at(9, 28)),
        _ev(
            TenderedOptionsAccepted,
            6,
            at(9, 28, 9),
            **commit_action_list("TenderedOptionsAccepted", {"grants": []})[0],
            cancelled_on="2001-09-28",
            synthetic=True,
        ),
    ]


def granted() -> LedgerEvent:
    data = {"grants": [{"employee_id": "E1", "grant_id": "N1", "options": 10, "replaces": ["G"]}]}
    return _ev(
        NewOptionsGranted,
        7,
        at(3, 29, 9, y=2002),
        **commit_action_list("NewOptionsGranted", data)[0],
        grant_date="2002-03-29",
        plan="Holding Plan",
        synthetic=True,
    )


def judged(events: list[LedgerEvent], moment: Moment | None = None) -> dict[str, Finding]:
    state = fold_all(EMPTY, enumerate(events))
    return {f.rule: f for f in findings(state, moment or Moment())}


def test_the_mpower_reference_case() -> None:
    f = judged([*reference_events(), granted()])
    a = f["Rule 14e-1(a)"]
    assert (a.status, a.dates["business_days"]) == ("met", "23")
    assert "23 business days, 2001-08-27 through 2001-09-27" in a.detail
    assert "excluded: 2001-09-03 Labor Day" in a.detail
    assert "counted: 2001-09-11, 2001-09-12, 2001-09-13, 2001-09-14" in a.detail
    e3 = f["Rule 13e-4(e)(3)"]
    assert e3.status == "met" and "11 business days from 2001-09-13 through 2001-09-27" in e3.detail
    assert [r.position for r in e3.judgement.refs] == [1, 2, 3, 4, 0, 5]
    assert f["Rule 13e-4(c)(1)"].status == "met"
    assert "filed as exhibit (a)(11) to Amendment No. 2 on 2001-09-13, the day it was sent" in (
        f["Rule 13e-4(c)(1)"].detail
    )
    # 14e-1(c): ended 11:59 p.m. EDT on September 27, although OfferExpired says 9/28 00:00
    c = f["Rule 14e-1(c)"]
    assert "expired at 2001-09-27 23:59 EDT (the expiration in force), on 2001-09-27" in c.detail
    assert c.status == "met" and c.synthetic
    c4 = f["Rule 13e-4(c)(4)"]
    assert c4.status == "overdue" and "124 business day(s) after the offer ended" in c4.detail
    assert f["Rule 14e-1(b)"].status == "not_applicable"
    assert f["Rule 14e-1(d)"].status == "not_applicable"
    assert f["Rule 13e-4(f)(6)"].status == "not_on_file"


def test_synthetic_is_said_in_the_text_and_the_json() -> None:
    state = fold_all(EMPTY, enumerate(reference_events()))
    items = findings(state)
    text = render_text(items)
    assert "[MET] [SYNTHETIC] Rule 14e-1(c)" in text
    assert "SYNTHETIC: rests on #6 TenderedOptionsAccepted" in text
    by_rule = {f.rule: f.as_json() for f in items}
    assert by_rule["Rule 14e-1(c)"]["synthetic"] is True
    assert by_rule["Rule 14e-1(a)"]["synthetic"] is False
    events = by_rule["Rule 14e-1(c)"]["events"]
    assert isinstance(events, list)
    assert [e["position"] for e in events] == [0, 5, 6]
    assert [e["synthetic"] for e in events] == [False, False, True]


def test_output_is_deterministic() -> None:
    events = reference_events()
    one = findings(fold_all(EMPTY, enumerate(events)))
    two = findings(fold_all(fold_all(EMPTY, enumerate(events[:3])), list(enumerate(events))[3:]))
    assert render_text(one) == render_text(two)
    assert json.dumps([f.as_json() for f in one]) == json.dumps([f.as_json() for f in two])
    assert [f.rule for f in one] == [
        "Rule 14e-1(a)",
        "Rule 13e-4(f)(1)",
        "Rule 13e-4(e)(3)",
        "Rule 14e-1(b)",
        "Rule 14e-1(d)",
        "Rule 13e-4(f)(2)",
        "Rule 13e-4(c)(1)",
        "Rule 13e-4(c)(3)",
        "Rule 14e-1(c)",
        "Rule 13e-4(f)(5)",
        "Rule 13e-4(c)(4)",
        "Rule 13e-4(f)(6)",
        "Rule 13e-4(f)(8)",
    ]
    for f in one:
        assert f.judgement.citation.quote in render_text([f])


def test_a_late_recorded_extension_one_rule_for_domain_findings_and_catalog() -> None:
    # recorded: 9/25 -> 10/12, then (late) 9/20 -> 10/5; in force by effective order: 10/12
    events = [
        commenced(),
        _ev(ExpirationExtended, 2, at(9, 25, 8), new_expiration=at(10, 12, 23, 59).isoformat()),
        _ev(ExpirationExtended, 3, at(9, 20, 8), new_expiration=at(10, 5, 23, 59).isoformat()),
    ]
    state = fold_all(EMPTY, enumerate(events))
    offer = project_offer(events)
    assert offer is not None
    assert offer.expiration_in_force(at(9, 22)) == at(10, 5, 23, 59)
    assert offer.expiration_in_force(at(9, 26)) == at(10, 12, 23, 59)
    changes = offer_changes(state, OFFER)
    assert expiration_in_force(changes, at(9, 22))[0] == at(10, 5, 23, 59)  # type: ignore[index]
    assert expiration_in_force(changes)[0] == at(10, 12, 23, 59)  # type: ignore[index]
    f = judged(events)
    assert "expires 2001-10-12 23:59 EDT (scheduled" in f["Rule 14e-1(a)"].detail
    assert f["Rule 14e-1(a)"].dates["business_days"] == "33"
    d = f["Rule 14e-1(d)"]
    assert d.status == "met"
    assert "due by 2001-09-28 09:00 EDT" in d.detail and "due by 2001-10-09 09:00 EDT" in d.detail


def test_corrections_apply_to_the_findings() -> None:
    extended = _ev(ExpirationExtended, 2, at(9, 25), new_expiration=at(9, 28, 23, 59).isoformat())
    fix = _ev(
        CorrectionRecorded,
        3,
        at(9, 26),
        supersedes_version=2,
        supersedes_topic=ExpirationExtended.TOPIC,
        reason="the press release said October 12",
        corrected={"new_expiration": at(10, 12, 23, 59).isoformat()},
    )
    before = judged([commenced(), extended])
    assert "expires 2001-09-28 23:59 EDT" in before["Rule 14e-1(a)"].detail
    after = judged([commenced(), extended, fix])
    assert "expires 2001-10-12 23:59 EDT" in after["Rule 14e-1(a)"].detail
    # the write side reads the same corrected schedule
    offer = project_offer([commenced(), extended, fix])
    assert offer is not None and offer.expiration_in_force(at(9, 27)) == at(10, 12, 23, 59)
    assert offer.is_open_at(at(10, 1)) is None


def test_findings_as_of_a_moment() -> None:
    events = [*reference_events(), granted()]
    early = judged(events, Moment.on(date(2001, 10, 5)))
    assert early["Rule 13e-4(c)(4)"].status == "pending"  # due by 10/12
    assert early["Rule 13e-4(f)(6)"].status == "pending"
    assert "new options granted" not in early["Rule 14e-1(c)"].detail  # not yet known
    late = judged(events, Moment.on(date(2001, 10, 12)))
    assert late["Rule 13e-4(c)(4)"].status == "overdue"  # the end of 10/12 has come
    before = judged(events, Moment.on(date(2001, 9, 20)))
    assert before["Rule 14e-1(c)"].status == "not_applicable"
    assert (
        findings(fold_all(EMPTY, enumerate(events)), Moment.on(date(2001, 8, 1))) == []
    )  # not yet commenced


def test_midnight_expiration_notice_due_the_next_morning() -> None:
    midnight = at(9, 28)  # "12:00 midnight, September 27", stored as 00:00 on the 28th
    events = [
        commenced(midnight),
        _ev(ExpirationExtended, 2, at(9, 28, 9, 30), new_expiration=at(10, 12).isoformat()),
    ]
    d = judged(events)["Rule 14e-1(d)"]
    assert d.status == "not_met" and "due by 2001-09-28 09:00 EDT" in d.detail


def test_a_change_in_terms_makes_14e1b_live() -> None:
    change = _ev(
        TermsChanged,
        7,
        date(2001, 9, 17),
        change="consideration",
        description="one new option for every option tendered",
    )
    f = judged([*reference_events(), change])
    # 9/17-21, 9/24-27: nine business days before the 11:59 p.m. expiration on 9/27
    for rule in ("Rule 14e-1(b)", "Rule 13e-4(f)(1)"):
        assert f[rule].status == "not_met"
        assert "9 business days from 2001-09-17" in f[rule].detail


def test_withdrawal_refused_while_open_breaks_13e4f2() -> None:
    refused = _ev(
        ElectionRefused,
        1,
        at(9, 20, 10),
        stream=stream_id("employee:x:E1"),
        offer_id=OFFER,
        employee_id="E1",
        form_id="F1",
        received_at=at(9, 20, 10).isoformat(),
        channel="paper",
        acted_by="E1",
        attempted="withdraw",
        rule="r",
        reason="clerk error",
        synthetic=True,
    )
    f = judged([*reference_events(), refused])["Rule 13e-4(f)(2)"]
    assert f.status == "not_met" and "while the offer was open was refused" in f.detail
    assert f.synthetic and [r.position for r in f.judgement.refs] == [7]


def test_an_extension_late_recorded_with_the_schedule_in_force_is_reported_at_its_time() -> None:
    # the same late extension, judged before and after it is recorded (--as-recorded)
    ext = _ev(ExpirationExtended, 2, at(9, 20), new_expiration=at(10, 5, 23, 59).isoformat())
    ext = ext.model_copy(update={"recorded": datetime(2024, 6, 1, tzinfo=EASTERN)})
    events = [commenced(), ext]
    pinned = judged(events, Moment(as_recorded=datetime(2024, 3, 1, tzinfo=EASTERN)))
    assert "expires 2001-09-27 23:59 EDT" in pinned["Rule 14e-1(a)"].detail
    now = judged(events)
    assert "expires 2001-10-05 23:59 EDT" in now["Rule 14e-1(a)"].detail


def test_an_event_whose_time_is_not_on_file_is_named_not_counted() -> None:
    undated = _ev(
        DocumentAmended,
        7,
        date(2001, 9, 13),
        filing_id=FILING,
        document_id="offer-to-exchange",
        operations=[
            {
                "op": "delete_paragraph",
                "section_id": "s7",
                "paragraph_id": "p2",
                "locator": "a paragraph of Section 7",
            }
        ],
    ).model_copy(update={"effective": TimeNotOnFile(note="the filing does not say")})
    f = judged([*reference_events(), undated])
    for rule in ("Rule 13e-4(e)(3)", "Rule 13e-4(c)(3)"):
        assert f[rule].status == "not_on_file", rule
        assert (
            "#7 DocumentAmended (effective not on file: the filing does not say)" in f[rule].detail
        )
    assert f["Rule 14e-1(a)"].status == "met"  # the rest is still judged
