"""Stage one on a Schedule TO-I: the Offer to Exchange as sections with pages, what is not on file,
the stated expiration and the plans. No ledger."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from offerledger.ingest import parse_filing
from offerledger.ingest.blocks import page_map
from offerledger.ingest.htmltext import html_to_lines
from offerledger.ingest.model import ParsedGap
from offerledger.ingest.source_types import Line
from test_ingest_support import TO_I_2001, TO_I_2008


def _parse(raw: bytes, name: str = "to-i.txt"):  # type: ignore[no-untyped-def]
    return parse_filing(raw, name=name)


def test_sections_paragraph_ids_and_pages_of_the_2001_text() -> None:
    parsed = _parse(TO_I_2001.read_bytes())
    doc = parsed.offer_document
    assert doc is not None and (doc.first_line, doc.last_line) == (206, 473)
    assert len(doc.contents) == 20 and doc.contents[12].title == (
        "Interests of Directors and Officers; Transactions and Arrangements Concerning the Options"
    )
    assert (doc.contents[12].first_line, doc.contents[12].last_line) == (252, 253)
    got = [(s.id, s.number, s.page, s.page_from, s.first_line) for s in doc.sections()]
    assert got[:6] == [
        ("cover", "", None, None, 206),
        ("summary-term-sheet", "", "1", "page", 267),
        ("introduction", "", "3", "page", 309),
        ("the-offer", "", "3", "page", 322),
        ("s1", "1", "3", "page", 324),
        ("s2", "2", "4", "page", 339),
    ]
    assert got[-1] == ("s17", "17", "11", "page", 463)
    s1 = doc.sections()[4]
    assert s1.title == "NUMBER OF OPTIONS; EXPIRATION DATE"
    assert [(p.id, p.first_line, p.last_line, p.page) for p in s1.paragraphs] == [
        ("s1-p1", 326, 328, "3"),
        ("s1-p2", 330, 333, "3"),
    ]
    # a summary term sheet paragraph that runs over a page break starts on its own page
    sheet = doc.sections()[1]
    assert [p.page for p in sheet.paragraphs][-4:] == ["2", "2", "2", "2"]
    assert parsed.problems == ()


def test_the_html_of_2008_keeps_its_source_lines() -> None:
    parsed = _parse(TO_I_2008.read_bytes())
    doc = parsed.offer_document
    assert doc is not None and doc.exhibit_id == "(a)(1)(A)"
    s2 = next(s for s in doc.sections() if s.number == "2")
    assert (s2.first_line, s2.page, s2.title) == (
        157,
        "4",
        "Number of options; amount of consideration; expiration date",
    )
    raw = TO_I_2008.read_text().splitlines()
    assert (
        raw[156] == "<p><b>2. Number of options; amount of consideration; expiration date.</b></p>"
    )
    assert [p.id for p in s2.paragraphs] == ["s2-p1", "s2-p2"]
    assert parsed.problems == ()


def test_html_lines_are_the_files_lines() -> None:
    source = "<html>\n<body>\n<p>one</p>\n<p>two\nthree</p>\n<p>x &amp; y</p>\n</body>\n</html>"
    got = [(line.no, line.text) for line in html_to_lines(source, first_line=100) if line.text]
    assert got == [(102, "one"), (103, "two three"), (105, "x & y")]


def test_page_numbers_with_and_without_page_markers() -> None:
    marked = [Line(1, "Top of page."), Line(2, "                    7"), Line(3, "<PAGE>")]
    marked += [Line(4, " " * 30 + "8"), Line(5, "Number on top."), Line(6, "<PAGE>")]
    assert page_map(marked) == {1: "7", 2: "7", 4: "8", 5: "8"}
    html = [Line(1, "Text."), Line(2, "12"), Line(3, "More."), Line(4, "ii")]
    assert page_map(html, html=True) == {1: "12", 2: "12", 3: "ii", 4: "ii"}
    unnumbered = [Line(1, "A page with no number."), Line(2, "<PAGE>"), Line(3, "More text.")]
    assert page_map(unnumbered) == {}


def _without(raw: bytes, start: bytes, end: bytes) -> bytes:
    a = raw.index(start)
    return raw[:a] + raw[raw.index(end, a) :]


def test_a_section_the_contents_list_but_the_file_lacks_is_not_on_file() -> None:
    raw = _without(TO_I_2001.read_bytes(), b"9.   INFORMATION CONCERNING", b"10.  INTERESTS")
    doc = _parse(raw).offer_document
    assert doc is not None
    at = [p.id for p in doc.parts].index("s9-not-on-file")
    gap = doc.parts[at]
    assert isinstance(gap, ParsedGap) and (gap.first_line, gap.last_line) == (251, 251)
    assert gap.note == (
        "Section 9 (Information Concerning Halvorsen): listed in the table of contents (line "
        "251) but not in this file"
    )
    assert [p.id for p in doc.parts[at - 1 : at + 2]] == ["s8", "s9-not-on-file", "s10"]
    registered = doc.document()
    assert registered.parts[at].model_dump() == {
        "kind": "section_gap",
        "id": "s9-not-on-file",
        "note": gap.note,
    }


def test_without_contents_a_gap_in_the_numbering_is_not_on_file() -> None:
    raw = _without(TO_I_2001.read_bytes(), b"                                TABLE OF", b"<PAGE>")
    raw = _without(raw, b"5.   ACCEPTANCE OF OPTIONS", b"6.   CONDITIONS")
    doc = _parse(raw).offer_document
    assert doc is not None and doc.contents == ()
    gap = next(p for p in doc.parts if isinstance(p, ParsedGap))
    assert (gap.id, gap.note) == (
        "s5-not-on-file",
        "Section 5 (title not on file): missing from the numbering; not in this file",
    )


def test_a_page_the_contents_contradict_is_not_on_file() -> None:
    raw = TO_I_2001.read_bytes().replace(
        b" 6. Conditions of the Offer..................................................  6",
        b" 6. Conditions of the Offer..................................................  7",
    )
    parsed = _parse(raw)
    assert parsed.offer_document is not None
    s6 = next(s for s in parsed.offer_document.sections() if s.id == "s6")
    assert (s6.page, s6.page_from) == (None, None)
    assert [p.describe() for p in parsed.problems] == [
        "line 373: Section 6 starts on page 6, the table of contents (line 248) says page 7; its "
        "page is not on file"
    ]
    assert not parsed.problems[0].blocking


def test_a_heading_the_contents_word_otherwise_is_kept_and_reported() -> None:
    raw = TO_I_2001.read_bytes().replace(b"4.   WITHDRAWAL RIGHTS.", b"4.   RIGHTS TO WITHDRAW.")
    parsed = _parse(raw)
    assert parsed.offer_document is not None
    s4 = next(s for s in parsed.offer_document.sections() if s.id == "s4")
    assert s4.title == "RIGHTS TO WITHDRAW"
    assert [p.describe() for p in parsed.problems] == [
        "line 357: Section 4 is headed 'RIGHTS TO WITHDRAW' here and 'Withdrawal Rights' in the "
        "table of contents (line 246); the heading is kept"
    ]


def test_the_expiration_statements_and_nothing_else() -> None:
    terms = _parse(TO_I_2001.read_bytes()).terms
    assert terms is not None
    # Section 4's "by 12:00 midnight ... on November 27, 2001" is a withdrawal date, not one
    assert [(s.first_line, s.document) for s in terms.statements] == [
        (212, "Exhibit (a)(1)"),
        (287, "Exhibit (a)(1)"),
        (330, "Exhibit (a)(1)"),
        (491, "Exhibit (a)(2)"),
        (525, "Exhibit (a)(3)"),
    ]
    assert terms.expirations() == [datetime(2001, 10, 31, tzinfo=ZoneInfo("America/New_York"))]
    assert [(p.name, p.alias, p.first_line) for p in terms.plans] == [
        ("Halvorsen Optical Networks, Inc. 1998 Stock Option Plan", "1998 Plan", 130),
        ("Halvorsen Optical Networks, Inc. 2000 Nonstatutory Stock Option Plan", "2000 Plan", 131),
    ]


@pytest.mark.parametrize(
    ("sentence", "instant"),
    [
        (
            "The offer expires at 9:00 p.m., Pacific Time, on June 22, 2012.",
            "2012-06-22T21:00:00-07:00",
        ),
        (
            "The offer is scheduled to expire on March 3, 2009, at 5:00 p.m., New York City time.",
            "2009-03-03T17:00:00-05:00",
        ),
        (
            'The term "expiration date" means 11:59 p.m., Eastern Time, on Friday, May 1, 2009.',
            "2009-05-01T23:59:00-04:00",
        ),
        (
            "This offer will expire at midnight, Central Time, on November 13, 2002.",
            "2002-11-14T00:00:00-06:00",
        ),
    ],
)
def test_expiration_forms(sentence: str, instant: str) -> None:
    stated = b"The offer expires at 12:00 midnight, Eastern Time, on October 30, 2001,\nunless"
    raw = TO_I_2001.read_bytes().replace(stated, sentence.encode() + b" Unless", 1)
    assert raw != TO_I_2001.read_bytes()
    terms = _parse(raw).terms
    assert terms is not None
    assert instant in [s.at.isoformat() for s in terms.statements if s.at]


def test_a_zoneless_statement_takes_the_zone_stated_for_the_same_time() -> None:
    raw = TO_I_2001.read_bytes().replace(
        b"The offer expires at 12:00 midnight, Eastern Time, on October 30, 2001,",
        b"The offer expires at 12:00 midnight on October 30, 2001,",
    )
    parsed = _parse(raw)
    assert parsed.terms is not None and len(parsed.terms.expirations()) == 1
    stmt = next(s for s in parsed.terms.statements if s.first_line == 287)
    assert stmt.zone is None and stmt.at is not None
    assert parsed.problems == ()


def test_a_to_c_registers_no_offer_document() -> None:
    raw = TO_I_2001.read_bytes().replace(
        b"[_]  Check the box if the filing", b"[X]  Check the box if the filing"
    )
    parsed = _parse(raw)
    assert parsed.cover.form == "SC TO-C"
    assert parsed.offer_document is None
    assert parsed.terms is not None and len(parsed.terms.statements) == 5
