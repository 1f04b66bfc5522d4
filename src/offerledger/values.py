"""Value types carried inside event payloads: times, the offer document and its text operations.

Re-exported by :mod:`offerledger.events`, the one contract between the write side and the read
side; import them from there.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

EASTERN = ZoneInfo("America/New_York")


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
    note: str


Sentence = Annotated[str | NotOnFile, Field(union_mode="left_to_right")]


class Paragraph(Value):
    """A paragraph with a stable id; its sentences may be partly not on file."""

    kind: Literal["paragraph"] = "paragraph"
    id: str = Field(min_length=1)
    style: Literal["body", "bullet", "heading"] = "body"
    sentences: tuple[Sentence, ...] = Field(min_length=1)


class Gap(Value):
    """A run of paragraphs (count unknown) the filings on hand do not give, at its position."""

    kind: Literal["gap"] = "gap"
    id: str = Field(min_length=1)
    note: str


Block = Annotated[Paragraph | Gap, Field(discriminator="kind")]


class Section(Value):
    """A numbered section of the offer document ("Section 7. Conditions of the Offer")."""

    kind: Literal["section"] = "section"
    id: str = Field(min_length=1)
    number: str
    title: str
    page: int | None = None
    blocks: tuple[Block, ...]


class SectionGap(Value):
    """Sections the filings on hand do not give (their number and text not on file)."""

    kind: Literal["section_gap"] = "section_gap"
    id: str = Field(min_length=1)
    note: str


Part = Annotated[Section | SectionGap, Field(discriminator="kind")]


class Document(Value):
    """An offer document (Offer to Exchange, election form) as sections → paragraphs → sentences."""

    id: str = Field(min_length=1)
    title: str
    exhibit: str | None = None
    dated: date | None = None
    parts: tuple[Part, ...]


# --- text operations, version 1 ---------------------------------------------------------------


class Op(Value):
    """Common fields: the locator as the filing wrote it, and the instruction's letter or number."""

    locator: str
    label: str | None = None


class ReplaceParagraph(Op):
    op: Literal["replace_paragraph"] = "replace_paragraph"
    section_id: str
    paragraph_id: str
    new: Paragraph


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

    exhibit_id: str
    title: str
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class Signer(Value):
    """Who signed a filing in the world (not the ledger key that recorded it)."""

    name: str
    title: str
    signed_on: date | None = None


class Grant(Value):
    """An eligible option grant."""

    grant_id: str = Field(min_length=1)
    plan: str = Field(min_length=1)
    grant_date: date
    exercise_price: Decimal = Field(ge=0)
    options_outstanding: int = Field(gt=0)


Choice = Literal["exchange", "keep"]


class GrantChoice(Value):
    """The choice an election form makes for one grant."""

    grant_id: str = Field(min_length=1)
    choice: Choice


class AcceptedGrant(Value):
    """One grant accepted and cancelled: an entry of the ``accepted-grants`` list."""

    employee_id: str = Field(min_length=1)
    grant_id: str = Field(min_length=1)
    options: int = Field(gt=0)
    plan: str = Field(min_length=1)


class NewGrant(Value):
    """One new option grant: an entry of the ``new-grants`` list."""

    employee_id: str = Field(min_length=1)
    grant_id: str = Field(min_length=1)
    options: int = Field(gt=0)
    replaces: tuple[str, ...] = ()


class NoticeRecipient(Value):
    """One employee a notice was sent to: an entry of the ``notice-recipients`` list."""

    employee_id: str = Field(min_length=1)


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

    kind: ListKind
    root: str = Field(pattern=r"^[0-9a-f]{64}$")
    count: int = Field(ge=0)
    document_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class PlanTotals(Value):
    """The offer's own figures for one plan: employees, grants and options."""

    plan: str = Field(min_length=1)
    employees: int = Field(ge=0)
    grants: int = Field(ge=0)
    options: int = Field(ge=0)


Channel = Literal["email", "mail", "hand_delivery", "fax", "web", "paper"]
