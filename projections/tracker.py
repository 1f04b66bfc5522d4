"""Where a read model stands in the log: (position, leaf hash), and the log's Merkle root there.

Positions are 0-based ordinals in notification order (never raw notification ids; the id is
kept only to read on from it). The leaf hash is RFC 9162's ``SHA-256(0x00 || envelope)``; a
run re-reads the row at its tracked position and stops when that hash changed. The compact
frontier of perfect subtrees gives the RFC 9162 root of the first ``position + 1`` leaves
without re-reading them (the ``head`` a manifest names, comparable with a checkpoint).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def leaf_hash(envelope: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + envelope).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass
class Frontier:
    """The perfect subtrees of an append-only RFC 9162 tree, largest first: (height, hash)."""

    nodes: list[tuple[int, bytes]] = field(default_factory=list)
    size: int = 0

    def append(self, leaf: bytes) -> None:
        height, node = 0, leaf
        while self.nodes and self.nodes[-1][0] == height:
            _, left = self.nodes.pop()
            node = _node(left, node)
            height += 1
        self.nodes.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        if not self.nodes:
            return hashlib.sha256(b"").digest()
        node = self.nodes[-1][1]
        for _, left in reversed(self.nodes[:-1]):
            node = _node(left, node)
        return node

    def as_list(self) -> list[list[Any]]:
        return [[h, n.hex()] for h, n in self.nodes]

    @classmethod
    def from_list(cls, value: list[list[Any]], size: int) -> Frontier:
        return cls([(int(h), bytes.fromhex(n)) for h, n in value], size)


@dataclass(frozen=True, slots=True)
class Tracker:
    """The last applied log entry: position, notification id, leaf hash; and the frontier."""

    ledger_id: str
    position: int
    notification_id: int
    leaf_hash: str
    frontier: tuple[tuple[int, str], ...]

    @property
    def events(self) -> int:
        return self.position + 1

    def tree(self) -> Frontier:
        return Frontier.from_list([list(n) for n in self.frontier], self.events)

    @property
    def root(self) -> str:
        return self.tree().root().hex()

    def as_dict(self) -> dict[str, Any]:
        return {
            "ledger_id": self.ledger_id,
            "position": self.position,
            "notification_id": self.notification_id,
            "leaf_hash": self.leaf_hash,
            "frontier": [list(n) for n in self.frontier],
        }

    @classmethod
    def from_dict(cls, v: dict[str, Any]) -> Tracker:
        return cls(
            ledger_id=v["ledger_id"],
            position=int(v["position"]),
            notification_id=int(v["notification_id"]),
            leaf_hash=v["leaf_hash"],
            frontier=tuple((int(h), str(n)) for h, n in v["frontier"]),
        )


__all__ = ["Frontier", "Tracker", "leaf_hash"]
