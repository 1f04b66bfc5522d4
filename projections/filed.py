"""What the filings on record say on their covers, read from their stored source documents.

A filing's file is stored with its ``FilingRecorded`` event (``source_sha256``); the projections
read it through the state's ``sources`` (handed in by whoever read the ledger, as the committed
lists are). From it this module reads, as filed and never reworded: the person authorized to
receive notices (name, title, company, address, telephone), the "Copy to" block, the state of
incorporation ("a Delaware corporation"), the introduction's clause that defines the offer's
terms ("relating to the offer by the Company to exchange options outstanding (the "Eligible
Options") under …") and the fee table (transaction valuation, amount, footnotes). What a file
does not give stays None, and the renderers say not on file.

Pure: text in, values out; no clock, file or database.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from offerledger.events import OfferCommenced, offer_stream_name
from offerledger.projections.catalog import FilingRef, filings, offer_changes
from offerledger.projections.core import NOW, Moment
from offerledger.projections.state import LedgerState

_SEPARATOR = re.compile(r"^\s*[-=_*]{3,}\s*$")
_NOTICES = re.compile(r"^\s*\(\s*name,?\s+address", re.IGNORECASE)
_COPY_TO = re.compile(r"^\s*(?:with\s+)?(?:a\s+)?cop(?:y|ies)\s+to\s*:?\s*$", re.IGNORECASE)
_FEE_TITLE = re.compile(r"^\s*calculation\s+of\s+filing\s+fee\s*$", re.IGNORECASE)
_AMOUNTS = re.compile(r"(\$\s?[\d,]+(?:\.\d+)?)\D+?(\$\s?[\d,]+(?:\.\d+)?)")
_BOX = re.compile(r"^\s*(?:\[.?\]|/.?/|\S)?\s*check\s+(?:the\s+)?box", re.IGNORECASE)
_INCORPORATED = re.compile(r",\s+an?\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+corporation\b")
_LABEL = re.compile(r"^\([^)]*[A-Za-z][^)]*\)$")
_INTRO = re.compile(r"^This Amendment No\.\s*\d+\b.*\bamends\b")
_RELATING = re.compile(r"\b(relating to (?:the|an) offer by .*)$")


@dataclass(frozen=True, slots=True)
class ParsedCover:
    """What one filing's text gives (None: it does not give it)."""

    contact: tuple[str, ...] | None = None
    copy_to: tuple[str, ...] | None = None
    incorporated_in: str | None = None
    relating: str | None = None
    fee_valuation: str | None = None
    fee_amount: str | None = None
    fee_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Cited:
    """A value and the filing on record it was read from."""

    value: tuple[str, ...] | str
    filing: FilingRef


@dataclass(frozen=True, slots=True)
class FiledCover:
    """Each cover value from the latest filing on record that gives it (None: none does)."""

    contact: Cited | None
    copy_to: Cited | None
    incorporated_in: Cited | None
    relating: Cited | None
    fee: tuple[str, str, tuple[str, ...], FilingRef] | None
    cik_from: FilingRef | None = None
    file_number_from: FilingRef | None = None

    def sources(self) -> list[tuple[str, FilingRef]]:
        """(what, filing) for every value read from a filing, in cover order."""
        out = []
        for what, cited in (
            ("the person authorized to receive notices, with address and telephone", self.contact),
            ('"Copy to"', self.copy_to),
            ("the state of incorporation", self.incorporated_in),
            ("the introduction's defined terms", self.relating),
        ):
            if cited is not None:
                out.append((what, cited.filing))
        if self.fee is not None:
            out.append(("the fee table", self.fee[3]))
        return out


def header_fields(content: bytes) -> dict[str, str]:
    """The SEC header's "CENTRAL INDEX KEY" and "SEC FILE NUMBER" of a full EDGAR submission
    (the subject company's, the first given), leading zeros of the CIK dropped."""
    text = content.decode("utf-8", errors="replace")
    header = re.search(r"<SEC-HEADER>(.*?)</SEC-HEADER>", text, re.DOTALL | re.IGNORECASE)
    if header is None:
        return {}
    out = {}
    cik = re.search(r"CENTRAL INDEX KEY:\s*(\d+)", header.group(1))
    if cik is not None:
        out["cik"] = cik.group(1).lstrip("0") or "0"
    number = re.search(r"SEC FILE NUMBER:\s*([\d-]+)", header.group(1))
    if number is not None:
        out["file_number"] = number.group(1)
    return out


def filing_text(content: bytes) -> str:
    """A stored filing as plain lines: the first document of an EDGAR submission, ``<PAGE>``
    markers dropped, HTML read as text."""
    text = content.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    body = re.search(r"<TEXT>(.*?)(?:</TEXT>|\Z)", text, re.DOTALL | re.IGNORECASE)
    if body is not None:
        text = body.group(1)
    if re.search(r"<(?:html|body|p|div|table|br)\b", text, re.IGNORECASE):
        text = re.sub(r"(?i)<br\s*/?>|</(?:p|div|tr|h\d|li|table)>", "\n", text)
        text = html.unescape(re.sub(r"<[^>]+>", "", text)).replace("\xa0", " ")
    lines = [line for line in text.split("\n") if line.strip() not in ("<PAGE>", "<page>")]
    return "\n".join(line.rstrip() for line in lines)


def _block_above(lines: Sequence[str], index: int) -> tuple[str, ...] | None:
    """The run of non-blank lines just above ``index`` (blank lines between skipped)."""
    i = index - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    out: list[str] = []
    while i >= 0 and lines[i].strip() and not _SEPARATOR.match(lines[i]):
        if _LABEL.match(lines[i].strip()):
            break
        out.append(lines[i].strip())
        i -= 1
    return tuple(reversed(out)) or None


def _block_below(lines: Sequence[str], index: int) -> tuple[str, ...] | None:
    """The run of non-blank lines just below ``index`` (blank lines before it skipped)."""
    i = index + 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    out: list[str] = []
    while i < len(lines) and lines[i].strip() and not _SEPARATOR.match(lines[i]):
        out.append(lines[i].strip())
        i += 1
    return tuple(out) or None


def _paragraphs(lines: Sequence[str]) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    for line in (*lines, ""):
        if line.strip():
            current.append(line.strip())
        elif current:
            out.append(" ".join(current))
            current = []
    return out


def _fee(lines: Sequence[str], start: int) -> tuple[str, str, tuple[str, ...]] | None:
    for i in range(start + 1, min(start + 12, len(lines))):
        found = _AMOUNTS.search(lines[i])
        if found is None:
            continue
        notes: list[str] = []
        for paragraph in _paragraphs(lines[i + 1 : i + 40]):
            if _BOX.match(paragraph) or paragraph.lower().startswith("amount previously"):
                break
            notes.append(paragraph)
        valuation, amount = (g.replace(" ", "") for g in found.groups())
        return valuation, amount, tuple(notes)
    return None


def parse_cover(text: str) -> ParsedCover:
    """What a filing's text gives of its cover and introduction (see the module docstring)."""
    lines = text.split("\n")
    contact = copy_to = None
    fee: tuple[str, str, tuple[str, ...]] | None = None
    for i, line in enumerate(lines):
        if contact is None and _NOTICES.match(line):
            contact = _block_above(lines, i)
        elif copy_to is None and _COPY_TO.match(line):
            copy_to = _block_below(lines, i)
        elif fee is None and _FEE_TITLE.match(line):
            fee = _fee(lines, i)
    paragraphs = _paragraphs(lines)
    intro = next((p for p in paragraphs if _INTRO.match(p)), None)
    incorporated = None
    for paragraph in ([intro] if intro else []) + paragraphs:
        found = _INCORPORATED.search(paragraph)
        if found is not None:
            incorporated = found.group(1)
            break
    relating = None
    if intro is not None:
        found = _RELATING.search(intro)
        relating = found.group(1) if found is not None else None
    return ParsedCover(
        contact=contact,
        copy_to=copy_to,
        incorporated_in=incorporated,
        relating=relating,
        fee_valuation=fee[0] if fee else None,
        fee_amount=fee[1] if fee else None,
        fee_notes=fee[2] if fee else (),
    )


def stored_text(state: LedgerState, filing: FilingRef) -> str | None:
    """The filing's stored file as text (None: not stored, or no reader handed in)."""
    content = _stored(state, filing)
    return None if content is None else filing_text(content)


def _stored(state: LedgerState, filing: FilingRef) -> bytes | None:
    if filing.source_sha256 is None or state.sources is None:
        return None
    return state.sources(filing.source_sha256)


def filed_cover(
    state: LedgerState, refs: Sequence[FilingRef], *, cik: str = "", file_number: str = ""
) -> FiledCover:
    """Each cover value from the latest of ``refs`` (in effective order) whose file gives it;
    the first filing whose SEC header gives the offer's ``cik`` and ``file_number``."""
    found: dict[str, Cited] = {}
    fee = None
    cik_from = number_from = None
    for filing in reversed(refs):
        content = _stored(state, filing)
        if content is None:
            continue
        header = header_fields(content)
        if header.get("cik") == cik.lstrip("0"):
            cik_from = filing
        if header.get("file_number") == file_number:
            number_from = filing
        parsed = parse_cover(filing_text(content))
        for name in ("contact", "copy_to", "incorporated_in", "relating"):
            value = getattr(parsed, name)
            if value is not None and name not in found:
                found[name] = Cited(value, filing)
        if fee is None and parsed.fee_valuation and parsed.fee_amount:
            fee = (parsed.fee_valuation, parsed.fee_amount, parsed.fee_notes, filing)
    return FiledCover(
        contact=found.get("contact"),
        copy_to=found.get("copy_to"),
        incorporated_in=found.get("incorporated_in"),
        relating=found.get("relating"),
        fee=fee,
        cik_from=cik_from,
        file_number_from=number_from,
    )


def identifier_source(header: FilingRef | None, commenced_at: int | None) -> str:
    """Where a CIK or SEC file number comes from: the SEC header of a stored filing that gives
    it, else the commencement event that records it."""
    if header is not None:
        return f"from the SEC header of {header.name} ({header.accession_text})"
    where = f"event {commenced_at}" if commenced_at is not None else "the offer"
    return (
        f"as the offer's commencement ({where}) records it; no filing on record has an SEC "
        "header that gives it"
    )


@dataclass(frozen=True, slots=True)
class Identifiers:
    """An offer's CIK and SEC file number, each with its source."""

    offer: str
    issuer: str
    cik: str
    cik_source: str
    file_number: str
    file_number_source: str

    @property
    def line(self) -> str:
        return (
            f"{self.issuer} ({self.offer}): CIK {self.cik} {self.cik_source}; SEC file number "
            f"{self.file_number} {self.file_number_source}."
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "offer": self.offer,
            "issuer": self.issuer,
            "cik": self.cik,
            "cik_source": self.cik_source,
            "file_number": self.file_number,
            "file_number_source": self.file_number_source,
        }


def identifiers(
    state: LedgerState, offer_id: uuid.UUID, moment: Moment = NOW
) -> Identifiers | None:
    """The offer's CIK and SEC file number as the commencement records them, labelled by
    source (None: the offer had not commenced at ``moment``)."""
    found = [
        (s, e) for s, e in offer_changes(state, offer_id, moment) if isinstance(e, OfferCommenced)
    ]
    if not found:
        return None
    stamp, offer = found[0]
    cover = filed_cover(
        state, filings(state, offer_id, moment), cik=offer.cik, file_number=offer.file_number
    )
    return Identifiers(
        offer=offer_stream_name(cik=offer.cik, file_number=offer.file_number),
        issuer=offer.issuer,
        cik=offer.cik,
        cik_source=identifier_source(cover.cik_from, stamp.position),
        file_number=offer.file_number,
        file_number_source=identifier_source(cover.file_number_from, stamp.position),
    )


__all__ = [
    "Cited",
    "Identifiers",
    "FiledCover",
    "ParsedCover",
    "filed_cover",
    "filing_text",
    "header_fields",
    "identifier_source",
    "identifiers",
    "parse_cover",
    "stored_text",
]
