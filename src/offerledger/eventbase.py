"""The base of every event: header fields, topic registry, upcasting, stream names.

Re-exported by :mod:`offerledger.events`; import from there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from eventsourcing.utils import register_topic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from offerledger.values import EffectiveTime

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
    {"originator_id", "originator_version", "effective", "recorded", "actor", "key_id"}
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

    def payload(self) -> dict[str, Any]:
        """The payload as JSON-native values (Decimals and dates as strings)."""
        return self.model_dump(mode="json", exclude=set(HEADER_FIELDS))


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
