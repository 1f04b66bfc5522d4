"""What the first stage of the filing parser produces: a :class:`ParsedFiling`, every item with
the line range it came from. Nothing here needs a ledger.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from offerledger.ingest.locators import Locator
from offerledger.values import (
    Document,
    Paragraph,
    Part,
    Section,
    SectionGap,
)


class Item(BaseModel):
    """Anything parsed from the file, with its 1-based line range in the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    first_line: int = Field(ge=1)
    last_line: int = Field(ge=1)


class CoverPage(Item):
    form: Literal["SC TO-C", "SC TO-I", "SC TO-I/A"]
    form_as_filed: str | None = None
    amendment_number: int | None = None
    final_amendment: bool = False
    issuer: str | None = None
    securities: str | None = None
    cusip: str | None = None
    check_boxes: dict[str, bool] = Field(default_factory=dict)


class IntroStatement(Item):
    text: str
    amends: str | None = None
    amended_filed_on: date | None = None
    as_amended: bool = False
    prior_amendments: tuple[int, ...] = ()
    offer_document: str | None = None
    offer_document_dated: date | None = None


class Payload(Item):
    """A passage an instruction inserts, normalized, enclosing quotation marks dropped."""

    text: str
    bullet: bool = False


class Instruction(Item):
    """One amendment instruction: its label ("C"), the Schedule TO item it stands under, the
    instruction sentence as written, its locator (None when the grammar does not read it), and
    the passages it inserts."""

    label: str | None = None
    item: str | None = None
    head: str
    locator: Locator | None = None
    problem: str | None = None
    payload: tuple[Payload, ...] = ()

    @property
    def raw_text(self) -> str:
        return " ".join([self.head, *(p.text for p in self.payload)])


class SignatureBlock(Item):
    company: str | None = None
    name: str | None = None
    title: str | None = None
    signed_on: date | None = None


class ExhibitIndexEntry(Item):
    exhibit_id: str
    title: str


class ExhibitText(Item):
    """An exhibit filed with the filing: its normalized text and the SHA-256 of that text."""

    exhibit_id: str
    title: str
    document_type: str | None = None
    text: str
    sha256: str
    repeats: tuple[Instruction, ...] = ()
    """Amendment instructions the exhibit repeats (a notice to employees), read as such."""


class Problem(Item):
    """Something in the file the parser did not understand, or found ambiguous; ``blocking``
    when an ingest must refuse the filing for it (two expirations stated, say)."""

    what: str
    blocking: bool = False

    def describe(self) -> str:
        span = (
            f"line {self.first_line}"
            if self.first_line == self.last_line
            else f"lines {self.first_line}-{self.last_line}"
        )
        return f"{span}: {self.what}"


class SubmissionPart(Item):
    """One ``<DOCUMENT>`` of an EDGAR submission (or the whole file when it has none)."""

    type: str | None = None
    sequence: int | None = None
    filename: str | None = None
    description: str | None = None
    html: bool = False


# --- the offer document (Offer to Exchange) as the filing holds it ---------------------------


class ParsedParagraph(Item):
    """A paragraph of the offer document with the stable id it is registered under and the
    printed page it starts on (None: the page carries no number)."""

    id: str
    style: Literal["body", "bullet", "heading"] = "body"
    page: str | None = None
    sentences: tuple[str, ...] = Field(min_length=1)


class ParsedSection(Item):
    """A section: number ("7"; empty for an unnumbered part such as the Summary Term Sheet),
    heading as written, the printed page its heading stands on, and where that page came from
    (the page's own number, or the table of contents when the page has none)."""

    kind: Literal["section"] = "section"
    id: str
    number: str
    title: str
    page: str | None = None
    page_from: Literal["page", "contents"] | None = None
    paragraphs: tuple[ParsedParagraph, ...] = ()


class ParsedGap(Item):
    """Sections the table of contents (or the numbering) names that the file does not hold;
    the lines are those of the table of contents entry (or of the section after the gap)."""

    kind: Literal["gap"] = "gap"
    id: str
    note: str


class ContentsEntry(Item):
    """One line of the document's table of contents."""

    number: str | None = None
    title: str
    page: str | None = None


class ParsedDocument(Item):
    """The offer document (Exhibit (a)(1), the Offer to Exchange) as read from the filing."""

    document_id: str
    exhibit_id: str
    title: str
    dated: date | None = None
    parts: tuple[ParsedSection | ParsedGap, ...] = ()
    contents: tuple[ContentsEntry, ...] = ()

    def sections(self) -> list[ParsedSection]:
        return [p for p in self.parts if isinstance(p, ParsedSection)]

    def document(self) -> Document:
        """The document as the offer-document-registered event carries it. Sections and
        paragraphs carry the printed page they start on when it is a number (a roman page,
        "ii", is shown by ``parse`` only; docs/ingest.md)."""
        parts: list[Part] = []
        for part in self.parts:
            if isinstance(part, ParsedGap):
                parts.append(SectionGap(id=part.id, note=part.note))
                continue
            blocks = tuple(
                Paragraph(
                    id=p.id,
                    style=p.style,
                    sentences=p.sentences,
                    page=int(p.page) if p.page and p.page.isdigit() else None,
                )
                for p in part.paragraphs
            )
            page = int(part.page) if part.page and part.page.isdigit() else None
            parts.append(
                Section(id=part.id, number=part.number, title=part.title, page=page, blocks=blocks)
            )
        if not parts:
            note = f"the text of {self.title} is not in the file"
            parts.append(SectionGap(id="not-on-file", note=note))
        return Document(
            id=self.document_id,
            title=self.title,
            exhibit=self.exhibit_id,
            dated=self.dated,
            parts=tuple(parts),
        )


# --- the offer's terms as the filing states them -------------------------------------------


class ExpirationStatement(Item):
    """A sentence stating when the offer expires: the words as written, the instant they mean
    (None when no time zone is stated), and the document they stand in."""

    written: str
    at: AwareDatetime | None = None
    zone: str | None = None
    document: str


class PlanName(Item):
    """An option plan the filing names with a defined term: its name as written and the term."""

    name: str
    alias: str | None = None


class OfferTerms(BaseModel):
    """What the filing states of the offer's terms: every expiration statement, the plans."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    statements: tuple[ExpirationStatement, ...] = ()
    plans: tuple[PlanName, ...] = ()

    def expirations(self) -> list[datetime]:
        """The distinct instants the statements give, in order of first appearance."""
        seen: list[datetime] = []
        for s in self.statements:
            if s.at is not None and s.at not in seen:
                seen.append(s.at)
        return seen


class ParsedFiling(BaseModel):
    """A Schedule TO filing as read from one file.

    ``accession``, ``cik``, ``file_number`` and ``subject_company`` come from the SEC header
    when the file has one (None otherwise); ``parts`` are the submission's documents;
    ``offer_document`` and ``terms`` are read from a Schedule TO-I or TO-C; ``problems`` are
    what the parser did not understand, with their lines.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: str
    sha256: str
    stream_name: str
    accession: str | None = None
    cik: str | None = None
    file_number: str | None = None
    subject_company: str | None = None
    filed_on: date | None = None
    cover: CoverPage
    intro: IntroStatement | None = None
    instructions: tuple[Instruction, ...] = ()
    signature: SignatureBlock | None = None
    exhibit_index: tuple[ExhibitIndexEntry, ...] = ()
    exhibits: tuple[ExhibitText, ...] = ()
    parts: tuple[SubmissionPart, ...] = ()
    offer_document: ParsedDocument | None = None
    terms: OfferTerms | None = None
    problems: tuple[Problem, ...] = ()

    def exhibit(self, exhibit_id: str) -> ExhibitText | None:
        for ex in self.exhibits:
            if ex.exhibit_id == exhibit_id:
                return ex
        return None


__all__ = [
    "ContentsEntry",
    "CoverPage",
    "ExhibitIndexEntry",
    "ExhibitText",
    "ExpirationStatement",
    "Instruction",
    "IntroStatement",
    "Item",
    "OfferTerms",
    "ParsedDocument",
    "ParsedFiling",
    "ParsedGap",
    "ParsedParagraph",
    "ParsedSection",
    "Payload",
    "PlanName",
    "Problem",
    "SignatureBlock",
    "SubmissionPart",
]
