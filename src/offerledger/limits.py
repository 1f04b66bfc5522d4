"""The largest input each command reads: checked before a file is read whole or anything is
written, and refused (:class:`~offerledger.errors.InputTooLarge`, exit 2) naming the file, the
limit, the size found and the variable that raises the limit.

The defaults fit real offers with room to spare (docs/ingest.md, "Input limits"): an EDGAR
submission of a Schedule TO with every exhibit is a few MB; a roster or elections CSV of the
largest option exchanges is a few hundred thousand rows (a 1,000,000-row file, about 100 MB, is
accepted); an action's JSON is a few KB.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from offerledger.errors import InputError, InputTooLarge


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit: its default, the environment variable that overrides it, its unit."""

    env: str
    default: int
    unit: str  # bytes, lines, rows, characters, levels
    what: str  # "the file", "a field", "the JSON" ...

    def value(self) -> int:
        """The limit in force: ``$env`` when set (a positive integer), else the default."""
        raw = os.environ.get(self.env, "").strip().replace("_", "")
        if not raw:
            return self.default
        if not raw.isdigit() or int(raw) < 1:
            raise InputError(
                f"{os.environ[self.env]!r} is not a positive whole number of {self.unit}",
                field=self.env,
                hint=f"unset {self.env} for the default ({self.default:,} {self.unit})",
            )
        return int(raw)

    def refuse(
        self,
        actual: int | str,
        *,
        file: str | Path,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        """Raise :class:`InputTooLarge`: ``actual`` is the size found (or "at least N" when
        the reading stopped there)."""
        limit = self.value()
        found = f"{actual:,}" if isinstance(actual, int) else actual
        raise InputTooLarge(
            f"{self.what} is {found} {self.unit}, over the limit of {limit:,} {self.unit}; "
            "nothing was read or recorded",
            file=file,
            line=line,
            field=field,
            limit=limit,
            actual=actual,
            hint=f"check that this is the file you meant; if it is, raise the limit with "
            f"{self.env}=N",
        )

    def check(self, actual: int, *, file: str | Path, line: int | None = None) -> None:
        if actual > self.value():
            self.refuse(actual, file=file, line=line)


FILING_BYTES = Limit("OFFERLEDGER_MAX_FILING_BYTES", 64 << 20, "bytes", "the filing")
FILING_LINES = Limit("OFFERLEDGER_MAX_FILING_LINES", 1_000_000, "lines", "the filing")
CSV_BYTES = Limit("OFFERLEDGER_MAX_CSV_BYTES", 1 << 30, "bytes", "the CSV file")
CSV_ROWS = Limit("OFFERLEDGER_MAX_CSV_ROWS", 5_000_000, "rows", "the CSV file")
CSV_FIELD = Limit("OFFERLEDGER_MAX_CSV_FIELD", 4_096, "characters", "a value")
JSON_BYTES = Limit("OFFERLEDGER_MAX_JSON_BYTES", 16 << 20, "bytes", "the JSON")
JSON_DEPTH = Limit("OFFERLEDGER_MAX_JSON_DEPTH", 64, "levels", "the JSON's nesting")
LIMITS = (FILING_BYTES, FILING_LINES, CSV_BYTES, CSV_ROWS, CSV_FIELD, JSON_BYTES, JSON_DEPTH)


def read_bounded(path: Path, size: Limit, lines: Limit | None = None) -> bytes:
    """The bytes of ``path``, refused by its size on disk before it is read, and while it is
    read (a file that grows) by its size and, given ``lines``, its count of lines. An
    ``OSError`` is the caller's to name."""
    with path.open("rb") as f:
        size.check(os.fstat(f.fileno()).st_size, file=path)
        max_bytes, max_lines = size.value(), lines.value() if lines else 0
        data, count = bytearray(), 0
        while chunk := f.read(1 << 20):
            data += chunk
            if len(data) > max_bytes:
                size.refuse(f"at least {len(data):,}", file=path)
            if lines is not None:
                count += chunk.count(b"\n")
                if count > max_lines:
                    lines.refuse(f"at least {count:,}", file=path)
    if lines is not None and data and not data.endswith(b"\n"):
        lines.check(count + 1, file=path)  # a last line without its newline counts
    return bytes(data)


# a JSON string, or an unterminated one to the end of the text (so that no match is retried:
# linear in the text's length however many quotes it holds)
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest (brackets inside strings do not count);
    what ``json.loads`` would need in recursion, measured without parsing."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    depth = deepest = 0
    for c in brackets:
        if c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def check_json(text: str, *, file: str | Path) -> None:
    """Refuse JSON text over the size or nesting limit before it is parsed (``json.loads``
    recurses once a level: a deep enough text would exhaust Python's stack)."""
    JSON_BYTES.check(len(text.encode("utf-8", "surrogatepass")), file=file)
    JSON_DEPTH.check(json_depth(text), file=file)


def read_json_text(path: Path) -> str:
    """The UTF-8 text of a JSON file, refused over the size limit before it is read and over
    the nesting limit before it is parsed; ``OSError`` and ``UnicodeDecodeError`` are the
    caller's to name."""
    text = read_bounded(path, JSON_BYTES).decode("utf-8")
    JSON_DEPTH.check(json_depth(text), file=path)
    return text


__all__ = [
    "CSV_BYTES",
    "CSV_FIELD",
    "CSV_ROWS",
    "FILING_BYTES",
    "FILING_LINES",
    "JSON_BYTES",
    "JSON_DEPTH",
    "LIMITS",
    "Limit",
    "check_json",
    "json_depth",
    "read_bounded",
    "read_json_text",
]
