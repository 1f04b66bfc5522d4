"""Problems of an input as a person reads them: every problem at once, each with its field path
(``document.parts[0].blocks[1].id``, never the union tags pydantic adds to an error's location),
what was expected (the field's description and example) and the line of the JSON file it stands
on. Used by ``record`` (:func:`offerledger.actions.wrap_validation`) and committed lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from offerledger.recording import example, is_model, union_members

__all__ = ["field_path", "json_lines", "line_of", "validation_problems"]


# --- problems as a person reads them ---------------------------------------------------------


def _tags(member: Any) -> set[str]:
    """The tags pydantic may put in an error's location for a union member: the
    discriminator's value (``section``) in a tagged union, else the member's name
    (``NotOnFile``, ``str``)."""
    out = {str(getattr(member, "__name__", ""))}
    if is_model(member):
        for key in ("kind", "op"):
            info = member.model_fields.get(key)
            if info is not None and isinstance(info.default, str):
                out.add(info.default)
    return out


def field_path(cls: type[BaseModel], loc: Sequence[int | str]) -> str:
    """``('document', 'parts', 0, 'section', 'blocks', 1, 'paragraph', 'id')`` as
    ``document.parts[0].blocks[1].id``: union tags dropped, indexes in brackets."""
    out = ""
    tp: Any = cls
    for step in loc:
        members = union_members(tp)
        if len(members) > 1 and isinstance(step, str):
            chosen = next((m for m in members if step in _tags(m)), None)
            if chosen is not None:
                tp = chosen
                continue
        tp = members[0] if len(members) == 1 else tp
        if isinstance(step, int):
            out += f"[{step}]"
            origin = get_origin(tp)
            tp = get_args(tp)[0] if origin in (tuple, list) and get_args(tp) else Any
            continue
        out += f".{step}" if out else str(step)
        if is_model(tp) and step in tp.model_fields:
            tp = tp.model_fields[step].annotation
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            tp = Any
    return out


def _info_at(cls: type[BaseModel], loc: Sequence[int | str]) -> FieldInfo | None:
    """The field an error's location ends on (for its description)."""
    tp: Any = cls
    info = None
    for step in loc:
        members = union_members(tp)
        if len(members) > 1 and isinstance(step, str):
            chosen = next((m for m in members if step in _tags(m)), None)
            if chosen is not None:
                tp = chosen
                continue
        tp = members[0]
        if isinstance(step, int):
            tp = get_args(tp)[0] if get_origin(tp) in (tuple, list) and get_args(tp) else Any
            continue
        if is_model(tp) and step in tp.model_fields:
            info = tp.model_fields[step]
            tp = info.annotation
        else:
            return None
    return info


def validation_problems(cls: type[BaseModel], error: ValidationError) -> list[tuple[str, str]]:
    """Every problem of a validation error as (field path, what was expected)."""
    out: list[tuple[str, str]] = []
    for e in error.errors():
        loc = e["loc"]
        path = field_path(cls, loc) if loc else ""
        message = str(e["msg"])
        if e["type"] != "value_error":  # a model's own rule says what it expects itself
            info = _info_at(cls, loc)
            if info is not None and info.description:
                ex = example(info.annotation, info) if info.examples else None
                shown = f", e.g. {json.dumps(ex, ensure_ascii=False)}" if ex is not None else ""
                message += f" ({info.description}{shown})"
        if path == "effective" and e["type"] == "missing":
            message += (
                ' (when it happened: --effective, or "effective" in the file, e.g. '
                '{"kind": "date", "on": "2001-10-01"})'
            )
        elif e["type"] == "value_error" and message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        entry = (path, message)
        if entry not in out:
            out.append(entry)
    return out


# --- where a field stands in a JSON file ---------------------------------------------------------

_SPACE = " \t\r\n"


def json_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """The line (from 1) each value of a JSON text starts on, by its path (``("document",
    "parts", 2)``); an object member's line is its key's. Empty when the text is not JSON."""
    decoder = json.JSONDecoder()
    out: dict[tuple[str | int, ...], int] = {}

    def line(at: int) -> int:
        return text.count("\n", 0, at) + 1

    def skip(at: int) -> int:
        while at < len(text) and text[at] in _SPACE:
            at += 1
        return at

    def value(at: int, path: tuple[str | int, ...]) -> int:
        at = skip(at)
        out.setdefault(path, line(at))
        if text[at] == "{":
            at = skip(at + 1)
            while text[at] != "}":
                key, end = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
                out[(*path, key)] = line(at)
                at = value(skip(end) + 1, (*path, key))
                at = skip(at)
                at = skip(at + 1) if text[at] == "," else at
            return at + 1
        if text[at] == "[":
            at, i = skip(at + 1), 0
            while text[at] != "]":
                at = skip(value(at, (*path, i)))
                at = skip(at + 1) if text[at] == "," else at
                i += 1
            return at + 1
        return decoder.raw_decode(text, at)[1]

    try:
        value(0, ())
    except (ValueError, IndexError):
        return {}
    return out


def line_of(lines: dict[tuple[str | int, ...], int], path: str) -> int | None:
    """The line of a field path (``document.parts[2].title``), or of the nearest enclosing
    value the file holds (a missing field: the object it is missing from)."""
    steps: list[str | int] = [
        int(m.group(1)) if m.group(1) else m.group(2)
        for m in re.finditer(r"\[(\d+)\]|([^.\[\]]+)", path)
    ]
    while steps:
        found = lines.get(tuple(steps))
        if found is not None:
            return found
        steps.pop()
    return None
