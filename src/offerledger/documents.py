"""Source documents: the exact bytes an event cites, stored content-addressed in the ledger.

A filing as received, the text of a notice as sent, a CSV file as ingested, the full list behind
a commitment (:mod:`offerledger.disclosure`): each is stored once under the SHA-256 of its exact
bytes, in the same transaction as the events that cite it (``Ledger.save(..., documents=[...])``),
so the evidence never depends on a file kept elsewhere. An event names a document by that hash;
the bytes are never normalized before hashing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from offerledger.errors import InputError

__all__ = [
    "CITING_FIELD",
    "CITING_FIELDS",
    "NOT_CITING_TOPICS",
    "SourceDocument",
    "cited_hashes",
    "document_hash",
    "parse_document_hash",
]

# the field an action fills from the one document given with it, when left out
CITING_FIELD = {
    "FilingRecorded": "source_sha256",
    "NoticeDispatched": "content_sha256",
    "EligibleGrantsRegistered": "source_sha256",
    "ElectionSubmitted": "source_sha256",
    "ElectionChanged": "source_sha256",
    "ElectionWithdrawn": "source_sha256",
    "ElectionRefused": "source_sha256",
}
CITING_FIELDS = frozenset({"source_sha256", "content_sha256", "document_sha256"})
"""Payload fields (at any depth) that name a stored source document by its SHA-256."""
NOT_CITING_TOPICS = frozenset({"offerledger.NoticeDispatched.v1"})
"""Topics whose hash fields predate stored documents: not citations."""


def cited_hashes(topic: str, payload: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """The (field path, SHA-256) of every document a decoded payload cites, in field order."""
    if topic in NOT_CITING_TOPICS:
        return
    if isinstance(payload, dict):
        for key in sorted(payload):
            inner = f"{path}.{key}" if path else str(key)
            if key in CITING_FIELDS and isinstance(payload[key], str):
                yield inner, payload[key]
            else:
                yield from cited_hashes(topic, payload[key], inner)
    elif isinstance(payload, list | tuple):
        for i, item in enumerate(payload):
            yield from cited_hashes(topic, item, f"{path}[{i}]")


_HEX64 = re.compile(r"[0-9a-f]{64}")


def document_hash(content: bytes) -> str:
    """The name of a source document: SHA-256 of its exact bytes, 64 lower-case hex digits."""
    return hashlib.sha256(content).hexdigest()


def parse_document_hash(text: str, *, field_name: str = "SHA256") -> str:
    """A document hash as a user typed it (case ignored); InputError unless 64 hex digits."""
    value = text.strip().lower()
    if not _HEX64.fullmatch(value):
        raise InputError(
            f"{text!r} is not a SHA-256 document hash (64 hexadecimal digits)", field=field_name
        )
    return value


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """One stored document: its bytes, a media type and the name it arrived under."""

    content: bytes = field(repr=False)
    media_type: str
    name: str
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", document_hash(self.content))
