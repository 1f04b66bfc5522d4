"""A new offer from its SC TO-I, a TO-C before it, and the refusals, on SQLite and PostgreSQL.

The filings are constructed in the shapes real ones take (tests/fixtures/filings/README.md).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from offerledger.errors import InputError
from offerledger.events import (
    FilingRecorded,
    NoticeDispatched,
    OfferCommenced,
    OfferDocumentRegistered,
    Section,
    SectionGap,
    offer_stream_name,
    stream_id,
)
from offerledger.ingest import FilingAmbiguous
from offerledger.ingest.service import FilingIngest, ingest_filing_bytes
from offerledger.ledger import Ledger
from test_ingest_support import (
    AMENDMENT_2001,
    PASSPHRASE,
    TO_C_2001,
    TO_I_2001,
    TO_I_2008,
    build_ledger,
    keyed_ledger,
    stored,
)

NY = ZoneInfo("America/New_York")
OFFER_2001 = stream_id(offer_stream_name(cik="0000999101", file_number="005-99101"))


def ingest(db: str, path: Path, raw: bytes | None = None, **kw: object) -> FilingIngest:
    ledger = Ledger.open(db)
    try:
        pw = PASSPHRASE.encode()
        comms = [k for k in ledger.registry().keys.values() if k.role == "communications"]
        return ingest_filing_bytes(
            ledger,
            raw if raw is not None else path.read_bytes(),
            signer=ledger.signer("Dana K. Whitcomb", pw),
            notice_signer=ledger.signer(comms[0].key_id, pw) if comms else None,
            source=path.name,
            **kw,  # type: ignore[arg-type]
        )
    finally:
        ledger.close()


@pytest.fixture
def ledger(ledger_db: str) -> str:
    keyed_ledger(ledger_db)
    return ledger_db


def test_the_to_i_starts_the_offer(ledger: str) -> None:
    result = ingest(ledger, TO_I_2001)
    assert result.recorded
    assert [e.action for e in result.events] == [
        "OfferCommenced",
        "FilingRecorded",
        "OfferDocumentRegistered",
        "NoticeDispatched",
        "NoticeDispatched",
        "CrossCheckRecorded",  # the notice's deadline against the expiration: saved with it
    ]
    commenced, filing, registered, *notices, deadline_check = result.events
    assert isinstance(commenced, OfferCommenced)
    assert commenced.originator_id == OFFER_2001
    assert (commenced.offer_name, commenced.issuer, commenced.cik, commenced.file_number) == (
        "offer:0000999101:005-99101",
        "HALVORSEN OPTICAL NETWORKS, INC.",
        "0000999101",
        "005-99101",
    )
    assert commenced.securities == (
        "Options to purchase common stock, par value $0.01 per share, having an exercise price "
        "of $20.00 or more"
    )
    assert commenced.cusip == "40699Q108"
    # "12:00 midnight, Eastern Time, on October 30, 2001": the end of October 30 (EST by then)
    assert commenced.expiration == datetime(2001, 10, 31, 0, 0, tzinfo=NY)
    assert commenced.expiration.isoformat() == "2001-10-31T00:00:00-05:00"
    assert commenced.plans == (
        "Halvorsen Optical Networks, Inc. 1998 Stock Option Plan",
        "Halvorsen Optical Networks, Inc. 2000 Nonstatutory Stock Option Plan",
    )
    assert commenced.effective.model_dump() == {"kind": "date", "on": date(2001, 10, 1)}
    assert isinstance(filing, FilingRecorded)
    assert (filing.form, filing.filed_on, filing.accession_number) == (
        "SC TO-I",
        date(2001, 10, 1),
        "0000999999-01-000101",
    )
    assert filing.offer_id == OFFER_2001 and filing.check_boxes["issuer_tender_offer_13e4"]
    assert [(e.exhibit_id, e.title) for e in filing.exhibits] == [
        ("(a)(1)", "Offer to Exchange, dated October 1, 2001"),
        ("(a)(2)", "Form of Election Form"),
        ("(a)(3)", "Memorandum to Eligible Employees, dated October 1, 2001"),
    ]
    assert all(e.sha256 and len(e.sha256) == 64 for e in filing.exhibits)
    assert filing.signer is not None and filing.signer.name == "Dana K. Whitcomb"
    assert isinstance(registered, OfferDocumentRegistered)
    assert registered.filing_id == filing.originator_id and registered.originator_version == 2
    doc = registered.document
    assert (doc.id, doc.title, doc.exhibit, doc.dated) == (
        "offer-to-exchange",
        "Offer to Exchange",
        "(a)(1)",
        date(2001, 10, 1),
    )
    sections = [p for p in doc.parts if isinstance(p, Section)]
    assert [s.id for s in sections[:5]] == [
        "cover",
        "summary-term-sheet",
        "introduction",
        "the-offer",
        "s1",
    ]
    assert [s.number for s in sections[4:]] == [str(n) for n in range(1, 18)]
    s6 = next(s for s in sections if s.id == "s6")
    assert (s6.title, s6.page) == ("CONDITIONS OF THE OFFER", 6)
    assert [(b.id, b.style) for b in s6.blocks] == [
        ("s6-p1", "body"),
        ("s6-p2", "bullet"),
        ("s6-p3", "bullet"),
        ("s6-p4", "bullet"),
        ("s6-p5", "body"),
    ]
    assert s6.blocks[4].sentences == (  # type: ignore[union-attr]
        "The conditions above are for our benefit.",
        "We may assert them before the expiration date regardless of the circumstances giving "
        "rise to them, and we may waive them, in whole or in part, at any time before the "
        "expiration date.",
    )
    assert not [p for p in doc.parts if isinstance(p, SectionGap)]
    assert all(isinstance(n, NoticeDispatched) for n in notices)
    assert [(n.channel, n.exhibit, n.recipient_class) for n in notices] == [  # type: ignore[union-attr]
        ("email", "(a)(3)", "All Eligible Employees"),
        ("paper", "(a)(3)", "All Eligible Employees"),
    ]
    assert [(c.check, c.status) for c in result.checks] == [("notice-deadline", "met")]
    with Ledger.open(ledger) as opened:
        assert opened.document(filing.source_sha256 or "") is not None
        assert opened.document(notices[0].content_sha256) is not None  # type: ignore[union-attr]
        state = opened.offer_state(OFFER_2001)
        assert list(state.documents) == ["offer-to-exchange"]
    before = stored(ledger)
    again = ingest(ledger, TO_I_2001)
    assert again.already_recorded and not again.recorded and stored(ledger) == before


def test_then_amendments_ingest_as_before(ledger: str) -> None:
    ingest(ledger, TO_I_2001)
    result = ingest(ledger, AMENDMENT_2001)
    assert [e.action for e in result.events] == [
        "FilingRecorded",
        "DocumentAmended",
        "NoticeDispatched",
        "CrossCheckRecorded",
        "CrossCheckRecorded",
    ]
    assert [(c.check, c.outcome) for c in result.events[3:]] == [  # type: ignore[attr-defined]
        (c.check, {"met": "agree", "not_met": "disagree"}.get(c.status, c.status))
        for c in result.checks
    ]
    amended = result.events[1]
    ops = amended.payload()["operations"]
    assert [(o["label"], o["op"], o.get("paragraph_id")) for o in ops] == [
        ("A", "replace_paragraph", "s6-p5"),
        ("B", "insert_sentence", "s4-p1"),
        ("C", "incorporate_exhibit", None),
    ]
    assert result.events[0].payload()["accession_number"] == "0000999999-01-000133"
    with Ledger.open(ledger) as opened:
        doc = opened.offer_state(OFFER_2001).documents["offer-to-exchange"]
        s4 = next(p for p in doc.parts if isinstance(p, Section) and p.id == "s4")
        assert s4.blocks[0].sentences[-1] == (  # type: ignore[union-attr]
            "To withdraw, you must deliver a signed notice of withdrawal to Stock Administration."
        )


def test_the_html_to_i_of_2008(ledger: str) -> None:
    result = ingest(ledger, TO_I_2008)
    commenced, filing, registered, notice, *checks = result.events
    assert [e.action for e in checks] == ["CrossCheckRecorded"] * len(result.checks)
    assert isinstance(commenced, OfferCommenced) and isinstance(filing, FilingRecorded)
    assert (commenced.issuer, commenced.cusip, commenced.offer_name) == (
        "TAMARACK BIOINSTRUMENTS CORPORATION",
        "87501R104",
        "offer:0000999208:005-99208",
    )
    assert commenced.expiration.isoformat() == "2008-12-09T23:59:00-05:00"
    assert commenced.plans == (
        "Tamarack Bioinstruments Corporation 2000 Equity Incentive Plan",
        "Tamarack Bioinstruments Corporation 2008 Equity Incentive Plan",
    )
    assert filing.accession_number == "0000999999-08-000208"
    assert [e.exhibit_id for e in filing.exhibits] == ["(a)(1)(A)", "(a)(1)(B)", "(a)(1)(C)"]
    assert isinstance(registered, OfferDocumentRegistered)
    doc = registered.document
    assert doc.exhibit == "(a)(1)(A)" and doc.id == "offer-to-exchange"
    sections = [p for p in doc.parts if isinstance(p, Section)]
    s7 = next(s for s in sections if s.number == "7")
    assert (s7.id, s7.title, s7.page) == ("s7", "Conditions of the offer", 6)
    assert [b.style for b in s7.blocks] == ["body", "bullet", "bullet", "body"]
    assert isinstance(notice, NoticeDispatched) and notice.channel == "email"


def test_a_to_c_records_the_filing_and_commences_nothing(ledger: str) -> None:
    result = ingest(ledger, TO_C_2001)
    (filing,) = result.events
    assert isinstance(filing, FilingRecorded)
    assert (filing.form, filing.offer_id, filing.accession_number) == (
        "SC TO-C",
        OFFER_2001,
        "0000999999-01-000095",
    )
    assert filing.check_boxes["preliminary_communications"] is True
    assert [(e.exhibit_id, e.title) for e in filing.exhibits] == [("99.1", "E-MAIL TO EMPLOYEES")]
    with Ledger.open(ledger) as opened:
        assert opened.offers() == []
    ingest(ledger, TO_I_2001)
    with Ledger.open(ledger) as opened:
        assert [f.form for f in opened.filings(OFFER_2001)] == ["SC TO-C", "SC TO-I"]


def test_a_to_i_of_an_offer_on_record_is_recorded_as_a_filing(ledger_db: str) -> None:
    build_ledger(ledger_db)  # the Mpower offer, typed in by hand
    ingest_mpower = TO_I_2001.read_bytes().replace(
        b"HALVORSEN OPTICAL NETWORKS, INC.", b"MPOWER HOLDING CORPORATION"
    )
    ledger = Ledger.open(ledger_db)
    try:
        result = ingest_filing_bytes(
            ledger,
            ingest_mpower.replace(b"0000999101", b"0001068855").replace(b"005-99101", b"005-59791"),
            signer=ledger.signer("Russell I. Zuckerman", PASSPHRASE.encode()),
            source="mpower-to-i.txt",
            dry_run=True,
        )
    finally:
        ledger.close()
    assert [e.action for e in result.events] == ["FilingRecorded"] + ["CrossCheckRecorded"] * 2
    assert any("the offer is already on record" in note for note in result.notes)
    # the offer on record expires 2001-09-27 23:59; the notice and the filing say otherwise
    assert [(c.check, c.status) for c in result.checks] == [
        ("notice-deadline", "not_met"),
        ("commencement-expiration", "not_met"),
    ]


# --- refusals: exact messages, nothing written ---------------------------------------------


def _refused(db: str, raw: bytes, error: type[Exception], **kw: object) -> str:
    before = stored(db)
    with pytest.raises(error) as caught:
        ingest(db, TO_I_2001, raw, **kw)
    assert stored(db) == before
    return str(caught.value)


def test_two_expirations_are_refused_with_their_lines(ledger: str) -> None:
    raw = TO_I_2001.read_bytes().replace(
        b"means 12:00 midnight, Eastern Time, on\nOctober 30, 2001",
        b"means 12:00 midnight, Eastern Time, on\nOctober 31, 2001",
    )
    message = _refused(ledger, raw, FilingAmbiguous)
    assert message.splitlines() == [
        f"{TO_I_2001.name}, line 212: the filing is ambiguous; nothing was recorded:",
        "  lines 212-213: Exhibit (a)(1) states the expiration as '12:00 MIDNIGHT, EASTERN TIME, "
        "ON OCTOBER 30, 2001' (2001-10-31T00:00:00-05:00); the filing states 2 different "
        "expirations",
        "  line 287: Exhibit (a)(1) states the expiration as '12:00 midnight, Eastern Time, on "
        "October 30, 2001' (2001-10-31T00:00:00-05:00); the filing states 2 different "
        "expirations",
        "  lines 330-331: Exhibit (a)(1) states the expiration as '12:00 midnight, Eastern Time, "
        "on October 31, 2001' (2001-11-01T00:00:00-05:00); the filing states 2 different "
        "expirations",
        "  lines 491-492: Exhibit (a)(2) states the expiration as '12:00 MIDNIGHT, EASTERN TIME, "
        "ON OCTOBER 30, 2001' (2001-10-31T00:00:00-05:00); the filing states 2 different "
        "expirations",
        "  line 525: Exhibit (a)(3) states the expiration as '12:00 midnight, Eastern Time, on "
        "October 30, 2001' (2001-10-31T00:00:00-05:00); the filing states 2 different "
        "expirations",
    ]


def test_no_expiration_is_refused(ledger: str) -> None:
    raw = TO_I_2001.read_bytes().replace(b"xpire", b"nd").replace(b"XPIRE", b"ND")
    raw = raw.replace(b"expiration date", b"closing date")
    assert _refused(ledger, raw, InputError) == (
        f"{TO_I_2001.name}: the filing states no expiration of the offer (no sentence such as "
        '"the offer expires at 12:00 midnight, Eastern Time, on ...")'
    )


def test_an_expiration_without_a_time_zone_is_refused(ledger: str) -> None:
    raw = TO_I_2001.read_bytes().replace(b", Eastern Time,", b",").replace(b", EASTERN\n", b"\n")
    raw = raw.replace(b"         TIME, ON OCTOBER", b"         ON OCTOBER")
    raw = raw.replace(b"EASTERN TIME, ON OCTOBER", b"ON OCTOBER")
    message = _refused(ledger, raw, FilingAmbiguous)
    assert message.splitlines()[1] == (
        "  lines 212-213: Exhibit (a)(1) states the expiration as '12:00 MIDNIGHT ON OCTOBER 30, "
        "2001' with no time zone, and no statement of it elsewhere gives one"
    )


def test_a_file_without_an_sec_header_needs_cik_and_file_number(ledger: str) -> None:
    text = TO_I_2001.read_text()
    raw = text[text.index("</SEC-HEADER>") + len("</SEC-HEADER>\n") :].encode()
    assert _refused(ledger, raw, InputError).startswith(
        f"{TO_I_2001.name}: the file has no SEC header giving the issuer's CIK and SEC file "
        "number, which name the offer"
    )
    result = ingest(ledger, TO_I_2001, raw, cik="0000999101", file_number="005-99101")
    commenced, filing, *_ = result.events
    assert commenced.originator_id == OFFER_2001
    assert isinstance(filing, FilingRecorded) and filing.accession_number is None
    assert "accession_number" not in filing.payload()  # left out of the stored body


def test_a_cik_that_contradicts_the_header_is_refused(ledger: str) -> None:
    assert _refused(ledger, TO_I_2001.read_bytes(), InputError, cik="0000000001") == (
        f"{TO_I_2001.name}, field '--cik': --cik 0000000001 differs from the SEC header's "
        "0000999101"
    )


def test_two_offer_documents_are_refused(ledger: str) -> None:
    raw = TO_I_2001.read_bytes().replace(
        b"(a)(2)         Form of Election Form.", b"(a)(2)         Offer to Exchange (copy)."
    )
    message = _refused(ledger, raw, FilingAmbiguous)
    assert "Exhibit (a)(1) (Offer to Exchange, dated October 1, 2001) reads as the offer" in message
    assert "lines 485-501: Exhibit (a)(2) (Offer to Exchange (copy)) reads as the offer" in message
