"""The shapes a filing file is read into before parsing: lines that keep their file line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Line:
    """One text line and its 1-based line number in the file as ingested."""

    no: int
    text: str


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """One ``<DOCUMENT>`` of a submission (or the whole file when it has none)."""

    type: str | None
    sequence: int | None
    filename: str | None
    description: str | None
    lines: tuple[Line, ...]
    first_line: int
    last_line: int
    html: bool = False


@dataclass(frozen=True, slots=True)
class Submission:
    """A filing as read: the SGML header fields (if any) and its documents in order."""

    header: dict[str, str]
    documents: tuple[SourceDocument, ...]
    sha256: str


__all__ = ["Line", "SourceDocument", "Submission"]
