"""What the parser read, and what an ingest records, as JSON and as text lines.

:func:`parse_report` is ``offerledger parse FILE --json`` (stable, sorted keys, every item with
its lines); :func:`render_parse` the text form; :func:`describe_event` the lines ``ingest
filing`` prints under each event. No ledger is needed: a locator that addresses the offer's
document is shown unresolved, because resolving it needs the document as the ledger holds it.
"""

from __future__ import annotations

from typing import Any

from offerledger.events import (
    CrossCheckRecorded,
    DocumentAmended,
    FilingRecorded,
    LedgerEvent,
    NoticeDispatched,
    OfferCommenced,
    OfferDocumentRegistered,
)
from offerledger.ingest.locators import BlockRef, ExhibitRef, ItemRef, SectionRef, SentenceRef
from offerledger.ingest.model import Instruction, ParsedDocument, ParsedFiling, Problem
from offerledger.ingest.notices import read_notice
from offerledger.ingest.targets import ordinal_name
from offerledger.projections.findings import cross_check_text
from offerledger.values import Section, SectionGap

_NEEDS_NO_DOCUMENT = ("supplement_item", "restate_item", "file_exhibit", "preamble")


def _span(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def target_text(target: object) -> str:
    """A locator's target in words ("the last paragraph of Section 7 (Conditions...)")."""
    if isinstance(target, SectionRef):
        text = f"Section {target.number}" if target.number else "the section"
        text += f" ({target.title})" if target.title else ""
        text += f", page {target.page}" if target.page else ""
        return text + (f", of {target.document}" if target.document else "")
    if isinstance(target, BlockRef):
        noun = "bullet point" if target.kind == "bullet" else "paragraph"
        return f"the {ordinal_name(target.ordinal)} {noun} of {target_text(target.section)}"
    if isinstance(target, SentenceRef):
        return f"the {ordinal_name(target.ordinal)} sentence of {target_text(target.block)}"
    if isinstance(target, ItemRef):
        return f"Item {target.item} of the Schedule TO"
    if isinstance(target, ExhibitRef):
        return f"Exhibit {target.exhibit_id}"
    return str(target)


def _resolution(ins: Instruction) -> str:
    if ins.locator is None:
        return f"not read: {ins.problem or 'no rule of the grammar reads it'}"
    if ins.locator.action in _NEEDS_NO_DOCUMENT:
        return "needs no document"
    return "unresolved: it needs the offer's document as the ledger holds it (no ledger here)"


def _instruction(ins: Instruction) -> dict[str, Any]:
    loc = ins.locator
    return {
        "label": ins.label,
        "item": ins.item,
        "first_line": ins.first_line,
        "last_line": ins.last_line,
        "instruction": ins.head,
        "action": loc.action if loc else None,
        "locator": loc.written if loc else None,
        "targets": [target_text(t) for t in loc.targets] if loc else [],
        "where": loc.where if loc else None,
        "new_text": [
            {"first_line": p.first_line, "last_line": p.last_line, "text": p.text}
            for p in ins.payload
        ],
        "resolution": _resolution(ins),
    }


def _document(doc: ParsedDocument) -> dict[str, Any]:
    data = doc.model_dump(mode="json", exclude={"parts"})
    data["parts"] = [p.model_dump(mode="json") for p in doc.parts]
    return data


def _problems(parsed: ParsedFiling) -> list[Problem]:
    found = list(parsed.problems)
    for ins in parsed.instructions:
        if ins.locator is None:
            what = f"instruction {ins.label or ''} not read: {ins.problem or 'no rule reads it'}"
            found.append(
                Problem(first_line=ins.first_line, last_line=ins.last_line, what=what.strip())
            )
    return sorted(found, key=lambda p: (p.first_line, p.last_line))


def parse_report(parsed: ParsedFiling) -> dict[str, Any]:
    """Everything the parser read from one file, every item with its lines (``parse --json``)."""
    notices = [n for n in (read_notice(e) for e in parsed.exhibits) if n is not None]
    terms = parsed.terms
    instants = terms.expirations() if terms else []
    return {
        "file": {"source": parsed.source, "sha256": parsed.sha256, "stream": parsed.stream_name},
        "submission": {
            "accession_number": parsed.accession,
            "cik": parsed.cik,
            "file_number": parsed.file_number,
            "subject_company": parsed.subject_company,
            "filed_on": parsed.filed_on.isoformat() if parsed.filed_on else None,
            "documents": [p.model_dump(mode="json") for p in parsed.parts],
        },
        "cover": parsed.cover.model_dump(mode="json"),
        "intro": parsed.intro.model_dump(mode="json") if parsed.intro else None,
        "instructions": [_instruction(i) for i in parsed.instructions],
        "signature": parsed.signature.model_dump(mode="json") if parsed.signature else None,
        "exhibit_index": [e.model_dump(mode="json") for e in parsed.exhibit_index],
        "exhibits": [
            e.model_dump(mode="json", exclude={"text", "repeats"}) for e in parsed.exhibits
        ],
        "notices": [
            {
                "exhibit_id": n.exhibit_id,
                "title": n.title,
                "kind": n.kind,
                "channels": list(n.channels),
                "recipient_class": n.recipient_class,
                "sender": n.sender,
                "dated": n.dated.isoformat() if n.dated else None,
                "stated_deadline": n.stated_deadline.isoformat() if n.stated_deadline else None,
                "first_line": n.first_line,
                "last_line": n.last_line,
            }
            for n in notices
        ],
        "offer_document": _document(parsed.offer_document) if parsed.offer_document else None,
        "terms": {
            "expiration": instants[0].isoformat() if len(instants) == 1 else None,
            "statements": [s.model_dump(mode="json") for s in terms.statements],
            "plans": [p.model_dump(mode="json") for p in terms.plans],
        }
        if terms
        else None,
        "not_understood": [p.model_dump(mode="json") for p in _problems(parsed)],
    }


def render_parse(parsed: ParsedFiling) -> list[str]:
    """``offerledger parse FILE``: what was read, each with its lines, then what was not."""
    c = parsed.cover
    out = [f"{parsed.source}: {c.form} (SHA-256 {parsed.sha256})"]
    if parsed.accession or parsed.cik:
        out.append(
            f"SEC header: accession {parsed.accession or 'not on file'}, CIK "
            f"{parsed.cik or 'not on file'}, file number {parsed.file_number or 'not on file'}, "
            f"filed {parsed.filed_on or 'not on file'}"
        )
    for d in parsed.parts if len(parsed.parts) > 1 else ():
        out.append(f"  {_span(d.first_line, d.last_line)}: <DOCUMENT> {d.type} {d.filename or ''}")
    number = f" Amendment No. {c.amendment_number}" if c.amendment_number else ""
    final = " (final amendment)" if c.final_amendment else ""
    out.append(f"cover, {_span(c.first_line, c.last_line)}: {c.form}{number}{final}")
    for label, value in (("issuer", c.issuer), ("securities", c.securities), ("CUSIP", c.cusip)):
        out.append(f"  {label}: {value or 'not on file'}")
    checked = [k for k, v in c.check_boxes.items() if v]
    out.append(f"  boxes checked: {', '.join(checked) or 'none'}")
    if parsed.intro:
        i = parsed.intro
        out.append(f"introductory statement, {_span(i.first_line, i.last_line)}: amends {i.amends}")
    for ins in parsed.instructions:
        out.extend(_render_instruction(ins))
    if parsed.signature:
        s = parsed.signature
        out.append(
            f"signature, {_span(s.first_line, s.last_line)}: {s.name} ({s.title}), "
            f"{s.signed_on or 'undated'}"
        )
    for e in parsed.exhibits:
        out.append(
            f"exhibit {e.exhibit_id}, {_span(e.first_line, e.last_line)}: {e.title} "
            f"(text SHA-256 {e.sha256})"
        )
    for n in filter(None, (read_notice(e) for e in parsed.exhibits)):
        how = " and ".join(n.channels) or "no channel stated"
        deadline = n.stated_deadline.isoformat() if n.stated_deadline else "none stated"
        out.append(
            f"notice, {_span(n.first_line, n.last_line)}: Exhibit {n.exhibit_id} "
            f"({n.kind}) by {how} to {n.recipient_class or 'recipients not stated'}, dated "
            f"{n.dated or 'not on file'}; deadline {deadline}"
        )
    out.extend(_render_terms(parsed))
    if parsed.offer_document:
        out.extend(_render_document(parsed.offer_document))
    problems = _problems(parsed)
    out.append(f"not understood: {'nothing' if not problems else len(problems)}")
    out.extend(f"  {p.describe()}{' (refused on ingest)' if p.blocking else ''}" for p in problems)
    return out


def _render_instruction(ins: Instruction) -> list[str]:
    label = f"{ins.label}. " if ins.label else ""
    loc = ins.locator
    lines = [f"instruction {label}{_span(ins.first_line, ins.last_line)}: {ins.head}"]
    if loc is not None:
        lines.append(f"  {loc.action}: {'; '.join(target_text(t) for t in loc.targets) or '-'}")
        lines.append(f"  locator: {loc.written}")
    lines.append(f"  {_resolution(ins)}")
    for p in ins.payload:
        lines.append(f"  new text, {_span(p.first_line, p.last_line)}: {p.text}")
    return lines


def _render_terms(parsed: ParsedFiling) -> list[str]:
    terms = parsed.terms
    if terms is None:
        return []
    instants = terms.expirations()
    shown = instants[0].isoformat() if len(instants) == 1 else f"{len(instants)} stated"
    out = [f"expiration: {shown if instants else 'not stated'}"]
    for s in terms.statements:
        out.append(f"  {_span(s.first_line, s.last_line)} ({s.document}): {s.written}")
    out.append(f"plans: {'none named' if not terms.plans else ''}".rstrip())
    for p in terms.plans:
        alias = f' ("{p.alias}")' if p.alias else ""
        out.append(f"  {_span(p.first_line, p.last_line)}: {p.name}{alias}")
    return out


def _render_document(doc: ParsedDocument) -> list[str]:
    out = [
        f"offer document {doc.document_id} (Exhibit {doc.exhibit_id}, {doc.title}, dated "
        f"{doc.dated or 'not on file'}), {_span(doc.first_line, doc.last_line)}:"
    ]
    for part in doc.parts:
        if part.kind == "gap":
            out.append(f"  {_span(part.first_line, part.last_line)}: not on file: {part.note}")
            continue
        head = f"Section {part.number}. {part.title}" if part.number else part.title
        page = f"page {part.page}" if part.page else "page not on file"
        out.append(
            f"  {_span(part.first_line, part.last_line)}: {head} [{part.id}], {page}, "
            f"{len(part.paragraphs)} paragraph(s)"
        )
    return out


def describe_event(event: LedgerEvent) -> list[str]:
    """The lines ``ingest filing`` prints under an event."""
    if isinstance(event, OfferCommenced):
        return [
            f"offer {event.offer_name}: {event.issuer}; {event.securities}; CUSIP "
            f"{event.cusip or 'not on file'}",
            f"expires {event.expiration.isoformat()}; plans: "
            f"{'; '.join(event.plans) or 'not on file'}",
        ]
    if isinstance(event, OfferDocumentRegistered):
        doc = event.document
        sections = [p for p in doc.parts if isinstance(p, Section)]
        gaps = [p for p in doc.parts if isinstance(p, SectionGap)]
        lines = [
            f"document {doc.id} (Exhibit {doc.exhibit}, {doc.title}): {len(sections)} "
            f"section(s), {sum(len(s.blocks) for s in sections)} paragraph(s), "
            f"{len(gaps)} part(s) not on file"
        ]
        for s in sections:
            head = f"Section {s.number}. {s.title}" if s.number else s.title
            lines.append(f"  {s.id}: {head} (page {s.page or 'not on file'})")
        lines.extend(f"  {g.id}: not on file: {g.note}" for g in gaps)
        return lines
    if isinstance(event, FilingRecorded):
        number = f" Amendment No. {event.amendment_number}" if event.amendment_number else ""
        accession = f", accession {event.accession_number}" if event.accession_number else ""
        ex = ", ".join(
            f"{e.exhibit_id} {e.title} (sha256 {str(e.sha256)[:12]}…)" for e in event.exhibits
        )
        return [f"{event.form}{number} filed {event.filed_on}{accession}; exhibits: {ex or 'none'}"]
    if isinstance(event, DocumentAmended):
        return _op_lines(event)
    if isinstance(event, NoticeDispatched):
        return [
            f"notice {event.notice_id} ({event.notice_kind}) by {event.channel} to "
            f"{event.recipient_class}; content sha256 {event.content_sha256}"
        ]
    if isinstance(event, CrossCheckRecorded):
        span = event.source_lines
        where = f", lines {span[0]}-{span[1]}" if span else ""
        return [
            f"cross-check {event.check}: {cross_check_text(event.outcome)}; "
            f"compared {event.compared}{where}",
            *(f"  {name}: {value}" for name, value in sorted(event.values.items())),
        ]
    return [", ".join(f"{k}={v}" for k, v in list(event.payload().items())[:6])]


def _op_lines(event: DocumentAmended) -> list[str]:
    lines = [f"document {event.document_id}:"]
    for op in event.operations:
        data = op.model_dump(mode="json")
        label = f"{op.label}. " if op.label else ""
        target = " ".join(
            str(data[k])
            for k in ("section_id", "paragraph_id", "after_id", "index", "exhibit", "item")
            if k in data
        )
        lines.append(f"  {label}{op.op} {target}".rstrip())
        lines.append(f"     locator: {op.locator}")
        new = data.get("new")
        if isinstance(new, dict) and "sentences" in new:
            lines.append(f"     new paragraph {new['id']}: {' '.join(map(str, new['sentences']))}")
        for k in ("text", "title", "reason"):
            if k in data and data[k]:
                lines.append(f"     {k}: {data[k]}")
    return lines


__all__ = ["describe_event", "parse_report", "render_parse", "target_text"]
