"""Shared helpers of the ingest tests (no tests here): the reference filing, documents, ledgers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from offerledger.events import Document, NotOnFile, Paragraph, Section, stream_id
from offerledger.values import Gap, SectionGap

PASSPHRASE = "test-passphrase"
FIXTURES = Path(__file__).parent / "fixtures"
KEY_START = datetime(2001, 8, 1, tzinfo=UTC)


def reference_bytes() -> bytes:
    from offerledger.demo import reference_filing

    return reference_filing()


def excerpt(path: Path) -> bytes:
    """A saved excerpt without its '#' provenance header and trailer lines."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if any(line.startswith("# ---- excerpt begins") for line in lines):
        start = next(i for i, line in enumerate(lines) if line.startswith("# ---- excerpt begins"))
        lines = lines[start + 1 :]
    lines = [line for line in lines if not line.startswith("# ---- excerpt ends")]
    return ("\n".join(lines) + "\n").encode("utf-8")


def reference_document() -> Document:
    """The demo's Offer to Exchange: Sections 7 and 17 as far as the filings give them."""
    return Document(
        id="offer-to-exchange",
        title="Offer to Exchange",
        exhibit="(a)(1)",
        parts=(
            SectionGap(id="sections-1-6", note="not on file"),
            Section(
                id="s7",
                number="7",
                title="Conditions of the Offer",
                page=27,
                blocks=(
                    Gap(id="s7-earlier", note="not on file"),
                    Paragraph(id="s7-last", sentences=(NotOnFile(note="last paragraph"),)),
                ),
            ),
            SectionGap(id="sections-8-16", note="not on file"),
            Section(
                id="s17",
                number="17",
                title="Forward Looking Statements; Miscellaneous",
                blocks=(
                    Paragraph(
                        id="s17-p1",
                        sentences=(NotOnFile(note="first sentence"), NotOnFile(note="rest")),
                    ),
                    Gap(id="s17-rest", note="not on file"),
                ),
            ),
        ),
    )


def known_document() -> Document:
    """A fully known document: body paragraphs, bullet points, a heading."""

    def p(pid: str, *sentences: str, style: str = "body") -> Paragraph:
        return Paragraph(id=pid, style=style, sentences=sentences)  # type: ignore[arg-type]

    bullets = tuple(p(f"b{i}", f"Bullet {i}.", style="bullet") for i in range(1, 11))
    return Document(
        id="otx",
        title="Offer to Exchange",
        exhibit="(a)(1)",
        parts=(
            Section(
                id="s3",
                number="3",
                title="Procedures",
                blocks=(
                    p("s3-h", "Procedures.", style="heading"),
                    p("s3-p1", "One.", "Two."),
                    p("s3-p2", "Three."),
                    p("s3-p3", "Four.", "Five.", "Six."),
                    p("s3-p4", "Seven."),
                ),
            ),
            Section(
                id="s7",
                number="7",
                title="Conditions of the Offer",
                blocks=(p("s7-p1", "Intro."), *bullets),
            ),
            Section(id="intro", number="0", title="Introduction", blocks=(p("i1", "Only."),)),
        ),
    )


def build_ledger(db: str) -> dict[str, Any]:
    """A ledger up to Amendment No. 2: keys, the offer, the TO-I and the Offer to Exchange."""
    from offerledger.actions import record
    from offerledger.demo_data import offer_to_exchange
    from offerledger.ledger import Ledger

    pw = PASSPHRASE.encode()
    ledger, root = Ledger.init(db, passphrase=pw, valid_from=KEY_START)
    for holder, role in (
        ("Russell I. Zuckerman", "issuer_officer"),
        ("People Communications", "communications"),
        ("Clerk", "clerk"),
    ):
        ledger.register_key(
            root=root,
            holder=holder,
            role=role,
            passphrase=pw,  # type: ignore[arg-type]
            valid_from=KEY_START,
        )
    officer = ledger.signer("Russell I. Zuckerman", pw)
    record(
        ledger,
        "offer-commenced",
        {
            "effective": {"kind": "date", "on": "2001-08-27"},
            "issuer": "Mpower Holding Corporation",
            "cik": "0001068855",
            "file_number": "005-59791",
            "securities": "options",
            "expiration": "2001-09-27T23:59:00-04:00",
        },
        signer=officer,
    )
    record(
        ledger,
        "filing-recorded",
        {
            "effective": {"kind": "date", "on": "2001-08-27"},
            "form": "SC TO-I",
            "filed_on": "2001-08-27",
        },
        signer=officer,
    )
    name = ledger.offer_state(ledger.resolve_offer(None)).name
    record(
        ledger,
        "offer-document-registered",
        {
            "effective": {"kind": "date", "on": "2001-08-27"},
            "filing_id": str(stream_id(f"filing:{name}:SC TO-I:0")),
            "document": offer_to_exchange(),
        },
        signer=officer,
    )
    ledger.close()
    return {"db": db}


FILINGS = FIXTURES / "filings"
TO_I_2001 = FILINGS / "0000999999-01-000101.txt"  # constructed SC TO-I, plain text, 2001
AMENDMENT_2001 = FILINGS / "0000999999-01-000133.txt"  # its Amendment No. 1
TO_C_2001 = FILINGS / "0000999999-01-000095.txt"  # the TO-C before it
TO_I_2008 = FILINGS / "0000999999-08-000208.txt"  # constructed SC TO-I, HTML, 2008


def keyed_ledger(db: str, *, communications: bool = True) -> None:
    """A new ledger with an issuer officer's key (and a communications key), no offer."""
    from offerledger.ledger import Ledger

    pw = PASSPHRASE.encode()
    ledger, root = Ledger.init(db, passphrase=pw, valid_from=KEY_START)
    roles = [("Dana K. Whitcomb", "issuer_officer")]
    if communications:
        roles.append(("Stock Administration", "communications"))
    for holder, role in roles:
        ledger.register_key(
            root=root,
            holder=holder,
            role=role,  # type: ignore[arg-type]
            passphrase=pw,
            valid_from=KEY_START,
        )
    ledger.close()


def stored(db: str) -> list[tuple[str, int, bytes]]:
    from offerledger.ledger import Ledger

    ledger = Ledger.open(db)
    try:
        return [(str(e.stream), e.version, e.state) for e in ledger.log()]
    finally:
        ledger.close()


def test_filing_of_another_issuer_or_a_repeated_amendment_number_is_refused(
    ledger_db: str, tmp_path: Path
) -> None:
    from offerledger.demo import OFFICER, demo_key, reference_filing, run_demo
    from offerledger.errors import RuleViolation
    from offerledger.ingest.service import ingest_filing_bytes
    from offerledger.ledger import Ledger

    run_demo(ledger_db, passphrase=b"test-passphrase", employees=3)
    raw = reference_filing()
    ledger = Ledger.open(ledger_db)
    officer = demo_key(OFFICER)
    try:
        other_issuer = raw.replace(b"MPOWER HOLDING CORPORATION", b"ACME WIDGETS INC")
        with pytest.raises(RuleViolation, match="the filing's issuer is 'ACME WIDGETS INC'"):
            ingest_filing_bytes(ledger, other_issuer, signer=officer, source="acme.txt")
        again = raw.replace(b"Date:  September 13, 2001", b"Date:  September 14, 2001")
        with pytest.raises(RuleViolation, match="Amendment No. 2 of this offer is already"):
            ingest_filing_bytes(ledger, again, signer=officer, source="again.txt")
    finally:
        ledger.close()
