"""The reference case built directly as events (no storage), and the offer-text checks on it.

``reference_entries()`` mirrors what ``offerledger demo`` records: the Schedule TO-I, Amendment
No. 1 (not on file), the Offer to Exchange with Sections 7 and 17 partly not on file, Amendment
No. 2's four changes with their exact text, the (a)(11) notice by e-mail and on paper, a small
synthetic roster with elections, expiration, acceptance and new grants. Other projection tests
import it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from offerledger.commitments import commit_action_list
from offerledger.documents import SourceDocument
from offerledger.events import (
    EASTERN,
    KEYS_STREAM_NAME,
    RECORDS_FIELDS,
    AcceptedGrant,
    Document,
    DocumentAmended,
    ElectionChanged,
    ElectionRefused,
    ElectionSubmitted,
    ElectionWithdrawn,
    EligibleGrantsRegistered,
    Exhibit,
    FilingRecorded,
    Grant,
    GrantChoice,
    Instant,
    KeyRegistered,
    LedgerEvent,
    NewGrant,
    NewOptionsGranted,
    NoticeDispatched,
    NotOnFile,
    OfferCommenced,
    OfferDocumentRegistered,
    OfferExpired,
    OnDate,
    Paragraph,
    Section,
    Signer,
    TenderedOptionsAccepted,
    TimeNotOnFile,
    employee_stream_name,
    filing_stream_name,
    inserted_paragraph_id,
    offer_stream_name,
    records_floor,
    stream_id,
)
from offerledger.projections import Moment, document_at, fold_all
from offerledger.projections.catalog import QueryError
from offerledger.projections.core import Entry
from offerledger.projections.source import open_lists
from offerledger.projections.state import EMPTY, LedgerState
from offerledger.values import (
    Gap,
    IncorporateExhibit,
    InsertParagraphAfter,
    ReplaceParagraph,
    ReplaceSentence,
    SectionGap,
)

OFFICER = "Russell I. Zuckerman"
KEY = {
    "root": "a" * 64,
    "officer": "b" * 64,
    "comms": "c" * 64,
    "agent": "d" * 64,
    "employee": "e" * 64,
    "clerk": "f" * 64,
}
OFFER_NAME = offer_stream_name(cik="0001096470", file_number="005-61617")
OFFER = stream_id(OFFER_NAME)
SECTION_7_LAST = (
    "The conditions to this offer are for our benefit.",
    "Except for the conditions that are dependent upon the receipt of necessary governmental "
    "approvals which we may assert at any time before the acceptance and cancellation of "
    "eligible options tendered for exchange, all other conditions listed in this Section 7 can "
    "only be asserted by us before this offer expires.",
    "If such conditions are not asserted by us before this offer expires, they would be deemed "
    "as having been waived by us.",
    "We may waive any condition listed in this Section 7 whether or not we waive any other "
    "condition to this offer.",
    "The waiver of any of these rights with respect to particular facts and circumstances is "
    "not a waiver with respect to any other facts or circumstances.",
    "Any determination we make concerning the events described in this Section 7 will be final "
    "and binding upon all parties.",
)
SECTION_17_FIRST = (
    "This Offer to Exchange and our Securities and Exchange Commission reports referred to "
    "above include forward-looking statements."
)
SAFE_HARBOR = (
    "The safe harbor for forward-looking statements contained in the Private Securities "
    "Litigation Reform Act of 1995 only protects companies from liability for their "
    "forward-looking statements if they comply with the requirements of such act.",
    "The act does not provide this protection for transactions such as this offer, to the "
    "extent it constitutes a tender offer, and may not be available for our forward-looking "
    "statements contained or incorporated by reference in this Offer to Exchange.",
)


LISTED = (NoticeDispatched, TenderedOptionsAccepted, NewOptionsGranted)


def et(*args: int) -> datetime:
    return datetime(*args, tzinfo=EASTERN)  # type: ignore[misc]


class Recorder:
    """Builds events with consecutive stream versions and log positions.

    ``keys`` maps the roles used here (root, officer, comms, agent, employee, clerk) to key ids;
    ``position`` is where the first event lands (after a real ledger's own key events).
    """

    def __init__(
        self, start: datetime, keys: dict[str, str] | None = None, position: int = 0
    ) -> None:
        self.versions: dict[uuid.UUID, int] = {}
        self.entries: list[Entry] = []
        self.clock = start
        self.keys = keys or KEY
        self.offset = position
        self.signers: list[str] = []
        self.documents: dict[str, SourceDocument] = {}  # what a ledger would store with them

    def add(
        self,
        cls: type[LedgerEvent],
        stream: uuid.UUID,
        *,
        effective: Any,
        actor: str,
        key: str,
        recorded: datetime | None = None,
        **payload: Any,
    ) -> Any:
        version = self.versions.get(stream, 0) + 1
        self.versions[stream] = version
        self.clock += timedelta(seconds=1)
        if cls in LISTED:  # the full list given, as `record` takes it: commit to it
            payload, documents, _ = commit_action_list(cls.TOPIC.split(".")[1], payload)
            self.documents.update((d.sha256, d) for d in documents)
            DOCUMENTS.update((d.sha256, d.content) for d in documents)
        event = cls(
            originator_id=stream,
            originator_version=version,
            effective=effective,
            recorded=recorded or self.clock,
            actor=actor,
            key_id=self.keys[key],
            **payload,
        )
        floor = records_floor(
            event.effective.model_dump(mode="json"),
            {name: getattr(event, name, None) for name in RECORDS_FIELDS},
        )
        if recorded is None and floor is not None and floor[0] > self.clock:
            # the clock at recording: never before what the event records (DESIGN §4)
            self.clock = floor[0]
            event = event.model_copy(update={"recorded": self.clock})
        self.entries.append((self.offset + len(self.entries), event))
        self.signers.append(key)
        return event

    def state(self) -> LedgerState:
        return opened_state(self.entries)


DOCUMENTS: dict[str, bytes] = {}
"""Every document a Recorder committed to, by SHA-256 (content-addressed, as a ledger keeps
them)."""


def opened_state(entries: list[Entry]) -> LedgerState:
    """The entries folded, with their committed lists opened (as the runner's source does)."""
    return open_lists(fold_all(EMPTY, entries), DOCUMENTS.get)


def filing_stream(tag: str) -> uuid.UUID:
    import hashlib

    return stream_id(filing_stream_name(sha256=hashlib.sha256(tag.encode()).hexdigest()))


TO_I = filing_stream("to-i")
AMENDMENT_1 = filing_stream("amendment-1")
AMENDMENT_2 = filing_stream("amendment-2")
SAFE_HARBOR_ID = inserted_paragraph_id(filing=str(AMENDMENT_2), label="C", index=0)
SIGNER = Signer(
    name=OFFICER,
    title="Senior Vice President, General Counsel and Secretary",
    signed_on=date(2001, 9, 13),
)


def original_document() -> Document:
    return Document(
        id="offer-to-exchange",
        title="Offer to Exchange",
        exhibit="(a)(1)",
        dated=date(2001, 8, 27),
        parts=(
            SectionGap(id="sections-1-6", note="Sections 1 through 6 of the Offer to Exchange"),
            Section(
                id="s7",
                number="7",
                title="Conditions of the Offer",
                page=27,
                blocks=(
                    Gap(id="s7-earlier", note="the paragraphs of Section 7 before its last"),
                    Paragraph(
                        id="s7-last",
                        sentences=(NotOnFile(note="the original last paragraph of Section 7"),),
                    ),
                ),
            ),
            SectionGap(id="sections-8-16", note="Sections 8 through 16 of the Offer to Exchange"),
            Section(
                id="s17",
                number="17",
                title="Forward Looking Statements; Miscellaneous",
                blocks=(
                    Paragraph(
                        id="s17-p1",
                        sentences=(
                            NotOnFile(note="the original first sentence of Section 17"),
                            NotOnFile(note="the rest of the first paragraph of Section 17"),
                        ),
                    ),
                    Gap(id="s17-rest", note="the remaining paragraphs of Section 17"),
                ),
            ),
        ),
    )


def amendment_2_operations() -> tuple[Any, ...]:
    return (
        ReplaceParagraph(
            locator='The last paragraph in "Section 7. Conditions of the Offer" on page 27',
            label="A",
            section_id="s7",
            paragraph_id="s7-last",
            new=Paragraph(id="s7-last", sentences=SECTION_7_LAST),
        ),
        ReplaceSentence(
            locator='The first sentence of the first paragraph in "Section 17. Forward Looking '
            'Statements; Miscellaneous"',
            label="B",
            section_id="s17",
            paragraph_id="s17-p1",
            index=0,
            text=SECTION_17_FIRST,
        ),
        InsertParagraphAfter(
            locator='immediately after the first paragraph in "Section 17. Forward Looking '
            'Statements; Miscellaneous"',
            label="C",
            section_id="s17",
            after_id="s17-p1",
            new=Paragraph(id=SAFE_HARBOR_ID, sentences=SAFE_HARBOR),
        ),
        IncorporateExhibit(
            locator="Exhibit (a)(11) to this Amendment",
            label="D",
            exhibit="(a)(11)",
            title="Notice of Amendment to Offer to Exchange dated September 13, 2001",
        ),
    )


EMPLOYEES = (
    # employee id, name, e-mail, grants: (grant id, plan, options)
    (
        "E001",
        "Synthetic Employee 1",
        True,
        (("G001", "Holding Plan", 1000), ("G002", "PNH Plan", 500)),
    ),
    ("E002", "Synthetic Employee 2", True, (("G003", "Holding Plan", 2000),)),
    ("E003", "Synthetic Employee 3", False, (("G004", "PNH Plan", 750),)),
    ("E004", "Synthetic Employee 4", True, (("G005", "Holding Plan", 300),)),
)


def employee_stream(employee_id: str) -> uuid.UUID:
    return stream_id(employee_stream_name(offer=OFFER_NAME, employee_id=employee_id))


ROLES = (
    ("root", "root", "root"),
    (OFFICER, "issuer_officer", "officer"),
    ("People Communications", "communications", "comms"),
    ("Filing Agent", "filing_agent", "agent"),
    ("Employees", "employee", "employee"),
    ("People Services", "clerk", "clerk"),
)


def reference_recorder(
    *, through: str = "granted", keys: dict[str, str] | None = None, position: int = 0
) -> Recorder:
    """The reference case up to a stage: 'amended', 'elections', 'expired', 'granted'.

    With ``keys`` (real key ids) the key registrations are left to the ledger, and the
    entries are numbered from ``position``.
    """
    r = Recorder(et(2001, 8, 20, 9, 0), keys, position)
    for holder, role, key in ROLES if keys is None else ():
        r.add(
            KeyRegistered,
            stream_id(KEYS_STREAM_NAME),
            effective=Instant(at=et(2001, 8, 20)),
            actor="root",
            key="root",
            registered_key_id=r.keys[key],
            public_key=r.keys[key],
            holder=holder,
            role=role,
            valid_from=et(2001, 8, 1),
        )
    officer = {"actor": OFFICER, "key": "officer"}
    r.add(
        OfferCommenced,
        OFFER,
        effective=OnDate(on=date(2001, 8, 27)),
        **officer,
        offer_name="Offer to Exchange",
        issuer="Mpower Holding Corporation",
        cik="0001096470",
        file_number="005-61617",
        securities="Options to purchase common stock, par value $0.001 per share",
        cusip="62473L101",
        expiration=et(2001, 9, 27, 23, 59),
        plans=("Holding Plan", "PNH Plan"),
    )
    r.add(
        FilingRecorded,
        TO_I,
        effective=OnDate(on=date(2001, 8, 27)),
        actor="Filing Agent",
        key="agent",
        offer_id=OFFER,
        form="SC TO-I",
        filed_on=date(2001, 8, 27),
        check_boxes={"issuer_tender_offer": True},
        signer=SIGNER.model_copy(update={"signed_on": date(2001, 8, 27)}),
        exhibits=(Exhibit(exhibit_id="(a)(1)", title="Offer to Exchange"),),
    )
    r.add(
        OfferDocumentRegistered,
        OFFER,
        effective=OnDate(on=date(2001, 8, 27)),
        **officer,
        filing_id=TO_I,
        document=original_document(),
    )
    r.add(
        FilingRecorded,
        AMENDMENT_1,
        effective=TimeNotOnFile(
            after=et(2001, 8, 27), before=et(2001, 9, 13), note="Amendment No. 1 is not on file"
        ),
        actor="Filing Agent",
        key="agent",
        offer_id=OFFER,
        form="SC TO-I/A",
        amendment_number=1,
        filed_on=None,
        not_on_file="Amendment No. 1: known only because Amendment No. 2 amends the "
        "statement as amended",
    )
    r.add(
        FilingRecorded,
        AMENDMENT_2,
        effective=OnDate(on=date(2001, 9, 13)),
        actor="Filing Agent",
        key="agent",
        offer_id=OFFER,
        form="SC TO-I/A",
        amendment_number=2,
        filed_on=date(2001, 9, 13),
        check_boxes={"issuer_tender_offer": True},
        signer=SIGNER,
        exhibits=(
            Exhibit(
                exhibit_id="(a)(11)",
                title="Notice of Amendment to Offer to Exchange dated September 13, 2001",
            ),
        ),
    )
    r.add(
        DocumentAmended,
        OFFER,
        effective=OnDate(on=date(2001, 9, 13)),
        **officer,
        filing_id=AMENDMENT_2,
        document_id="offer-to-exchange",
        operations=amendment_2_operations(),
    )
    if through == "amended":
        return r
    emails = tuple(e[0] for e in EMPLOYEES if e[2])
    papers = tuple(e[0] for e in EMPLOYEES if not e[2])
    for channel, recipients in (("email", emails), ("mail", papers)):
        r.add(
            NoticeDispatched,
            OFFER,
            effective=OnDate(on=date(2001, 9, 13)),
            actor="People Communications",
            key="comms",
            notice_id="a-11",
            notice_kind="amendment_notice",
            exhibit="(a)(11)",
            channel=channel,
            recipient_class="eligible employees",
            recipients=recipients,
            content_sha256="1" * 64,
            synthetic_recipients=True,
        )
    for eid, name, email, grants in EMPLOYEES:
        r.add(
            EligibleGrantsRegistered,
            employee_stream(eid),
            effective=OnDate(on=date(2001, 8, 27)),
            **officer,
            offer_id=OFFER,
            employee_id=eid,
            employee_name=name,
            email=email,
            synthetic=True,
            grants=tuple(
                Grant(
                    grant_id=g,
                    plan=p,
                    grant_date=date(2000, 3, 1),
                    exercise_price=Decimal("42.50"),
                    options_outstanding=n,
                )
                for g, p, n in grants
            ),
        )
    _elections(r)
    if through == "elections":
        return r
    r.add(OfferExpired, OFFER, effective=Instant(at=et(2001, 9, 28, 0, 0)), **officer)
    if through == "expired":
        return r
    r.add(
        TenderedOptionsAccepted,
        OFFER,
        effective=OnDate(on=date(2001, 9, 28)),
        **officer,
        grants=(
            AcceptedGrant(employee_id="E001", grant_id="G001", options=1000, plan="Holding Plan"),
            AcceptedGrant(employee_id="E003", grant_id="G004", options=750, plan="PNH Plan"),
        ),
        cancelled_on=date(2001, 9, 28),
        synthetic=True,
    )
    r.add(
        NewOptionsGranted,
        OFFER,
        effective=OnDate(on=date(2002, 4, 1)),
        **officer,
        grants=(
            NewGrant(employee_id="E001", grant_id="N001", options=1000, replaces=("G001",)),
            NewGrant(employee_id="E003", grant_id="N002", options=750, replaces=("G004",)),
        ),
        grant_date=date(2002, 4, 1),
        exercise_price=Decimal("0.51"),
        plan="Holding Plan",
        synthetic=True,
    )
    return r


def _elections(r: Recorder) -> None:
    def act(
        cls: type[LedgerEvent], eid: str, form: str, at: datetime, channel: str = "web", **kw: Any
    ) -> None:
        r.add(
            cls,
            employee_stream(eid),
            effective=Instant(at=at),
            actor="People Services",  # the clerk records the forms; the employee acted
            key="clerk",
            offer_id=OFFER,
            employee_id=eid,
            form_id=form,
            received_at=at,
            channel=channel,
            acted_by=eid,
            synthetic=True,
            **kw,
        )

    def ex(*pairs: tuple[str, str]) -> tuple[GrantChoice, ...]:
        return tuple(GrantChoice(grant_id=g, choice=c) for g, c in pairs)  # type: ignore[arg-type]

    act(
        ElectionSubmitted,
        "E001",
        "F1",
        et(2001, 9, 10, 10),
        choices=ex(("G001", "exchange"), ("G002", "exchange")),
    )
    act(
        ElectionChanged,
        "E001",
        "F2",
        et(2001, 9, 27, 23, 59, 59),
        choices=ex(
            ("G002", "keep"),
        ),
    )
    act(
        ElectionSubmitted,
        "E002",
        "F3",
        et(2001, 9, 12, 9),
        choices=ex(
            ("G003", "exchange"),
        ),
    )
    act(ElectionWithdrawn, "E002", "F4", et(2001, 9, 20, 9), grant_ids=())
    act(
        ElectionSubmitted,
        "E003",
        "F5",
        et(2001, 9, 26, 15),
        channel="paper",
        choices=ex(
            ("G004", "exchange"),
        ),
    )
    act(
        ElectionRefused,
        "E004",
        "F6",
        et(2001, 9, 28, 0, 0, 0),
        attempted="submit",
        choices=ex(
            ("G005", "exchange"),
        ),
        rule="election-window",
        reason="received after the offer expired",
    )


def reference_entries(*, through: str = "granted") -> list[Entry]:
    return reference_recorder(through=through).entries


def reference_state(*, through: str = "granted") -> LedgerState:
    return reference_recorder(through=through).state()


# --- the offer text -----------------------------------------------------------------------------


def _block(view: Any, block_id: str) -> Any:
    return view.blocks()[block_id][1]


def test_before_amendment_2_section_7_last_paragraph_is_the_not_on_file_original() -> None:
    view = document_at(reference_state(), OFFER, Moment.on(date(2001, 9, 12)))
    block = _block(view, "s7-last")
    assert block.text == "[not on file: the original last paragraph of Section 7]"
    assert block.changed is None
    assert block.introduced.filing.name == "Schedule TO-I"
    assert SAFE_HARBOR_ID not in view.blocks()


def test_as_of_amendment_2_section_7_last_paragraph_is_exactly_its_text() -> None:
    view = document_at(reference_state(), OFFER, Moment.on(date(2001, 9, 13)))
    block = _block(view, "s7-last")
    assert block.sentences == SECTION_7_LAST
    assert block.text == " ".join(SECTION_7_LAST)
    assert block.changed.filing.name == "Amendment No. 2"
    assert block.changed.locator.startswith('The last paragraph in "Section 7.')


def test_as_of_amendment_2_section_17_first_sentence_replaced_and_safe_harbor_follows() -> None:
    view = document_at(reference_state(), OFFER, Moment.on(date(2001, 9, 13)))
    s17 = next(p for p in view.parts if p.number == "17")
    assert [b.id for b in s17.blocks] == ["s17-p1", SAFE_HARBOR_ID, "s17-rest"]
    first = s17.blocks[0]
    assert first.sentences[0] == SECTION_17_FIRST
    assert first.sentences[1] == NotOnFile(note="the rest of the first paragraph of Section 17")
    assert s17.blocks[1].sentences == SAFE_HARBOR
    assert s17.blocks[1].introduced.operation == "insert_paragraph_after"


def test_exhibit_a11_is_incorporated_by_amendment_2() -> None:
    view = document_at(reference_state(), OFFER, Moment.on(date(2001, 9, 13)))
    assert [i.text for i in view.incorporated] == [
        "Exhibit (a)(11): Notice of Amendment to Offer to Exchange dated September 13, 2001"
    ]


def test_as_recorded_before_the_amendment_was_recorded_shows_the_original() -> None:
    entries = reference_entries(through="amended")
    amended_at = entries[-1][1].recorded
    state = fold_all(EMPTY, entries)
    view = document_at(state, OFFER, Moment(as_recorded=amended_at - timedelta(seconds=1)))
    assert _block(view, "s7-last").changed is None
    view = document_at(state, OFFER, Moment(as_recorded=amended_at))
    assert _block(view, "s7-last").sentences == SECTION_7_LAST


def test_as_of_before_the_offer_commenced_is_refused() -> None:
    with pytest.raises(QueryError, match="the offer had not commenced"):
        document_at(reference_state(), OFFER, Moment.on(date(2001, 8, 26)))


def test_amendment_recorded_late_with_an_earlier_effective_date_changes_earlier_answers() -> None:
    r = reference_recorder(through="amended")
    # Move the amendment: recorded last, but effective on 2001-09-01.
    position, amended = r.entries[-1]
    moved = amended.model_copy(update={"effective": OnDate(on=date(2001, 9, 1))})
    entries = [*r.entries[:-1], (position, moved)]
    view = document_at(fold_all(EMPTY, entries), OFFER, Moment.on(date(2001, 9, 5)))
    assert _block(view, "s7-last").sentences == SECTION_7_LAST
