"""HTML documents of later EDGAR years turned into text lines that remember their source line.

Block elements (``p``, ``div``, ``tr``, ``li``, headings, ``br``) end a line and open a blank line
after them, so paragraphs come out separated by blank lines as in the plain-text filings of 2001.
Each output line carries the 1-based line of the HTML source where its first text stood, so every
parsed item still names the lines of the file it came from.
"""

from __future__ import annotations

from html.parser import HTMLParser

from offerledger.ingest.source_types import Line

_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "tr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "center",
        "blockquote",
        "pre",
        "hr",
        "ul",
        "ol",
        "dd",
        "dt",
        "dl",
        "title",
        "body",
        "html",
        "section",
        "article",
        "header",
        "footer",
        "page",
    }
)
_CELL = frozenset({"td", "th"})
_SKIP = frozenset({"script", "style", "head"})


class _Collector(HTMLParser):
    def __init__(self, first_line: int) -> None:
        super().__init__(convert_charrefs=True)
        self.line_offset = first_line - 1
        self.lines: list[Line] = []
        self.current: list[str] = []
        self.current_line: int | None = None
        self.skipping = 0

    def _flush(self, *, blank: bool) -> None:
        text = "".join(self.current).replace("\xa0", " ")
        if text.strip():
            assert self.current_line is not None
            self.lines.append(Line(self.current_line, " ".join(text.split())))
            if blank:
                self.lines.append(Line(self.current_line, ""))
        self.current = []
        self.current_line = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self._flush(blank=tag != "br")
        elif tag in _CELL:
            self.current.append(" ")
        if tag == "li":
            self.current.append("\u2022 ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self._flush(blank=True)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.current_line is None and data.strip():
            self.current_line = (
                self.getpos()[0]
                + self.line_offset
                + data[: len(data) - len(data.lstrip())].count("\n")
            )
        self.current.append(data)

    def close(self) -> None:
        super().close()
        self._flush(blank=False)


class HtmlUnreadable(ValueError):
    """Markup the standard library's parser cannot read (a malformed ``<!`` declaration)."""

    def __init__(self, reason: str, *, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def html_to_lines(source: str, *, first_line: int = 1) -> list[Line]:
    """Text lines of an HTML document; ``first_line`` is the file line where ``source`` starts.

    Raises :class:`HtmlUnreadable` (with the file line) for markup ``html.parser`` refuses.
    """
    collector = _Collector(first_line)
    try:
        collector.feed(source)
        collector.close()
    except AssertionError as e:  # _markupbase reports malformed declarations this way
        at = collector.getpos()[0] + collector.line_offset
        raise HtmlUnreadable(str(e).splitlines()[0], line=at) from None
    out: list[Line] = []
    for line in collector.lines:  # fold runs of blank lines
        if not line.text and (not out or not out[-1].text):
            continue
        out.append(line)
    return out


def looks_like_html(text: str) -> bool:
    head = text[:4000].lower()
    return (
        "<html" in head
        or "<body" in head
        or ("<p" in head and "</p>" in text.lower())
        or ("<div" in head and "</div>" in text.lower())
        or ("<table" in head and "</table>" in text.lower())
    )


__all__ = ["HtmlUnreadable", "html_to_lines", "looks_like_html"]
