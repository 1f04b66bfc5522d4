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
    holder: str = Field(min_length=1)
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
    offer_name: str
    issuer: str
    cik: str
    file_number: str
    securities: str
    cusip: str | None = None
    expiration: AwareDatetime
    plans: tuple[str, ...] = ()

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
    offer_id: uuid.UUID
    form: Literal["SC TO-C", "SC TO-I", "SC TO-I/A"]
    amendment_number: int | None = Field(default=None, ge=1)
    filed_on: date | None = None
    final_amendment: bool = False
    check_boxes: dict[str, bool] = Field(default_factory=dict)
    signer: Signer | None = None
    exhibits: tuple[Exhibit, ...] = ()
    source_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    amends: str | None = None
    not_on_file: str | None = None
    accession_number: str | None = Field(
        default=None,
        pattern=r"^\d{10}-\d{2}-\d{6}$",
        exclude_if=lambda v: v is None,
        description="The EDGAR accession number, from the submission's SEC header "
        "(0000999999-01-000101); left out of the stored body when absent, so filings without "
        "it store as before",
    )


class OfferDocumentRegistered(LedgerEvent):
    """An offer document registered as sections, paragraphs and sentences."""

    TOPIC = "offerledger.OfferDocumentRegistered.v1"
    filing_id: uuid.UUID
    document: Document


class DocumentAmended(LedgerEvent):
    """A filing's text operations on an offer document, in the filing's order."""

    TOPIC = "offerledger.DocumentAmended.v1"
    filing_id: uuid.UUID
    document_id: str
    operations: tuple[TextOperation, ...] = Field(min_length=1)


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
    notice_id: str
    notice_kind: NoticeKind
    exhibit: str | None = None
    channel: Channel
    recipient_class: str
    recipients: CommittedList | None = Field(default=None, description=_FULL_LIST)
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    synthetic_recipients: bool = False

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


class ConditionAsserted(LedgerEvent):
    TOPIC = "offerledger.ConditionAsserted.v1"
    condition_id: str
    condition_kind: Literal["governmental_approval", "other"]
    reason: str


class ConditionWaived(LedgerEvent):
    """One condition waived; a waiver never waives another condition."""

    TOPIC = "offerledger.ConditionWaived.v1"
    condition_id: str
    condition_kind: Literal["governmental_approval", "other"]


class ExpirationExtended(LedgerEvent):
    TOPIC = "offerledger.ExpirationExtended.v1"
    new_expiration: AwareDatetime


class OfferExpired(LedgerEvent):
    TOPIC = "offerledger.OfferExpired.v1"


class OfferTerminated(LedgerEvent):
    TOPIC = "offerledger.OfferTerminated.v1"
    reason: str


class TermsChanged(LedgerEvent):
    """A change in the consideration offered, the percentage sought or the dealer's fee.

    An increase or decrease of the consideration offered, the percentage of the class sought or
    the dealer's soliciting fee, effective when notice of it is first published, sent or given
    to holders: Rules 13e-4(f)(1)(ii) and 14e-1(b) count ten business days from then.
    """

    TOPIC = "offerledger.TermsChanged.v1"
    change: Literal["consideration", "percentage_sought", "dealer_soliciting_fee"]
    description: str = Field(min_length=1)


class TenderedOptionsAccepted(LedgerEvent):
    """Tendered options accepted for exchange and cancelled.

    ``grants`` commits to the grants accepted (``accepted-grants``: employee, grant, options,
    plan); the offer's own figures are in the event: distinct ``employees``, total ``options``,
    and ``by_plan`` (sorted by plan).
    """

    TOPIC = "offerledger.TenderedOptionsAccepted.v2"
    grants: CommittedList = Field(description=_FULL_LIST)
    employees: int = Field(ge=0, description=_DERIVED)
    options: int = Field(ge=0, description=_DERIVED)
    by_plan: tuple[PlanTotals, ...] = Field(description=_DERIVED)
    cancelled_on: date
    synthetic: bool = False

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
    """New options granted under the offer's terms.

    ``grants`` commits to the new grants (``new-grants``: employee, grant, options, grants
    replaced); the offer's own figures are in the event: distinct ``employees`` and total
    ``options``.
    """

    TOPIC = "offerledger.NewOptionsGranted.v2"
    grants: CommittedList = Field(description=_FULL_LIST)
    employees: int = Field(ge=1, description=_DERIVED)
    options: int = Field(ge=1, description=_DERIVED)
    grant_date: date
    exercise_price: Decimal | None = None
    plan: str
    synthetic: bool = False

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
    "SHA-256 of the CSV file as ingested (exact bytes; a stored source document); none when "
    "recorded by hand"
)


class EligibleGrantsRegistered(LedgerEvent):
    """One employee's eligible grants, as the issuer registers them for the offer.

    ``source_sha256`` names the roster CSV they were ingested from (a stored source document).
    """

    TOPIC = "offerledger.EligibleGrantsRegistered.v1"
    offer_id: uuid.UUID
    employee_id: str = Field(min_length=1)
    employee_name: str
    email: bool = True
    grants: tuple[Grant, ...] = Field(min_length=1)
    synthetic: bool = False
    source_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description=_CSV_SOURCE
    )


class _ElectionAct(LedgerEvent):
    """An election form; ``source_sha256`` names the elections CSV it came from, if any.

    ``late_recorded_reason`` is set on a form recorded after the offer's end was on record
    though it claims receipt before the deadline (a late-recorded receipt, reported as a
    finding); left out of the stored body when absent, so forms without it store as before.
    """

    offer_id: uuid.UUID
    employee_id: str = Field(min_length=1)
    form_id: str = Field(min_length=1)
    received_at: AwareDatetime
    channel: Channel
    acted_by: str
    synthetic: bool = False
    source_sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description=_CSV_SOURCE
    )
    late_recorded_reason: str | None = Field(
        default=None,
        min_length=1,
        exclude_if=lambda v: v is None,
        description="Why a form received before the deadline is recorded only after the "
        "offer's expiration was on record (required then; reported as a finding)",
    )


class ElectionSubmitted(_ElectionAct):
    TOPIC = "offerledger.ElectionSubmitted.v1"
    choices: tuple[GrantChoice, ...] = Field(min_length=1)


class ElectionChanged(_ElectionAct):
    TOPIC = "offerledger.ElectionChanged.v1"
    choices: tuple[GrantChoice, ...] = Field(min_length=1)


class ElectionWithdrawn(_ElectionAct):
    """Tendered grants withdrawn; an empty ``grant_ids`` withdraws every tendered grant."""

    TOPIC = "offerledger.ElectionWithdrawn.v1"
    grant_ids: tuple[str, ...] = ()


class ElectionRefused(_ElectionAct):
    """A form received and refused (late, or before commencement): the refusal on record."""

    TOPIC = "offerledger.ElectionRefused.v1"
    attempted: Literal["submit", "change", "withdraw"]
    choices: tuple[GrantChoice, ...] = ()
    rule: str
    reason: str


class ElectionReceiptConfirmed(LedgerEvent):
    TOPIC = "offerledger.ElectionReceiptConfirmed.v1"
    offer_id: uuid.UUID
    employee_id: str
    form_id: str
    channel: Channel
    sent_at: AwareDatetime


# --- corrections --------------------------------------------------------------------------------


class CorrectionRecorded(LedgerEvent):
    """Supersedes an earlier event of the same stream; the original stays."""

    TOPIC = "offerledger.CorrectionRecorded.v1"
    supersedes_version: int = Field(ge=1)
    supersedes_topic: str
    reason: str
    corrected: dict[str, str] = Field(default_factory=dict)


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
    "filing_agent": frozenset({"FilingRecorded", "CorrectionRecorded"}),
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
    holder: str = Field(min_length=1)
    valid_from: AwareDatetime
    new_root_signature: str = Field(pattern=r"^[0-9a-f]{128}$")

    def key_id_matches(self) -> bool:
        """The new root's key id is the SHA-256 of its public key."""
        return hashlib.sha256(bytes.fromhex(self.public_key)).hexdigest() == self.new_root_key_id
