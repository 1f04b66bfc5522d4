"""CSV rows of rosters and elections, each validated by a pydantic model; every problem is
reported with its line and column, and one bad row means nothing is recorded."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from offerledger.ingest.errors import CsvInvalid, CsvProblem

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


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    line: int = Field(exclude=True)


class RosterRow(Row):
    employee_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    grant_id: str = Field(min_length=1)
    plan: str = Field(min_length=1)
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
    employee_id: str = Field(min_length=1)
    grant_id: str = Field(min_length=1)
    choice: Literal["exchange", "keep", "withdraw"]
    received_at: AwareDatetime
    form_id: str = Field(min_length=1)
    channel: Literal["email", "mail", "hand_delivery", "fax", "web", "paper"]
    acted_by: str | None = None
    synthetic: bool = False

    @field_validator("choice", "channel", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return (
            value.strip().lower().replace(" ", "_").replace("-", "_")
            if isinstance(value, str)
            else value
        )

    @field_validator("received_at", mode="before")
    @classmethod
    def _zone(cls, value: object) -> object:
        """ISO 8601 with an offset, or "YYYY-MM-DD HH:MM[:SS] ZONE" (IANA name or EDT/EST/ET)."""
        if not isinstance(value, str):
            return value
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


def _records(text: str, path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise CsvInvalid([CsvProblem(1, None, "the file is empty")], file=path)
        names = [h.strip().lower().replace(" ", "_") for h in header]
        yield 1, {"__header__": ",".join(names)}
        start = reader.line_num + 1
        for values in reader:
            if any(v.strip() for v in values):
                if len(values) != len(names):
                    yield start, {"__width__": f"{len(values)}"}
                else:
                    yield start, dict(zip(names, values, strict=True))
            start = reader.line_num + 1
    except csv.Error as e:
        raise CsvInvalid(
            [CsvProblem(reader.line_num, None, f"not valid CSV: {e}")], file=path
        ) from None


def read_rows(path: Path, model: type[R], required: tuple[str, ...]) -> list[R]:
    """Every row of ``path`` validated by ``model``; raises CsvInvalid listing each problem."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CsvInvalid(
            [CsvProblem(0, None, f"cannot read the file: {e.strerror}")], file=path
        ) from None
    if b"\x00" in data:
        raise CsvInvalid([CsvProblem(1, None, "the file is binary, not CSV")], file=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CsvInvalid([CsvProblem(line, None, "not UTF-8 text")], file=path) from None
    return parse_rows(text, path, model, required)


def parse_rows(text: str, path: Path, model: type[R], required: tuple[str, ...]) -> list[R]:
    problems: list[CsvProblem] = []
    rows: list[R] = []
    known = set(model.model_fields) - {"line"}
    columns: list[str] = []
    for line, record in _records(text, path):
        if "__header__" in record:
            columns = record["__header__"].split(",")
            missing = [c for c in required if c not in columns]
            unknown = [c for c in columns if c not in known]
            for c in missing:
                problems.append(CsvProblem(1, c, "required column is missing"))
            for c in unknown:
                problems.append(CsvProblem(1, c or "(empty)", "unknown column"))
            if len(set(columns)) != len(columns):
                problems.append(CsvProblem(1, None, "a column name appears twice"))
            if problems:
                raise CsvInvalid(problems, file=path)
            continue
        if "__width__" in record:
            problems.append(
                CsvProblem(line, None, f"{record['__width__']} values for {len(columns)} columns")
            )
            continue
        values = {k: v for k, v in record.items() if v.strip() != "" or k in required}
        try:
            rows.append(model.model_validate({**values, "line": line}))
        except ValidationError as e:
            for err in e.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                problems.append(CsvProblem(line, column, err["msg"]))
    if problems:
        raise CsvInvalid(problems, file=path)
    if not rows:
        raise CsvInvalid([CsvProblem(1, None, "the file has a header but no rows")], file=path)
    return rows


__all__ = [
    "ELECTION_COLUMNS",
    "ROSTER_COLUMNS",
    "ElectionRow",
    "RosterRow",
    "parse_rows",
    "read_rows",
]
