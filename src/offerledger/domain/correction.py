"""A correction's fields: how they are stored, how they read, and the event they make.

A :class:`~offerledger.events.CorrectionRecorded` stores each corrected payload field as text:
a string as it is, anything else as JSON (a list of choices, a number, a date). The read side
reads a value that starts with ``[`` or ``{`` as JSON and any other as the string it is
(:func:`offerledger.events.corrected_value`, the one decoder), and applies it to the superseded
event. The write side accepts a correction only when that reading, applied to the superseded
event, validates against the event's own model and gives back exactly the values asked for; the
values are then stored in their one canonical text, so every reader gets the same event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from offerledger.errors import InputError
from offerledger.events import HEADER_FIELDS, LedgerEvent, corrected_value

# Fields that place an event in its stream (derived, never chosen): a correction cannot move it.
PLACEMENT_FIELDS = frozenset({"offer_id", "offer_name", "employee_id", "cik", "file_number"})


def correction_text(value: Any) -> str:
    """A corrected value as stored: a string as given, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def payload_fields(event: LedgerEvent) -> frozenset[str]:
    """The payload fields of an event's model (optional ones included when absent)."""
    return frozenset(type(event).model_fields) - HEADER_FIELDS


def _validated(original: LedgerEvent, texts: Mapping[str, str]) -> LedgerEvent:
    data = original.model_dump()
    for name, text in texts.items():
        data[name] = corrected_value(name, text)
    return type(original).model_validate(data)


def merge_correction(
    original: LedgerEvent, corrected: Mapping[str, Any]
) -> tuple[LedgerEvent, dict[str, str]]:
    """The superseded event with the corrected fields, validated against its own model, and the
    corrected fields as they are stored (canonical text). Raises :class:`InputError` naming the
    field that cannot be corrected that way; nothing is written."""
    if not corrected:
        raise InputError(
            "names no field; a correction states the fields it corrects",
            field="corrected",
            hint='e.g. --corrected \'{"channel": "mail"}\'',
        )
    unknown = sorted(set(corrected) - payload_fields(original))
    if unknown:
        raise InputError(
            f"{original.TOPIC} has no field(s) {', '.join(unknown)}",
            field="corrected",
            hint="corrected names payload fields of the superseded event",
        )
    moved = sorted(set(corrected) & PLACEMENT_FIELDS)
    if moved:
        raise InputError(
            f"{', '.join(moved)} place(s) the event in its stream and cannot be corrected",
            field=f"corrected.{moved[0]}",
            hint="record the event again in the right stream, and a correction that explains",
        )
    cleared = sorted(name for name, value in corrected.items() if value is None)
    if cleared:
        raise InputError(
            "a correction cannot clear a field",
            field=f"corrected.{cleared[0]}",
            hint="give the field's corrected value",
        )
    texts = {name: correction_text(value) for name, value in sorted(corrected.items())}
    try:
        merged = _validated(original, texts)
    except ValidationError as e:
        first = e.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"{first['msg']} (the corrected {original.action} must still be a valid "
            f"{original.action})",
            field=f"corrected.{path}",
            hint="lists and objects are given as JSON with the superseded event's own shape "
            "('offerledger log --stream … --json' shows it)",
        ) from None
    dumped = merged.model_dump(mode="json")
    stored: dict[str, str] = {}
    for name in texts:
        if name not in dumped or dumped[name] is None:
            raise InputError(
                "a correction cannot clear a field",
                field=f"corrected.{name}",
                hint="give the field's corrected value",
            )
        stored[name] = correction_text(dumped[name])
    try:
        again = _validated(original, stored)
    except ValidationError:
        again = None
    if again != merged:
        name = next(n for n in stored if again is None or getattr(again, n) != getattr(merged, n))
        raise InputError(
            "this text would read back as JSON, not as the text given",
            field=f"corrected.{name}",
            hint="a corrected text field cannot start with '[' or '{' and parse as JSON",
        )
    return merged, stored


__all__ = [
    "PLACEMENT_FIELDS",
    "correction_text",
    "merge_correction",
    "payload_fields",
]
