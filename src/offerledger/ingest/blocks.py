"""Lines into paragraphs: blank lines separate them; page furniture is dropped.

EDGAR ``<PAGE>`` markers and running page-number lines are removed. A paragraph cut by a page
break (the text before the break does not end a sentence and the text after it starts in lower
case) is joined again, so a quoted passage that runs over a page stays one paragraph.

:func:`page_map` reads the same furniture the other way round: which printed page each line
stands on (the number printed on that page), so a section can say the page it starts on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from offerledger.events import normalize_text
from offerledger.ingest.source_types import Line

_PAGE = re.compile(r"^\s*<PAGE>\s*$", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^\s*(?:-\s*)?(?:\d{1,3}|[ivxlc]{1,6})(?:\s*-)?\s*$", re.IGNORECASE)
_ENDS_SENTENCE = re.compile(r"[.:;!?][\"\u201d')\]]*\s*$")


@dataclass(frozen=True, slots=True)
class Para:
    """A paragraph of the source: its lines with their file line numbers."""

    lines: tuple[Line, ...]

    @property
    def first_line(self) -> int:
        return self.lines[0].no

    @property
    def last_line(self) -> int:
        return self.lines[-1].no

    @property
    def raw(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def text(self) -> str:
        """Normalized (NFC, whitespace folded) text of the paragraph."""
        return normalize_text(self.raw)

    @property
    def indent(self) -> int:
        first = self.lines[0].text
        return len(first) - len(first.lstrip())


def is_page_number(lines: list[Line], i: int, *, html: bool) -> bool:
    """Whether ``lines[i]`` is a running page number ("12", "- 12 -", "ii"): in HTML any line
    that is only a number; in plain text one indented 20 columns or more, or followed (after
    blank lines) by a ``<PAGE>`` marker or the end."""
    if not _PAGE_NUMBER.match(lines[i].text):
        return False
    if html:
        return True
    text = lines[i].text
    if len(text) - len(text.lstrip()) >= 20:
        return True
    for line in lines[i + 1 :]:
        if line.text.strip():
            return bool(_PAGE.match(line.text))
    return True


def paragraphs(lines: tuple[Line, ...] | list[Line], *, html: bool = False) -> list[Para]:
    """Split lines into paragraphs, dropping page markers and page numbers."""
    lines = list(lines)
    out: list[list[Line]] = []
    current: list[Line] = []
    page_break = False
    for i, line in enumerate(lines):
        if _PAGE.match(line.text) or is_page_number(lines, i, html=html):
            if current:
                out.append(current)
                current = []
            page_break = True
            continue
        if not line.text.strip():
            if current:
                out.append(current)
                current = []
            continue
        if not current and (page_break or html) and out and _continues(out[-1], line):
            current = out.pop()
        page_break = False
        current.append(line)
    if current:
        out.append(current)
    return [Para(tuple(p)) for p in out]


def _continues(previous: list[Line], line: Line) -> bool:
    stripped = line.text.strip()
    return not _ENDS_SENTENCE.search(previous[-1].text) and bool(stripped) and stripped[0].islower()


def page_map(lines: tuple[Line, ...] | list[Line], *, html: bool = False) -> dict[int, str]:
    """File line -> the page number printed on the page that line stands on.

    Pages are separated by ``<PAGE>`` markers when the text has them (the number may stand at
    the top or the bottom of the page); otherwise (HTML, or plain text without markers) a page
    ends at its page-number line, which EDGAR documents print at the bottom. A page with no
    printed number, or with two different ones, gives its lines no entry (not on file).
    """
    lines = list(lines)
    marked = any(_PAGE.match(line.text) for line in lines)
    out: dict[int, str] = {}
    page: list[Line] = []
    numbers: list[str] = []

    def close() -> None:
        if len(set(numbers)) == 1:
            for line in page:
                out[line.no] = numbers[0]
        page.clear()
        numbers.clear()

    for i, line in enumerate(lines):
        if marked and _PAGE.match(line.text):
            close()
            continue
        page.append(line)
        if is_page_number(lines, i, html=html):
            numbers.append(line.text.strip().strip("-").strip().lower())
            if not marked:
                close()
    close()
    return out


__all__ = ["Para", "is_page_number", "page_map", "paragraphs"]
