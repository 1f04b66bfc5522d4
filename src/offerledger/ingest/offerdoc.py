"""The offer document of a Schedule TO-I (the Offer to Exchange) into sections, paragraphs and
sentences, each paragraph with the stable id it is registered under.

Headings: a numbered section opens with a paragraph of its own ("6. CONDITIONS OF THE OFFER.",
"Section 6. Conditions of the offer"); an unnumbered part with a known caption (Summary Term
Sheet, Introduction, The Offer, Risk Factors, Schedule A, ...) or one the table of contents
names. When the document has a table of contents, a numbered heading must carry the number of
an entry in it; numbers only go up. Sections the contents (or the numbering) name that the file
does not hold are gaps ("not on file"), never invented. Ids: ``s<number>`` for a numbered
section, the caption's slug for an unnumbered one (``summary-term-sheet``), ``cover`` for what
stands before the first heading; paragraph ``k`` (from 1) of section ``S`` is ``S-p<k>``. The
table of contents is read (for pages and gaps), not registered as text. ``docs/ingest.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from offerledger.events import split_sentences
from offerledger.ingest.blocks import Para
from offerledger.ingest.dates import parse_date
from offerledger.ingest.model import (
    ContentsEntry,
    ParsedDocument,
    ParsedGap,
    ParsedParagraph,
    ParsedSection,
    Problem,
)

_CAPTIONS = {
    "tableofcontents",
    "contents",
    "summarytermsheet",
    "summaryofterms",
    "summarytermsheetquestionsandanswers",
    "summarytermsheetandquestionsandanswers",
    "questionsandanswers",
    "riskfactors",
    "risksofparticipatingintheoffer",
    "risksofparticipatingintheexchange",
    "certainrisksofparticipatingintheoffer",
    "introduction",
    "theoffer",
}
_SCHEDULE = re.compile(r"^(?:SCHEDULE|ANNEX|APPENDIX|EXHIBIT)\s+[A-Z0-9]{1,2}\b", re.I)
_NUMBERED = re.compile(r"^(?:Section\s+)?(?P<num>\d{1,2})\.\s+(?P<title>\S.*?)\.?$", re.I | re.S)
_CONTENTS_LINE = re.compile(
    r"^\s*(?:(?:Section\s+)?(?P<num>\d{1,2})\.\s+)?(?P<title>\S.*?)\s*(?:\.{2,}\s*|\s+)"
    r"(?P<page>\d{1,3}|[ivxlc]{1,6})\s*$",
    re.I,
)
_CONTENTS_FURNITURE = re.compile(r"^\s*(?:page|-{3,})\s*$", re.I)
_LABEL = re.compile(r"^Exhibit\s+(?:99\.?\s*)?(?:\(\s*[a-zA-Z0-9]{1,4}\s*\)\s*){1,4}$", re.I)
_BULLET = re.compile(r"^(?:[\u2022\u00b7\u25cf\u25aa\u2013*]|-{1,2}|o(?=\s))\s+")
_MINOR = frozenset(
    "a an and as at by for from in into of on or the to under with our its not no upon per "
    "we us you your".split()
)
_ABBREVIATION_END = re.compile(r"\b(?:Inc|Corp|Co|Ltd|L\.P|N\.V|S\.A)\.$", re.I)


def canon(text: str) -> str:
    """Letters and digits only, lower case: how captions and titles are compared."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "part"


def _titled(text: str) -> bool:
    """All capitals, or every word but the small ones capitalized."""
    words = re.findall(r"[A-Za-z][A-Za-z'\u2019\-]*", text)
    if not words:
        return False
    if text.upper() == text:
        return True
    return all(w[0].isupper() or w.lower() in _MINOR for w in words)


def _subheading(para: Para, text: str) -> bool:
    if len(para.lines) > 3 or len(text) > 160 or not _titled(text):
        return False
    return not re.search(r"[.?!;:]$", text) or bool(_ABBREVIATION_END.search(text))


@dataclass(frozen=True, slots=True)
class _Head:
    index: int
    number: str | None
    title: str
    entry: ContentsEntry | None = None


def _contents_lines(para: Para) -> list[ContentsEntry] | None:
    """The entries of a paragraph of the table of contents (None: not a contents paragraph)."""
    entries: list[ContentsEntry] = []
    pending: tuple[int, str] | None = None
    for line in para.lines:
        text = line.text.strip()
        if not text or _CONTENTS_FURNITURE.match(text):
            continue
        m = _CONTENTS_LINE.match(text)
        if m is None:
            if pending is not None:
                pending = (pending[0], f"{pending[1]} {text}")
            elif re.match(r"^(?:\d{1,2}\.\s+)?[A-Z]", text):
                pending = (line.no, text)
            else:
                return None
            continue
        first = pending[0] if pending else line.no
        whole = f"{pending[1]} {text}" if pending else text
        m = _CONTENTS_LINE.match(whole)
        assert m is not None
        title = re.sub(r"\s+", " ", m.group("title")).rstrip(". ")
        entries.append(
            ContentsEntry(
                first_line=first,
                last_line=line.no,
                number=m.group("num"),
                title=title,
                page=m.group("page").lower(),
            )
        )
        pending = None
    if pending is not None:
        return None
    return entries  # empty: only the "Page" header of a table of contents


def _contents(paras: Sequence[Para]) -> tuple[list[ContentsEntry], range]:
    """The table of contents: its entries and the paragraphs it spans (heading included)."""
    at = next((i for i, p in enumerate(paras) if canon(p.text) in ("tableofcontents",)), None)
    if at is None:
        return [], range(0)
    entries: list[ContentsEntry] = []
    end = at + 1
    while end < len(paras):
        found = _contents_lines(paras[end])
        if found is None:
            break
        entries.extend(found)
        end += 1
    return entries, range(at, end)


def _caption(text: str, known: set[str]) -> bool:
    key = canon(text)
    return key in _CAPTIONS or key in known or bool(_SCHEDULE.match(text) and _titled(text))


def _headings(
    paras: Sequence[Para], contents: list[ContentsEntry], skip: range
) -> tuple[list[_Head], list[Problem]]:
    numbered = {e.number: e for e in contents if e.number}
    known = {canon(e.title) for e in contents if not e.number}
    heads: list[_Head] = []
    problems: list[Problem] = []
    last = 0
    for i, para in enumerate(paras):
        if i in skip:
            continue
        text = para.text
        if len(para.lines) <= 3 and len(text) <= 160 and _caption(text.rstrip(".:"), known):
            title = text.rstrip(".:")
            entry = next((e for e in contents if canon(e.title) == canon(title)), None)
            heads.append(_Head(i, None, title, entry))
            continue
        m = _NUMBERED.match(text)
        if m is None or len(para.lines) > 4 or len(text) > 200 or text.endswith("?"):
            continue
        number, title = m.group("num"), m.group("title").strip()
        if int(number) <= last or not title[0].isupper():
            continue
        if numbered:
            entry = numbered.get(number)
            if entry is None:
                continue
            if canon(entry.title) != canon(title):
                problems.append(
                    Problem(
                        first_line=para.first_line,
                        last_line=para.last_line,
                        what=f"Section {number} is headed {title!r} here and {entry.title!r} in "
                        f"the table of contents (line {entry.first_line}); the heading is kept",
                    )
                )
            heads.append(_Head(i, number, title, entry))
        elif re.search(r"\.\s+[A-Z][a-z]", title) is None:
            heads.append(_Head(i, number, title))
        else:
            continue
        last = int(number)
    return heads, problems


def _paragraph(para: Para, pid: str, pages: dict[int, str]) -> ParsedParagraph:
    text = para.text
    style = "body"
    bullet = _BULLET.match(text)
    if bullet:
        style, text = "bullet", text[bullet.end() :]
    elif _subheading(para, text):
        style = "heading"
    return ParsedParagraph(
        first_line=para.first_line,
        last_line=para.last_line,
        id=pid,
        style=style,
        page=pages.get(para.first_line),
        sentences=split_sentences(text) or (text,),
    )


def _page(
    head: _Head, para: Para, pages: dict[int, str], problems: list[Problem]
) -> tuple[str | None, str | None]:
    printed = pages.get(para.first_line)
    listed = head.entry.page if head.entry else None
    if printed and listed and printed != listed:
        name = f"Section {head.number}" if head.number else repr(head.title)
        problems.append(
            Problem(
                first_line=para.first_line,
                last_line=para.last_line,
                what=f"{name} starts on page {printed}, the table of contents (line "
                f"{head.entry.first_line if head.entry else '?'}) says page {listed}; its page "
                "is not on file",
            )
        )
        return None, None
    if printed:
        return printed, "page"
    if listed:
        return listed, "contents"
    return None, None


def _gap(entries: list[ContentsEntry], anchor: Para) -> ParsedGap:
    names = [f"Section {e.number} ({e.title})" if e.number else repr(e.title) for e in entries]
    listed = [e for e in entries if e.page is not None]
    if listed:
        note = (
            f"{', '.join(names)}: listed in the table of contents (line "
            f"{entries[0].first_line}) but not in this file"
        )
        first, last = entries[0].first_line, entries[-1].last_line
    else:
        note = f"{', '.join(names)}: missing from the numbering; not in this file"
        first = last = anchor.first_line
    ends = entries[:1] + entries[-1:] if len(entries) > 1 else entries
    key = "-".join(f"s{e.number}" if e.number else slug(e.title) for e in ends)
    return ParsedGap(first_line=first, last_line=last, id=f"{key}-not-on-file", note=note)


def parse_offer_document(
    paras: Sequence[Para],
    pages: dict[int, str],
    *,
    exhibit_id: str,
    title: str,
    dated: date | None = None,
) -> tuple[ParsedDocument, list[Problem]]:
    """The offer document read from an exhibit's paragraphs, and what the parser did not
    understand (with lines)."""
    paras = list(paras)
    if paras and _LABEL.match(paras[0].text):
        paras = paras[1:]
    contents, skip = _contents(paras)
    heads, problems = _headings(paras, contents, skip)
    if dated is None:
        m = re.search(r"date of this Offer to \w+ is ([A-Z][a-z]+\.? \d{1,2}, \d{4})", _all(paras))
        dated = parse_date(m.group(1)) if m else None
    parts: list[ParsedSection | ParsedGap] = []
    used: set[str] = set()
    starts = [h.index for h in heads] + [len(paras)]
    first = heads[0].index if heads else len(paras)
    cover = [i for i in range(first) if i not in skip]
    if cover:
        sid, name = ("cover", "Cover page") if heads else (slug(title), title)
        parts.append(_section(sid, "", name, None, cover, paras, pages, None, used))
    if not heads:
        problems.append(
            Problem(
                first_line=paras[0].first_line if paras else 1,
                last_line=paras[-1].last_line if paras else 1,
                what=f"no section headings were found in {title}; its text is one part",
            )
        )
    matched = [h.entry for h in heads if h.entry is not None]
    pending = [e for e in contents if e not in matched]
    previous = 0
    for k, head in enumerate(heads):
        para = paras[head.index]
        missing = _missing(head, contents, pending, previous)
        if missing:
            parts.append(_gap(missing, para))
        if head.number:
            previous = int(head.number)
        if head.index in skip or canon(head.title) == "tableofcontents":
            continue
        page = _page(head, para, pages, problems)
        sid = f"s{head.number}" if head.number else slug(head.title)
        body = [i for i in range(head.index + 1, starts[k + 1]) if i not in skip]
        parts.append(
            _section(sid, head.number or "", head.title, para, body, paras, pages, page, used)
        )
    if pending and paras:
        parts.append(_gap(list(pending), paras[-1]))
    span = (paras[0].first_line, paras[-1].last_line) if paras else (1, 1)
    doc = ParsedDocument(
        first_line=span[0],
        last_line=span[1],
        document_id=slug(title),
        exhibit_id=exhibit_id,
        title=title,
        dated=dated,
        parts=tuple(parts),
        contents=tuple(contents),
    )
    return doc, problems


def _missing(
    head: _Head, contents: list[ContentsEntry], pending: list[ContentsEntry], previous: int
) -> list[ContentsEntry]:
    """The contents entries (or numbers) that should stand before ``head`` and are not here."""
    if head.entry is not None and contents:
        at = contents.index(head.entry)
        out = [e for e in contents[:at] if e in pending]
        for e in out:
            pending.remove(e)
        return out
    if head.number is None or contents:
        return []
    return [
        ContentsEntry(first_line=1, last_line=1, number=str(n), title="title not on file")
        for n in range(previous + 1, int(head.number))
    ]


def _section(
    sid: str,
    number: str,
    title: str,
    heading: Para | None,
    indexes: list[int],
    paras: list[Para],
    pages: dict[int, str],
    page: tuple[str | None, str | None] | None,
    used: set[str],
) -> ParsedSection:
    base, n = sid, 2
    while sid in used:
        sid, n = f"{base}-{n}", n + 1
    used.add(sid)
    paragraphs = tuple(
        _paragraph(paras[i], f"{sid}-p{k}", pages) for k, i in enumerate(indexes, start=1)
    )
    spans = [paras[i] for i in indexes]
    first = heading or spans[0]
    last = spans[-1] if spans else first
    printed, source = page if page else (pages.get(first.first_line), None)
    return ParsedSection(
        first_line=first.first_line,
        last_line=last.last_line,
        id=sid,
        number=number,
        title=title,
        page=printed,
        page_from=source or ("page" if printed else None),
        paragraphs=paragraphs,
    )


def _all(paras: Sequence[Para]) -> str:
    return " ".join(p.text for p in paras[:80])


__all__ = ["canon", "parse_offer_document", "slug"]
