"""What the last verification of exactly the state an output was built from found.

``verify`` and ``nightly`` hand the read side a :class:`VerificationRecord` (the read side never
verifies); :mod:`.verification_store` keeps them beside the read model. A read command knows
the log size and RFC 9162 root of the rows it folded (its :class:`Head`) and the log index's
head (``offerledger_head``, cheap to read), and :func:`standing` decides what its first line
says:

* ``verified: N events, root R, at T`` — the last verification of that state found nothing;
* ``VERIFICATION FAILED: K problem(s) in N events, root R, at T …`` — it found problems;
* ``UNVERIFIED: N events, root R …`` — it was never verified, or the rows read no longer hash
  to the root the log index records (altered after they were saved).

On a ledger whose root key registration says its keys are public (a demo ledger), a clean
verification proves nothing about who signed: the line then opens ``NOT EVIDENCE (keys public:
a demo ledger): signatures verified: N events …`` instead of ``verified:``, and the other two
end with ``; KEYS PUBLIC (a demo ledger): not evidence``. The JSON field says
``"keys_public": true``.

A record matches a state by the root verify computed from the rows or by the log index's head
it saw, so a verify that caught an altered row marks the index's head as failed too (a read
model built before the alteration still shows that head). A verification ``--since`` a
checkpoint examined only the events after it: it does not clear an earlier failure of the same
state (a full verify does).

Pure: times come from the records, never from a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

VERIFIED, UNVERIFIED, FAILED = "verified", "unverified", "failed"
# A ledger whose keys are public (the demo's): whoever holds its seed can sign as any actor
KEYS_PUBLIC_PREFIX = "NOT EVIDENCE (keys public: a demo ledger)"
KEYS_PUBLIC_SUFFIX = "; KEYS PUBLIC (a demo ledger): not evidence"


@dataclass(frozen=True, slots=True)
class Head:
    """A log state: its size (events) and RFC 9162 root (hex)."""

    size: int
    root: str


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    """What one verification found, as ``verify`` or ``nightly`` records it.

    ``head``: the size and root verify computed from the rows; ``index``: the log index's head
    when it ran (it differs only when verify found ``index-mismatch``); ``problems``: how many
    it reported, ``positions`` their reasons by log position and ``general`` the ones without
    a position (``reason: detail``); ``since``: the checkpoint's size when only the events after
    it were examined (``checkpoint``: the file given).
    """

    head: Head
    ok: bool
    problems: int
    verified_at: datetime
    by: str  # verify | nightly | demo
    root_key_id: str | None = None
    root_key_source: str = ""
    index: Head | None = None
    since: int | None = None
    checkpoint: str | None = None
    positions: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    general: tuple[str, ...] = ()

    def matches(self, head: Head) -> bool:
        return self.head == head or self.index == head

    @property
    def at(self) -> str:
        return self.verified_at.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Standing:
    """What an output states about its verification (first line and JSON field)."""

    state: str  # verified | unverified | failed
    built: Head
    record: VerificationRecord | None = None
    index: Head | None = None
    last: VerificationRecord | None = None  # the last verification of any state
    keys_public: bool = False  # the root key registration says the keys are public (demo)

    @property
    def altered(self) -> bool:
        """The rows read hash to another root than the log index records for that size."""
        index = self.index
        return index is not None and index.size == self.built.size and index != self.built

    def first_line(self) -> str:
        b, r = self.built, self.record
        if self.state == VERIFIED:
            assert r is not None
            scope = f" (events after a checkpoint of {r.since})" if r.since is not None else ""
            if self.keys_public:
                return (
                    f"{KEYS_PUBLIC_PREFIX}: signatures verified: {b.size} events, root "
                    f"{b.root}, at {r.at}{scope}"
                )
            return f"verified: {b.size} events, root {b.root}, at {r.at}{scope}"
        return self._not_verified() + (KEYS_PUBLIC_SUFFIX if self.keys_public else "")

    def _not_verified(self) -> str:
        b, r = self.built, self.record
        if self.state == FAILED:
            assert r is not None
            return (
                f"VERIFICATION FAILED: {r.problems} problem(s) in {b.size} events, root "
                f"{b.root}, found at {r.at} (run 'offerledger verify' to list them)"
            )
        if self.altered:
            assert self.index is not None
            return (
                f"UNVERIFIED: {b.size} events, root {b.root} as read; the log index records "
                f"root {self.index.root} (run 'offerledger verify')"
            )
        last = self.last
        seen = (
            f"; the last verification was of {last.head.size} events, at {last.at}"
            if last is not None
            else ""
        )
        return (
            f"UNVERIFIED: {b.size} events, root {b.root}, never verified{seen} "
            "(run 'offerledger verify')"
        )

    def as_dict(self) -> dict[str, Any]:
        """The ``verification`` field of a JSON output."""
        r = self.record if self.state != UNVERIFIED else None
        return {
            "state": self.state,
            "size": self.built.size,
            "root": self.built.root,
            "problems": None if r is None else r.problems,
            "verified_at": None if r is None else r.at,
            "since_checkpoint": None if r is None else r.since,
            "root_key_id": None if r is None else r.root_key_id,
            "keys_public": self.keys_public,
            "line": self.first_line(),
        }

    def problems_by_position(self) -> Mapping[int, tuple[str, ...]] | None:
        """Reasons by position for the timeline's status column (None: not verified)."""
        if self.state == UNVERIFIED or self.record is None:
            return None
        return self.record.positions

    @property
    def general(self) -> tuple[str, ...]:
        return self.record.general if self.state == FAILED and self.record else ()


def standing(
    built: Head,
    index: Head | None,
    records: Iterable[VerificationRecord],
    last: VerificationRecord | None = None,
    *,
    keys_public: bool = False,
) -> Standing:
    """What the verification records (in the order they were made) say about ``built``;
    ``keys_public``: the ledger's root key registration says its keys are public."""
    keys = {built} | ({index} if index is not None and index.size == built.size else set())
    verdict: VerificationRecord | None = None
    for r in records:
        if not any(r.matches(k) for k in keys):
            continue
        if r.ok and r.since is not None and verdict is not None and not verdict.ok:
            continue  # a --since verification does not clear a failure of the same state
        verdict = r
    if verdict is not None and not verdict.ok:
        return Standing(FAILED, built, verdict, index, last, keys_public)
    out = Standing(UNVERIFIED, built, None, index, last, keys_public)
    if verdict is not None and not out.altered and verdict.head == built:
        return Standing(VERIFIED, built, verdict, index, last, keys_public)
    return out


def headed(text: str, verification: Standing | None, fmt: str = "text") -> str:
    """``text`` under its verification line: a ``# `` comment line for CSV, else the line and
    a blank line. None: the text unchanged (library callers that pass no verification)."""
    if verification is None:
        return text
    line = verification.first_line()
    return f"# {line}\n{text}" if fmt == "csv" else f"{line}\n\n{text}"


__all__ = [
    "FAILED",
    "KEYS_PUBLIC_PREFIX",
    "KEYS_PUBLIC_SUFFIX",
    "UNVERIFIED",
    "VERIFIED",
    "Head",
    "Standing",
    "VerificationRecord",
    "headed",
    "standing",
]
