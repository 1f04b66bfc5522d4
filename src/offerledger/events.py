"""The event schema: every action of an issuer tender offer, as a frozen, versioned pydantic model.

This module is the one contract between the write side (``domain/``), the read side
(``offerledger.projections``) and ``integrity/``. Each event class has an explicit topic
``offerledger.<Event>.v<N>``; importing this module registers every topic, old versions
included, so a fresh process can read any stored event.

The stored body of an event is ``{"header": {...}, "payload": {...}}`` (see
:func:`offerledger.signing.envelope.body_for`): the header fields are those of
:class:`LedgerEvent` (stream, version, topic, effective and recorded time, actor, key id and the
hash of the previous envelope in the stream), the payload is every other field.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from offerledger.eventbase import (
    HEADER_FIELDS,
    KEYS_STREAM_NAME,
    RECORDS_FIELDS,
    STREAM_NAMESPACE,
    TOPICS,
    UPCASTERS,
    LedgerEvent,
    effective_floor,
    employee_stream_name,
    event_class_for_topic,
    filing_stream_name,
    header_of,
    model_fields,
    offer_stream_name,
    recorded_problems,
    records_floor,
    register_upcaster,
    stream_id,
    upcast_payload,
)
from offerledger.textops import (
    AmendmentTargetMissing,
    apply_operation,
    apply_operations,
    inserted_paragraph_id,
    normalize_text,
    split_sentences,
)
from offerledger.values import (
    EASTERN,
    LIST_ENTRIES,
    NOT_IN_TEMPLATE,
    AcceptedGrant,
    AddSection,
    AmendScheduleItem,
    Block,
    Channel,
    CommittedList,
    DeleteParagraph,
    DeleteSentence,
    Document,
    EffectiveTime,
    Exhibit,
    Gap,
    Grant,
    GrantChoice,
    IncorporateExhibit,
    InsertParagraphAfter,
    InsertSentence,
    Instant,
    ListKind,
    NewGrant,
    NoticeRecipient,
    NotOnFile,
    OnDate,
    OneLine,
    Paragraph,
    Part,
    PlanTotals,
    ReplaceParagraph,
    ReplaceSection,
    ReplaceSentence,
    Section,
    SectionGap,
    Sentence,
    Signer,
    TextOperation,
    TimeNotOnFile,
    UnresolvedInstruction,
    deadline_exclusive,
    end_of_day_eastern,
)

__all__ = [
    "EASTERN",
    "AddSection",
    "AmendScheduleItem",
    "Block",
    "DeleteParagraph",
    "DeleteSentence",
    "Gap",
    "IncorporateExhibit",
    "InsertParagraphAfter",
    "InsertSentence",
    "LIST_ENTRIES",
    "ListKind",
    "NewOptionsGrantedV1",
    "NoticeDispatchedV1",
    "NoticeKind",
    "NoticeRecipient",
    "Part",
    "PlanTotals",
    "ReplaceParagraph",
    "ReplaceSection",
    "ReplaceSentence",
    "SectionGap",
    "Sentence",
    "UnresolvedInstruction",
    "STREAM_NAMESPACE",
    "UPCASTERS",
    "register_upcaster",
    "upcast_payload",
    "AmendmentTargetMissing",
    "apply_operation",
    "apply_operations",
    "inserted_paragraph_id",
    "normalize_text",
    "split_sentences",
    "HEADER_FIELDS",
    "KEYS_STREAM_NAME",
    "RECORDS_FIELDS",
    "effective_floor",
    "header_of",
    "model_fields",
    "recorded_problems",
    "records_floor",
    "ROLE_ACTIONS",
    "TOPICS",
    "AcceptedGrant",
    "CommittedList",
    "ConditionAsserted",
    "ConditionWaived",
    "CorrectionRecorded",
    "CrossCheckRecorded",
    "Document",
    "DocumentAmended",
    "EffectiveTime",
    "ElectionChanged",
    "ElectionReceiptConfirmed",
    "ElectionRefused",
    "ElectionSubmitted",
    "ElectionWithdrawn",
    "EligibleGrantsRegistered",
    "Exhibit",
    "ExpirationExtended",
    "FilingRecorded",
    "Grant",
    "GrantChoice",
    "Instant",
    "KeyRegistered",
    "KeyRevoked",
    "LedgerEvent",
    "NewGrant",
    "NewOptionsGranted",
    "NotOnFile",
    "NoticeDispatched",
    "OfferCommenced",
    "OfferDocumentRegistered",
    "OfferExpired",
    "OfferTerminated",
    "OnDate",
    "Paragraph",
    "Role",
    "RootKeyRotated",
    "Section",
    "Signer",
    "TenderedOptionsAccepted",
    "TenderedOptionsAcceptedV1",
    "TermsChanged",
    "TextOperation",
    "TimeNotOnFile",
    "corrected_value",
    "deadline_exclusive",
    "employee_stream_name",
    "end_of_day_eastern",
    "event_class_for_topic",
    "filing_stream_name",
    "offer_stream_name",
    "role_may_record",
    "stream_id",
]

# --- keys ---------------------------------------------------------------------------------------

Role = Literal["root", "issuer_officer", "filing_agent", "communications", "employee", "clerk"]


class KeyRegistered(LedgerEvent):
    """The root key registers an actor's public key, role and validity."""

    TOPIC = "offerledger.KeyRegistered.v1"
    registered_key_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    holder: OneLine = Field(min_length=1)
    role: Role
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None
    keys_public: bool | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="On the root key's own registration: true when this ledger's private keys "
        "are public (the demo's come from a published seed), so nothing in it is evidence; "
        "left out of the stored body when absent",
    )

    def key_id_matches(self) -> bool:
        """The registered key id is the SHA-256 of the public key (checked on write and verify)."""
        return hashlib.sha256(bytes.fromhex(self.public_key)).hexdigest() == self.registered_key_id


class KeyRevoked(LedgerEvent):
    """The root key revokes a key; ``compromised_since`` flags its events recorded after it."""

    TOPIC = "offerledger.KeyRevoked.v1"
    revoked_key_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    reason: str
    compromised_since: AwareDatetime | None = None
    # the ledger's event count when the revocation was made: the key signs nothing at or after
    # this log position, wherever the revocation row itself is later found
    from_position: int = Field(ge=0)


# --- the offer ----------------------------------------------------------------------------------


class OfferCommenced(LedgerEvent):
    """The offer opens (the Schedule TO-I's date) with its scheduled expiration."""

    TOPIC = "offerledger.OfferCommenced.v1"
    offer_name: str = Field(
        description="The offer's stream name, offer:<CIK>:<file number>; derived from cik and "
        "file_number, never given",
        examples=["offer:0000999101:005-99101"],
    )
    issuer: str = Field(
        description="The subject company as the Schedule TO cover names it",
        examples=["Halvorsen Optical Networks, Inc."],
    )
    cik: str = Field(
        description="The issuer's SEC Central Index Key, ten digits with leading zeros as EDGAR "
        "prints it",
        examples=["0000999101"],
    )
    file_number: str = Field(
        description="The SEC file number of the Schedule TO (005-NNNNN); with cik it names the "
        "offer",
        examples=["005-99101"],
    )
    securities: str = Field(
        description="The class of securities sought, as the cover's \"(Title of Class of "
        'Securities)" gives it',
        examples=[
            "Options to Purchase Common Stock, Par Value $0.001 Per Share, Having an Exercise "
            "Price of $10.00 or More"
        ],
    )
    cusip: str | None = Field(
        default=None,
        description="The CUSIP number of the underlying class, as the cover gives it (9 "
        "characters); leave out when the cover gives none",
        examples=["40599X107"],
    )
    expiration: AwareDatetime = Field(
        description="The scheduled expiration as the Offer to Exchange states it: an ISO 8601 "
        'date-time with its UTC offset ("12:00 midnight, Eastern Time, on October 30, 2001" is '
        "the end of that day)",
        examples=["2001-10-31T00:00:00-05:00"],
    )
    plans: tuple[str, ...] = Field(
        default=(),
        description="The option plans the offer covers, each named as the filing names it",
        examples=[["Halvorsen Optical Networks, Inc. 1998 Stock Option Plan"]],
    )

    @model_validator(mode="after")
    def _expires_after_commencement(self) -> OfferCommenced:
        if self.expiration <= self.effective.latest():
            raise ValueError("expiration must be after the commencement")
        return self


class FilingRecorded(LedgerEvent):
    """A Schedule TO filing (TO-C, TO-I, TO-I/A, final amendment) in its own stream.

    ``source_sha256`` is the SHA-256 of the filing file's exact bytes as received (no
    normalization); the file is a source document stored with the event (``offerledger show
    document``), and the stream is ``filing:<source_sha256>``. None when the filing is not on
    file. Each exhibit's ``sha256`` is of a *normalized* text, not of bytes (see
    :class:`~offerledger.values.Exhibit`). ``filed_on`` is the EDGAR "FILED AS OF DATE" when the
    file has an SEC header (else the signature's date); ``accession_number`` is the header's
    accession number, None when the file holds none.
    """

    TOPIC = "offerledger.FilingRecorded.v1"
    offer_id: uuid.UUID = Field(
        description="The offer's stream id; filled in from --offer (or the ledger's one offer)",
        examples=["1b4e28ba-2fa1-11d2-883f-0016d3cca427"],
    )
    form: Literal["SC TO-C", "SC TO-I", "SC TO-I/A"] = Field(
        description="The EDGAR form type: SC TO-C (a communication before the offer), SC TO-I "
        "(the offer's Schedule TO) or SC TO-I/A (an amendment)",
        examples=["SC TO-I"],
    )
    amendment_number: int | None = Field(
        default=None,
        ge=1,
        json_schema_extra=NOT_IN_TEMPLATE,
        description='An amendment\'s number as its cover states it ("Amendment No. 2" is 2); '
        "none for the SC TO-I itself",
        examples=[1],
    )
    filed_on: date | None = Field(
        default=None,
        description="The day EDGAR filed it (the SEC header's FILED AS OF DATE), YYYY-MM-DD",
        examples=["2001-10-01"],
    )
    final_amendment: bool = Field(
        default=False,
        description="true for the amendment that reports the offer's results (its cover's "
        "final-amendment box)",
        examples=[False],
    )
    check_boxes: dict[str, bool] = Field(
        default_factory=dict,
        description="The cover's check boxes as name: checked",
        examples=[{"issuer_tender_offer_13e4": True, "final_amendment": False}],
    )
    signer: Signer | None = Field(
        default=None,
        description="Who signed the filing in the world (not the ledger key that records it)",
    )
    exhibits: tuple[Exhibit, ...] = Field(
        default=(),
        description="The exhibits filed with it, as its exhibit index lists them",
    )
    source_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 (64 hex digits) of the filing file's exact bytes; filled in from "
        "--document FILE, which stores the file with the event; none when the file is not on "
        "hand",
        examples=["3f0c6a1d9e2b4c5a8f7e6d5c4b3a29180716253443526170819a0b1c2d3e4f50"],
    )
    amends: str | None = Field(
        default=None,
        json_schema_extra=NOT_IN_TEMPLATE,
        description="What an amendment amends, as its introductory statement says",
        examples=["Tender Offer Statement on Schedule TO filed October 1, 2001"],
    )
    not_on_file: str | None = Field(
        default=None,
        json_schema_extra=NOT_IN_TEMPLATE,
        description="What of the filing the ledger does not hold, and why (shown as not on "
        "file, never guessed)",
        examples=["the filing date: the filing is known only from Amendment No. 2"],
    )
    accession_number: str | None = Field(
        default=None,
        json_schema_extra=NOT_IN_TEMPLATE,
        pattern=r"^\d{10}-\d{2}-\d{6}$",
        exclude_if=lambda v: v is None,
        description="The EDGAR accession number, from the submission's SEC header "
        "(0000999999-01-000101); left out of the stored body when absent, so filings without "
        "it store as before",
        examples=["0000999999-01-000101"],
    )


class CrossCheckRecorded(LedgerEvent):
    """What one cross-check made at ingest found, saved with the filing it was made on.

    Ingesting a filing compares what it states with the ledger or with itself: the deadline a
    notice states against the offer's expiration in force on the notice's date
    (``notice-deadline``), the amendments a notice repeats against those the filing makes
    (``notice-repeats-amendments``), whether a notice says how it was sent
    (``notice-channels``), a Schedule TO-I's stated expiration against the offer's
    (``commencement-expiration``). The result is recorded, never acted on. ``compared`` says
    what was compared with what; ``values`` the values compared, by name; ``outcome`` agree,
    disagree, or not_checked (nothing to compare with); ``source_sha256`` the filing file and
    ``source_lines`` the lines of it the statement was read from (first, last).
    """

    TOPIC = "offerledger.CrossCheckRecorded.v1"
    filing_id: uuid.UUID = Field(
        description="The stream id of the filing the check was made on (offerledger log --type "
        "FilingRecorded --json shows it)",
        examples=["1b4e28ba-2fa1-11d2-883f-0016d3cca427"],
    )
    check: str = Field(
        min_length=1,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="Which check, in lower case with hyphens: notice-deadline, "
        "notice-repeats-amendments, notice-channels or commencement-expiration",
        examples=["commencement-expiration"],
    )
    compared: str = Field(
        min_length=1,
        description="What was compared with what, in words",
        examples=[
            "the expiration this Schedule TO-I states against the one the offer on record "
            "commenced with"
        ],
    )
    outcome: Literal["agree", "disagree", "not_checked"] = Field(
        description="agree, disagree, or not_checked (nothing to compare with)",
        examples=["agree"],
    )
    values: dict[str, str] = Field(
        default_factory=dict,
        description="The values compared, by name, each as text",
        examples=[{"stated": "2001-10-31T00:00:00-05:00", "ledger": "2001-10-31T00:00:00-05:00"}],
    )
    detail: str = Field(
        min_length=1,
        description="What the check found, in a sentence",
        examples=[
            "the filing states the expiration 2001-10-31T00:00:00-05:00; the offer on record "
            "commenced with 2001-10-31T00:00:00-05:00"
        ],
    )
    source_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 (64 hex digits) of the filing file the statement was read from, a "
        "source document already stored with the filing",
        examples=["3f0c6a1d9e2b4c5a8f7e6d5c4b3a29180716253443526170819a0b1c2d3e4f50"],
        json_schema_extra=NOT_IN_TEMPLATE,
    )
    source_lines: tuple[int, int] | None = Field(
        default=None,
        description="The first and last line of that file the statement stands on",
        examples=[[212, 213]],
        json_schema_extra=NOT_IN_TEMPLATE,
    )


class OfferDocumentRegistered(LedgerEvent):
    """The offer's document (the Offer to Exchange) registered as sections, paragraphs and
    sentences with stable ids."""

    TOPIC = "offerledger.OfferDocumentRegistered.v1"
    filing_id: uuid.UUID = Field(
        description="The stream id of the filing the document was filed with (offerledger log "
        "--type FilingRecorded --json shows it)",
        examples=["1b4e28ba-2fa1-11d2-883f-0016d3cca427"],
    )
    document: Document = Field(
        description="The document as sections, paragraphs and sentences with their stable ids "
        "(or --document FILE: the text, headings numbered)",
    )


class DocumentAmended(LedgerEvent):
    """An amendment's changes to the offer document's text (sections, paragraphs, sentences
    replaced, inserted or deleted), in the filing's order."""

    TOPIC = "offerledger.DocumentAmended.v1"
    filing_id: uuid.UUID = Field(
        description="The stream id of the amendment (the SC TO-I/A filing) that makes the changes",
        examples=["1b4e28ba-2fa1-11d2-883f-0016d3cca427"],
    )
    document_id: str = Field(
        description="The id of the offer document amended, as it was registered",
        examples=["offer-to-exchange"],
    )
    operations: tuple[TextOperation, ...] = Field(
        min_length=1,
        description="The amendment's text operations in the filing's order, each naming the "
        "section and paragraph it changes by id (docs/amendments.md)",
    )


NoticeKind = Literal["amendment_notice", "reminder", "results_letter", "other"]
_FULL_LIST = (
    "the full list (JSON); the ledger stores it as a source document and the event signs its "
    "commitment (docs/disclosure.md)"
)


_DERIVED = "derived from the list; given, it must equal that"


def _check_kind(committed: CommittedList | None, kind: str, field: str) -> None:
    if committed is not None and committed.kind != kind:
        raise ValueError(f"{field} must commit to a {kind!r} list, not {committed.kind!r}")


class NoticeDispatched(LedgerEvent):
    """A notice sent to employees (amendment notice, reminder, results letter).

    ``recipients`` commits to the list of employees it was sent to (``notice-recipients``);
    None when it went to a class of people with no list on record (``recipient_class``).
    ``content_sha256`` is the SHA-256 of the notice's text as sent, a source document stored
    with the event (or before it): for a notice filed as an exhibit, the lines of the filing
    file the exhibit spans, byte for byte with their line endings.
    """

    TOPIC = "offerledger.NoticeDispatched.v2"
    notice_id: str = Field(
        description="Your id for this notice, unique in the offer",
        examples=["amendment-1-notice"],
    )
    notice_kind: NoticeKind = Field(
        description="What the notice is: amendment_notice, reminder, results_letter or other",
        examples=["amendment_notice"],
    )
    exhibit: str | None = Field(
        default=None,
        json_schema_extra=NOT_IN_TEMPLATE,
        description="The exhibit id it was filed as, when it was filed",
        examples=["(a)(8)"],
    )
    channel: Channel = Field(
        description="How it was sent: email, mail, hand_delivery, fax, web or paper",
        examples=["email"],
    )
    recipient_class: str = Field(
        description="Who it went to, in words",
        examples=["all eligible option holders"],
    )
    recipients: CommittedList | None = Field(
        default=None,
        description="The employees it was sent to: " + _FULL_LIST + ", one employee_id per "
        "entry; leave out when it went to a class with no list on record",
        examples=[[{"employee_id": "E0001"}, {"employee_id": "E0002"}]],
    )
    content_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 (64 hex digits) of the notice's text as sent; filled in from "
        "--document FILE (the text, stored with the event)",
        examples=["3f0c6a1d9e2b4c5a8f7e6d5c4b3a29180716253443526170819a0b1c2d3e4f50"],
    )
    synthetic_recipients: bool = Field(
        default=False,
        description="true when the recipient list is generated (SYNTHETIC), not the real one",
        examples=[False],
    )

    @model_validator(mode="after")
    def _recipient_list(self) -> NoticeDispatched:
        _check_kind(self.recipients, "notice-recipients", "recipients")
        return self


class NoticeDispatchedV1(LedgerEvent):
    """Version 1 of :class:`NoticeDispatched`, the recipients listed in the event (read only)."""

    TOPIC = "offerledger.NoticeDispatched.v1"
    notice_id: str
    notice_kind: NoticeKind
    exhibit: str | None = None
    channel: Channel
    recipient_class: str
    recipients: tuple[str, ...] = ()
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    synthetic_recipients: bool = False


_CONDITION_ID = Field(
    description="The condition as the offer's conditions section labels it (Section 7's "
    "clause (a) is 7(a))",
    examples=["7(a)"],
)
_CONDITION_KIND = Field(
    description="governmental_approval (a regulatory approval, which may be asserted after "
    "the expiration) or other",
    examples=["other"],
)


class ConditionAsserted(LedgerEvent):
    """The issuer invokes one of the offer's conditions (the offer may then be terminated)."""

    TOPIC = "offerledger.ConditionAsserted.v1"
    condition_id: str = _CONDITION_ID
    condition_kind: Literal["governmental_approval", "other"] = _CONDITION_KIND
    reason: str = Field(
        description="Why the condition is asserted: the event or circumstance the issuer "
        "relies on, in words",
        examples=["a suit challenging the offer was filed in Delaware Chancery Court"],
    )


class ConditionWaived(LedgerEvent):
    """One condition waived; a waiver never waives another condition."""

    TOPIC = "offerledger.ConditionWaived.v1"
    condition_id: str = _CONDITION_ID
    condition_kind: Literal["governmental_approval", "other"] = _CONDITION_KIND


class ExpirationExtended(LedgerEvent):
    """The issuer extends the offer to a later expiration (before the current one passes)."""

    TOPIC = "offerledger.ExpirationExtended.v1"
    new_expiration: AwareDatetime = Field(
        description="The new expiration: an ISO 8601 date-time with its UTC offset, after the "
        "one in force",
        examples=["2001-11-07T00:00:00-05:00"],
    )


class OfferExpired(LedgerEvent):
    """The offer expires at its expiration in force; elections are closed from then on."""

    TOPIC = "offerledger.OfferExpired.v1"


class OfferTerminated(LedgerEvent):
    """The issuer terminates the offer before accepting any options; nothing is exchanged."""

    TOPIC = "offerledger.OfferTerminated.v1"
    reason: str = Field(
        description="Why the offer was terminated, as announced",
        examples=["a condition of Section 7(a) was not satisfied"],
    )


class TermsChanged(LedgerEvent):
    """A change in the consideration offered, the percentage sought or the dealer's fee.

    An increase or decrease of the consideration offered, the percentage of the class sought or
    the dealer's soliciting fee, effective when notice of it is first published, sent or given
    to holders: Rules 13e-4(f)(1)(ii) and 14e-1(b) count ten business days from then.
    """

    TOPIC = "offerledger.TermsChanged.v1"
    change: Literal["consideration", "percentage_sought", "dealer_soliciting_fee"] = Field(
        description="Which term changed: consideration, percentage_sought or dealer_soliciting_fee",
        examples=["consideration"],
    )
    description: str = Field(
        min_length=1,
        description="The change as the amendment states it",
        examples=["one new option for every option tendered, instead of one for every two"],
    )


class TenderedOptionsAccepted(LedgerEvent):
    """After the offer expires, the issuer accepts the tendered options and cancels them.

    ``grants`` commits to the grants accepted (``accepted-grants``: employee, grant, options,
    plan); the offer's own figures are in the event: distinct ``employees``, total ``options``,
    and ``by_plan`` (sorted by plan).
    """

    TOPIC = "offerledger.TenderedOptionsAccepted.v2"
    grants: CommittedList = Field(
        description="The grants accepted and cancelled: " + _FULL_LIST + "; each entry "
        "employee_id, grant_id, options, plan",
        examples=[
            [{"employee_id": "E0001", "grant_id": "G-0001", "options": 1000, "plan": "1998 Plan"}]
        ],
    )
    employees: int = Field(
        ge=0,
        description="How many employees had grants accepted; " + _DERIVED,
        json_schema_extra=NOT_IN_TEMPLATE,
        examples=[1],
    )
    options: int = Field(
        ge=0,
        description="How many options were accepted in all; " + _DERIVED,
        json_schema_extra=NOT_IN_TEMPLATE,
        examples=[1000],
    )
    by_plan: tuple[PlanTotals, ...] = Field(
        description="Employees, grants and options accepted per plan; " + _DERIVED,
        json_schema_extra=NOT_IN_TEMPLATE,
        examples=[[{"plan": "1998 Plan", "employees": 1, "grants": 1, "options": 1000}]],
    )
    cancelled_on: date = Field(
        description="The day the accepted options were cancelled, YYYY-MM-DD",
        examples=["2001-11-08"],
    )
    synthetic: bool = Field(
        default=False,
        description="true when the accepted grants are generated (SYNTHETIC), not real",
        examples=[False],
    )

    @model_validator(mode="after")
    def _totals_agree(self) -> TenderedOptionsAccepted:
        _check_kind(self.grants, "accepted-grants", "grants")
        plans = [p.plan for p in self.by_plan]
        if plans != sorted(set(plans)):
            raise ValueError("by_plan must name each plan once, in order")
        if sum(p.grants for p in self.by_plan) != self.grants.count:
            raise ValueError("by_plan's grants must add up to the list's count")
        if sum(p.options for p in self.by_plan) != self.options:
            raise ValueError("by_plan's options must add up to options")
        most = max((p.employees for p in self.by_plan), default=0)
        if not most <= self.employees <= sum(p.employees for p in self.by_plan):
            raise ValueError("employees does not fit the employees of each plan")
        return self


class TenderedOptionsAcceptedV1(LedgerEvent):
    """Version 1 of :class:`TenderedOptionsAccepted`, the grants listed in the event (read
    only)."""

    TOPIC = "offerledger.TenderedOptionsAccepted.v1"
    grants: tuple[AcceptedGrant, ...]
    cancelled_on: date
    synthetic: bool = False


class NewOptionsGranted(LedgerEvent):
    """The new options granted under the offer's terms for the options accepted and cancelled.

    ``grants`` commits to the new grants (``new-grants``: employee, grant, options, grants
    replaced); the offer's own figures are in the event: distinct ``employees`` and total
    ``options``.
    """

    TOPIC = "offerledger.NewOptionsGranted.v2"
    grants: CommittedList = Field(
        description="The new grants: " + _FULL_LIST + "; each entry employee_id, grant_id "
        "(the new grant's), options, replaces (the accepted grant ids it replaces)",
        examples=[
            [
                {
                    "employee_id": "E0001",
                    "grant_id": "N-0001",
                    "options": 1000,
                    "replaces": ["G-0001"],
                }
            ]
        ],
    )
    employees: int = Field(
        ge=1,
        description="How many employees received new options; " + _DERIVED,
        json_schema_extra=NOT_IN_TEMPLATE,
        examples=[1],
    )
    options: int = Field(
        ge=1,
        description="How many new options were granted in all; " + _DERIVED,
        json_schema_extra=NOT_IN_TEMPLATE,
        examples=[1000],
    )
    grant_date: date = Field(
        description="The new options' grant date, YYYY-MM-DD (no earlier than the acceptance)",
        examples=["2002-05-09"],
    )
    exercise_price: Decimal | None = Field(
        default=None,
        description="The new options' exercise price per share in dollars, a decimal string",
        examples=["4.25"],
    )
    plan: str = Field(
        description="The option plan the new options are granted under, named as the "
        "eligible grants name it",
        examples=["1998 Plan"],
    )
    synthetic: bool = Field(
        default=False,
        description="true when the new grants are generated (SYNTHETIC), not real",
        examples=[False],
    )

    @model_validator(mode="after")
    def _totals_agree(self) -> NewOptionsGranted:
        _check_kind(self.grants, "new-grants", "grants")
        if self.grants.count < 1:
            raise ValueError("grants must list at least one new grant")
        if not 1 <= self.employees <= self.grants.count:
            raise ValueError("employees does not fit the list's count")
        return self


class NewOptionsGrantedV1(LedgerEvent):
    """Version 1 of :class:`NewOptionsGranted`, the grants listed in the event (read only)."""

    TOPIC = "offerledger.NewOptionsGranted.v1"
    grants: tuple[NewGrant, ...] = Field(min_length=1)
    grant_date: date
    exercise_price: Decimal | None = None
    plan: str
    synthetic: bool = False


# --- one employee's stream ----------------------------------------------------------------------


_CSV_SOURCE = (
    "SHA-256 (64 hex digits) of the CSV file as ingested (exact bytes; a stored source "
    "document, or --document FILE); none when recorded by hand"
)
_SHA_EXAMPLE = ["3f0c6a1d9e2b4c5a8f7e6d5c4b3a29180716253443526170819a0b1c2d3e4f50"]
_EMPLOYEE_ID = Field(
    min_length=1,
    description="The employee's id in the issuer's records (the roster's employee_id)",
    examples=["E0001"],
)
_SYNTHETIC = Field(
    default=False,
    description="true when the data are generated (SYNTHETIC), not a real employee's",
    examples=[False],
)


class EligibleGrantsRegistered(LedgerEvent):
    """One employee's eligible grants, as the issuer registers them for the offer.

    ``source_sha256`` names the roster CSV they were ingested from (a stored source document).
    """

    TOPIC = "offerledger.EligibleGrantsRegistered.v1"
    offer_id: uuid.UUID
    employee_id: OneLine = _EMPLOYEE_ID
    employee_name: OneLine = Field(
        description="The employee's name as the roster gives it", examples=["Ann Example"]
    )
    email: bool = Field(
        default=True,
        description="Whether the employee has a work e-mail address (false: notices go on paper)",
        examples=[True],
    )
    grants: tuple[Grant, ...] = Field(
        min_length=1,
        description="The employee's option grants eligible for the offer",
    )
    synthetic: bool = _SYNTHETIC
    source_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description=_CSV_SOURCE, examples=_SHA_EXAMPLE
    )


class _ElectionAct(LedgerEvent):
    """An election form; ``source_sha256`` names the elections CSV it came from, if any.

    ``late_recorded_reason`` is set on a form recorded after the offer's end was on record
    though it claims receipt before the deadline (a late-recorded receipt, reported as a
    finding); left out of the stored body when absent, so forms without it store as before.
    """

    offer_id: uuid.UUID
    employee_id: OneLine = _EMPLOYEE_ID
    form_id: OneLine = Field(
        min_length=1,
        description="The form's id, unique for the employee (the clerk's log number)",
        examples=["F-0001"],
    )
    received_at: AwareDatetime = Field(
        description="When the issuer received the form: an ISO 8601 date-time with its UTC "
        "offset (also the event's effective time when --effective is left out)",
        examples=["2001-10-10T09:30:00-04:00"],
    )
    channel: Channel = Field(
        description="How the form arrived: email, mail, hand_delivery, fax, web or paper",
        examples=["paper"],
    )
    acted_by: OneLine = Field(
        description="Who submitted the form: the employee's id, or the name of whoever acted "
        "for them",
        examples=["E0001"],
    )
    synthetic: bool = _SYNTHETIC
    source_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description=_CSV_SOURCE, examples=_SHA_EXAMPLE
    )
    late_recorded_reason: str | None = Field(
        default=None,
        json_schema_extra=NOT_IN_TEMPLATE,
        min_length=1,
        exclude_if=lambda v: v is None,
        description="Why a form received before the deadline is recorded only after the "
        "offer's expiration was on record (required then; reported as a finding)",
        examples=["the paper form was found in the mail room after the expiration"],
    )


_CHOICES = Field(
    min_length=1,
    description="The form's choice for each grant it names: exchange or keep",
)


class ElectionSubmitted(_ElectionAct):
    """An employee's election form tenders grants for exchange (or keeps them)."""

    TOPIC = "offerledger.ElectionSubmitted.v1"
    choices: tuple[GrantChoice, ...] = _CHOICES


class ElectionChanged(_ElectionAct):
    """A later form changes the employee's election; it replaces the choices before it."""

    TOPIC = "offerledger.ElectionChanged.v1"
    choices: tuple[GrantChoice, ...] = _CHOICES


class ElectionWithdrawn(_ElectionAct):
    """Tendered grants withdrawn; an empty ``grant_ids`` withdraws every tendered grant."""

    TOPIC = "offerledger.ElectionWithdrawn.v1"
    grant_ids: tuple[str, ...] = Field(
        default=(),
        description="The tendered grants withdrawn; an empty list withdraws every tendered grant",
        examples=[["G-0001"]],
    )


class ElectionRefused(_ElectionAct):
    """A form received and refused (late, or before commencement): the refusal on record."""

    TOPIC = "offerledger.ElectionRefused.v1"
    attempted: Literal["submit", "change", "withdraw"] = Field(
        description="What the refused form tried to do: submit, change or withdraw",
        examples=["submit"],
    )
    choices: tuple[GrantChoice, ...] = Field(
        default=(),
        description="The choices the refused form made, if it made any",
    )
    rule: str = Field(
        description="The rule that refuses it (election-window: outside the offer's window)",
        examples=["election-window"],
    )
    reason: str = Field(
        description="Why it was refused, in words",
        examples=["received after the offer expired"],
    )


class ElectionReceiptConfirmed(LedgerEvent):
    """The issuer confirms to the employee that their election form was received."""

    TOPIC = "offerledger.ElectionReceiptConfirmed.v1"
    offer_id: uuid.UUID
    employee_id: OneLine = Field(
        description="The employee's id in the issuer's records (the roster's employee_id)",
        examples=["E0001"],
    )
    form_id: OneLine = Field(
        description="The id of the election form whose receipt is confirmed, as recorded with it",
        examples=["F-0001"],
    )
    channel: Channel = Field(
        description="How the confirmation was sent: email, mail, hand_delivery, fax, web or paper",
        examples=["email"],
    )
    sent_at: AwareDatetime = Field(
        description="When the confirmation was sent: an ISO 8601 date-time with its UTC offset",
        examples=["2001-10-10T14:00:00-04:00"],
    )


# --- corrections --------------------------------------------------------------------------------


class CorrectionRecorded(LedgerEvent):
    """A correction supersedes an earlier event of the same stream; the original stays on
    record."""

    TOPIC = "offerledger.CorrectionRecorded.v1"
    supersedes_version: int = Field(
        ge=1,
        description="The version of the corrected event in its stream (offerledger log --json "
        "shows stream and version)",
        examples=[5],
    )
    supersedes_topic: str = Field(
        description="The corrected event's topic, offerledger.<Event>.v<N>",
        examples=["offerledger.ConditionAsserted.v1"],
    )
    reason: str = Field(
        description="Why the earlier event is corrected", examples=["the reason was misstated"]
    )
    corrected: dict[str, str] = Field(
        default_factory=dict,
        description="The corrected fields with their right values (the rest stay as recorded)",
        examples=[{"reason": "a suit challenging the offer was filed in federal court"}],
    )


def corrected_value(name: str, text: str) -> object:
    """How the stored text of a correction's field ``name`` reads: the one decoder of the write
    side's check and of every reader. ``effective`` (as old corrections may hold it) is a date
    when the text is an ISO date, else an instant; a text that starts with ``[`` or ``{`` and
    parses as JSON is that JSON; any other text is itself. The value is for the superseded
    event's model to validate (``model_validate`` of the merged fields)."""
    if name == "effective":
        try:
            return {"kind": "date", "on": date.fromisoformat(text).isoformat()}
        except ValueError:
            return {"kind": "instant", "at": text}
    if text[:1] in ("[", "{"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


# --- who may record what: plain data, read by domain/ and integrity/ -----------------------------

_OFFICER = frozenset(
    {
        "OfferCommenced",
        "FilingRecorded",
        "OfferDocumentRegistered",
        "DocumentAmended",
        "ConditionAsserted",
        "ConditionWaived",
        "ExpirationExtended",
        "OfferExpired",
        "OfferTerminated",
        "TermsChanged",
        "CrossCheckRecorded",
        "TenderedOptionsAccepted",
        "NewOptionsGranted",
        "EligibleGrantsRegistered",
        "ElectionRefused",
        "CorrectionRecorded",
    }
)
_ELECTION = frozenset({"ElectionSubmitted", "ElectionChanged", "ElectionWithdrawn"})

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "root": frozenset({"KeyRegistered", "KeyRevoked", "RootKeyRotated"}),
    "issuer_officer": _OFFICER,
    "filing_agent": frozenset({"FilingRecorded", "CrossCheckRecorded", "CorrectionRecorded"}),
    "communications": frozenset(
        {"NoticeDispatched", "ElectionReceiptConfirmed", "ElectionRefused", "CorrectionRecorded"}
    ),
    "employee": _ELECTION | {"CorrectionRecorded"},
    "clerk": _ELECTION | {"ElectionRefused", "CorrectionRecorded"},
}


def role_may_record(*, role: str, action: str) -> bool:
    """Whether a key in ``role`` may sign ``action`` (the class name without version)."""
    return action in ROLE_ACTIONS.get(role, frozenset())


def key_valid_at(
    *,
    recorded: datetime,
    valid_from: datetime,
    valid_until: datetime | None,
    revoked: bool,
    compromised_since: datetime | None,
) -> str | None:
    """Why a key may not sign an event recorded at ``recorded`` (None: it may).

    Log order decides registration and revocation (the caller passes ``revoked`` when a
    revocation precedes the event in the log); the recorded time must also fall inside the
    key's validity and before any "compromised since" time.
    """
    if revoked:
        return "revoked-key"
    if compromised_since is not None and recorded >= compromised_since:
        return "revoked-key"
    if recorded < valid_from or (valid_until is not None and recorded >= valid_until):
        return "recorded-outside-key-validity"
    return None


class RootKeyRotated(LedgerEvent):
    """The root key hands the ledger over to a new root key, which countersigns.

    The envelope is signed by the root key in force (the old root); ``new_root_signature`` is
    the new key's Ed25519 signature (hex) of :func:`offerledger.signing.keys.rotation_message`:
    ``b"offerledger/root-rotation/v1\\n"`` followed by the raw bytes of this event's ``prev``,
    the old root's key id and the new root's key id, so its holder accepts this ledger at this
    point. From the next position on the new key is a root key held by ``holder`` and the old
    one signs nothing more (docs/format.md, "Keys").
    """

    TOPIC = "offerledger.RootKeyRotated.v1"
    new_root_key_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    holder: OneLine = Field(min_length=1)
    valid_from: AwareDatetime
    new_root_signature: str = Field(pattern=r"^[0-9a-f]{128}$")

    def key_id_matches(self) -> bool:
        """The new root's key id is the SHA-256 of its public key."""
        return hashlib.sha256(bytes.fromhex(self.public_key)).hexdigest() == self.new_root_key_id
