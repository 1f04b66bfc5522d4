"""The demo's Amendment No. 2 goes through the parser; its events equal the ones built by hand
from the filing's quoted passages (text byte for byte after whitespace folding)."""

from __future__ import annotations

from offerledger.demo import OFFICER, demo_key, run_demo
from offerledger.demo_amendment import amendment_two_events
from offerledger.events import DocumentAmended, FilingRecorded
from offerledger.ledger import Ledger


def test_parsed_amendment_equals_hand_built(ledger_db: str) -> None:
    run_demo(ledger_db, passphrase=b"test-passphrase", employees=3)
    ledger = Ledger.open(ledger_db)
    try:
        stored = [e.event for e in ledger.log()]
        parsed_filing = next(
            e for e in stored if isinstance(e, FilingRecorded) and e.amendment_number == 2
        )
        parsed_amend = next(e for e in stored if isinstance(e, DocumentAmended))
        raw = __import__("offerledger.demo", fromlist=["reference_filing"]).reference_filing()
        filing, amended = amendment_two_events(ledger, raw, officer=demo_key(OFFICER))
    finally:
        ledger.close()
    assert isinstance(amended, DocumentAmended) and isinstance(filing, FilingRecorded)
    assert parsed_filing.originator_id == filing.originator_id
    assert parsed_filing.source_sha256 == filing.source_sha256
    assert [e.sha256 for e in parsed_filing.exhibits] == [e.sha256 for e in filing.exhibits]
    assert parsed_amend.filing_id == amended.filing_id
    ops = [op.model_dump(exclude={"locator"}) for op in parsed_amend.operations]
    want = [op.model_dump(exclude={"locator"}) for op in amended.operations]
    assert ops == want
