"""Amendment No. 2's events taken from the filing's own text (used until the parser records it).

The new text of each change is read from the filing: the three quoted passages of Item 1, in
order (A, B, C), normalized the one way stored text is normalized. Nothing is typed in here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from offerledger.events import (
    DocumentAmended,
    FilingRecorded,
    LedgerEvent,
    filing_stream_name,
    inserted_paragraph_id,
    normalize_text,
    split_sentences,
    stream_id,
)
from offerledger.ledger import Ledger
from offerledger.signing.keys import SigningKey

EXHIBIT_TITLE = "Notice of Amendment to Offer to Exchange dated September 13, 2001"


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def quoted_passages(raw: bytes) -> list[str]:
    """The quoted new texts of Item 1 (between 'Item 1.' and 'SIGNATURE')."""
    text = _text(raw)
    item = text[text.index("Item 1.") : text.index("SIGNATURE")]
    marks = [i for i, ch in enumerate(item) if ch == '"']
    pairs = [item[marks[k] + 1 : marks[k + 1]] for k in range(0, len(marks) - 1, 2)]
    return [normalize_text(p) for p in pairs if len(p) >= 80]


def exhibit_text(raw: bytes) -> str:
    text = _text(raw)
    return normalize_text(text[text.rindex("Exhibit (a)(11)") :])


def notice_sha256(raw: bytes) -> str:
    return hashlib.sha256(exhibit_text(raw).encode()).hexdigest()


def amendment_two_events(ledger: Ledger, raw: bytes, *, officer: SigningKey) -> list[LedgerEvent]:
    a, b, c = quoted_passages(raw)
    sha = hashlib.sha256(raw).hexdigest()
    fname = filing_stream_name(sha256=sha)
    filing_id = stream_id(fname)
    offer_id = ledger.resolve_offer(None)
    offer = ledger.offer_state(offer_id)
    now = ledger.clock()
    holder = ledger.registry().keys.get(officer.key_id)
    header: dict[str, Any] = {
        "effective": {"kind": "date", "on": "2001-09-13"},
        "recorded": now,
        "actor": holder.holder if holder else "unregistered",  # who records: the key's holder
        "key_id": officer.key_id,
    }
    filing = FilingRecorded(
        originator_id=filing_id,
        originator_version=1,
        **header,
        offer_id=offer_id,
        form="SC TO-I/A",
        amendment_number=2,
        filed_on="2001-09-13",
        check_boxes={
            "fee_offset_rule_0_11_a_2": False,
            "preliminary_communications": False,
            "third_party_tender_offer_14d1": False,
            "issuer_tender_offer_13e4": True,
            "going_private_13e3": False,
            "amendment_13d2": False,
            "final_amendment": False,
        },
        signer={
            "name": "Russell I. Zuckerman",
            "title": "Senior Vice President, General Counsel and Secretary",
            "signed_on": "2001-09-13",
        },
        exhibits=[{"exhibit_id": "(a)(11)", "title": EXHIBIT_TITLE, "sha256": notice_sha256(raw)}],
        source_sha256=sha,
        amends="Tender Offer Statement on Schedule TO filed August 27, 2001, as amended",
    )
    ops = [
        {
            "op": "replace_paragraph",
            "label": "A",
            "section_id": "s7",
            "paragraph_id": "s7-last",
            "locator": 'The last paragraph in "Section 7. Conditions of the Offer" on page 27 of '
            "Exhibit (a)(1) to the Tender Offer Statement",
            "new": {"id": "s7-last", "sentences": list(split_sentences(a))},
        },
        {
            "op": "replace_sentence",
            "label": "B",
            "section_id": "s17",
            "paragraph_id": "s17-p1",
            "index": 0,
            "locator": 'The first sentence of the first paragraph in "Section 17. Forward Looking '
            'Statements; Miscellaneous" of Exhibit (a)(1) to the Tender Offer Statement',
            "text": b,
        },
        {
            "op": "insert_paragraph_after",
            "label": "C",
            "section_id": "s17",
            "after_id": "s17-p1",
            "locator": 'immediately after the first paragraph in "Section 17. Forward Looking '
            'Statements; Miscellaneous" of Exhibit (a)(1) to the Tender Offer Statement',
            "new": {
                "id": inserted_paragraph_id(filing=fname, label="C", index=2),
                "sentences": list(split_sentences(c)),
            },
        },
        {
            "op": "incorporate_exhibit",
            "label": "D",
            "exhibit": "(a)(11)",
            "title": EXHIBIT_TITLE,
            "locator": "Exhibit (a)(11) to this Amendment is hereby filed as Exhibit (a)(11) "
            "to the Tender Offer Statement",
        },
    ]
    amended = DocumentAmended(
        originator_id=offer_id,
        originator_version=offer.version + 1,
        **header,
        filing_id=filing_id,
        document_id="offer-to-exchange",
        operations=ops,
    )
    return [filing, amended]
