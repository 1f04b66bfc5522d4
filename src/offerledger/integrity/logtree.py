"""RFC 9162 proofs from a persisted tree: O(log n) node reads, never the whole log.

The store keeps every complete perfect subtree root as node ``(level, index)`` (level 0 is a
leaf hash; node (level, index) covers leaves ``index * 2**level .. (index + 1) * 2**level - 1``).
The hash of any range of leaves is the RFC 9162 combination of the perfect nodes that cover it,
so a tree head, an inclusion proof or a consistency proof needs only the nodes this module
names (:func:`plan`) and one batched read of them (a :data:`NodeReader`).

The proofs are exactly RFC 9162 §2.1.3.1 PATH and §2.1.4.1 PROOF, as :mod:`.merkle` computes
them from a list of leaves (a test compares the two).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from offerledger.errors import ProofInvalid
from offerledger.integrity.merkle import EMPTY_ROOT, Digest, frontier_nodes, node_hash

_sha256 = hashlib.sha256

__all__ = [
    "IndexDigest",
    "Node",
    "NodeReader",
    "TreeHead",
    "consistency_proof_from",
    "inclusion_proof_from",
    "root_from",
]

Node = tuple[int, int]
NodeReader = Callable[[Iterable[Node]], dict[Node, bytes]]
"""Reads stored nodes by (level, index); a node missing from the answer is a damaged store."""


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A log's size and RFC 9162 root."""

    size: int
    root: bytes


def _split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _range_nodes(start: int, end: int) -> list[Node]:
    """The perfect nodes whose combination is the hash of leaves ``start..end-1``."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        return [(n.bit_length() - 1, start // n)]
    k = _split(n)
    return [*_range_nodes(start, start + k), *_range_nodes(start + k, end)]


def _range_hash(start: int, end: int, nodes: dict[Node, bytes]) -> bytes:
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        key = (n.bit_length() - 1, start // n)
        if key not in nodes:
            raise ProofInvalid(f"the stored tree has no node {key}: the log index is damaged")
        return nodes[key]
    k = _split(n)
    return node_hash(_range_hash(start, start + k, nodes), _range_hash(start + k, end, nodes))


def _path_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make PATH(index, D[start:end]), bottom up."""
    if end - start == 1:
        return []
    k = _split(end - start)
    if index < start + k:
        return [*_path_ranges(index, start, start + k), (start + k, end)]
    return [*_path_ranges(index, start + k, end), (start, start + k)]


def _subproof_ranges(m: int, start: int, end: int, complete: bool) -> list[tuple[int, int]]:
    """The ranges whose hashes make SUBPROOF(m, D[start:end], complete)."""
    n = end - start
    if m == n:
        return [] if complete else [(start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof_ranges(m, start, start + k, complete), (start + k, end)]
    return [*_subproof_ranges(m - k, start + k, end, False), (start, start + k)]


def plan(ranges: Iterable[tuple[int, int]]) -> list[Node]:
    """Every stored node the hashes of ``ranges`` need (what a reader must fetch)."""
    needed: dict[Node, None] = {}
    for start, end in ranges:
        for node in _range_nodes(start, end):
            needed[node] = None
    return list(needed)


def root_from(read: NodeReader, size: int) -> Digest:
    """The RFC 9162 root of the first ``size`` leaves, from the stored frontier nodes."""
    if size == 0:
        return EMPTY_ROOT
    nodes = read(frontier_nodes(size))
    return Digest(_range_hash(0, size, nodes))


def inclusion_proof_from(read: NodeReader, *, index: int, size: int) -> list[Digest]:
    """PATH(index, D[size]) from stored nodes."""
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf index {index} is outside a tree of {size} leaves")
    ranges = _path_ranges(index, 0, size)
    nodes = read(plan(ranges))
    return [Digest(_range_hash(a, b, nodes)) for a, b in ranges]


def consistency_proof_from(read: NodeReader, *, old_size: int, new_size: int) -> list[Digest]:
    """PROOF(old_size, D[new_size]) from stored nodes."""
    if not 0 <= old_size <= new_size:
        raise ProofInvalid(f"old size {old_size} is outside 0..{new_size}")
    if old_size == 0:
        return []
    ranges = _subproof_ranges(old_size, 0, new_size, True)
    nodes = read(plan(ranges))
    return [Digest(_range_hash(a, b, nodes)) for a, b in ranges]


class IndexDigest:
    """An order-independent digest of a persisted log (leaves with their events, and nodes):
    the sum mod 2**256 of one SHA-256 per row, so the tables can be read in any order and
    compared, in O(1) memory, with the tree verify rebuilt from the events."""

    __slots__ = ("_sum",)

    def __init__(self) -> None:
        self._sum = 0

    def leaf(self, position: int, stream: bytes, version: int, digest: bytes) -> None:
        wide = 1 << 64  # garbage read from a damaged row must not stop the digest
        row = (
            b"\x00" + (position % wide).to_bytes(8, "big") + stream
            + (version % wide).to_bytes(8, "big") + digest
        )  # fmt: skip
        self._sum += int.from_bytes(_sha256(row).digest(), "big")

    def node(self, level: int, index: int, digest: bytes) -> None:
        row = b"\x01" + level.to_bytes(1, "big") + index.to_bytes(8, "big") + digest
        self._sum += int.from_bytes(_sha256(row).digest(), "big")

    @property
    def value(self) -> int:
        return self._sum % (1 << 256)  # reduced once: the sum of the rows so far, mod 2**256
