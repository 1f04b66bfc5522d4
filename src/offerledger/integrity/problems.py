"""What verify reports: the fixed set of reasons, one problem per (event, reason), the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["REASONS", "Problem", "VerifyReport"]

REASONS = (
    "bad-signature",
    "unknown-key",
    "wrong-role",
    "revoked-key",
    "recorded-outside-key-validity",
    "body-row-mismatch",
    "non-canonical",
    "chain-break",
    "version-gap",
    "undecodable",
    "checkpoint-mismatch",
    "stream-truncated",
    "tree-head-mismatch",
    "batch-incomplete",
    "index-mismatch",
    "document-mismatch",
    "recorded-before-effective",
    "recorded-out-of-order",
    "correction-invalid",
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: where (log position, stream, version; None when not one event) and why."""

    position: int | None
    stream: str | None
    version: int | None
    reason: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "stream": self.stream,
            "version": self.version,
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass
class VerifyReport:
    """The outcome of one verify: the tree it saw, the root key it trusted and every problem."""

    count: int = 0
    root: bytes = b""
    root_key_id: str | None = None
    root_key_source: str = ""
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    signatures_checked: int = 0
    examined: int = 0  # rows read and checked (all of them, or those after a checkpoint)
    since: int | None = None  # verify --since: the checkpoint's size the check started from
    cited: dict[str, int] = field(default_factory=dict)  # document SHA-256 -> first citer
    # each correction examined: (position, stream, version, supersedes_version, topic, fields)
    corrections: list[tuple[int, str | None, int | None, int, str, tuple[tuple[str, str], ...]]] = (
        field(default_factory=list)
    )
    index_digest: int | None = None  # IndexDigest of the tree rebuilt from the events

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.count,
            "root": self.root.hex(),
            "root_key_id": self.root_key_id,
            "root_key_source": self.root_key_source,
            "signatures_checked": self.signatures_checked,
            "events_examined": self.examined,
            "since": self.since,
            "problems": [p.as_dict() for p in self.problems],
        }
