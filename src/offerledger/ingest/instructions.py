"""The body of an amendment into instructions: label, item, instruction sentence, payload.

A paragraph is an instruction when the grammar (:mod:`offerledger.ingest.locators`) reads it or
it uses an amending verb; the paragraphs after it that are not instructions are its payload (the
passages it inserts). Nothing is dropped: a paragraph no rule reads becomes an instruction with a
``problem``, which the import refuses unless told to record it as unresolved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from offerledger.events import normalize_text
from offerledger.ingest.blocks import Para
from offerledger.ingest.locators import GrammarError, Locator, parse_head
from offerledger.ingest.model import Instruction, Payload

_ITEM_HEADING = re.compile(r"^Item\s+(?P<item>\d+[A-Za-z]?)\.?\s*(?P<title>[^.]{0,90}?)\.?$", re.I)
_ITEM_PREFIX = re.compile(r"^Item\s+(?P<item>\d+[A-Za-z]?)\.\s+[A-Z][^.]{0,90}?\.\s+(?=\S)", re.I)
_LABEL = re.compile(
    r"^(?:(?P<label>[A-Z]|\d{1,2}|[ivx]{1,5})[.)]|(?P<paren>\([a-z0-9]{1,4}\))[.)]?)\s+"
    r"(?P<rest>\S.*)$",
    re.S,
)
_VERBS = re.compile(
    r"\b(?:amended|deleted|replaced|inserted|restated|revised|supplemented|hereby\s+filed|"
    r"added|removed)\b",
    re.I,
)
_INLINE = re.compile(
    r"^(?P<head>.*?(?:the\s+following|as\s+follows|set\s+forth\s+below|to\s+read)"
    r"\s*:)\s+(?P<rest>\S.*)$",
    re.I | re.S,
)
_BULLET = re.compile(r"^(?:[\u2022\u00b7\u25cf\u25aa\u2013*-]|o(?=\s{1,}))\s*")
_OPEN = ('"', "\u201c")
_CLOSE = ('"', "\u201d")


def _head_like(text: str) -> bool:
    return not text.startswith(_OPEN) and bool(_VERBS.search(text[:400]))


def split_instructions(paras: Sequence[Para]) -> list[Instruction]:
    """Instructions in order, each with its payload and line range."""
    out: list[dict[str, object]] = []
    item: str | None = None
    for para in paras:
        text = para.text
        heading = _ITEM_HEADING.match(text)
        if heading and len(text) <= 100 and not _head_like(text):
            item = heading.group("item")
            continue
        prefix = _ITEM_PREFIX.match(text)
        if prefix:
            item = prefix.group("item")
            text = text[prefix.end() :]
        label = None
        lm = _LABEL.match(text)
        body = text
        if lm and _head_like(lm.group("rest")):
            label, body = lm.group("label") or lm.group("paren"), lm.group("rest")
        if _head_like(body):
            inline = None
            im = _INLINE.match(body)
            if im:
                body, inline = im.group("head"), im.group("rest")
            entry: dict[str, object] = {
                "first_line": para.first_line,
                "last_line": para.last_line,
                "label": label,
                "item": item,
                "head": body,
                "payload": [],
            }
            if inline:
                entry["payload"] = [(para, inline)]
                entry["closed"] = inline.startswith(_OPEN) and inline.rstrip().endswith(_CLOSE)
            out.append(entry)
            continue
        if out and (not out[-1].get("closed") or text.startswith(_OPEN)):
            payload = out[-1]["payload"]
            assert isinstance(payload, list)
            payload.append((para, text))
            out[-1]["last_line"] = para.last_line
            opened = normalize_text(payload[0][1]).startswith(_OPEN)
            out[-1]["closed"] = opened and text.rstrip().endswith(_CLOSE)
            continue
        out.append(
            {
                "first_line": para.first_line,
                "last_line": para.last_line,
                "label": (lm.group("label") or lm.group("paren")) if lm else None,
                "item": item,
                "head": lm.group("rest") if lm else text,
                "payload": [],
                "problem": "text under an item that is not an amendment instruction",
            }
        )
    return [_finish(e) for e in out]


def _finish(entry: dict[str, object]) -> Instruction:
    head = str(entry["head"])
    locator: Locator | None = None
    problem = entry.get("problem")
    if problem is None:
        try:
            locator = parse_head(head)
        except GrammarError as e:
            problem = e.reason
    raw = entry["payload"]
    assert isinstance(raw, list)
    payload = _payload(raw)
    return Instruction(
        first_line=int(str(entry["first_line"])),
        last_line=int(str(entry["last_line"])),
        label=entry["label"],
        item=entry["item"],
        head=head,
        locator=locator,
        problem=problem,
        payload=tuple(payload),
    )


def _payload(raw: list[tuple[Para, str]]) -> list[Payload]:
    texts = [normalize_text(t) for _, t in raw]
    if texts and texts[0].startswith(_OPEN) and texts[-1].endswith(_CLOSE):
        if all(t.startswith(_OPEN) and t.endswith(_CLOSE) for t in texts):
            texts = [normalize_text(t, drop_quotes=True) for t in texts]
        else:
            texts = [t[1:] if t.startswith(_OPEN) else t for t in texts]
            texts[-1] = texts[-1][:-1]
            texts = [t.strip() for t in texts]
    out = []
    for (para, _), text in zip(raw, texts, strict=True):
        bullet = bool(_BULLET.match(text)) and len(text) > 2
        if bullet:
            text = normalize_text(_BULLET.sub("", text, count=1), drop_quotes=True)
        out.append(
            Payload(first_line=para.first_line, last_line=para.last_line, text=text, bullet=bullet)
        )
    return out


__all__ = ["split_instructions"]
