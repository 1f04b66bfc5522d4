"""Verify's check of the saves: each signed the log head it extends, and none lost an event.

Every envelope names the save it belongs to: the log head the save extends (``log_size`` events
with root ``log_root``), its index in the save and the save's size; the save's signature covers
all of them (the examine stage has checked it). In log order this checker then requires:

* a save's first event (index 0) stands at position ``log_size``, and the log before it has
  root ``log_root`` (``tree-head-mismatch`` otherwise: an event before it was deleted,
  inserted, reordered or altered);
* a save's events follow one another with indexes 0, 1, … size-1 and the same signed head
  (``batch-incomplete`` otherwise: an event of the save was removed or moved).

So deleting, inserting, reordering or altering any event that a later save follows is found
without a checkpoint; only whole trailing saves can vanish unnoticed, and a checkpoint kept
outside the database covers those. After a head mismatch every later save differs too (the
log it extends is not the one stored); those are summed up in one problem unless the size
difference changes (which reveals a second, separate change).
"""

from __future__ import annotations

from dataclasses import dataclass

from offerledger.integrity.examine import Examined, SaveFacts
from offerledger.integrity.merkle import MerkleAccumulator
from offerledger.integrity.problems import Problem

__all__ = ["SaveChecker"]


@dataclass
class _Open:
    facts: SaveFacts
    first_position: int
    next_index: int


class SaveChecker:
    """Checks examined rows in log order against the log accumulated before each of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._open: _Open | None = None
        self._broken_delta: int | None = None  # signed size - actual size after a mismatch
        self._followers: list[int] = []

    def check(self, e: Examined, tree: MerkleAccumulator) -> None:
        """Check ``e`` before its leaf is appended to ``tree`` (so tree.size == e.position)."""
        facts = e.save
        if facts is None:
            return  # undecodable, already reported
        current = self._open
        if current is not None and self._same_save(current.facts, facts):
            if facts.at != current.next_index:
                self._missing(current, facts.at, e)
            current.next_index = facts.at + 1
            if current.next_index >= current.facts.size:
                self._open = None
            return
        if current is not None:
            self._incomplete(current, e.position)
            self._open = None
        if facts.at != 0:
            self._flag(
                e,
                "batch-incomplete",
                f"index {facts.at} of a save of {facts.size} events whose events before it "
                "are not stored before it",
            )
            if facts.at + 1 < facts.size:
                self._open = _Open(facts, e.position, facts.at + 1)
            return
        self._check_head(e, facts, tree)
        if facts.size > 1:
            self._open = _Open(facts, e.position, 1)

    def finish(self, *, end: int) -> None:
        """After the last row (``end`` = the log size): a save cut short at the end."""
        if self._open is not None:
            self._incomplete(self._open, end)
            self._open = None
        if self._followers:
            first = self._followers[0]
            self.problems.append(
                Problem(
                    first,
                    None,
                    None,
                    "tree-head-mismatch",
                    f"{len(self._followers)} later save(s), from position {first} on, sign a "
                    "log head that differs as well: they follow from the change reported above",
                )
            )

    @staticmethod
    def _same_save(f: SaveFacts, facts: SaveFacts) -> bool:
        return (
            facts.size == f.size
            and facts.log_size == f.log_size
            and facts.log_root == f.log_root
            and facts.signature == f.signature
        )

    def _missing(self, current: _Open, index: int, e: Examined) -> None:
        if index > current.next_index:
            missing = f"{current.next_index}"
            if index - current.next_index > 1:
                missing += f"..{index - 1}"
            what = f"its event(s) {missing} are not stored before it"
        else:
            what = f"it repeats or reorders index {index} (expected {current.next_index})"
        self._flag(
            e,
            "batch-incomplete",
            f"index {index} of the save of {current.facts.size} events that begins at position "
            f"{current.first_position}: {what}",
        )

    def _check_head(self, e: Examined, facts: SaveFacts, tree: MerkleAccumulator) -> None:
        delta = facts.log_size - tree.size
        if delta == 0 and facts.log_root == tree.root():
            return
        if self._broken_delta is not None and delta == self._broken_delta:
            self._followers.append(e.position)
            return
        self._broken_delta = delta
        if delta > 0:
            why = (
                f"its save signed a log of {facts.log_size} events before it, but "
                f"{tree.size} are stored before it: {delta} event(s) before position "
                f"{e.position} were removed"
            )
        elif delta < 0:
            why = (
                f"its save signed a log of {facts.log_size} events before it, but "
                f"{tree.size} are stored before it: {-delta} event(s) were inserted before "
                f"position {e.position}"
            )
        else:
            why = (
                f"its save signed the log of the {facts.log_size} events before it with "
                "another root: an event before it was altered, replaced or moved"
            )
        self._flag(e, "tree-head-mismatch", why)

    def _incomplete(self, current: _Open, end: int) -> None:
        f = current.facts
        self.problems.append(
            Problem(
                current.first_position,
                None,
                None,
                "batch-incomplete",
                f"the save that begins at position {current.first_position} holds "
                f"{f.size} events; the stored run of it ends at index "
                f"{current.next_index - 1} (before position {end}): its events "
                f"{current.next_index}..{f.size - 1} were removed or moved",
            )
        )

    def _flag(self, e: Examined, reason: str, detail: str) -> None:
        self.problems.append(Problem(e.position, e.stream, e.version, reason, detail))
