"""Value types carried inside event payloads: times, the offer document and its text operations.

Re-exported by :mod:`offerledger.events`, the one contract between the write side and the read
side; import them from there.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
)

EASTERN = ZoneInfo("America/New_York")

NOT_IN_TEMPLATE: dict[str, Any] = {"template": False}
"""``json_schema_extra`` of an optional field ``record ACTION --template`` leaves out of its
example (derived, or true of some filings only); see :mod:`offerledger.templates`."""


class Value(BaseModel):
    """Base of every immutable value in a payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- time -------------------------------------------------------------------------------------


class Instant(Value):
    """An effective time known to the second (stored with its UTC offset)."""

    kind: Literal["instant"] = "instant"
    at: AwareDatetime

    def earliest(self) -> datetime:
        return self.at

    def latest(self) -> datetime:
        return self.at


class OnDate(Value):
    """An effective date: 00:00 America/New_York on that day."""

    kind: Literal["date"] = "date"
    on: date

    def earliest(self) -> datetime:
        return datetime.combine(self.on, time(0, 0), tzinfo=EASTERN)

    def latest(self) -> datetime:
        return self.earliest()


class TimeNotOnFile(Value):
    """An effective time the filings on hand do not give, with the bounds the record implies.

    Amendment No. 1 was filed after the Schedule TO-I of 2001-08-27 and before Amendment No. 2
    of 2001-09-13: ``after`` and ``before`` hold those bounds (either may be unknown).
    """

    kind: Literal["not_on_file"] = "not_on_file"
    after: AwareDatetime | None = None
    before: AwareDatetime | None = None
    note: str = ""

    def earliest(self) -> datetime:
        return self.after if self.after is not None else datetime.min.replace(tzinfo=EASTERN)

    def latest(self) -> datetime:
        return self.before if self.before is not None else datetime.max.replace(tzinfo=EASTERN)


EffectiveTime = Annotated[Instant | OnDate | TimeNotOnFile, Field(discriminator="kind")]


def end_of_day_eastern(day: date) -> datetime:
    """``--as-of DATE``: the last instant of that day in US Eastern time (exclusive bound)."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=EASTERN)


def deadline_exclusive(stated: datetime) -> datetime:
    """A deadline stated to the minute ("11:59 p.m.") admits the whole minute."""
    return stated.replace(second=0, microsecond=0) + timedelta(minutes=1)


# --- the offer document -------------------------------------------------------------------------


class NotOnFile(Value):
    """Text the filings on hand do not give: shown as such, never invented."""

    kind: Literal["not_on_file"] = "not_on_file"
    note: str = Field(
        description="What is not on file and why",
        examples=["the rest of this paragraph: the filings on hand do not give it"],
    )


Sentence = Annotated[str | NotOnFile, Field(union_mode="left_to_right")]


class Paragraph(Value):
    """A paragraph with a stable id; its sentences may be partly not on file."""

    kind: Literal["paragraph"] = "paragraph"
    id: str = Field(
        min_length=1,
        description="The paragraph's stable id: <section id>-p<k>, k counting the section's "
        "blocks from 1",
        examples=["s7-p1"],
    )
    style: Literal["body", "bullet", "heading"] = Field(
        default="body", description="body, bullet or heading", examples=["body"]
    )
    sentences: tuple[Sentence, ...] = Field(
        min_length=1,
        description='The paragraph\'s sentences, each a string or {"kind": "not_on_file", '
        '"note": ...}',
        examples=[
            [
                "Notwithstanding any other provision of the offer, we will not be required to "
                "accept any options tendered for exchange if any of the following events has "
                "occurred.",
            ]
        ],
    )
    page: int | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="The printed page the paragraph starts on, when the file numbers its "
        "pages; left out of the stored body when absent, so paragraphs without it store as "
        "before",
        examples=[21],
        json_schema_extra=NOT_IN_TEMPLATE,
    )


class Gap(Value):
    """A run of paragraphs (count unknown) the filings on hand do not give, at its position."""

    kind: Literal["gap"] = "gap"
    id: str = Field(min_length=1, description="The gap's stable id", examples=["s7-gap-1"])
    note: str = Field(
        description="What the filings on hand do not give",
        examples=["the paragraphs after clause (c): not in the filings on hand"],
    )


Block = Annotated[Paragraph | Gap, Field(discriminator="kind")]


class Section(Value):
    """A numbered section of the offer document ("Section 7. Conditions of the Offer")."""

    kind: Literal["section"] = "section"
    id: str = Field(
        min_length=1,
        description="The section's stable id: s<number> for a numbered section, the heading's "
        "slug for an unnumbered part (summary-term-sheet)",
        examples=["s7"],
    )
    number: str = Field(
        description='The section\'s number as printed; "" for an unnumbered part',
        examples=["7"],
    )
    title: str = Field(
        description="The section's heading as written", examples=["Conditions of the Offer"]
    )
    page: int | None = Field(
        default=None, description="The printed page the heading stands on", examples=[21]
    )
    blocks: tuple[Block, ...] = Field(
        description="The section's paragraphs (and gaps) in order",
    )


class SectionGap(Value):
    """Sections the filings on hand do not give (their number and text not on file)."""

    kind: Literal["section_gap"] = "section_gap"
    id: str = Field(min_length=1, description="The gap's stable id", examples=["s9-not-on-file"])
    note: str = Field(
        description="Which sections are missing and why",
        examples=["Section 9 (Information Concerning Halvorsen): not in the filings on hand"],
    )


Part = Annotated[Section | SectionGap, Field(discriminator="kind")]


class Document(Value):
    """An offer document (Offer to Exchange, election form) as sections → paragraphs → sentences."""

    id: str = Field(
        min_length=1,
        description="The document's id (its title's slug); amendments name it",
        examples=["offer-to-exchange"],
    )
    title: str = Field(description="The document's title", examples=["Offer to Exchange"])
    exhibit: str | None = Field(
        default=None, description="The exhibit it was filed as", examples=["(a)(1)"]
    )
    dated: date | None = Field(
        default=None, description="The date it bears, YYYY-MM-DD", examples=["2001-10-01"]
    )
    parts: tuple[Part, ...] = Field(
        description="The document's sections (and section gaps) in order",
    )


# --- text operations, version 1 ---------------------------------------------------------------


class Op(Value):
    """Common fields: the locator as the filing wrote it, and the instruction's letter or number."""

    locator: str = Field(
        description="Where the filing says the change goes, in its words",
        examples=["the first paragraph of Section 7"],
    )
    label: str | None = Field(
        default=None, description="The instruction's letter or number in the filing", examples=["A"]
    )


_SECTION_ID = Field(description="The id of the section changed", examples=["s7"])
_PARAGRAPH_ID = Field(description="The id of the paragraph changed", examples=["s7-p1"])


class ReplaceParagraph(Op):
    """A paragraph replaced by new text (the new paragraph keeps the old one's id)."""

    op: Literal["replace_paragraph"] = "replace_paragraph"
    section_id: str = _SECTION_ID
    paragraph_id: str = _PARAGRAPH_ID
    new: Paragraph = Field(description="The paragraph as amended")


class InsertParagraphAfter(Op):
    op: Literal["insert_paragraph_after"] = "insert_paragraph_after"
    section_id: str
    after_id: str
    new: Paragraph


class DeleteParagraph(Op):
    op: Literal["delete_paragraph"] = "delete_paragraph"
    section_id: str
    paragraph_id: str


class ReplaceSentence(Op):
    op: Literal["replace_sentence"] = "replace_sentence"
    section_id: str
    paragraph_id: str
    index: int = Field(ge=0)
    text: str


class InsertSentence(Op):
    """Insert before ``index``; ``index`` equal to the sentence count appends at the end."""

    op: Literal["insert_sentence"] = "insert_sentence"
    section_id: str
    paragraph_id: str
    index: int = Field(ge=0)
    text: str


class DeleteSentence(Op):
    op: Literal["delete_sentence"] = "delete_sentence"
    section_id: str
    paragraph_id: str
    index: int = Field(ge=0)


class ReplaceSection(Op):
    """The section "amended in its entirety": every block replaced."""

    op: Literal["replace_section"] = "replace_section"
    section_id: str
    new: Section


class AddSection(Op):
    """A new section after ``after_id`` (a section or section gap id), or first when None."""

    op: Literal["add_section"] = "add_section"
    after_id: str | None
    new: Section


class AmendScheduleItem(Op):
    """An item of Schedule TO itself ("Item 4(a) ... is amended and supplemented")."""

    op: Literal["amend_schedule_item"] = "amend_schedule_item"
    item: str
    mode: Literal["supplement", "restate"]
    text: tuple[str, ...]


class IncorporateExhibit(Op):
    """An exhibit filed with the amendment and incorporated by reference."""

    op: Literal["incorporate_exhibit"] = "incorporate_exhibit"
    exhibit: str
    title: str


class UnresolvedInstruction(Op):
    """An instruction no parser turned into an operation: kept raw, shown as such."""

    op: Literal["unresolved"] = "unresolved"
    text: str
    first_line: int
    last_line: int
    reason: str


TextOperation = Annotated[
    ReplaceParagraph
    | InsertParagraphAfter
    | DeleteParagraph
    | ReplaceSentence
    | InsertSentence
    | DeleteSentence
    | ReplaceSection
    | AddSection
    | AmendScheduleItem
    | IncorporateExhibit
    | UnresolvedInstruction,
    Field(discriminator="op"),
]


# --- filings, grants, elections ----------------------------------------------------------------


class Exhibit(Value):
    """An exhibit of a filing: id as filed ("(a)(11)"), title, text hash (None: not on file).

    ``sha256`` is the SHA-256 of the exhibit's *normalized text*, UTF-8 encoded: the text from
    its "Exhibit (a)(11)" heading line (or its own document's first line) to its end, normalized
    as all stored text is (:func:`offerledger.textops.normalize_text`: Unicode NFC, EDGAR
    ``<PAGE>`` markers and page-number lines removed, whitespace runs folded to one space), HTML
    read as text first. It is not the hash of any bytes in the file; the file itself is the
    filing's ``source_sha256``, and a notice's text as sent is ``NoticeDispatched.content_sha256``.
    """

    exhibit_id: str = Field(description="The exhibit's id as filed", examples=["(a)(1)"])
    title: str = Field(
        description="The exhibit's title as the exhibit index gives it",
        examples=["Offer to Exchange, dated October 1, 2001"],
    )
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the exhibit's normalized text; none when its text is not on file",
        json_schema_extra=NOT_IN_TEMPLATE,
    )


class Signer(Value):
    """Who signed a filing in the world (not the ledger key that recorded it)."""

    name: str = Field(description="The signer's name as signed", examples=["Karin M. Halvorsen"])
    title: str = Field(
        description="The signer's title as signed", examples=["Chief Financial Officer"]
    )
    signed_on: date | None = Field(
        default=None,
        description="The date beside the signature, YYYY-MM-DD",
        examples=["2001-10-01"],
    )


# Line breaks, other control characters, and the bidirectional overrides and isolates that
# reorder what a reader sees (U+202A-U+202E, U+2066-U+2069).
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(text: str) -> str:
    """A name or id is one line of plain text: every report prints it as given, so a line
    break in an employee's name forged a line of ``elections`` ("verified: ...") and a
    terminal escape can hide lines on screen."""
    if text.isprintable():
        return text
    found = _NOT_ONE_LINE.search(text)
    if found is not None:
        raise ValueError(
            f"contains a control character ({found.group()!r} at character {found.start() + 1}): "
            "a name or id is one line of plain text"
        )
    return text


# What a spreadsheet opening a CSV reads as the start of a formula (OWASP, CSV injection); tab
# and carriage return, the list's others, are control characters one_line refuses already.
FORMULA_STARTS = ("=", "+", "-", "@")

ENTERING = "entering"
"""Validation context key: ``{ENTERING: True}`` when a model is validated from input the ledger
is about to record (record --file, a list document), so a name or id that begins like a
formula is refused there; events already stored decode as they were recorded."""


def not_a_formula(text: str) -> str:
    """A name or id entered may not begin like a spreadsheet formula (=, +, - or @): the CSVs
    the ledger writes carry it, and ``=HYPERLINK(...)`` in a roster name ran in whoever opened
    ``elections.csv``."""
    if text.startswith(FORMULA_STARTS):
        raise ValueError(
            f"begins with {text[0]!r}, which a spreadsheet reads as a formula: a name or id "
            "cannot begin with =, +, - or @"
        )
    return text


def _when_entering(text: str, info: ValidationInfo) -> str:
    if isinstance(info.context, dict) and info.context.get(ENTERING):
        return not_a_formula(text)
    return text


OneLine = Annotated[str, AfterValidator(one_line), AfterValidator(_when_entering)]
"""A name or id printed as given by every report: no line break or control character; when
entered (:data:`ENTERING`), not beginning like a formula either."""


def name_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` that hold a name or id (:data:`OneLine`)."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if any(getattr(m, "func", None) is _when_entering for m in info.metadata)
    )


EnteredName = Annotated[str, AfterValidator(one_line), AfterValidator(not_a_formula)]
"""A name or id read from an input file (a roster or elections CSV): :data:`OneLine`, and never
beginning like a formula."""


class Grant(Value):
    """An eligible option grant."""

    grant_id: OneLine = Field(
        min_length=1, description="The grant's id in the issuer's records", examples=["G-0001"]
    )
    plan: OneLine = Field(
        min_length=1, description="The plan it was granted under", examples=["1998 Plan"]
    )
    grant_date: date = Field(description="The grant date, YYYY-MM-DD", examples=["2000-03-15"])
    exercise_price: Decimal = Field(
        ge=0,
        description="Exercise price per share in dollars, a decimal string",
        examples=["42.50"],
    )
    options_outstanding: int = Field(
        gt=0, description="Options of the grant outstanding", examples=[1000]
    )


Choice = Literal["exchange", "keep"]


class GrantChoice(Value):
    """The choice an election form makes for one grant."""

    grant_id: OneLine = Field(min_length=1, description="The grant's id", examples=["G-0001"])
    choice: Choice = Field(description="exchange (tender the grant) or keep", examples=["exchange"])


class AcceptedGrant(Value):
    """One grant accepted and cancelled: an entry of the ``accepted-grants`` list."""

    employee_id: OneLine = Field(
        min_length=1, description="The employee's id in the roster", examples=["E0001"]
    )
    grant_id: OneLine = Field(
        min_length=1, description="The tendered grant's id", examples=["G-0001"]
    )
    options: int = Field(
        gt=0, description="How many of its options were accepted and cancelled", examples=[1000]
    )
    plan: OneLine = Field(
        min_length=1, description="The plan the grant was made under", examples=["1998 Plan"]
    )


class NewGrant(Value):
    """One new option grant: an entry of the ``new-grants`` list."""

    employee_id: OneLine = Field(
        min_length=1, description="The employee's id in the roster", examples=["E0001"]
    )
    grant_id: OneLine = Field(min_length=1, description="The new grant's id", examples=["N-0001"])
    options: int = Field(gt=0, description="How many new options it grants", examples=[1000])
    replaces: tuple[str, ...] = Field(
        default=(),
        description="The ids of the accepted grants it replaces",
        examples=[["G-0001"]],
    )


class NoticeRecipient(Value):
    """One employee a notice was sent to: an entry of the ``notice-recipients`` list."""

    employee_id: OneLine = Field(
        min_length=1, description="The employee's id in the roster", examples=["E0001"]
    )


# --- lists that name many employees: committed to, never carried in the event ---------------

ListKind = Literal["notice-recipients", "accepted-grants", "new-grants"]

LIST_ENTRIES: dict[str, type[Value]] = {
    "notice-recipients": NoticeRecipient,
    "accepted-grants": AcceptedGrant,
    "new-grants": NewGrant,
}
"""The value each entry of a committed list of that kind holds (its fields, without the salt)."""


class CommittedList(Value):
    """A signed commitment to a list that names many employees (docs/disclosure.md).

    The event carries only this; the list itself (salted entries) is a source document stored
    beside the event, so one employee's entry can be proven by its Merkle audit path without
    disclosing the others. ``root`` is the RFC 9162 root over the entries' leaf hashes,
    ``count`` the number of entries, ``document_sha256`` the SHA-256 of the document's bytes.
    """

    kind: ListKind = Field(
        description="Which list: notice-recipients, accepted-grants or new-grants"
    )
    root: str = Field(pattern=r"^[0-9a-f]{64}$", description="The RFC 9162 Merkle root")
    count: int = Field(ge=0, description="The number of entries")
    document_sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the list document's bytes"
    )


class PlanTotals(Value):
    """The offer's own figures for one plan: employees, grants and options."""

    plan: OneLine = Field(min_length=1)
    employees: int = Field(ge=0)
    grants: int = Field(ge=0)
    options: int = Field(ge=0)


Channel = Literal["email", "mail", "hand_delivery", "fax", "web", "paper"]
