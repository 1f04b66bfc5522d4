"""What a person recording an action by hand needs from the event models.

* :func:`example` and :func:`model_example`: an example value of a field or a whole value model,
  built from the fields' own ``examples`` (``Field(examples=[...])``) and their types, so the
  help of ``record ACTION`` and its ``--template`` cannot drift from the schema.
* :func:`template`: the complete ``--file`` JSON of one action, in one consistent story (the
  Halvorsen Optical Networks option exchange of October 2001, a constructed example: the test
  filings in ``tests/fixtures/filings`` tell the same story). Recorded in :data:`STORY_ORDER`
  on a fresh ledger, every template is accepted (``docs/recording.md`` shows them; its test
  records them all).
* What an input's problems say (field paths, what was expected, lines):
  :mod:`offerledger.input_problems`.
"""

from __future__ import annotations

import copy
import json
import re
import types
import typing
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from offerledger.eventbase import HEADER_FIELDS, TOPICS, LedgerEvent, offer_stream_name, stream_id

__all__ = [
    "AUTO_FIELDS",
    "KEY_ACTIONS",
    "OFFER",
    "STORY_ORDER",
    "action_classes",
    "example",
    "help_for",
    "is_json_field",
    "is_model",
    "kebab",
    "model_example",
    "payload_fields",
    "template",
    "union_members",
]

KEY_ACTIONS = {"KeyRegistered", "KeyRevoked", "RootKeyRotated"}  # the keys commands record these


def kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def action_classes() -> dict[str, type[LedgerEvent]]:
    """``kebab-name -> newest event class`` for every action ``record`` takes (here, beside the
    models alone, so that ``record ACTION --help`` imports no storage or crypto)."""
    import offerledger.events  # noqa: F401  (defining the classes registers their topics)

    newest: dict[str, type[LedgerEvent]] = {}
    for topic, cls in sorted(TOPICS.items()):
        if topic.count(".") != 2:  # offerledger.<Event>.v<N> only (tests define others)
            continue
        name = topic.split(".")[1]
        if name not in KEY_ACTIONS:
            newest[kebab(name)] = cls
    return dict(sorted(newest.items()))


AUTO_FIELDS = frozenset({"offer_id", "offer_name"})
"""Payload fields the ledger fills in (the offer's stream id and name), never given."""

OFFER = {"cik": "0000999101", "file_number": "005-99101"}
OFFER_NAME = offer_stream_name(**OFFER)
# a filing recorded without its file is named by offer, form and amendment number
SCHEDULE_TO = stream_id(f"filing:{OFFER_NAME}:SC TO-I:0")
AMENDMENT_1 = stream_id(f"filing:{OFFER_NAME}:SC TO-I/A:1")


def _on(day: str) -> dict[str, str]:
    return {"kind": "date", "on": day}


def _at(instant: str) -> dict[str, str]:
    return {"kind": "instant", "at": instant}


# Per action: its effective time in the story and the values that tie it to the rest of the
# story (ids of earlier events, the form an election is); everything else comes from the models.
STORY: dict[str, dict[str, Any]] = {
    "offer-commenced": {"effective": _on("2001-10-01")},
    "filing-recorded": {"effective": _on("2001-10-01")},
    "offer-document-registered": {"effective": _on("2001-10-01"), "filing_id": str(SCHEDULE_TO)},
    "cross-check-recorded": {"effective": _on("2001-10-01"), "filing_id": str(SCHEDULE_TO)},
    "eligible-grants-registered": {"effective": _on("2001-10-01")},
    "election-submitted": {"form_id": "F-0001", "received_at": "2001-10-10T09:30:00-04:00"},
    "election-receipt-confirmed": {"effective": _at("2001-10-10T14:00:00-04:00")},
    "condition-asserted": {"effective": _on("2001-10-12")},
    "correction-recorded": {"effective": _on("2001-10-13"), "stream": OFFER_NAME},
    "document-amended": {
        "effective": _on("2001-10-15"),
        "filing_id": str(AMENDMENT_1),
        "operations": [
            {
                "op": "replace_paragraph",
                "label": "A",
                "locator": "the first paragraph of Section 7",
                "section_id": "s7",
                "paragraph_id": "s7-p1",
                "new": {
                    "kind": "paragraph",
                    "id": "s7-p1",
                    "sentences": [
                        "Notwithstanding any other provision of the offer, we will not be "
                        "required to accept any options tendered for exchange if, at any time "
                        "before the expiration date, any of the following events has occurred.",
                    ],
                },
            }
        ],
    },
    "terms-changed": {"effective": _on("2001-10-15")},
    "notice-dispatched": {"effective": _on("2001-10-15")},
    "election-withdrawn": {"form_id": "F-0002", "received_at": "2001-10-17T11:00:00-04:00"},
    "condition-waived": {"effective": _on("2001-10-19")},
    "expiration-extended": {"effective": _on("2001-10-22")},
    "election-changed": {"form_id": "F-0003", "received_at": "2001-10-24T16:45:00-04:00"},
    "offer-expired": {"effective": _at("2001-11-07T00:01:00-05:00")},
    "election-refused": {"form_id": "F-0004", "received_at": "2001-11-07T10:15:00-05:00"},
    "tendered-options-accepted": {"effective": _on("2001-11-08")},
    "new-options-granted": {"effective": _on("2002-05-09")},
    "offer-terminated": {"effective": _on("2001-10-22")},
}
STORY_ORDER = tuple(STORY)
"""The order the templates are recorded in on one ledger (``offer-terminated`` applies to a
second offer: ``docs/recording.md``)."""

# Actions recorded in a stream of their own (a filing's, an employee's, the corrected event's):
# every other action after offer-commenced (version 1) is the next version of the offer's stream.
_OTHER_STREAMS = frozenset(
    {
        "filing-recorded",
        "eligible-grants-registered",
        "election-submitted",
        "election-changed",
        "election-withdrawn",
        "election-refused",
        "election-receipt-confirmed",
        "correction-recorded",
    }
)


def _offer_version(action: str) -> int:
    """The version ``action`` takes in the offer's stream when the story is recorded in order."""
    before = STORY_ORDER[: STORY_ORDER.index(action)]
    return 2 + sum(1 for a in before if a != "offer-commenced" and a not in _OTHER_STREAMS)


STORY["correction-recorded"]["supersedes_version"] = _offer_version("condition-asserted")


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    return tp


def union_members(tp: Any) -> list[Any]:
    """The members of a union (None dropped); a non-union is its own one member."""
    tp = _unwrap(tp)
    if get_origin(tp) in (typing.Union, types.UnionType):
        return [_unwrap(a) for a in get_args(tp) if a is not type(None)]
    return [tp]


def is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def is_json_field(info: FieldInfo) -> bool:
    """Whether a field's value is a list or an object (given as JSON on the command line)."""
    for member in union_members(info.annotation):
        if is_model(member) or get_origin(member) in (tuple, list, dict):
            return True
    return False


def example(annotation: Any, info: FieldInfo | None = None) -> Any:
    """An example value of a field: its own first example, else one built from its type."""
    if info is not None and info.examples:
        return copy.deepcopy(info.examples[0])
    member = union_members(annotation)[0]
    origin = get_origin(member)
    if is_model(member):
        return model_example(member)
    if origin in (tuple, list):
        return [example(get_args(member)[0])]
    if origin is Literal:
        return get_args(member)[0]
    if origin is dict:
        return {}
    raise TypeError(f"no example for {annotation!r}: give the field examples=[...]")


def _in_template(info: FieldInfo) -> bool:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and extra.get("template") is False:
        return False
    if info.is_required():
        return True
    if get_origin(_unwrap(info.annotation)) is Literal:
        return True  # a union's tag ("kind", "op"): JSON must carry it
    default = info.get_default(call_default_factory=True)
    if default not in (None, (), [], {}):
        return False  # a default that holds for most (false, "body"): left to the default
    return (
        bool(info.examples)
        or any(is_model(m) for m in union_members(info.annotation))
        or any(
            get_origin(m) in (tuple, list) and is_model(_unwrap(get_args(m)[0]))
            for m in union_members(info.annotation)
        )
    )


def model_example(cls: type[BaseModel], *, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """An example of a whole model: every required field, and the optional ones worth showing."""
    out: dict[str, Any] = {}
    tags = [n for n in ("kind", "op") if n in cls.model_fields]  # a union's tag first
    for name in [*tags, *(n for n in cls.model_fields if n not in tags)]:
        info = cls.model_fields[name]
        if name in skip or not _in_template(info):
            continue
        out[name] = example(info.annotation, info)
    return out


def payload_fields(cls: type[LedgerEvent]) -> list[str]:
    """The fields a person gives for an action (header and ledger-filled fields left out)."""
    return [f for f in cls.model_fields if f not in HEADER_FIELDS and f not in AUTO_FIELDS]


def template(action: str, cls: type[LedgerEvent], *, citing: str | None = None) -> dict[str, Any]:
    """The complete ``--file`` JSON of ``action`` in the story: its effective time first, every
    required field, and the values that tie it to the story's other events. ``citing`` (the
    field a ``--document FILE`` fills) is left out."""
    story = dict(STORY.get(action, {}))
    out: dict[str, Any] = {}
    if "effective" in story:
        out["effective"] = story.pop("effective")
    skip = frozenset({*HEADER_FIELDS, *AUTO_FIELDS, *([citing] if citing else [])})
    out.update(model_example(cls, skip=skip))
    if "stream" in story:
        out = {"effective": out.pop("effective"), "stream": story.pop("stream"), **out}
    out.update(story)
    return out


def _kind(info: FieldInfo) -> str:
    for member in union_members(info.annotation):
        if get_origin(member) in (tuple, list):
            return "list"
    ex = info.examples[0] if info.examples else None
    return "list" if isinstance(ex, list) else "object"


def help_for(info: FieldInfo, name: str) -> str:
    """An option's help: the field's description, its format and an example."""
    text = (info.description or "").rstrip(".")
    if not text:
        raise TypeError(f"field {name!r} has no description: give it Field(description=...)")
    ex = example(info.annotation, info)
    if is_json_field(info):
        shown = json.dumps(ex, separators=(",", ":"), ensure_ascii=False)
        return f"{text}. JSON {_kind(info)}, e.g. '{shown}'."
    members = union_members(info.annotation)
    if members[0] is bool:
        return f"{text}. true or false, e.g. {json.dumps(ex)}."
    shown = json.dumps(ex, ensure_ascii=False) if isinstance(ex, str) and " " in ex else ex
    return f"{text}. E.g. {shown}."
