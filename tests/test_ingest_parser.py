"""Stage one of the filing parser on the reference filing in its three EDGAR shapes."""

from __future__ import annotations

import hashlib
import html

import pytest

from offerledger.ingest import FilingUnreadable, parse_filing
from offerledger.ingest.model import ParsedFiling
from test_ingest_support import reference_bytes

NOTICE_SHA = "9b660dc2bdfb6fb7313884860b98c06f7093314243ab4becec989f9aff0d5b79"


@pytest.fixture(scope="module")
def parsed() -> ParsedFiling:
    return parse_filing(reference_bytes(), name="amendment-2.txt")


def test_cover_page(parsed: ParsedFiling) -> None:
    cover = parsed.cover
    assert (cover.form, cover.amendment_number, cover.final_amendment) == ("SC TO-I/A", 2, False)
    assert cover.issuer == "MPOWER HOLDING CORPORATION"
    assert cover.securities == "Options to purchase common stock, par value $0.001 per share"
    assert cover.cusip == "62473L101"
    assert cover.check_boxes == {
        "fee_offset_rule_0_11_a_2": False,
        "preliminary_communications": False,
        "third_party_tender_offer_14d1": False,
        "issuer_tender_offer_13e4": True,
        "going_private_13e3": False,
        "amendment_13d2": False,
        "final_amendment": False,
    }
    assert (cover.first_line, cover.last_line) == (1, 73)


def test_intro_statement(parsed: ParsedFiling) -> None:
    intro = parsed.intro
    assert intro is not None
    assert (intro.first_line, intro.last_line) == (79, 93)
    assert intro.amends == "Tender Offer Statement on Schedule TO"
    assert str(intro.amended_filed_on) == "2001-08-27"
    assert intro.as_amended and intro.prior_amendments == (1,)
    assert (intro.offer_document, str(intro.offer_document_dated)) == (
        "Offer to Exchange",
        "2001-08-27",
    )


def test_instructions_with_line_ranges(parsed: ParsedFiling) -> None:
    got = [
        (i.label, i.item, i.first_line, i.last_line, i.locator.action if i.locator else None)
        for i in parsed.instructions
    ]
    assert got == [
        ("A", "1", 97, 115, "replace"),
        ("B", "1", 117, 124, "replace"),
        ("C", "1", 126, 141, "insert_after"),
        ("D", "1", 143, 147, "file_exhibit"),
    ]
    a, b, c, _ = parsed.instructions
    assert a.payload[0].text.startswith("The conditions to this offer are for our benefit.")
    assert a.payload[0].text.endswith("will be final and binding upon all parties.")
    assert b.payload[0].text == (
        "This Offer to Exchange and our Securities and Exchange "
        "Commission reports referred to above include forward-looking "
        "statements."
    )
    # the quoted passage runs over a page break (<PAGE> at line 137) and stays one paragraph
    assert "to the extent it constitutes a tender offer" in c.payload[0].text
    assert (c.payload[0].first_line, c.payload[0].last_line) == (130, 141)


def test_signature_index_and_exhibits(parsed: ParsedFiling) -> None:
    sig = parsed.signature
    assert sig is not None
    assert (sig.company, sig.name, str(sig.signed_on)) == (
        "MPOWER HOLDING CORPORATION",
        "Russell I. Zuckerman",
        "2001-09-13",
    )
    assert sig.title == "Senior Vice President, General Counsel and Secretary"
    assert [(e.exhibit_id, e.title) for e in parsed.exhibit_index] == [
        ("(a)(11)", "Notice of Amendment to Offer to Exchange dated September 13, 2001")
    ]
    (ex,) = parsed.exhibits
    assert (ex.exhibit_id, ex.first_line, ex.last_line) == ("(a)(11)", 187, 263)
    assert ex.sha256 == NOTICE_SHA == hashlib.sha256(ex.text.encode()).hexdigest()
    assert [r.label for r in ex.repeats] == ["1", "2", "3"]
    assert parsed.stream_name == f"filing:{hashlib.sha256(reference_bytes()).hexdigest()}"


def _submission(text: str) -> bytes:
    main, notice = text.split(
        "                                                                 Exhibit (a)(11)", 1
    )
    return (
        "<SEC-DOCUMENT>0000000000-01-000000.txt : 20010913\n<SEC-HEADER>\n"
        "ACCESSION NUMBER:\t\t0000000000-01-000000\nCONFORMED SUBMISSION TYPE:\tSC TO-I/A\n"
        "PUBLIC DOCUMENT COUNT:\t\t2\nFILED AS OF DATE:\t\t20010913\nSUBJECT COMPANY:\n"
        "\tCOMPANY DATA:\n\t\tCOMPANY CONFORMED NAME:\t\t\tMPOWER HOLDING CORP\n"
        "\t\tCENTRAL INDEX KEY:\t\t\t0001068855\n\tFILING VALUES:\n\t\tFORM TYPE:\t\tSC TO-I/A\n"
        "\t\tSEC FILE NUMBER:\t005-59791\n</SEC-HEADER>\n<DOCUMENT>\n<TYPE>SC TO-I/A\n"
        "<SEQUENCE>1\n<FILENAME>amend2.txt\n<TEXT>\n" + main + "</TEXT>\n</DOCUMENT>\n"
        "<DOCUMENT>\n<TYPE>EX-99.(A)(11)\n<SEQUENCE>2\n<FILENAME>ex-a11.txt\n<DESCRIPTION>NOTICE\n"
        "<TEXT>\nExhibit (a)(11)" + notice + "\n</TEXT>\n</DOCUMENT>\n</SEC-DOCUMENT>\n"
    ).encode()


def test_full_submission_with_several_documents(parsed: ParsedFiling) -> None:
    sub = parse_filing(_submission(reference_bytes().decode()), name="0000000000-01-000000.txt")
    assert (sub.accession, sub.cik, sub.file_number, str(sub.filed_on)) == (
        "0000000000-01-000000",
        "0001068855",
        "005-59791",
        "2001-09-13",
    )
    assert [i.locator for i in sub.instructions] == [i.locator for i in parsed.instructions]
    assert [tuple(p.text for p in i.payload) for i in sub.instructions] == [
        tuple(p.text for p in i.payload) for i in parsed.instructions
    ]
    (ex,) = sub.exhibits
    assert (ex.exhibit_id, ex.document_type, ex.sha256) == ("(a)(11)", "EX-99.(A)(11)", NOTICE_SHA)
    # line numbers are the submission file's own
    assert sub.instructions[0].first_line == parsed.instructions[0].first_line + 19


def _as_html(text: str) -> bytes:
    paras = [p for p in text.replace("<PAGE>", "").split("\n\n") if p.strip()]
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paras)
    return f"<html><body>\n{body}\n</body></html>\n".encode()


def test_html_document_reads_the_same(parsed: ParsedFiling) -> None:
    doc = parse_filing(_as_html(reference_bytes().decode()), name="amend2.htm")
    assert doc.cover.cusip == "62473L101"
    assert doc.cover.check_boxes["issuer_tender_offer_13e4"] is True
    assert [i.locator for i in doc.instructions] == [i.locator for i in parsed.instructions]
    assert [tuple(p.text for p in i.payload) for i in doc.instructions] == [
        tuple(p.text for p in i.payload) for i in parsed.instructions
    ]
    assert all(i.first_line >= 1 for i in doc.instructions)


# Constructed in the shapes real filings take (the excerpts read while building the parser are
# not committed): numbered "revised as set forth below" items, glyph check boxes of the
# HTML-era filings, and final-amendment covers whose title carries the final flag.

NUMBERED = b"""SCHEDULE TO
(Amendment No. 1)

This Amendment No. 1 amends the Schedule TO.

The Offer to Exchange is hereby supplemented and amended as follows:

     1.   The third paragraph of Section 3 of the Offer to Exchange has been revised as set
forth below:

          "Determination of Validity. We will decide every question about the form and validity
     of an election, and our decision will be final."
"""


def test_numbered_revision_items() -> None:
    doc = parse_filing(NUMBERED, name="numbered.txt")
    first = doc.instructions[0]
    assert first.label == "1" and first.locator is not None
    assert first.locator.action == "replace"
    assert first.locator.written == "The third paragraph of Section 3 of the Offer to Exchange"
    assert first.payload[0].text.startswith("Determination of Validity.")


def _cover(title: str, boxes: tuple[str, str, str, str, str]) -> bytes:
    third, issuer, private, thirteen_d, final = boxes
    return f"""SCHEDULE TO
(Rule 13e-4)
Tender Offer Statement Under Section 14(d)(1) or 13(e)(1)
of the Securities Exchange Act of 1934
{title}

EXAMPLE CORPORATION
(Name of Subject Company (Issuer))

Check the appropriate boxes below to designate any transactions to which the statement relates:

{third} third-party tender offer subject to Rule 14d-1.
{issuer} issuer tender offer subject to Rule 13e-4.
{private} going-private transaction subject to Rule 13e-3.
{thirteen_d} amendment to Schedule 13D under Rule 13d-2.

Check the following box if the filing is a final amendment reporting the results of the tender
offer: {final}
""".encode()


def test_cover_with_html_era_glyph_boxes() -> None:
    doc = parse_filing(_cover("(Amendment No. 1)", ("¨", "þ", "¨", "¨", "¨")), name="glyph.txt")
    assert doc.cover.amendment_number == 1
    assert doc.cover.check_boxes["issuer_tender_offer_13e4"] is True
    assert doc.cover.check_boxes["third_party_tender_offer_14d1"] is False
    assert doc.cover.check_boxes["final_amendment"] is False


@pytest.mark.parametrize(
    ("title", "boxes", "number"),
    [
        ("(AMENDMENT NO. 3 - Final Amendment)", ("[ ]", "[X]", "[ ]", "[ ]", "[X]"), 3),
        ("(AMENDMENT NO. 1) (FINAL AMENDMENT)", ("/ /", "/X/", "/ /", "/ /", "/X/"), 1),
        ("(Amendment No. 2)", ("[_]", "[X]", "[_]", "[_]", "[X]"), 2),
    ],
)
def test_final_amendment_covers(
    title: str, boxes: tuple[str, str, str, str, str], number: int
) -> None:
    doc = parse_filing(_cover(title, boxes), name="final.txt")
    assert doc.cover.final_amendment is True
    assert doc.cover.amendment_number == number
    assert doc.cover.form == "SC TO-I/A"


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "the file is empty"),
        (b"\x00\x01binary", "the file is binary"),
        (b"Dear employee, nothing to see here.\n", "no Schedule TO cover page was found"),
        (
            b"<SEC-HEADER>\nCONFORMED SUBMISSION TYPE:\tSC TO-T/A\n</SEC-HEADER>\n<DOCUMENT>\n"
            b"<TYPE>SC TO-T/A\n<TEXT>\nSCHEDULE TO\n</TEXT>\n</DOCUMENT>\n",
            "third-party tender offer",
        ),
    ],
)
def test_unreadable_files_are_refused_with_the_file_named(data: bytes, message: str) -> None:
    with pytest.raises(FilingUnreadable, match=message) as err:
        parse_filing(data, name="x.txt")
    assert err.value.message.startswith("x.txt: ")


def test_markup_html_parser_refuses_is_reported_with_its_line() -> None:
    data = b"<html><body><p>SCHEDULE TO</p>\n<p>text</p>\n<![\n<p>more</p></body></html>\n"
    with pytest.raises(FilingUnreadable) as err:
        parse_filing(data, name="bad.htm")
    assert err.value.message.startswith("bad.htm, line 3: the HTML cannot be read: ")
    assert err.value.line == 3
