"""Render the offer document (text, markdown, JSON) and the diff between two moments."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from offerledger.events import NotOnFile
from offerledger.projections.core import Moment, not_on_file
from offerledger.projections.diff import DocumentDiff
from offerledger.projections.text import BlockView, DocumentView, Origin, PartView

WIDTH = 78


def moment_line(moment: Moment) -> str:
    return f"As of: {moment.as_of_text}; as recorded: {moment.as_recorded_text}"


def _header(view: DocumentView) -> list[str]:
    bits = [view.title]
    if view.exhibit:
        bits.append(f"Exhibit {view.exhibit}")
    if view.dated:
        bits.append(f"dated {view.dated.isoformat()}")
    return [", ".join(bits), moment_line(view.moment)]


def _provenance(introduced: Origin, changed: Origin | None, page: int | None = None) -> list[str]:
    lines = [f"introduced: {introduced.label}"]
    if changed is not None:
        lines.append(f"last changed: {changed.label}")
    if page is not None:  # a paragraph's printed page, when the document registered gives it
        lines.append(f"page {page} of the document as registered")
    return lines


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _block_text(block: BlockView) -> str:
    return ("- " if block.style == "bullet" else "") + block.text


def render_text(view: DocumentView, *, provenance: bool = False) -> str:
    out = [*_header(view), ""]
    for part in view.parts:
        out.append(_wrap(_part_heading(part)))
        if provenance:
            out.extend(_wrap(line, "    ") for line in _provenance(part.introduced, part.changed))
        out.append("")
        for block in part.blocks:
            out.append(_wrap(_block_text(block)))
            if provenance:
                out.extend(
                    _wrap(line, "    ")
                    for line in _provenance(block.introduced, block.changed, block.page)
                )
            out.append("")
    out.extend(_trailer(view, provenance))
    return "\n".join(out).rstrip("\n") + "\n"


def _part_heading(part: PartView) -> str:
    if part.kind == "section" and part.page is not None:
        return f"{part.heading} (page {part.page})"
    return part.heading


def _trailer(view: DocumentView, provenance: bool) -> list[str]:
    out: list[str] = []
    if view.incorporated:
        out.append("Incorporated by amendment:")
        for item in view.incorporated:
            filing = item.origin.filing
            source = filing.label if filing is not None else not_on_file("filing")
            out.append(_wrap(f"- {item.text} ({source})", "  "))
        out.append("")
    if view.not_applied:
        out.append("Amendments that could not be applied in effective order:")
        for origin, why in view.not_applied:
            out.append(_wrap(f"- {origin.label}: {why}", "  "))
        out.append("")
    if provenance and view.removed:
        out.append("Removed:")
        for block_id, origin in view.removed:
            out.append(_wrap(f"- {block_id}: {origin.label}", "  "))
        out.append("")
    return out


def render_markdown(view: DocumentView, *, provenance: bool = False) -> str:
    title, moment = _header(view)
    out = [f"# {title}", "", f"*{moment}*", ""]
    for part in view.parts:
        out.append(f"## {_part_heading(part)}")
        out.append("")
        if provenance:
            out.extend(f"> {line}  " for line in _provenance(part.introduced, part.changed))
            out.append("")
        for block in part.blocks:
            out.append(_block_text(block))
            out.append("")
            if provenance:
                out.extend(
                    f"> {line}  "
                    for line in _provenance(block.introduced, block.changed, block.page)
                )
                out.append("")
    for line in _trailer(view, provenance):
        out.append(line.strip() if line.startswith("  ") else line)
    return "\n".join(out).rstrip("\n") + "\n"


def _sentence_json(sentence: str | NotOnFile) -> Any:
    if isinstance(sentence, NotOnFile):
        return {"not_on_file": sentence.note, "text": not_on_file(sentence.note)}
    return sentence


def view_as_dict(view: DocumentView, *, provenance: bool = True) -> dict[str, Any]:
    def origin(o: Origin | None) -> Any:
        return None if o is None else o.as_dict()

    parts = []
    for part in view.parts:
        entry: dict[str, Any] = {
            "id": part.id,
            "kind": part.kind,
            "heading": part.heading,
            "number": part.number,
            "title": part.title,
            "page": part.page,
            "blocks": [
                {
                    "id": b.id,
                    "kind": b.kind,
                    "style": b.style,
                    "text": b.text,
                    "sentences": [_sentence_json(s) for s in b.sentences],
                    **({"page": b.page} if b.page is not None else {}),
                    **(
                        {"introduced": origin(b.introduced), "last_changed": origin(b.changed)}
                        if provenance
                        else {}
                    ),
                }
                for b in part.blocks
            ],
        }
        if provenance:
            entry["introduced"] = origin(part.introduced)
            entry["last_changed"] = origin(part.changed)
        parts.append(entry)
    return {
        "offer": str(view.offer),
        "document": view.document_id,
        "title": view.title,
        "exhibit": view.exhibit,
        "dated": None if view.dated is None else view.dated.isoformat(),
        "moment": view.moment.as_dict(),
        "parts": parts,
        "incorporated": [{"text": i.text, "origin": i.origin.as_dict()} for i in view.incorporated],
        "not_applied": [{"origin": o.as_dict(), "reason": r} for o, r in view.not_applied],
        "removed": [{"id": i, "origin": o.as_dict()} for i, o in view.removed],
    }


def render_json(view: DocumentView, *, provenance: bool = False) -> str:
    return dumps(view_as_dict(view, provenance=provenance))


def dumps(data: Any) -> str:
    """The one JSON form of every projection output: sorted keys, two-space indent."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_diff_text(diff: DocumentDiff) -> str:
    out = [
        f"{diff.title}: changes between two moments",
        f"From: {moment_line(diff.before)}",
        f"To:   {moment_line(diff.after)}",
        "",
    ]
    if not diff.entries:
        out.append("No changes to the text.")
        out.append("")
    for entry in diff.entries:
        where = entry.heading
        out.append(f"{entry.status.upper()} {entry.kind} {entry.id} in {where}")
        if entry.origin is not None:
            out.append(_wrap(f"by {entry.origin.label}", "    "))
        for sign, text in entry.lines:
            out.append(
                textwrap.fill(
                    text,
                    WIDTH,
                    initial_indent=f"  {sign} ",
                    subsequent_indent="    ",
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
        out.append("")
    if diff.exhibits:
        out.append("EXHIBITS ADDED")
        out.extend(_wrap(x.label, "  ").replace("  ", "- ", 1) for x in diff.exhibits)
    return "\n".join(out).rstrip("\n") + "\n"


def render_diff_json(diff: DocumentDiff) -> str:
    return dumps(diff.as_dict())


__all__ = [
    "dumps",
    "moment_line",
    "render_diff_json",
    "render_diff_text",
    "render_json",
    "render_markdown",
    "render_text",
    "view_as_dict",
]
