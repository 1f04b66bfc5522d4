"""The source documents an ingest stores with its events, each its exact bytes as received.

* the filing file, whole (``FilingRecorded.source_sha256``), ``text/html`` when the file is one
  HTML document, else ``text/plain`` (a plain-text filing or an EDGAR submission);
* a notice filed as an exhibit, as it stands in the filing: the lines of the file the exhibit
  spans, line endings included (``NoticeDispatched.content_sha256``);
* a roster or elections CSV file, whole (``source_sha256`` of the events made from its rows).

Documents are named by the SHA-256 of these bytes (:mod:`offerledger.documents`); nothing is
decoded, re-encoded or normalized before hashing.
"""

from __future__ import annotations

from pathlib import PurePath

from offerledger.documents import SourceDocument
from offerledger.ingest.htmltext import looks_like_html
from offerledger.ingest.model import ExhibitText
from offerledger.ingest.source import decode, line_span

TEXT, HTML, CSV = "text/plain", "text/html", "text/csv"


def _base(name: str) -> str:
    return PurePath(name).name or name


def filing_document(data: bytes, *, name: str) -> SourceDocument:
    """The filing file exactly as received, under its file name."""
    text = decode(data, name=name)
    html = "<DOCUMENT>" not in text.upper() and looks_like_html(text)
    return SourceDocument(data, HTML if html else TEXT, _base(name))


def exhibit_document(data: bytes, exhibit: ExhibitText, *, name: str) -> SourceDocument:
    """An exhibit as it stands in the filing: its lines of the file, byte for byte."""
    span = line_span(data, first=exhibit.first_line, last=exhibit.last_line)
    html = looks_like_html(span.decode("utf-8", errors="replace"))
    label = (
        f"{_base(name)} lines {exhibit.first_line}-{exhibit.last_line} "
        f"(Exhibit {exhibit.exhibit_id})"
    )
    return SourceDocument(span, HTML if html else TEXT, label)


def csv_document(data: bytes, *, name: str) -> SourceDocument:
    """A CSV file exactly as ingested, under its file name."""
    return SourceDocument(data, CSV, _base(name))


__all__ = ["CSV", "HTML", "TEXT", "csv_document", "exhibit_document", "filing_document"]
