"""Stage two: a ParsedFiling's locators + the offer's documents -> text operations.

Instructions are resolved in the filing's order, each against the document as the instructions
before it left it. A target the document cannot show for certain is refused with the
instruction's lines (or, with ``allow_unparsed``, kept as an :class:`UnresolvedInstruction`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from offerledger.events import (
    AmendmentTargetMissing,
    Document,
    Paragraph,
    Section,
    apply_operation,
    inserted_paragraph_id,
    split_sentences,
)
from offerledger.ingest.errors import Unparsed, UnparsedInstructions
from offerledger.ingest.filing import exhibit_key
from offerledger.ingest.locators import BlockRef, ExhibitRef, ItemRef, SectionRef, SentenceRef
from offerledger.ingest.model import Instruction, ParsedFiling, Payload
from offerledger.ingest.targets import (
    TargetNotFound,
    block_before,
    choose_document,
    find_block,
    find_section,
    sentence_index,
)
from offerledger.values import (
    AmendScheduleItem,
    DeleteParagraph,
    DeleteSentence,
    IncorporateExhibit,
    InsertParagraphAfter,
    InsertSentence,
    ReplaceParagraph,
    ReplaceSection,
    ReplaceSentence,
    TextOperation,
    UnresolvedInstruction,
)


@dataclass
class Resolved:
    """Operations grouped by the document they amend, in filing order."""

    groups: list[tuple[str | None, list[TextOperation]]] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)

    def add(self, document_id: str | None, ops: list[TextOperation]) -> None:
        if self.groups and self.groups[-1][0] in (document_id, None):
            doc_id = self.groups[-1][0] or document_id
            self.groups[-1] = (doc_id, [*self.groups[-1][1], *ops])
        elif self.groups and document_id is None:
            self.groups[-1][1].extend(ops)
        else:
            self.groups.append((document_id, list(ops)))

    @property
    def operations(self) -> list[TextOperation]:
        return [op for _, ops in self.groups for op in ops]


_LISTED = re.compile(
    r"^(?:Exhibit\s+)?(?:99\.?)?(?P<id>(?:\([a-zA-Z0-9.]{1,4}\)){1,4})\s*(?P<t>.*)$"
)


@dataclass(frozen=True, slots=True)
class _W:
    """The locator as written and the instruction's label, carried by every operation."""

    locator: str
    label: str | None


class _Ctx:
    def __init__(self, filing: ParsedFiling, ins: Instruction, number: int, index: int) -> None:
        self.filing = filing
        self.ins = ins
        self.label = ins.label or f"#{number + 1}"
        self.index = index
        self.written = ins.locator.written if ins.locator else ins.head

    def new_id(self, k: int = 0, *, many: bool = False) -> str:
        label = f"{self.label}.{k + 1}" if many else self.label
        return inserted_paragraph_id(
            filing=self.filing.stream_name, label=label, index=self.index + (0 if many else k)
        )


def _paragraph(pid: str, payload: Payload, style: str = "body") -> Paragraph:
    sentences = split_sentences(payload.text)
    if not sentences:
        raise TargetNotFound("the inserted passage is empty")
    return Paragraph(id=pid, style="bullet" if payload.bullet else style, sentences=sentences)


def resolve(
    filing: ParsedFiling, documents: dict[str, Document], *, allow_unparsed: bool = False
) -> Resolved:
    """Operations for every instruction of ``filing`` (raises UnparsedInstructions)."""
    docs = dict(documents)
    out = Resolved()
    index = 0
    for number, ins in enumerate(filing.instructions):
        if ins.locator is not None and ins.locator.action == "preamble" and not ins.payload:
            continue
        try:
            if ins.locator is None:
                raise TargetNotFound(ins.problem or "the instruction was not read")
            ctx = _Ctx(filing, ins, number, index)
            doc_id, ops = _ops(ctx, docs)
            if doc_id is not None:
                doc = docs[doc_id]
                for op in ops:
                    doc, _ = apply_operation(doc, op)
                docs[doc_id] = doc
        except (TargetNotFound, AmendmentTargetMissing) as e:
            reason = e.reason if isinstance(e, TargetNotFound) else e.message
            item = Unparsed(ins.label, ins.first_line, ins.last_line, ins.raw_text, reason)
            out.unparsed.append(item)
            doc_id, ops = (
                None,
                [
                    UnresolvedInstruction(
                        locator=ins.head,
                        label=ins.label,
                        text=ins.raw_text,
                        first_line=ins.first_line,
                        last_line=ins.last_line,
                        reason=reason,
                    )
                ],
            )
        out.add(doc_id, ops)
        index += len(ops)
    if out.unparsed and not allow_unparsed:
        raise UnparsedInstructions(out.unparsed, file=filing.source)
    return out


def _ops(ctx: _Ctx, docs: dict[str, Document]) -> tuple[str | None, list[TextOperation]]:
    loc = ctx.ins.locator
    assert loc is not None
    payload = list(ctx.ins.payload)
    w = _W(ctx.written, ctx.ins.label)
    if loc.action == "preamble":
        raise TargetNotFound("text follows a general statement that is not an instruction")
    if loc.action == "file_exhibit":
        return None, _exhibits(ctx, payload)
    if loc.action in ("supplement_item", "restate_item"):
        item = loc.targets[0]
        assert isinstance(item, ItemRef)
        if not payload:
            raise TargetNotFound(f"Item {item.item} is amended but no text follows")
        mode = "restate" if loc.action == "restate_item" else "supplement"
        return None, [
            AmendScheduleItem(
                item=item.item,
                mode=mode,
                text=tuple(p.text for p in payload),
                locator=w.locator,
                label=w.label,
            )
        ]
    first = loc.targets[0]
    section_ref = (
        first.block.section
        if isinstance(first, SentenceRef)
        else first.section
        if isinstance(first, BlockRef)
        else first
    )
    assert isinstance(section_ref, SectionRef)
    doc = choose_document(docs, section_ref)
    section = find_section(doc, section_ref)
    sid = section.id
    if loc.action == "delete":
        if payload:
            raise TargetNotFound("text follows an instruction that only deletes")
        return doc.id, _deletes(section, loc.targets, w)
    if not payload:
        raise TargetNotFound("the instruction inserts text but none follows it")
    if loc.action == "replace" and isinstance(first, SectionRef):
        return doc.id, [_replace_section(ctx, section, payload, w)]
    if loc.action == "replace" and isinstance(first, SentenceRef):
        return doc.id, _replace_sentences(section, loc.targets, payload, w)
    if loc.action == "replace":
        blocks = [find_block(section, t) for t in loc.targets if isinstance(t, BlockRef)]
        if len(blocks) > 1:
            if len(payload) != len(blocks):
                raise TargetNotFound(
                    f"{len(blocks)} targets but {len(payload)} replacement passages"
                )
            return doc.id, [
                ReplaceParagraph(
                    section_id=sid,
                    paragraph_id=b.id,
                    new=_paragraph(b.id, p, b.style),
                    locator=w.locator,
                    label=w.label,
                )
                for b, p in zip(blocks, payload, strict=True)
            ]
        old = blocks[0]
        ops: list[TextOperation] = [
            ReplaceParagraph(
                section_id=sid,
                paragraph_id=old.id,
                new=_paragraph(old.id, payload[0], old.style),
                locator=w.locator,
                label=w.label,
            )
        ]
        return doc.id, ops + _chain(ctx, sid, old.id, payload[1:], w, start=1)
    if loc.action == "insert_sentence":
        return doc.id, _insert_sentences(section, first, loc.where or "end", payload, w)
    if loc.action == "append_to_section":
        if not section.blocks:
            raise TargetNotFound(f"Section {section.number} has no block to add after")
        return doc.id, _chain(ctx, sid, section.blocks[-1].id, payload, w)
    assert isinstance(first, BlockRef)
    anchor = find_block(section, first)
    after: str | None = anchor.id
    if loc.action == "insert_before":
        after = block_before(section, anchor.id)
        if after is None:
            raise TargetNotFound(
                "nothing can be inserted before the first block of a section (no such operation)"
            )
    assert after is not None
    return doc.id, _chain(ctx, sid, after, payload, w)


def _chain(
    ctx: _Ctx, sid: str, after: str, payload: list[Payload], w: _W, start: int = 0
) -> list[TextOperation]:
    ops: list[TextOperation] = []
    for k, p in enumerate(payload):
        new = _paragraph(ctx.new_id(start + k), p)
        ops.append(
            InsertParagraphAfter(
                section_id=sid, after_id=after, new=new, locator=w.locator, label=w.label
            )
        )
        after = new.id
    return ops


def _deletes(section: Section, targets: tuple[object, ...], w: _W) -> list[TextOperation]:
    if any(isinstance(t, SectionRef) for t in targets):
        raise TargetNotFound("deleting a whole section has no text operation; restate it instead")
    ops: list[TextOperation] = []
    sentences: list[tuple[str, int]] = []
    for t in targets:
        if isinstance(t, SentenceRef):
            para = find_block(section, t.block)
            sentences.append((para.id, sentence_index(para, t)))
        elif isinstance(t, BlockRef):
            ops.append(
                DeleteParagraph(
                    section_id=section.id,
                    paragraph_id=find_block(section, t).id,
                    locator=w.locator,
                    label=w.label,
                )
            )
    for pid, idx in sorted(sentences, key=lambda s: -s[1]):
        ops.append(
            DeleteSentence(
                section_id=section.id, paragraph_id=pid, index=idx, locator=w.locator, label=w.label
            )
        )
    return ops


def _replace_sentences(
    section: Section, targets: tuple[object, ...], payload: list[Payload], w: _W
) -> list[TextOperation]:
    if len(payload) != 1:
        raise TargetNotFound("a sentence is replaced by one passage")
    new = list(split_sentences(payload[0].text))
    refs = [t for t in targets if isinstance(t, SentenceRef)]
    places = [
        (find_block(section, r.block).id, sentence_index(find_block(section, r.block), r))
        for r in refs
    ]
    if len(places) > 1:
        if len(new) != len(places):
            raise TargetNotFound(f"{len(places)} sentences named but {len(new)} given")
        return [
            ReplaceSentence(
                section_id=section.id,
                paragraph_id=pid,
                index=i,
                text=s,
                locator=w.locator,
                label=w.label,
            )
            for (pid, i), s in zip(places, new, strict=True)
        ]
    pid, idx = places[0]
    ops: list[TextOperation] = [
        ReplaceSentence(
            section_id=section.id,
            paragraph_id=pid,
            index=idx,
            text=new[0],
            locator=w.locator,
            label=w.label,
        )
    ]
    ops += [
        InsertSentence(
            section_id=section.id,
            paragraph_id=pid,
            index=idx + k,
            text=s,
            locator=w.locator,
            label=w.label,
        )
        for k, s in enumerate(new[1:], start=1)
    ]
    return ops


def _insert_sentences(
    section: Section, target: object, where: str, payload: list[Payload], w: _W
) -> list[TextOperation]:
    if len(payload) != 1:
        raise TargetNotFound("sentences are inserted from one passage")
    if isinstance(target, SentenceRef):
        para = find_block(section, target.block)
        idx = sentence_index(para, target) + (1 if where == "after" else 0)
    else:
        assert isinstance(target, BlockRef)
        para = find_block(section, target)
        idx = len(para.sentences) if where == "end" else 0
    return [
        InsertSentence(
            section_id=section.id,
            paragraph_id=para.id,
            index=idx + k,
            text=s,
            locator=w.locator,
            label=w.label,
        )
        for k, s in enumerate(split_sentences(payload[0].text))
    ]


def _replace_section(ctx: _Ctx, section: Section, payload: list[Payload], w: _W) -> TextOperation:
    heading = re.match(
        rf"^(?:Section\s+)?{re.escape(section.number)}\.\s+(?P<title>.+)$", payload[0].text, re.I
    )
    title = section.title
    if heading and len(payload[0].text) < 120:
        title, payload = heading.group("title").rstrip("."), payload[1:]
    if not payload:
        raise TargetNotFound("the restated section has no text")
    blocks = tuple(_paragraph(ctx.new_id(k, many=True), p) for k, p in enumerate(payload))
    new = Section(
        id=section.id, number=section.number, title=title, page=section.page, blocks=blocks
    )
    return ReplaceSection(section_id=section.id, new=new, locator=w.locator, label=w.label)


def _exhibits(ctx: _Ctx, payload: list[Payload]) -> list[TextOperation]:
    loc = ctx.ins.locator
    assert loc is not None
    listed: dict[str, tuple[str, str]] = {}
    for p in payload:
        m = _LISTED.match(p.text)
        if m:
            listed[exhibit_key(m.group("id"))] = (m.group("id"), m.group("t").strip().rstrip("."))
    ids = [t.exhibit_id for t in loc.targets if isinstance(t, ExhibitRef)] or [
        v[0] for v in listed.values()
    ]
    if not ids:
        raise TargetNotFound("no exhibit is named")
    index = {exhibit_key(e.exhibit_id): e.title for e in ctx.filing.exhibit_index}
    attached = {exhibit_key(e.exhibit_id): e.title for e in ctx.filing.exhibits}
    ops: list[TextOperation] = []
    for exhibit_id in ids:
        key = exhibit_key(exhibit_id)
        title = listed.get(key, ("", ""))[1] or index.get(key) or attached.get(key)
        if not title:
            raise TargetNotFound(f"Exhibit {exhibit_id} has no title in the filing")
        ops.append(
            IncorporateExhibit(
                exhibit=exhibit_id,
                title=title,
                locator=ctx.written,
                label=ctx.ins.label,
            )
        )
    return ops


__all__ = ["Resolved", "resolve"]
