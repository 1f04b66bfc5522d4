"""RFC 8785 canonical JSON: known answers, the orjson fast path against rfc8785, refusals."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from offerledger.errors import NonCanonicalValue
from offerledger.signing.canonical import canonical_json, canonical_matches, is_canonical

# --- RFC 8785 known answers -------------------------------------------------------------------


def test_rfc8785_section_3_2_2_example_without_numbers() -> None:
    # RFC 8785 §3.2.2 input minus its "numbers" member (floats are banned in this project).
    value = {
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = '{"literals":[null,true,false],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert canonical_json(value) == expected.encode()


def test_rfc8785_section_3_2_3_sorting_example() -> None:
    # The RFC's own property-sorting example: UTF-16 code-unit order, so the emoji (a surrogate
    # pair starting 0xD83D) sorts before U+FB33. Non-ASCII keys take the rfc8785 fallback.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical_json(value) == expected.encode("utf-8")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # ASCII-key sorting in the RFC's style: by code unit, so uppercase before lowercase,
        # digits before letters, a prefix before its extensions, control characters first.
        ({"b": 1, "a": 2, "c": 3}, b'{"a":2,"b":1,"c":3}'),
        ({"a": 1, "B": 2, "_": 3, "1": 4}, b'{"1":4,"B":2,"_":3,"a":1}'),
        ({"ab": 1, "a": 2, "abc": 3, "": 4}, b'{"":4,"a":2,"ab":1,"abc":3}'),
        ({"\r": 1, " ": 2, "\n": 3}, b'{"\\n":3,"\\r":1," ":2}'),
        (
            {"z": {"y": [3, {"b": None, "a": True}], "x": False}},
            b'{"z":{"x":false,"y":[3,{"a":true,"b":null}]}}',
        ),
        # String escaping: only " \ and U+0000..U+001F, short forms where JSON has them.
        ("\b\t\n\f\r", b'"\\b\\t\\n\\f\\r"'),
        ("\x00\x01\x1f", b'"\\u0000\\u0001\\u001f"'),
        ('"\\/', b'"\\"\\\\/"'),
        ("\x7f\u2028\u2029", '"\x7f\u2028\u2029"'.encode()),
        ("é€😀", '"é€😀"'.encode()),
        # Literals, integers at the edge of the safe range, empty containers, tuples.
        ([None, True, False], b"[null,true,false]"),
        ([0, -1, 2**53 - 1, -(2**53 - 1)], b"[0,-1,9007199254740991,-9007199254740991]"),
        ({"a": [], "b": {}}, b'{"a":[],"b":{}}'),
        ((1, ("x",)), b'[1,["x"]]'),
    ],
)
def test_known_answers(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected
    assert rfc8785.dumps(value) == expected  # the reference agrees with the expectation


def test_orjson_key_order_discrepancy_is_avoided() -> None:
    # orjson sorts by code point; RFC 8785 by UTF-16 code unit. U+E000 vs U+1F600 disagree.
    value = {"\ue000": 1, "\U0001f600": 2}
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != rfc8785.dumps(value)
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value) == '{"\U0001f600":2,"\ue000":1}'.encode()


def test_nesting_beyond_orjson_limit_falls_back() -> None:
    value: Any = "leaf"
    for _ in range(300):
        value = {"k": [value]}
    assert canonical_json(value) == rfc8785.dumps(value)


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": [1, {"b": 1.5}]}, r"field '\$\.a\[1\]\.b': float 1\.5 is not allowed"),
        (0.0, r"field '\$': float 0\.0 is not allowed"),
        ({"é": 2.0}, r"field '\$\.é': float 2\.0 is not allowed"),
        ([2**53], r"field '\$\[0\]': integer 9007199254740992 is outside"),
        ({"n": -(2**53)}, r"integer -9007199254740992 is outside"),
        ({1: "x"}, r"object key 1 is not a string"),
        ({"s": {1, 2}}, r"field '\$\.s': a set has no canonical JSON form"),
        ({"b": b"raw"}, r"a bytes has no canonical JSON form"),
        ("\ud800", r"value cannot be canonicalized"),
        ({"\udfff": 1}, r"value cannot be canonicalized"),
    ],
)
def test_refused_values(value: object, message: str) -> None:
    with pytest.raises(NonCanonicalValue, match=message):
        canonical_json(value)


def test_float_hidden_behind_a_non_ascii_key_is_still_refused() -> None:
    with pytest.raises(NonCanonicalValue, match="float"):
        canonical_json({"ü": [{"x": float("nan")}]})


def test_absurd_nesting_is_refused_cleanly() -> None:
    value: Any = 1
    for _ in range(5000):
        value = [value]
    with pytest.raises(NonCanonicalValue, match="nested too deeply"):
        canonical_json(value)


# --- is_canonical --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a":1,"b":[true,null]}', True),
        (b'"\\u001f"', True),
        (b'{"b":1,"a":2}', False),  # unsorted
        (b'{"a": 1}', False),  # whitespace
        (b'{"a":1,"a":1}', False),  # duplicate key
        (b'"\\u001F"', False),  # uppercase hex escape
        (b'"\\u00e9"', False),  # needless escape
        (b"1.0", False),  # float
        (b"1e2", False),
        (b"9007199254740992", False),  # outside the safe integer range
        (b"", False),
        (b"\xff\xfe", False),
        (b"[1,", False),
        (b'"\\ud800"', False),  # lone surrogate escape
    ],
)
def test_is_canonical(data: bytes, expected: bool) -> None:
    assert is_canonical(data) is expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_is_canonical_never_raises_on_garbage(data: bytes) -> None:
    assert is_canonical(data) in (True, False)


# --- the fast path is RFC 8785 for the whole safe class --------------------------------------

_SPECIAL = st.sampled_from(
    [chr(c) for c in range(0x20)]
    + [
        '"',
        "\\",
        "/",
        "\x7f",
        "\u2028",
        "\u2029",
        "\ufeff",
        "\ue000",
        "\uffff",
        "\U0001f600",
        "\U0010ffff",
        "é",
    ]
)
_TEXT = st.text(alphabet=st.one_of(st.characters(codec="utf-8"), _SPECIAL), max_size=12)
_ASCII_KEYS = st.text(alphabet=st.characters(codec="ascii"), max_size=6)
_SAFE_INT = st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
_SCALARS = st.one_of(_TEXT, _SAFE_INT, st.booleans(), st.none())


def _containers(keys: st.SearchStrategy[str]) -> Any:
    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(children, max_size=5),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(keys, children, max_size=5),
        )

    return st.recursive(_SCALARS, extend, max_leaves=25)


@settings(max_examples=400, deadline=None)
@given(_containers(_ASCII_KEYS))
def test_orjson_sorted_equals_rfc8785_on_the_safe_class(value: Any) -> None:
    reference = rfc8785.dumps(value)
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == reference
    assert canonical_json(value) == reference
    assert is_canonical(reference)


@settings(max_examples=150, deadline=None)
@given(_containers(st.text(alphabet=st.one_of(st.characters(codec="utf-8"), _SPECIAL), max_size=4)))
def test_any_keys_match_rfc8785(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=100, deadline=None)
@given(_containers(_ASCII_KEYS), st.floats(allow_nan=True))
def test_a_float_anywhere_is_refused(value: Any, number: float) -> None:
    with pytest.raises(NonCanonicalValue, match="float"):
        canonical_json({"wrapped": [value, {"deep": number}]})


def _long_way(data: bytes) -> bool:
    try:
        return canonical_json(orjson.loads(data)) == data
    except NonCanonicalValue:
        return False


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":1,"b":"x"}',
        b'{"b":1,"a":2}',  # keys out of order
        b'{"a": 1}',  # a space
        b'{"a":1.5}',
        b'{"a":1.0}',
        b'{"a":[1e+16]}',
        b'{"a":-0.0}',
        b'{"a":"ratio:1.5 [2e3"}',  # float-like text inside a string: still canonical
        b'{"a":9007199254740991}',
        b'{"a":9007199254740992}',
        b'{"a":-9007199254740992}',
        b'{"\\u0061":1}',  # an escaped ASCII key
        b'{"a":"\\u00e9"}',  # an escaped non-ASCII character
        '{"a":"\u00e9"}'.encode(),
        '{"\ue000":1,"\U0001f600":2}'.encode(),  # orjson and RFC 8785 sort these differently
        '{"\U0001f600":2,"\ue000":1}'.encode(),
        b'{"a":"\\u001f\\n"}',
        b'{"a":"\\u000a"}',
        b'{"a":true,"b":null,"c":false}',
        b"[" * 300 + b"]" * 300,  # deeper than orjson encodes
    ],
)
def test_canonical_matches_is_the_long_way(data: bytes) -> None:
    assert canonical_matches(orjson.loads(data), data) == _long_way(data)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_json, st.booleans())
def test_canonical_matches_agrees_with_canonical_json(value: Any, sort: bool) -> None:
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort else 0)
    assert canonical_matches(orjson.loads(data), data) == _long_way(data)
