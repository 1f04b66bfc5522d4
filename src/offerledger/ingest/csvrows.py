"""CSV rows of rosters and elections, each validated by a pydantic model; every problem is
reported with its line and column, and one bad row means nothing is recorded."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from offerledger.ingest.errors import CsvInvalid, CsvProblem
from offerledger.limits import CSV_BYTES, CSV_FIELD, CSV_ROWS, read_bounded
from offerledger.values import EnteredName

_ZONES = {
    "EDT": "America/New_York",
    "EST": "America/New_York",
    "ET": "America/New_York",
    "CDT": "America/Chicago",
    "CST": "America/Chicago",
    "PDT": "America/Los_Angeles",
    "PST": "America/Los_Angeles",
    "UTC": "UTC",
    "Z": "UTC",
}
_LOCAL = re.compile(
    r"^(?P<dt>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s+"
    r"(?P<zone>[A-Za-z_/+-]+)$"
)


# choices and channels as written after normalising (lower case, "_" for " " and "-")
_CANONICAL = frozenset(
    {"exchange", "keep", "withdraw", "email", "mail", "hand_delivery", "fax", "web", "paper"}
)


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    line: int = Field(exclude=True)


class RosterRow(Row):
    employee_id: EnteredName = Field(min_length=1)
    name: EnteredName = Field(min_length=1)
    grant_id: EnteredName = Field(min_length=1)
    plan: EnteredName = Field(min_length=1)
    grant_date: date
    exercise_price: Decimal = Field(ge=0, max_digits=18, decimal_places=6)
    options_outstanding: int = Field(gt=0, lt=10**15)
    email: bool = True
    synthetic: bool = False

    @field_validator("exercise_price", mode="before")
    @classmethod
    def _price(cls, value: object) -> object:
        return value.replace("$", "").replace(",", "") if isinstance(value, str) else value

    @field_validator("options_outstanding", mode="before")
    @classmethod
    def _count(cls, value: object) -> object:
        return value.replace(",", "") if isinstance(value, str) else value


class ElectionRow(Row):
    employee_id: EnteredName = Field(min_length=1)
    grant_id: EnteredName = Field(min_length=1)
    choice: Literal["exchange", "keep", "withdraw"]
    received_at: AwareDatetime
    form_id: EnteredName = Field(min_length=1)
    channel: Literal["email", "mail", "hand_delivery", "fax", "web", "paper"]
    acted_by: EnteredName | None = None
    synthetic: bool = False

    @field_validator("choice", "channel", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        if not isinstance(value, str) or value in _CANONICAL:
            return value
        return value.strip().lower().replace(" ", "_").replace("-", "_")

    @field_validator("received_at", mode="before")
    @classmethod
    def _zone(cls, value: object) -> object:
        """ISO 8601 with an offset, or "YYYY-MM-DD HH:MM[:SS] ZONE" (IANA name or EDT/EST/ET)."""
        if not isinstance(value, str) or value.rstrip()[-1:].isdigit():
            return value  # ISO 8601 with an offset (a zone name never ends in a digit)
        m = _LOCAL.match(value.strip())
        if not m:
            return value
        name = _ZONES.get(m.group("zone").upper(), m.group("zone"))
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {m.group('zone')!r}") from None
        return datetime.fromisoformat(m.group("dt")).replace(tzinfo=zone)


ROSTER_COLUMNS = (
    "employee_id",
    "name",
    "grant_id",
    "plan",
    "grant_date",
    "exercise_price",
    "options_outstanding",
)
ELECTION_COLUMNS = ("employee_id", "grant_id", "choice", "received_at", "form_id", "channel")
R = TypeVar("R", bound=Row)


def _header(columns: list[str], model: type[Row], required: tuple[str, ...], path: Path) -> None:
    known = set(model.model_fields) - {"line"}
    problems = [
        CsvProblem(1, c, "required column is missing") for c in required if c not in columns
    ]
    problems += [CsvProblem(1, c or "(empty)", "unknown column") for c in columns if c not in known]
    if len(set(columns)) != len(columns):
        problems.append(CsvProblem(1, None, "a column name appears twice"))
    if problems:
        raise CsvInvalid(problems, file=path)


@cache
def _bulk(model: type[R]) -> TypeAdapter[list[R]]:
    """One validator over every row of a file: one call into pydantic-core for all of them."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _check_lengths(
    values: list[str], columns: list[str] | None, limit: int, path: Path, line: int
) -> None:
    """Refuse a value longer than the limit, naming its line and column."""
    for i, value in enumerate(values):
        if len(value) > limit:
            name = columns[i] if columns is not None and i < len(columns) else f"#{i + 1}"
            CSV_FIELD.refuse(len(value), file=path, line=line, field=name)


def read_csv_bytes(path: Path) -> bytes:
    """The bytes of a CSV file, read once (they are parsed and stored as the same bytes); one
    over the size limit (:mod:`offerledger.limits`) is refused before it is read."""
    try:
        return read_bounded(path, CSV_BYTES)
    except OSError as e:
        raise CsvInvalid(
            [CsvProblem(0, None, f"cannot read the file: {e.strerror}")], file=path
        ) from None


def read_rows(path: Path, model: type[R], required: tuple[str, ...]) -> list[R]:
    """Every row of ``path`` validated by ``model``; raises CsvInvalid listing each problem."""
    return rows_from_bytes(read_csv_bytes(path), path, model, required)


def rows_from_bytes(data: bytes, path: Path, model: type[R], required: tuple[str, ...]) -> list[R]:
    """Every row of the CSV file ``data`` (read from ``path``) validated by ``model``."""
    CSV_BYTES.check(len(data), file=path)
    if b"\x00" in data:
        raise CsvInvalid([CsvProblem(1, None, "the file is binary, not CSV")], file=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CsvInvalid([CsvProblem(line, None, "not UTF-8 text")], file=path) from None
    return parse_rows(text, path, model, required)


def parse_rows(text: str, path: Path, model: type[R], required: tuple[str, ...]) -> list[R]:
    """Every row validated by ``model``: all rows in one bulk call; when that fails (or a row
    has the wrong number of values), row by row, to name each problem's line and column. A
    file over the row limit, or a value over the length limit, is refused as it is met
    (:mod:`offerledger.limits`)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[CsvProblem] = []
    records: list[dict[str, object]] = []
    max_rows, max_field = CSV_ROWS.value(), CSV_FIELD.value()
    # the csv module's own cap (131,072 characters, process-wide) is lifted while this file is
    # read so that the value limit, with the value's length and column, is the one that refuses
    previous = csv.field_size_limit(max(max_field + 1, len(text)))
    try:
        header = next(reader, None)
        if header is None:
            raise CsvInvalid([CsvProblem(1, None, "the file is empty")], file=path)
        # (joined and split again: an empty first line is one unnamed column, as it always was)
        _check_lengths(header, None, max_field, path, 1)
        columns = ",".join(h.strip().lower().replace(" ", "_") for h in header).split(",")
        _header(columns, model, required, path)
        width = len(columns)
        # a column left empty is left out (its default applies), unless it is required
        optional = [i for i, c in enumerate(columns) if c not in required]
        start = reader.line_num + 1
        for values in reader:
            if "".join(values).strip():  # a blank line is no row
                if len(records) + len(problems) >= max_rows:
                    CSV_ROWS.refuse(f"at least {max_rows + 1:,}", file=path, line=start)
                if max(map(len, values)) > max_field:  # (1M rows: 0.3 s, 2% of their parse)
                    _check_lengths(values, columns, max_field, path, start)
                if len(values) != width:
                    problems.append(
                        CsvProblem(start, None, f"{len(values)} values for {width} columns")
                    )
                else:
                    record: dict[str, object] = dict(zip(columns, values, strict=True))
                    for i in optional:
                        if not values[i].strip():
                            del record[columns[i]]
                    record["line"] = start
                    records.append(record)
            start = reader.line_num + 1
    except csv.Error as e:
        raise CsvInvalid(
            [CsvProblem(reader.line_num, None, f"not valid CSV: {e}")], file=path
        ) from None
    finally:
        csv.field_size_limit(previous)
    if not problems:
        try:
            rows = _bulk(model).validate_python(records)
        except ValidationError:
            pass
        else:
            if not rows:
                raise CsvInvalid(
                    [CsvProblem(1, None, "the file has a header but no rows")], file=path
                )
            return rows
    for record in records:
        try:
            model.model_validate(record)
        except ValidationError as e:
            for err in e.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                problems.append(CsvProblem(cast(int, record["line"]), column, err["msg"]))
    problems.sort(key=lambda p: p.line)
    raise CsvInvalid(problems, file=path)


__all__ = [
    "ELECTION_COLUMNS",
    "ROSTER_COLUMNS",
    "ElectionRow",
    "RosterRow",
    "parse_rows",
    "read_csv_bytes",
    "read_rows",
    "rows_from_bytes",
]
