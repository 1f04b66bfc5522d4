"""The read side decodes a stored body straight from its bytes (``body_decode.fast_decode``,
one pydantic-core pass) and falls back to the general decoder (orjson, ``model_validate``) for
any body that path does not read: for every body, canonical or crafted, the answer is the
general decoder's (the same event, field for field and in the same order, or None)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from pydantic_core import SchemaValidator, ValidationError, core_schema

from offerledger.body_decode import ONE_LINE_PATTERN, fast_decode
from offerledger.events import LedgerEvent, event_class_for_topic
from offerledger.projections.source import _decode, decode
from offerledger.signing.envelope import FORMAT_VERSION, HEADER_SIZE, body_for
from offerledger.values import one_line
from test_read_stored import reference_for_ledger


def _state(body: bytes) -> bytes:
    return bytes([FORMAT_VERSION]) + bytes(HEADER_SIZE - 1) + body


def _same(a: LedgerEvent | None, b: LedgerEvent | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return (
        type(a) is type(b)
        and a == b
        and list(a.__dict__) == list(b.__dict__)
        and a.model_fields_set == b.model_fields_set
        and a.model_dump_json() == b.model_dump_json()
    )


def _bodies() -> list[tuple[LedgerEvent, bytes]]:
    r = reference_for_ledger()
    return [(event, body_for(event, prev="ab" * 32)) for _, event in r.entries]


def test_every_reference_event_reads_through_the_fast_path_as_the_general_decoder() -> None:
    topics = set()
    for event, body in _bodies():
        cls = event_class_for_topic(event.TOPIC)
        fast = fast_decode(cls, body)
        assert fast is not None, event.TOPIC  # the fast path reads every canonical body
        assert _same(fast, _decode(cls, body))
        assert fast.model_dump(mode="json") == event.model_dump(mode="json")
        topics.add(event.TOPIC)
    assert len(topics) >= 10


def _crafted() -> dict[str, str]:
    event, body = next((e, b) for e, b in _bodies() if "ElectionSubmitted" in e.TOPIC)
    text = body.decode()
    assert '"channel":"' in text and '"version":' in text and '"actor":' in text
    payload_end = text.rindex("}}")
    big = "184467440737095516160"  # beyond 64 bits: orjson refuses it
    return {
        "canonical": text,
        "extra payload field": text.replace('"channel":', '"zzz":1,"channel":'),
        "header field in the payload": text[:payload_end] + ',"actor":"x"}}',
        "extra header key": text.replace('"actor":', '"zzz":1,"actor":'),
        "extra body key": text[:-1] + ',"zzz":1}',
        "big integer in an ignored key": text.replace('"actor":', f'"z":{big},"actor":'),
        "big integer version": text.replace('"version":', f'"version":{big},"v":'),
        "float beyond range": text.replace('"actor":', '"z":1e400,"actor":'),
        "version as float": text.replace('"version":', '"version":2.0,"v":'),
        "version as string": text.replace('"version":', '"version":"2","v":'),
        "synthetic as string": text.replace('"actor":', '"synthetic":"yes","actor":'),
        "synthetic false": text.replace('"actor":', '"synthetic":false,"actor":'),
        "prev a number": text.replace('"prev":', '"prev":1,"p":'),
        "duplicate key, last bad": text.replace(
            '"channel":', '"channel":"web","channel":"a\\u0000'
        ),
        "duplicate key, first bad": text.replace('"channel":', '"channel":"a\\u0000","channel":'),
        "line break in an id": text.replace('"acted_by":"', '"acted_by":"\\n'),
        "bidi override in an id": text.replace('"acted_by":"', '"acted_by":"\\u202e'),
        "formula in an id (stored: reads as recorded)": text.replace(
            '"acted_by":"', '"acted_by":"='
        ),
        "NaN": text.replace('"actor":', '"z":NaN,"actor":'),
        "trailing space": text + " ",
        "trailing junk": text + "x",
        "payload a list": text[: text.index('"payload":') + 10] + "[]}",
        "header a list": '{"header":[],"payload":{}}',
        "not an object": "[]",
    }


@pytest.mark.parametrize("name", list(_crafted()))
def test_a_crafted_body_reads_as_the_general_decoder_reads_it(name: str) -> None:
    body = _crafted()[name].encode()
    topic = "offerledger.ElectionSubmitted.v1"
    assert _same(decode(topic, _state(body)), _decode(event_class_for_topic(topic), body))


def test_unknown_topic_and_short_state_do_not_decode() -> None:
    _, body = _bodies()[0]
    assert decode("offerledger.NoSuchEvent.v1", _state(body)) is None
    assert decode("offerledger.ElectionSubmitted.v1", b"\x03") is None
    assert decode("offerledger.ElectionSubmitted.v1", b"\x02" + _state(body)[1:]) is None


def test_the_one_line_pattern_accepts_what_one_line_accepts_at_every_code_point() -> None:
    pattern = SchemaValidator(core_schema.str_schema(pattern=ONE_LINE_PATTERN))

    def accepted(text: str, check: Any) -> bool:
        try:
            check(text)
        except (ValueError, ValidationError):
            return False
        return True

    for point in range(sys.maxunicode + 1):
        if 0xD800 <= point <= 0xDFFF:
            continue  # a lone surrogate is no JSON string either decoder reads
        text = f"a{chr(point)}b"
        assert accepted(text, one_line) == accepted(text, pattern.validate_python), hex(point)
