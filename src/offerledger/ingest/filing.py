"""Stage one of the filing parser: a file's bytes into a :class:`ParsedFiling`, no ledger needed."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from offerledger.events import filing_stream_name, normalize_text
from offerledger.ingest.blocks import Para, page_map, paragraphs
from offerledger.ingest.cover import (
    INTRO,
    parse_cover,
    parse_exhibit_index,
    parse_intro,
    parse_signature,
)
from offerledger.ingest.errors import FilingUnreadable
from offerledger.ingest.instructions import split_instructions
from offerledger.ingest.model import ExhibitIndexEntry, ExhibitText, ParsedFiling, SubmissionPart
from offerledger.ingest.offer_filing import ExhibitParts, read_offer
from offerledger.ingest.source import read_submission
from offerledger.ingest.source_types import Line, SourceDocument
from offerledger.limits import FILING_BYTES, FILING_LINES, read_bounded

_SIGNATURE = re.compile(r"^SIGNATURES?$", re.I)
_INDEX = re.compile(r"^(?:INDEX\s+(?:TO|OF)\s+EXHIBITS|EXHIBIT\s+INDEX)\.?$", re.I)
_EXHIBIT_HEADING = re.compile(
    r"^\s*Exhibit\s+(?:99\.?\s*)?(?P<id>(?:\(\s*[a-zA-Z0-9]{1,4}\s*\)\s*)"
    r"{1,4})\s*$",
    re.I,
)
_ITEM = re.compile(r"^Item\s+\d+", re.I)


def exhibit_key(exhibit_id: str) -> str:
    """Exhibit ids compare without case or spaces: "(A)(1)(g)" equals "(a)(1)(G)"."""
    return re.sub(r"\s+", "", exhibit_id).lower()


def read_filing(path: str | Path) -> bytes:
    """A filing file's bytes; one over the size or line limit (:mod:`offerledger.limits`) is
    refused before it is read whole."""
    p = Path(path)
    try:
        return read_bounded(p, FILING_BYTES, FILING_LINES)
    except OSError as e:
        raise FilingUnreadable(f"cannot read the file: {e.strerror}", file=p) from e


def parse_filing_file(path: str | Path) -> ParsedFiling:
    return parse_filing(read_filing(path), name=str(path))


def parse_filing(data: bytes, *, name: str) -> ParsedFiling:
    """Read a Schedule TO filing (plain text, EDGAR submission or HTML) into a ParsedFiling;
    one over the size or line limit (:mod:`offerledger.limits`) is refused unread."""
    FILING_BYTES.check(len(data), file=name)
    FILING_LINES.check(data.count(b"\n") + (not data.endswith(b"\n") and bool(data)), file=name)
    sub = read_submission(data, name=name)
    header = sub.header
    form = (header.get("CONFORMED SUBMISSION TYPE") or "").upper()
    if form and not form.startswith("SC TO"):
        raise FilingUnreadable(f"the submission is a {form}, not a Schedule TO", file=name)
    if form.startswith("SC TO-T"):
        raise FilingUnreadable(
            f"the submission is a {form} (a third-party tender offer); offerledger records "
            "issuer tender offers (Rule 13e-4)",
            file=name,
        )
    main = next(
        (d for d in sub.documents if (d.type or "").upper().startswith("SC TO")), sub.documents[0]
    )
    paras = paragraphs(main.lines, html=main.html)
    cover_text = " ".join(p.text for p in paras[:60]).upper()
    if "SCHEDULE TO" not in cover_text and not form:
        raise FilingUnreadable(
            "no Schedule TO cover page was found",
            file=name,
            hint="ingest the SC TO-I, SC TO-I/A or SC TO-C document itself",
        )
    intro_at = next((i for i, p in enumerate(paras) if INTRO.match(p.text)), None)
    sig_at = _find(paras, _SIGNATURE, start=intro_at or 0)
    index_at = _find(paras, _INDEX, start=sig_at if sig_at is not None else (intro_at or 0))
    heads = [
        i
        for i, p in enumerate(paras)
        if _EXHIBIT_HEADING.match(p.raw.strip())
        and i > (sig_at if sig_at is not None else (intro_at or 0))
    ]
    body_end = min(
        x for x in (sig_at, index_at, heads[0] if heads else None, len(paras)) if x is not None
    )
    cover_end = intro_at if intro_at is not None else _find(paras, _ITEM, start=0) or body_end
    cover = parse_cover(paras[:cover_end] or paras[:1], header)
    intro = None
    body_start = cover_end
    if intro_at is not None:
        end = intro_at + 1
        while (
            end < body_end
            and not _ITEM.match(paras[end].text)
            and not _instruction_like(paras[end])
        ):
            end += 1
        intro = parse_intro(paras[intro_at:end], cover.amendment_number)
        body_start = end
    instructions = (
        split_instructions(paras[body_start:body_end]) if cover.form == "SC TO-I/A" else []
    )
    signature = None
    if sig_at is not None:
        sig_end = min(
            x
            for x in (index_at, heads[0] if heads else None, len(paras))
            if x is not None and x > sig_at
        )
        signature = parse_signature(paras[sig_at:sig_end])
    index: list[ExhibitIndexEntry] = []
    if index_at is not None:
        idx_end = heads[0] if heads and heads[0] > index_at else len(paras)
        index = parse_exhibit_index(paras[index_at + 1 : idx_end])
    titles = {exhibit_key(e.exhibit_id): e.title for e in index}
    pages = page_map(main.lines, html=main.html)
    parts = _inline_exhibits(paras, heads, titles, pages)
    for doc in sub.documents:
        if doc is not main and (doc.type or "").upper().startswith("EX"):
            found = _document_exhibit(doc, titles)
            if found is not None:
                parts.append(found)
    filed_on = _header_date(header.get("FILED AS OF DATE")) or (
        signature.signed_on if signature else None
    )
    offer_document, terms, problems = (
        read_offer(paras[:body_end], parts, form=cover.form)
        if cover.form in ("SC TO-I", "SC TO-C")
        else (None, None, [])
    )
    return ParsedFiling(
        source=name,
        sha256=sub.sha256,
        stream_name=filing_stream_name(sha256=sub.sha256),
        accession=header.get("ACCESSION NUMBER"),
        cik=header.get("CENTRAL INDEX KEY"),
        file_number=header.get("SEC FILE NUMBER"),
        subject_company=header.get("COMPANY CONFORMED NAME"),
        filed_on=filed_on,
        cover=cover,
        intro=intro,
        instructions=tuple(instructions),
        signature=signature,
        exhibit_index=tuple(index),
        exhibits=tuple(p.exhibit for p in parts),
        parts=tuple(
            SubmissionPart(
                first_line=d.first_line,
                last_line=max(d.last_line, d.first_line),
                type=d.type,
                sequence=d.sequence,
                filename=d.filename,
                description=d.description,
                html=d.html,
            )
            for d in sub.documents
        ),
        offer_document=offer_document,
        terms=terms,
        problems=tuple(problems),
    )


def _find(paras: list[Para], rx: re.Pattern[str], *, start: int) -> int | None:
    return next((i for i in range(start, len(paras)) if rx.match(paras[i].text)), None)


def _instruction_like(para: Para) -> bool:
    return bool(re.match(r"^(?:[A-Z]|\d{1,2})[.)]\s", para.text)) or bool(
        re.search(
            r"\bis\s+hereby\s+amended\b|\bhas\s+been\s+(?:deleted|inserted|amended)\b",
            para.text,
            re.I,
        )
    )


def exhibit_text(lines: list[Line] | tuple[Line, ...]) -> str:
    """The normalized text of an exhibit, from its "Exhibit (a)(11)" heading line on."""
    body = list(lines)
    while body and not body[0].text.strip():
        body.pop(0)
    return normalize_text("\n".join(line.text for line in body))


def _make_exhibit(
    exhibit_id: str, title: str, paras: list[Para], doc_type: str | None
) -> ExhibitText:
    lines = [line for p in paras for line in p.lines]
    text = exhibit_text(lines)
    repeats = [
        i
        for i in split_instructions(paras)
        if i.label and i.locator is not None and i.locator.action != "file_exhibit"
    ]
    return ExhibitText(
        first_line=lines[0].no,
        last_line=lines[-1].no,
        exhibit_id=exhibit_id,
        title=title,
        document_type=doc_type,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        repeats=tuple(repeats),
    )


def _inline_exhibits(
    paras: list[Para], heads: list[int], titles: dict[str, str], pages: dict[int, str]
) -> list[ExhibitParts]:
    out = []
    for k, at in enumerate(heads):
        end = heads[k + 1] if k + 1 < len(heads) else len(paras)
        m = _EXHIBIT_HEADING.match(paras[at].raw.strip())
        assert m is not None
        exhibit_id = re.sub(r"\s+", "", m.group("id"))
        title = titles.get(exhibit_key(exhibit_id)) or (
            paras[at + 1].text if at + 1 < end else exhibit_id
        )
        exhibit = _make_exhibit(exhibit_id, title, paras[at:end], None)
        out.append(ExhibitParts(exhibit, paras[at:end], pages))
    return out


def _document_exhibit(doc: SourceDocument, titles: dict[str, str]) -> ExhibitParts | None:
    lines = [line for line in doc.lines if line.text.strip()]
    if not lines:
        return None
    m = _EXHIBIT_HEADING.match(lines[0].text)
    if m:
        exhibit_id = re.sub(r"\s+", "", m.group("id"))
    elif "(" in (doc.type or ""):
        parts = re.findall(r"\(?([A-Za-z0-9]{1,4})\)?", (doc.type or "").split(".", 1)[-1])
        exhibit_id = "".join(
            f"({p.lower() if p.isalpha() and len(p) == 1 else p})" for p in parts
        ) or (doc.type or "exhibit")
    else:  # "EX-99.1": the exhibit number as filed
        exhibit_id = re.sub(r"^EX-", "", doc.type or "exhibit", flags=re.I)
    title = titles.get(exhibit_key(exhibit_id)) or doc.description or exhibit_id
    paras = paragraphs(doc.lines, html=doc.html)
    exhibit = _make_exhibit(exhibit_id, title, paras, doc.type)
    return ExhibitParts(exhibit, paras, page_map(doc.lines, html=doc.html))


def _header_date(value: str | None) -> date | None:
    if value and re.fullmatch(r"\d{8}", value):
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            return None
    return None


__all__ = ["exhibit_key", "exhibit_text", "parse_filing", "parse_filing_file", "read_filing"]
