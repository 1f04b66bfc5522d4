"""The base of every event: header fields, topic registry, upcasting, stream names.

Re-exported by :mod:`offerledger.events`; import from there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any, ClassVar

from eventsourcing.utils import register_topic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from offerledger.values import EASTERN, EffectiveTime

# --- streams ------------------------------------------------------------------------------------

STREAM_NAMESPACE = uuid.UUID("6f1d5a52-5b0e-5b8e-9d0c-0ff3e41ed9e2")
KEYS_STREAM_NAME = "keys"


def stream_id(name: str) -> uuid.UUID:
    """The stream id of a stable stream name (uuid5)."""
    return uuid.uuid5(STREAM_NAMESPACE, name)


def offer_stream_name(*, cik: str, file_number: str) -> str:
    return f"offer:{cik}:{file_number}"


def employee_stream_name(*, offer: str, employee_id: str) -> str:
    return f"employee:{offer}:{employee_id}"


def filing_stream_name(*, sha256: str) -> str:
    return f"filing:{sha256}"


# --- the base event -----------------------------------------------------------------------------

HEADER_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "effective",
        "recorded",
        "actor",
        "key_id",
        "synthetic_record",
    }
)

TOPICS: dict[str, type[LedgerEvent]] = {}
# stored topic -> (topic it upcasts to, function on the payload dict)
UPCASTERS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {}


class LedgerEvent(BaseModel):
    """An immutable, signed action. Header fields here; payload fields in each subclass."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    TOPIC: ClassVar[str] = ""

    originator_id: uuid.UUID
    originator_version: int = Field(ge=1)
    effective: EffectiveTime
    recorded: AwareDatetime
    actor: str = Field(min_length=1)
    key_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    synthetic_record: bool = Field(
        default=False,
        description="The header's ``synthetic`` mark: recorded by a synthetic demonstration "
        "(its recorded time follows a story clock, its key is a demo key), so it is no record "
        'of anything that happened; stored as ``"synthetic": true`` in the header only when '
        'set (docs/format.md, "Synthetic events")',
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        topic = cls.__dict__.get("TOPIC")
        if topic:
            if topic in TOPICS and TOPICS[topic] is not cls:
                raise TypeError(f"topic {topic} registered twice")
            TOPICS[topic] = cls
            register_topic(topic, cls)

    @property
    def action(self) -> str:
        """The action name: the class name without the version (``NoticeDispatched``)."""
        return self.TOPIC.split(".")[1]

    @property
    def is_synthetic(self) -> bool:
        """Whether an output resting on this event must say SYNTHETIC: the header's mark
        (a synthetic demonstration recorded it) or the payload's own ``synthetic`` (its data
        are generated: a roster, elections, an acceptance or new grants)."""
        return self.synthetic_record or getattr(self, "synthetic", False) is True

    def payload(self) -> dict[str, Any]:
        """The payload as JSON-native values (Decimals and dates as strings)."""
        return self.model_dump(mode="json", exclude=set(HEADER_FIELDS))


# --- what a recorded time may not precede -------------------------------------------------------

RECORDS_FIELDS = ("received_at", "sent_at")
"""Payload fields holding an instant the event records (an election form's receipt, a receipt
confirmation's sending): the event cannot be recorded before it."""


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def effective_floor(effective: Any) -> datetime | None:
    """The earliest instant a stored ``effective`` header (JSON) allows: an instant itself, a
    date's 00:00 US Eastern, a time not on file its ``after`` bound; None when it gives none."""
    if not isinstance(effective, Mapping):
        return None
    kind = effective.get("kind")
    if kind == "instant":
        return _instant(effective.get("at"))
    if kind == "date":
        try:
            day = date.fromisoformat(str(effective.get("on")))
        except ValueError:
            return None
        return datetime.combine(day, time(0, 0), tzinfo=EASTERN)
    if kind == "not_on_file":
        return _instant(effective.get("after"))
    return None


def records_floor(effective: Any, payload: Mapping[str, Any]) -> tuple[datetime, str] | None:
    """The latest instant an event records, and the field that gives it: the header's
    ``effective`` (:func:`effective_floor`), the payload's ``received_at`` or ``sent_at``.
    Its recorded time may not be earlier (docs/format.md, "Recorded time"); None: it records
    no instant."""
    latest, field = effective_floor(effective), "effective"
    for name in RECORDS_FIELDS:
        at = _instant(payload.get(name))
        if at is not None and (latest is None or at > latest):  # the first of equal ones
            latest, field = at, name
    return None if latest is None else (latest, field)


def recorded_problems(
    recorded: datetime, floor: tuple[datetime, str] | None, previous: datetime | None
) -> list[tuple[str, str]]:
    """Why a recorded time cannot be true, as (verify reason, detail) pairs; empty when it can.

    ``recorded-before-effective``: before ``floor``, the latest instant the event records
    (:func:`records_floor`); ``recorded-out-of-order``: before ``previous``, the recorded time of
    the event before it in log order (recorded time is the clock at recording, monotone in log
    order). The write side refuses such an event; verify reports it.
    """
    found = []
    if floor is not None and recorded < floor[0]:
        found.append(
            (
                "recorded-before-effective",
                f"recorded {recorded.isoformat()}, before its {floor[1]} {floor[0].isoformat()}",
            )
        )
    if previous is not None and recorded < previous:
        found.append(
            (
                "recorded-out-of-order",
                f"recorded {recorded.isoformat()}, before the event before it in log order "
                f"({previous.isoformat()})",
            )
        )
    return found


def header_of(event: LedgerEvent, *, prev: str | None) -> dict[str, Any]:
    """The stored header of an event (JSON values): stream, version, topic, effective and
    recorded time, actor, key id, ``prev``, and ``synthetic`` only when the event carries the
    mark (so events without it store exactly as before)."""
    dumped = event.model_dump(mode="json", include=set(HEADER_FIELDS))
    header = {
        "stream": dumped["originator_id"],
        "version": dumped["originator_version"],
        "topic": event.TOPIC,
        "effective": dumped["effective"],
        "recorded": dumped["recorded"],
        "actor": dumped["actor"],
        "key_id": dumped["key_id"],
        "prev": prev,
    }
    if event.synthetic_record:
        header["synthetic"] = True
    return header


def model_fields(header: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an event model from a stored header and (upcast) payload: the inverse of
    :func:`header_of` (every decoder goes through here)."""
    return {
        "originator_id": header["stream"],
        "originator_version": header["version"],
        "effective": header["effective"],
        "recorded": header["recorded"],
        "actor": header["actor"],
        "key_id": header["key_id"],
        "synthetic_record": header.get("synthetic") is True,
        **payload,
    }


def event_class_for_topic(topic: str) -> type[LedgerEvent]:
    """The class that reads a stored topic (after upcasting, the newest version)."""
    seen = topic
    while seen in UPCASTERS:
        seen = UPCASTERS[seen][0]
    return TOPICS[seen]


def upcast_payload(topic: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Bring a stored payload to the newest version of its event (after verification only)."""
    while topic in UPCASTERS:
        topic, step = UPCASTERS[topic]
        payload = step(payload)
    return topic, payload


def register_upcaster(
    *, old: str, new: str, step: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """Declare that payloads stored under ``old`` are read as ``new`` after ``step``.

    The old class stays registered under its own topic (a fresh process can still decode it);
    readers go through :func:`event_class_for_topic` and :func:`upcast_payload`, after
    verification, on the decoded body: stored bytes are never rewritten.
    """
    if new not in TOPICS:
        raise KeyError(f"no event class has topic {new}")
    UPCASTERS[old] = (new, step)
