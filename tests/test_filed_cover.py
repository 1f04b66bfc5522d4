"""What the filings on record give the final amendment (cover, defined terms, fee table, SEC
header), the offer terms quoted from the document, exhibits and the diff's exhibits added
(issue 10 items 4-5), on the reference filing and constructed fixtures (no ledger)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from offerledger.demo import FILING_NAME
from offerledger.events import EASTERN, TimeNotOnFile
from offerledger.projections import Moment, QueryError, outputs
from offerledger.projections.exhibits import exhibit_at
from offerledger.projections.filed import filing_text, header_fields, parse_cover
from offerledger.projections.final_amendment import bounds
from offerledger.projections.offer_terms import TERMS
from test_projection_reference import OFFER, et, reference_state

FIXTURES = Path(__file__).parent / "fixtures"
MPOWER = FIXTURES / FILING_NAME
HALVORSEN = FIXTURES / "filings" / "0000999999-01-000101.txt"
TAMARACK_HTML = FIXTURES / "filings" / "0000999999-08-000208.txt"


def cover_of(path: Path):  # type: ignore[no-untyped-def]
    return parse_cover(filing_text(path.read_bytes()))


def test_the_mpower_cover_as_filed() -> None:
    cover = cover_of(MPOWER)
    assert cover.contact == (
        "Russell I. Zuckerman, Esq.",
        "Senior Vice President, General Counsel and Secretary",
        "Mpower Holding Corporation",
        "175 Sully's Trail",
        "Pittsford, New York 14534",
        "(716) 218-6550",
    )
    assert cover.copy_to == (
        "Andrew B. Janszky, Esq.",
        "Shearman & Sterling",
        "599 Lexington Avenue",
        "New York, New York 10022-6069",
        "(212) 848-4000",
    )
    assert cover.incorporated_in == "Delaware"
    assert cover.relating is not None
    assert cover.relating.startswith("relating to the offer by the Company to exchange options")
    assert '(the "PNH Plan"; and, together with the Holding Plan, the "Plans")' in cover.relating
    assert cover.relating.endswith("respectively, to the Tender Offer Statement.")
    assert cover.fee_valuation is None  # Amendment No. 2 repeats no fee table
    assert header_fields(MPOWER.read_bytes()) == {}  # no SEC header in this file


def test_a_constructed_sc_to_i_gives_its_fee_table_and_sec_header() -> None:
    cover = cover_of(HALVORSEN)
    assert cover.contact is not None and cover.contact[0] == "Dana K. Whitcomb"
    assert cover.contact[-1] == "(555) 010-0100"
    assert (cover.fee_valuation, cover.fee_amount) == ("$4,100,000", "$820")
    assert cover.fee_notes[0].startswith("*    Calculated solely for the purpose")
    assert cover.copy_to is None and cover.relating is None  # not in this file: None, not made up
    assert header_fields(HALVORSEN.read_bytes()) == {"cik": "999101", "file_number": "005-99101"}


def test_an_html_filing_is_read_as_text() -> None:
    cover = cover_of(TAMARACK_HTML)
    assert cover.contact is not None and cover.contact[:2] == (
        "Morgan L. Ferreira",
        "Chief Financial Officer",
    )


@pytest.mark.parametrize(
    ("term", "sentence", "states"),
    [
        (
            "price",
            "The exercise price of the new options will be the closing price on the grant date.",
            True,
        ),
        ("price", "The exercise price of your eligible options is $20.00 or more.", False),
        (
            "grant",
            "We will grant the new options on the first business day that is at least six "
            "months and one day after cancellation.",
            True,
        ),
        (
            "vesting",
            "Each new option will vest on the same schedule as the option it replaces.",
            True,
        ),
        ("employment", "You must remain employed through the date we grant the new options.", True),
        ("employment", "Employees may participate.", False),
    ],
)
def test_terms_are_found_only_where_a_sentence_states_them(
    term: str, sentence: str, states: bool
) -> None:
    assert TERMS[term](sentence.lower()) is states


def test_bounds_say_what_the_record_gives() -> None:
    amendment_1 = TimeNotOnFile(after=et(2001, 8, 27), before=et(2001, 9, 14), note="")
    assert bounds(amendment_1) == "on or after August 27, 2001 and on or before September 13, 2001"
    assert bounds(TimeNotOnFile(before=et(2001, 9, 13, 9, 30), note="")) == (
        "before 9:30 a.m., Eastern Daylight Time, on September 13, 2001"
    )
    assert bounds(TimeNotOnFile(note="")) == ""
    assert et(2001, 9, 14).tzinfo is EASTERN


def test_without_stored_files_the_cover_says_not_on_file() -> None:
    text = outputs.final_amendment_output(reference_state(), OFFER)
    assert "[not on file: address and telephone number]" in text
    assert "Copy to: [not on file: no filing on record names counsel]" in text
    assert "[not on file: transaction valuation]" in text
    assert "accession number [not on file" in text


def test_with_stored_files_the_cover_is_the_filings() -> None:
    state = reference_state()
    content = MPOWER.read_bytes()
    stored = {"f" * 64: content}
    streams = dict(state.streams)
    for sid, stream in state.streams.items():
        if stream.kind != "filing":
            continue
        changes = tuple(
            (stamp, e.model_copy(update={"source_sha256": "f" * 64}))
            if getattr(e, "amendment_number", None) == 2
            else (stamp, e)
            for stamp, e in stream.changes
        )
        streams[sid] = replace(stream, changes=changes)
    text = outputs.final_amendment_output(
        replace(state, streams=streams, sources=stored.get), OFFER
    )
    assert "175 Sully's Trail" in text and "Andrew B. Janszky, Esq." in text
    assert "a Delaware corporation" in " ".join(text.split())
    assert "As filed in Amendment No. 2" in " ".join(text.split())


def test_an_exhibit_without_stored_text_says_so_and_an_unknown_one_is_refused() -> None:
    state = reference_state()
    view = exhibit_at(state, OFFER, "(a)(11)", Moment())
    assert view.text is None and view.check == "no text of this exhibit is stored in the ledger"
    assert view.filing is not None and view.filing.amendment_number == 2
    with pytest.raises(QueryError, match=r"no exhibit '\(a\)\(99\)' is on record"):
        exhibit_at(state, OFFER, "(a)(99)", Moment())


def test_diff_lists_the_exhibit_amendment_2_filed() -> None:
    state = reference_state()
    text = outputs.diff_output(
        state, OFFER, Moment.on(date(2001, 9, 12)), Moment.on(date(2001, 9, 13))
    )
    assert "EXHIBITS ADDED\n- Exhibit (a)(11):" in text
    same = outputs.diff_output(
        state, OFFER, Moment.on(date(2001, 9, 13)), Moment.on(date(2001, 9, 14))
    )
    assert "EXHIBITS ADDED" not in same
