"""What the first stage of the filing parser produces: a :class:`ParsedFiling`, every item with
the line range it came from. Nothing here needs a ledger.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from offerledger.ingest.locators import Locator


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


class ParsedFiling(BaseModel):
    """A Schedule TO filing as read from one file."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: str
    sha256: str
    stream_name: str
    accession: str | None = None
    cik: str | None = None
    file_number: str | None = None
    filed_on: date | None = None
    cover: CoverPage
    intro: IntroStatement | None = None
    instructions: tuple[Instruction, ...] = ()
    signature: SignatureBlock | None = None
    exhibit_index: tuple[ExhibitIndexEntry, ...] = ()
    exhibits: tuple[ExhibitText, ...] = ()

    def exhibit(self, exhibit_id: str) -> ExhibitText | None:
        for ex in self.exhibits:
            if ex.exhibit_id == exhibit_id:
                return ex
        return None


__all__ = [
    "CoverPage",
    "ExhibitIndexEntry",
    "ExhibitText",
    "Instruction",
    "IntroStatement",
    "Item",
    "ParsedFiling",
    "Payload",
    "SignatureBlock",
]
