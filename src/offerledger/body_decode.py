"""A stored event body's bytes validated into its event model in one pass by pydantic-core.

The body is ``{"header": {...}, "payload": {...}}`` (docs/format.md); the model's fields are the
header's (renamed: :func:`offerledger.eventbase.model_fields`) and the payload's. Decoding it by
``orjson.loads``, a dict of the model's fields and ``model_validate`` builds every string twice
and walks the fields twice; here one :class:`pydantic_core.SchemaValidator` per event class reads
the JSON bytes straight into the model, through the class's own field schemas, its
``extra="forbid"`` on the payload and its model validators. Nothing is skipped: every field is
validated as ``model_validate`` validates it.

:func:`fast_decode` answers only for the bodies whose meaning it shares with the general decoder
(a body of a header and a payload, the header of its known keys only, ``prev`` a string or
null, ``synthetic`` a boolean, a payload of its class's fields only, no upcaster to apply, every
number an integer orjson reads and every decimal a string); for anything else it returns None
and the caller decodes the general way (orjson, ``model_validate``). So every JSON value of a
body it reads is checked by a schema that reads it as the general decoder does, and the answer
for any stored row is the general decoder's.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import SchemaValidator, core_schema

from offerledger.eventbase import HEADER_FIELDS, UPCASTERS, LedgerEvent
from offerledger.values import _when_entering, one_line

# model field -> the header key it is stored under (``synthetic_record``: ``synthetic``, below)
_HEADER = (
    ("originator_id", "stream"),
    ("originator_version", "version"),
    ("effective", "effective"),
    ("recorded", "recorded"),
    ("actor", "actor"),
    ("key_id", "key_id"),
)
_HEADER_SET = frozenset(HEADER_FIELDS)
_WRAPPERS = frozenset({"function-after", "function-before", "function-wrap"})
_CONFIG = {"extra_fields_behavior": "forbid"}  # LedgerEvent's and every value model's
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # the integers orjson reads

ONE_LINE_PATTERN = (
    r"\A[^\x{0}-\x{1f}\x{7f}-\x{9f}\x{2028}\x{2029}\x{202a}-\x{202e}\x{2066}-\x{2069}]*\z"
)
"""What :func:`offerledger.values.one_line` accepts, as a pydantic-core (Rust) pattern: none of
the characters it refuses (a test checks every code point)."""


def _plain_model(schema: dict[str, Any]) -> bool:
    """Whether a ``model`` schema's instances are only their fields (what :func:`_maker` makes)."""
    cls = schema.get("cls")
    return (
        isinstance(cls, type)
        and not (schema.get("custom_init") or schema.get("post_init") or schema.get("root_model"))
        and not getattr(cls, "__private_attributes__", None)
        and getattr(cls, "__pydantic_post_init__", None) is None
        and isinstance(schema.get("schema"), dict)
        and schema["schema"].get("type") == "model-fields"
        and {k: v for k, v in (schema.get("config") or {}).items() if k != "title"} == _CONFIG
    )


def _function(schema: dict[str, Any]) -> Any:
    function = schema.get("function")
    return function.get("function") if isinstance(function, dict) else None


def _lean(schema: Any) -> tuple[Any, bool]:
    """``schema`` with the Python validators of names and ids done by pydantic-core (the same
    check, :data:`ONE_LINE_PATTERN`, and no ``_when_entering``: this decoder is given no
    :data:`~offerledger.values.ENTERING` context, where it returns its value). A nested model
    keeps its class's own validator (pydantic-core uses it whatever its schema here says; making
    it in Python instead costs more than its validators). Returns (schema, whether anything
    changed)."""
    if isinstance(schema, list):
        items = [_lean(item) for item in schema]
        return [item for item, _ in items], any(changed for _, changed in items)
    if not isinstance(schema, dict):
        return schema, False
    kind = schema.get("type")
    if kind == "function-after" and _function(schema) is _when_entering:
        inner, _ = _lean(schema["schema"])
        return inner, True
    if kind == "function-after" and _function(schema) is one_line:
        inner, changed = _lean(schema["schema"])
        if isinstance(inner, dict) and inner.get("type") == "str" and "pattern" not in inner:
            return {**inner, "pattern": ONE_LINE_PATTERN, "regex_engine": "rust-regex"}, True
        return {**schema, "schema": inner}, changed
    if kind == "model":
        return schema, False  # pydantic-core uses the class's own validator
    if kind == "int":  # only what orjson reads as an integer: it refuses any beyond 64 bits
        bounded = {**schema}
        bounded["ge"] = max(schema.get("ge", _INT_MIN), _INT_MIN)
        bounded["le"] = min(schema.get("le", _INT_MAX), _INT_MAX)
        return bounded, True
    if kind == "decimal":  # only from a string (as stored): a JSON number reads as a float
        return core_schema.chain_schema([core_schema.str_schema(strict=True), schema]), True
    changed = False
    out = {}
    for key, value in schema.items():
        out[key], moved = _lean(value)
        changed = changed or moved
    return out, changed


def _maker(cls: type[LedgerEvent]) -> Any:
    """The function that makes a ``cls`` from its validated header and payload, as
    pydantic-core's model validator does (``__dict__`` in the field order ``model_fields``
    gives, header fields first; the fields set; no extra, no private attributes)."""
    new = cls.__new__
    set_attribute = object.__setattr__

    def make(body: dict[str, Any]) -> LedgerEvent:
        header = body["header"]
        if header["topic"] in UPCASTERS:
            raise ValueError("an upcaster applies")  # the general decoder upcasts it
        fields, _, given = body["payload"]
        merged = {
            "originator_id": header["stream"],
            "originator_version": header["version"],
            "effective": header["effective"],
            "recorded": header["recorded"],
            "actor": header["actor"],
            "key_id": header["key_id"],
            "synthetic_record": header.get("synthetic") is True,
        }
        merged.update(fields)
        event = new(cls)
        set_attribute(event, "__dict__", merged)
        set_attribute(event, "__pydantic_fields_set__", _HEADER_SET | given)
        set_attribute(event, "__pydantic_extra__", None)
        set_attribute(event, "__pydantic_private__", None)
        return event

    return make


def _body_schema(schema: dict[str, Any], cls: type[LedgerEvent]) -> dict[str, Any] | None:
    """``cls``'s core schema with its model's fields read from a stored body; None when the
    schema is not of the shape this knows (the general decoder then reads every body)."""
    if schema.get("type") in _WRAPPERS and isinstance(schema.get("schema"), dict):
        inner = _body_schema(schema["schema"], cls)
        return None if inner is None else {**_unref(schema), "schema": inner}
    if schema.get("type") != "model" or schema.get("cls") is not cls:
        return None
    if not _plain_model(schema):
        return None
    fields_schema, _ = _lean(schema["schema"])
    fields: dict[str, Any] = fields_schema["fields"]
    if not _HEADER_SET <= fields.keys() or any(
        "validation_alias" in fields[name] for name in _HEADER_SET
    ):
        return None
    extra = (schema.get("config") or {}).get("extra_fields_behavior", "ignore")
    payload = {
        **fields_schema,
        "fields": {name: f for name, f in fields.items() if name not in _HEADER_SET},
        "extra_behavior": extra,
    }
    header = core_schema.typed_dict_schema(
        {
            **{
                stored: core_schema.typed_dict_field(fields[name]["schema"], required=True)
                for name, stored in _HEADER
            },
            "topic": core_schema.typed_dict_field(core_schema.str_schema(), required=True),
            "prev": core_schema.typed_dict_field(
                core_schema.nullable_schema(core_schema.str_schema(strict=True)), required=True
            ),
            "synthetic": core_schema.typed_dict_field(
                core_schema.bool_schema(strict=True), required=False
            ),
        },
        extra_behavior="forbid",
    )
    body = core_schema.typed_dict_schema(
        {
            "header": core_schema.typed_dict_field(header, required=True),
            "payload": core_schema.typed_dict_field(payload, required=True),
        },
        extra_behavior="forbid",
    )
    # not a "model" schema: pydantic-core would use the class's own (dict-reading) validator
    return dict(core_schema.no_info_after_validator_function(_maker(cls), body))


def _unref(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without its ``ref`` (the class's own schema holds it)."""
    return {key: value for key, value in schema.items() if key != "ref"}


_VALIDATORS: dict[type[LedgerEvent], SchemaValidator | None] = {}


def body_validator(cls: type[LedgerEvent]) -> SchemaValidator | None:
    """The validator of ``cls``'s stored bodies (made once per class); None when its schema
    is not of a shape :func:`_body_schema` knows."""
    try:
        return _VALIDATORS[cls]
    except KeyError:
        pass
    schema = _body_schema(cls.__pydantic_core_schema__, cls)  # type: ignore[arg-type]
    validator = None
    if schema is not None:
        try:
            validator = SchemaValidator(schema, _CONFIG)  # type: ignore[arg-type]
        except Exception:  # a schema pydantic-core will not build: the general decoder reads it
            validator = None
    _VALIDATORS[cls] = validator
    return validator


def fast_decode(cls: type[LedgerEvent], body: bytes) -> LedgerEvent | None:
    """The event ``body`` (a stored body's bytes) holds, validated as ``cls``; None when this
    path does not read it (it does not validate, or it is not of the shape this reads): the
    general decoder then decides."""
    validator = body_validator(cls)
    if validator is None:
        return None
    try:
        event: LedgerEvent = validator.validate_json(body)
    except Exception:  # a ValidationError, or a model validator's own error: the caller's
        return None  # general decoder decides (and reports) what such a body is
    return event


__all__ = ["body_validator", "fast_decode"]
