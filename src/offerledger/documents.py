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
from dataclasses import dataclass, field

from offerledger.errors import InputError

__all__ = ["SourceDocument", "document_hash", "parse_document_hash"]

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
