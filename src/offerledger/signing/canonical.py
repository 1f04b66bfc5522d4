"""RFC 8785 (JSON Canonicalization Scheme) bytes: the one encoding that gets signed.

:func:`canonical_json` is the only function in the project that turns a value into the bytes a
signature covers. Two paths give the same bytes:

* **Fast path** — ``orjson.dumps(value, option=OPT_SORT_KEYS)``, taken only when a scan proves
  the value is in the *safe class*: exactly ``str``, ``int`` within ±(2**53 − 1), ``bool``,
  ``None``, ``list``, ``tuple`` and ``dict`` whose keys are all ASCII ``str`` (subclasses such as
  ``IntEnum`` or ``StrEnum`` are not in it). For that class orjson's output equals RFC 8785
  byte for byte (``tests/test_canonical.py`` checks it with Hypothesis over strings with every
  control character, U+007F, U+2028/U+2029, non-BMP characters and non-ASCII text):

  - both escape exactly ``"``, ``\\`` and U+0000..U+001F, using ``\\b \\t \\n \\f \\r`` and
    lowercase ``\\u00xx`` for the rest; everything else (U+007F, U+2028, U+2029, non-ASCII,
    astral characters) is written as raw UTF-8;
  - integers in the safe range print the same; ``true``/``false``/``null`` are the same.

* **Fallback** — ``rfc8785.dumps`` after a strict walk, for everything else that JSON can hold.

Known discrepancy the fast path avoids: **non-ASCII object keys**. RFC 8785 sorts keys by their
UTF-16 code units; orjson sorts by code point, so a key with a character in U+E000..U+FFFF and a
key with an astral character (U+10000 and up, a surrogate pair in UTF-16) come out in opposite
orders (``{"\\ue000": 1, "\\U0001f600": 2}``). Keys with a non-ASCII character therefore take the
fallback. orjson also refuses nesting deeper than 254 levels and lone surrogates; both fall back,
and the fallback rejects what RFC 8785 cannot encode.

The project forbids floats: a ``float`` anywhere raises :class:`NonCanonicalValue` naming the
field path (money is ``Decimal`` rendered as a string; counts are ``int``). So do integers
outside ±(2**53 − 1), non-string keys and any other type.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import rfc8785

from offerledger.errors import NonCanonicalValue

__all__ = ["canonical_json", "canonical_matches", "is_canonical"]

_INT_LIMIT = 2**53 - 1
_SORT_KEYS = orjson.OPT_SORT_KEYS
_LEAVES = frozenset({str, bool, type(None)})
_FLOAT_HINT = "store amounts as decimal strings and counts as int; the ledger never holds floats"


def _fast_safe(value: Any) -> bool:
    """True when orjson's sorted output is provably the RFC 8785 output for ``value``.

    Returns False at the first doubt (float, big int, non-ASCII key, other type); the strict walk
    of the fallback then decides whether the value is encodable at all. Leaves are checked inline
    (no call per leaf): this runs for every event written or verified.
    """
    kind = type(value)
    items: Iterable[Any]
    if kind is dict:
        for key in value:
            if type(key) is not str or not key.isascii():
                return False
        items = value.values()
    elif kind is list or kind is tuple:
        items = value
    elif kind in _LEAVES:
        return True
    elif kind is int:
        return bool(-_INT_LIMIT <= value <= _INT_LIMIT)
    else:
        return False
    for item in items:
        kind = type(item)
        if kind in _LEAVES:
            continue
        if kind is int:
            if not -_INT_LIMIT <= item <= _INT_LIMIT:
                return False
        elif not _fast_safe(item):
            return False
    return True


def _strict_walk(value: object, path: str) -> None:
    """Raise NonCanonicalValue (naming the path) for anything RFC 8785 or the project refuses."""
    if value is None or isinstance(value, str | bool):
        return
    if isinstance(value, float):
        raise NonCanonicalValue(f"float {value!r} is not allowed", field=path, hint=_FLOAT_HINT)
    if isinstance(value, int):
        if not -_INT_LIMIT <= value <= _INT_LIMIT:
            raise NonCanonicalValue(
                f"integer {value} is outside ±(2**53 - 1), which JSON numbers cannot hold exactly",
                field=path,
                hint="store it as a decimal string",
            )
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _strict_walk(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NonCanonicalValue(f"object key {key!r} is not a string", field=path)
            _strict_walk(item, f"{path}.{key}")
        return
    raise NonCanonicalValue(
        f"a {type(value).__name__} has no canonical JSON form",
        field=path,
        hint="convert it to str, int, bool, None, list or dict first",
    )


def _slow(value: Any) -> bytes:
    try:
        _strict_walk(value, "$")
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeError) as exc:
        raise NonCanonicalValue(f"value cannot be canonicalized: {exc}") from exc
    except RecursionError as exc:
        raise NonCanonicalValue("value is nested too deeply to canonicalize") from exc


def canonical_json(obj: object) -> bytes:
    """The RFC 8785 canonical JSON bytes of ``obj`` (raise NonCanonicalValue if it has none)."""
    try:
        safe = _fast_safe(obj)
    except RecursionError:
        safe = False
    if safe:
        try:
            # an exact-size copy: orjson 3.13's result keeps its whole growth buffer (about
            # 8 KB for a 0.7 KB body), so 100k retained bodies held 0.8 GB instead of 0.1 GB
            # (docs/performance.md, "Where the memory goes"); the copy costs one memcpy
            return bytes(memoryview(orjson.dumps(obj, option=_SORT_KEYS)))
        except orjson.JSONEncodeError:
            pass  # lone surrogate or nesting beyond orjson's limit: let the fallback decide
    return _slow(obj)


def is_canonical(data: bytes) -> bool:
    """Whether ``data`` is exactly the canonical JSON of what it parses to (never raises)."""
    try:
        return canonical_json(orjson.loads(data)) == data
    except (ValueError, TypeError, NonCanonicalValue):
        return False


_DIGITS = b"0123456789"


def _float_free(data: bytes) -> bool:
    """True when ``data`` holds no number token orjson writes for a float: orjson writes each
    float as digits with ``.`` or ``e+`` / ``e-`` right after a digit (``1.0``, ``1e+16``,
    ``5e-324``). A match inside a string (``"v2.5"``) only sends the check the long way."""
    for mark in (b".", b"e+", b"e-"):
        at = data.find(mark, 1)
        while at != -1:
            if data[at - 1] in _DIGITS:
                return False
            at = data.find(mark, at + 1)
    return True


_STRICT = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_STRICT_INTEGER
    | orjson.OPT_PASSTHROUGH_SUBCLASS  # these three make a type JSON has not raise instead
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def canonical_matches(value: Any, data: bytes) -> bool:
    """Whether ``data`` is exactly ``canonical_json(value)`` (never raises), where ``value`` is
    what ``orjson.loads(data)`` returned (dicts, lists, str, int, float, bool, None only):
    verify's check that a stored body is canonical.

    Equivalent to ``canonical_json(value) == data``, without the safety walk when the bytes
    prove what it would prove. When ``data`` is ASCII and holds no float token, and orjson's
    sorted output with its 53-bit integer limit equals ``data``: every integer is within
    ±(2**53 − 1) (or that encode raises); no string or key holds a non-ASCII character (orjson
    writes those as raw UTF-8, which ASCII ``data`` cannot equal); there is no float (orjson
    writes each with ``.``, ``e+`` or ``e-`` right after a digit, which :func:`_float_free`
    would have found). That is :func:`_fast_safe`'s class, whose canonical form
    is that same orjson output. Anything else goes the long way.
    """
    if data.isascii() and _float_free(data):
        try:
            if orjson.dumps(value, option=_STRICT) == data:
                return True
        except orjson.JSONEncodeError:
            pass  # a big integer, deep nesting, a lone surrogate: the long way decides
    try:
        return canonical_json(value) == data
    except (NonCanonicalValue, RecursionError):
        return False
