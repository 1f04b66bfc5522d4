"""Read a filing file as EDGAR serves it into a :class:`Submission` of text documents.

Three shapes are read: a plain-text document of 2001 (one document, the whole file), a full
EDGAR submission (an SGML ``<SEC-HEADER>`` and several ``<DOCUMENT>`` sections), and HTML
documents (alone, or inside a submission). Every line keeps its line number in the file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from offerledger.ingest.errors import FilingUnreadable
from offerledger.ingest.htmltext import HtmlUnreadable, html_to_lines, looks_like_html
from offerledger.ingest.source_types import Line, SourceDocument, Submission

_HEADER_FIELD = re.compile(r"^\s*([A-Z][A-Z0-9 \-]+?):\s*(\S.*?)\s*$")
_TAG = re.compile(r"^<(TYPE|SEQUENCE|FILENAME|DESCRIPTION)>\s*(.*?)\s*$", re.IGNORECASE)
_BINARY_TYPES = ("GRAPHIC", "ZIP", "PDF", "XML", "EXCEL", "JSON")


def decode(data: bytes, *, name: str | Path) -> str:
    """Bytes to text: UTF-8 when it decodes, else Windows-1252 (EDGAR's older text)."""
    if not data.strip():
        raise FilingUnreadable("the file is empty", file=name)
    if b"\x00" in data[:65536]:
        raise FilingUnreadable(
            "the file is binary, not a text or HTML filing",
            file=name,
            hint="download the filing's .txt or .htm document from EDGAR",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


_LINE_END = re.compile(rb"\r\n|\r|\n")


def line_span(data: bytes, *, first: int, last: int) -> bytes:
    """Lines ``first``..``last`` (1-based, as :func:`decode` numbers them) of a file's bytes,
    exactly as they stand in the file, line endings included."""
    starts = [0, *(m.end() for m in _LINE_END.finditer(data))]
    if not 1 <= first <= last <= len(starts):
        raise ValueError(f"lines {first}-{last} are not in a file of {len(starts)} lines")
    end = starts[last] if last < len(starts) else len(data)
    return data[starts[first - 1] : end]


def read_submission(data: bytes, *, name: str | Path) -> Submission:
    """Split a filing file into its documents, keeping file line numbers."""
    try:
        return _read_submission(data, name=name)
    except HtmlUnreadable as e:
        raise FilingUnreadable(
            f"the HTML cannot be read: {e.reason}",
            file=name,
            line=e.line,
            hint="the markup there is malformed; the .txt submission of the filing may read",
        ) from None


def _read_submission(data: bytes, *, name: str | Path) -> Submission:
    text = decode(data, name=name)
    sha = hashlib.sha256(data).hexdigest()
    raw = text.split("\n")
    if not any(line.strip().upper() == "<DOCUMENT>" for line in raw):
        doc = _document(raw, first=1, type_=None, seq=None, filename=None, description=None)
        return Submission(header={}, documents=(doc,), sha256=sha)
    header: dict[str, str] = {}
    documents: list[SourceDocument] = []
    i = 0
    in_header = False
    while i < len(raw):
        stripped = raw[i].strip()
        upper = stripped.upper()
        if upper.startswith("<SEC-HEADER>") or upper.startswith("<IMS-HEADER>"):
            in_header = True
        elif upper.startswith("</SEC-HEADER>") or upper.startswith("</IMS-HEADER>"):
            in_header = False
        elif in_header:
            m = _HEADER_FIELD.match(raw[i])
            if m and m.group(1).strip() not in header:
                header[m.group(1).strip()] = m.group(2)
        elif upper == "<DOCUMENT>":
            i = _read_document(raw, i + 1, documents)
            continue
        i += 1
    if not documents:
        raise FilingUnreadable("the submission holds no <DOCUMENT> with text", file=name)
    return Submission(header=header, documents=tuple(documents), sha256=sha)


def _read_document(raw: list[str], i: int, out: list[SourceDocument]) -> int:
    tags: dict[str, str] = {}
    while i < len(raw) and raw[i].strip().upper() != "<TEXT>":
        m = _TAG.match(raw[i].strip())
        if m:
            tags[m.group(1).upper()] = m.group(2)
        if raw[i].strip().upper() == "</DOCUMENT>":
            return i + 1
        i += 1
    start = i + 1
    end = start
    while end < len(raw) and raw[end].strip().upper() not in ("</TEXT>", "</DOCUMENT>"):
        end += 1
    type_ = tags.get("TYPE")
    body = raw[start:end]
    binary = (type_ or "").upper().startswith(_BINARY_TYPES) or any(
        line.startswith("begin 6") for line in body[:3]
    )
    if not binary:
        seq = tags.get("SEQUENCE", "")
        out.append(
            _document(
                body,
                first=start + 1,
                type_=type_,
                seq=int(seq) if seq.isdigit() else None,
                filename=tags.get("FILENAME"),
                description=tags.get("DESCRIPTION"),
            )
        )
    while end < len(raw) and raw[end].strip().upper() != "</DOCUMENT>":
        end += 1
    return end + 1


def _document(
    raw: list[str],
    *,
    first: int,
    type_: str | None,
    seq: int | None,
    filename: str | None,
    description: str | None,
) -> SourceDocument:
    joined = "\n".join(raw)
    html = looks_like_html(joined)
    if html:
        lines = tuple(html_to_lines(joined, first_line=first))
    else:
        lines = tuple(Line(first + k, text.rstrip()) for k, text in enumerate(raw))
    return SourceDocument(
        type=type_,
        sequence=seq,
        filename=filename,
        description=description,
        lines=lines,
        first_line=first,
        last_line=first + max(len(raw) - 1, 0),
        html=html,
    )


__all__ = ["decode", "line_span", "read_submission"]
