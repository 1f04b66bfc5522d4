"""An offer document written as plain text or Markdown, read by the ingest's own parser.

``record offer-document-registered --document offer.md`` registers the document a person
wrote (or copied) as text: a title line (``# Offer to Exchange``, or a first paragraph that
begins "Offer to"), an optional exhibit label (``Exhibit (a)(1)``), then numbered section
headings on lines of their own (``Section 7. Conditions of the Offer``, ``7. CONDITIONS OF THE
OFFER``, ``## 7. Conditions of the Offer``) with paragraphs separated by blank lines. Sections,
paragraphs and sentences get the stable ids of DESIGN §2 from
:func:`offerledger.ingest.offerdoc.parse_offer_document`, the same reader the ingest of an SC
TO-I uses; ``<PAGE>`` markers and page-number lines give each section and paragraph its page.
"""

from __future__ import annotations

import re
from pathlib import Path

from offerledger.errors import InputError
from offerledger.events import Document
from offerledger.ingest.blocks import page_map, paragraphs
from offerledger.ingest.dates import parse_date
from offerledger.ingest.model import Problem
from offerledger.ingest.offerdoc import parse_offer_document
from offerledger.ingest.source import decode
from offerledger.ingest.source_types import Line

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
_EXHIBIT = re.compile(r"^Exhibit\s+(?P<id>(?:\(\s*[a-zA-Z0-9]{1,4}\s*\)\s*){1,4})$", re.I)
_MD_ITEM = re.compile(r"^\s{0,3}[-*\u2022]\s+\S")
_EMPHASIS = re.compile(r"(\*\*|__)(?P<text>.+?)\1")


def _lines(text: str) -> list[Line]:
    """The file's lines, Markdown headings and list items as paragraphs of their own (marks
    and bold dropped), numbered as in the file."""
    out: list[Line] = []
    for no, raw in enumerate(text.split("\n"), start=1):
        m = _MD_HEADING.match(raw)
        if m is None:
            if _MD_ITEM.match(raw) and out and out[-1].text.strip():
                out.append(Line(no, ""))  # each list item a paragraph (a bullet) of its own
            out.append(Line(no, raw))
            continue
        if out and out[-1].text.strip():
            out.append(Line(no, ""))
        out.append(Line(no, _EMPHASIS.sub(r"\g<text>", m.group("text"))))
        out.append(Line(no, ""))
    return out


def document_from_text(data: bytes, *, name: str | Path) -> tuple[Document, list[Problem]]:
    """The offer document a text or Markdown file holds, and what the parser did not
    understand (with lines). Refuses a file with no title or no numbered section heading."""
    lines = _lines(decode(data, name=name))
    paras = paragraphs(lines)
    if not paras:
        raise InputError("holds no text", file=name, field="--document")
    head = paras[0]
    title = head.text.rstrip(".")
    if len(head.lines) > 2 or not re.match(r"^(?:The\s+)?Offer\s+to\s+\w+", title, re.I):
        raise InputError(
            f"the first paragraph ({head.text[:60]!r}) is not the document's title",
            file=name,
            line=head.first_line,
            field="--document",
            hint="start the file with its title on a line of its own, e.g. "
            "'# Offer to Exchange' or 'OFFER TO EXCHANGE'",
        )
    m = re.match(r"^(?:The\s+)?(Offer\s+to\s+\w+)", title, re.I)
    assert m is not None
    short = " ".join(w.capitalize() if w.lower() != "to" else "to" for w in m.group(1).split())
    dated = parse_date(title) if "dated" in title.lower() else None
    rest = paras[1:]
    exhibit = None
    if rest and (label := _EXHIBIT.match(rest[0].text)):
        exhibit = re.sub(r"\s+", "", label.group("id"))
        rest = rest[1:]
    parsed, problems = parse_offer_document(
        rest, page_map(lines), exhibit_id=exhibit or "", title=short, dated=dated
    )
    if not any(s.number for s in parsed.sections()):
        raise InputError(
            "no numbered section heading was found (a heading stands on a line of its own: "
            "'Section 7. Conditions of the Offer', '7. CONDITIONS OF THE OFFER' or "
            "'## 7. Conditions of the Offer')",
            file=name,
            field="--document",
        )
    blocking = [p for p in problems if p.blocking]
    if blocking:
        raise InputError("; ".join(p.describe() for p in blocking), file=name, field="--document")
    document = parsed.document()
    if exhibit is None:
        document = document.model_copy(update={"exhibit": None})
    return document, problems


__all__ = ["document_from_text"]
