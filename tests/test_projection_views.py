"""Elections, corrections, text operations, results and the timeline, on built events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from offerledger.events import (
    CorrectionRecorded,
    DocumentAmended,
    ElectionSubmitted,
    GrantChoice,
    Instant,
    OnDate,
    Paragraph,
    Section,
)
from offerledger.projections import Moment, QueryError, document_at, outputs
from offerledger.projections.elections import election_statuses, summarize
from offerledger.projections.results import offer_results
from offerledger.projections.timeline import ordered, timeline_row
from offerledger.values import AddSection, DeleteParagraph, ReplaceSection
from test_projection_reference import (
    OFFER,
    SECTION_7_LAST,
    employee_stream,
    et,
    opened_state,
    reference_entries,
    reference_recorder,
    reference_state,
)

# --- elections -------------------------------------------------------------------------------


def standings(state: object) -> dict[str, str]:
    return {
        g.grant.grant_id: g.standing
        for s in election_statuses(state, OFFER)  # type: ignore[arg-type]
        for g in s.grants
    }


def test_standing_choice_per_grant() -> None:
    assert standings(reference_state()) == {
        "G001": "exchange",  # submitted
        "G002": "not_tendered",  # changed to keep at 23:59:59 on the last evening
        "G003": "withdrawn",  # submitted, then withdrawn (no grant named: every tendered)
        "G004": "exchange",  # paper form
        "G005": "not_tendered",  # only a late form, refused
    }


def test_refusals_and_notices_per_employee() -> None:
    by_id = {s.employee_id: s for s in election_statuses(reference_state(), OFFER)}
    (refused,) = by_id["E004"].refused
    assert (refused.rule, refused.received_at) == ("election-window", et(2001, 9, 28))
    assert by_id["E004"].last_act is None
    assert [(n.notice_id, n.channel) for n in by_id["E003"].notices] == [("a-11", "mail")]
    assert [(n.notice_id, n.channel) for n in by_id["E001"].notices] == [("a-11", "email")]


def test_summary_by_plan() -> None:
    summary = summarize(election_statuses(reference_state(), OFFER))
    total = summary.total
    assert (total.employees_eligible, total.employees_tendering) == (4, 2)
    assert (total.options_eligible, total.options_tendered) == (4550, 1750)
    plans = {
        p.plan: (p.employees_eligible, p.employees_tendering, p.options_tendered)
        for p in summary.by_plan
    }
    assert plans == {"Holding Plan": (3, 1, 1000), "PNH Plan": (2, 1, 750)}
    assert summary.synthetic


def test_elections_are_ordered_by_receipt_not_by_recording() -> None:
    r = reference_recorder(through="elections")
    # A paper form received before E001's change but recorded after it: the change stands.
    r.add(
        ElectionSubmitted,
        employee_stream("E001"),
        effective=Instant(at=et(2001, 9, 20)),
        actor="clerk",
        key="clerk",
        offer_id=OFFER,
        employee_id="E001",
        form_id="P9",
        received_at=et(2001, 9, 20),
        channel="paper",
        acted_by="E001",
        choices=(GrantChoice(grant_id="G002", choice="exchange"),),
    )
    assert standings(opened_state(r.entries))["G002"] == "not_tendered"


def correction(r: object, version: int, corrected: dict[str, str]) -> None:
    r.add(
        CorrectionRecorded,
        employee_stream("E002"),  # type: ignore[attr-defined]
        effective=Instant(at=et(2001, 9, 21)),
        actor="clerk",
        key="clerk",
        supersedes_version=version,
        supersedes_topic="offerledger.ElectionWithdrawn.v1",
        reason="the withdrawal form belonged to another employee",
        corrected=corrected,
    )


def test_a_correction_supersedes_from_when_it_was_recorded() -> None:
    r = reference_recorder(through="elections")
    correction(r, 3, {})  # E002's stream: 1 registration, 2 submit, 3 withdraw
    corrected_at = r.entries[-1][1].recorded
    state = opened_state(r.entries)
    assert standings(state)["G003"] == "exchange"
    before = {
        g.grant.grant_id: g.standing
        for s in election_statuses(
            state, OFFER, Moment(as_recorded=corrected_at - timedelta(seconds=1))
        )
        for g in s.grants
    }
    assert before["G003"] == "withdrawn"


def test_a_correction_with_fields_replaces_them() -> None:
    r = reference_recorder(through="elections")
    correction(r, 3, {"channel": "paper", "received_at": "2001-09-19T08:00:00-04:00"})
    (status,) = [
        s for s in election_statuses(opened_state(r.entries), OFFER) if s.employee_id == "E002"
    ]
    assert status.grants[0].standing == "withdrawn"
    assert status.last_act is not None
    assert (status.last_act.channel, status.last_act.received_at) == ("paper", et(2001, 9, 19, 8))


# --- text operations -------------------------------------------------------------------------


def amend(r: object, day: date, *ops: object) -> None:
    r.add(
        DocumentAmended,
        OFFER,
        effective=OnDate(on=day),  # type: ignore[attr-defined]
        actor="Russell I. Zuckerman",
        key="officer",
        filing_id=r.entries[-1][1].originator_id,  # type: ignore[attr-defined]
        document_id="offer-to-exchange",
        operations=ops,
    )


def test_deleted_and_replaced_sections_keep_their_provenance() -> None:
    r = reference_recorder(through="amended")
    new17 = Section(
        id="s17",
        number="17",
        title="Miscellaneous",
        blocks=(Paragraph(id="s17-new", sentences=("All new.",)),),
    )
    amend(
        r,
        date(2001, 9, 20),
        DeleteParagraph(
            locator="the last paragraph of Section 7", section_id="s7", paragraph_id="s7-last"
        ),
        ReplaceSection(locator="Section 17 in its entirety", section_id="s17", new=new17),
        AddSection(
            locator="new Section 18",
            after_id="s17",
            new=Section(
                id="s18",
                number="18",
                title="Extra",
                blocks=(Paragraph(id="s18-p1", sentences=("Extra.",)),),
            ),
        ),
    )
    state = opened_state(r.entries)
    view = document_at(state, OFFER)
    assert "s7-last" not in view.blocks()
    assert dict(view.removed)["s7-last"].operation == "delete_paragraph"
    assert [p.heading for p in view.parts if p.kind == "section"][-2:] == [
        "Section 17. Miscellaneous",
        "Section 18. Extra",
    ]
    assert view.blocks()["s17-new"][1].introduced.operation == "replace_section"
    diff = outputs.diff_output(
        state, OFFER, Moment.on(date(2001, 9, 19)), Moment.on(date(2001, 9, 20)), fmt="json"
    )
    assert '"status": "removed"' in diff and '"id": "s18"' in diff


def test_an_amendment_that_no_longer_applies_in_effective_order_is_reported_whole() -> None:
    r = reference_recorder(through="amended")
    # Recorded later but effective before Amendment No. 2 inserted its paragraph: it deletes
    # the inserted paragraph, which does not exist yet at that effective time.
    inserted = next(
        b.id
        for b in document_at(opened_state(r.entries), OFFER).parts[3].blocks
        if b.id.startswith("p-")
    )
    amend(
        r,
        date(2001, 9, 1),
        DeleteParagraph(
            locator="the safe harbor paragraph", section_id="s17", paragraph_id=inserted
        ),
    )
    view = document_at(opened_state(r.entries), OFFER)
    ((origin, why),) = view.not_applied
    assert "has no paragraph" in why and origin.stamp.effective_day == date(2001, 9, 1)
    assert view.blocks()["s7-last"][1].sentences == SECTION_7_LAST
    assert "could not be applied" in outputs.text_output(opened_state(r.entries), OFFER)


def test_text_markdown_and_json_mark_what_is_not_on_file() -> None:
    state = reference_state()
    for fmt in ("text", "markdown", "json"):
        out = outputs.text_output(state, OFFER, Moment.on(date(2001, 9, 12)), fmt=fmt)
        assert "[not on file: the original last paragraph of Section 7]" in out


# --- results ---------------------------------------------------------------------------------


def test_final_amendment_refused_before_expiration_and_acceptance() -> None:
    state = opened_state(reference_entries(through="elections"))
    with pytest.raises(
        QueryError,
        match="no final amendment yet: the offer has not expired; "
        "no acceptance of tendered options is recorded",
    ):
        outputs.final_amendment_output(state, OFFER)
    draft = outputs.final_amendment_output(state, OFFER, draft=True)
    assert draft.splitlines()[1].startswith("DRAFT - NOT FOR FILING.")
    assert (
        "The Offer is scheduled to expire at 11:59 p.m., Eastern Daylight Time, on "
        "September 27, 2001." in " ".join(draft.split())
    )
    assert "[not on file: date: no acceptance recorded; pass --date]" in draft


def test_results_figures_come_from_the_events() -> None:
    r = offer_results(reference_state(), OFFER)
    assert r.amendment_number == 3
    assert [a.name for a in r.amendments] == ["Amendment No. 1", "Amendment No. 2"]
    assert (r.accepted_total.options, r.accepted_total.employees) == (1750, 2)
    assert r.accepted_percent is not None and str(r.accepted_percent) == "38.5"
    assert r.date == date(2001, 9, 28) and r.cancelled_on == date(2001, 9, 28)
    assert (r.signer_name, r.signer_title) == (
        "Russell I. Zuckerman",
        "Senior Vice President, General Counsel and Secretary",
    )
    text = " ".join(outputs.final_amendment_output(reference_state(), OFFER).split())
    assert "April 1, 2002" not in text and "$0.51" not in text  # granted later: not yet known
    assert (
        "The grant itself: [not yet known on September 28, 2001: no grant of new options is "
        "recorded]." in text
    )
    assert "Amendment No. 1 (filed on [not on file: filing date" in text
    later = " ".join(
        outputs.final_amendment_output(reference_state(), OFFER, on=date(2002, 4, 2)).split()
    )
    assert (
        "granted new options to purchase 1,750 shares of common stock under the Holding "
        "Plan to 2 employees on April 1, 2002 at an exercise price of $0.51 per share" in later
    )


def test_letters_list_grants_cancelled_and_new() -> None:
    letters = dict(outputs.letters_output(reference_state(), OFFER, on=date(2002, 4, 2)))
    assert ["E001.txt", "E003.txt"] == [n for n in letters if n != "E004.txt"]
    e001 = letters["E001.txt"]
    assert "G001" in e001 and "N001" in e001 and "G002" not in e001
    assert "$42.50" in e001 and "$0.51" in e001
    at_acceptance = dict(outputs.letters_output(reference_state(), OFFER))["E001.txt"]
    assert "N001" not in at_acceptance and "$0.51" not in at_acceptance  # not yet granted


# --- timeline --------------------------------------------------------------------------------


def test_timeline_puts_a_correction_beside_what_it_supersedes() -> None:
    r = reference_recorder(through="expired")
    correction(r, 3, {})
    rows = ordered(timeline_row(e) for e in r.entries)
    at = [i for i, row in enumerate(rows) if row.stamp.action == "CorrectionRecorded"][0]
    assert rows[at - 1].stream == employee_stream("E002") and rows[at - 1].stamp.version == 3
    out = outputs.timeline_output(
        [timeline_row(e) for e in r.entries], {rows[0].position: ["bad-signature"]}, as_json=False
    )
    assert "superseded by event" in out and "bad-signature" in out
