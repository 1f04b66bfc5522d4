"""RFC 9162 §2.1 Merkle tree hashes, inclusion (audit) paths and consistency proofs.

The global log is one Merkle tree whose leaves are the stored envelopes in notification order;
a batch signature uses the same tree over the body hashes of one save. Definitions:

* leaf hash ``SHA-256(0x00 ‖ data)``; interior node ``SHA-256(0x01 ‖ left ‖ right)``;
* the root of ``n`` leaves splits at ``k``, the largest power of two below ``n``; the root of
  the empty tree is ``SHA-256("")``.

:func:`merkle_root` reduces level by level (an odd last node moves up unchanged, which gives
the same tree). :class:`MerkleAccumulator` takes leaf hashes one at a time and keeps only the
roots of the perfect subtrees covering them (at most log2 n hashes), so the root of a
million-event log is computed while streaming it. Verification follows the algorithms of
RFC 9162 §2.1.3.2 and §2.1.4.2 and raises :class:`ProofInvalid`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NewType

from offerledger.errors import ProofInvalid

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Digest",
    "MerkleAccumulator",
    "audit_path",
    "frontier_nodes",
    "consistency_proof",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "root_from_audit_path",
    "verify_consistency",
    "verify_inclusion",
]

Digest = NewType("Digest", bytes)
"""A 32-byte SHA-256 output: a leaf hash, a node hash or a tree root."""

HASH_SIZE = 32
EMPTY_ROOT = Digest(hashlib.sha256(b"").digest())

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> Digest:
    """RFC 9162 leaf hash: SHA-256(0x00 ‖ data)."""
    return Digest(_sha256(b"\x00" + data).digest())


def node_hash(left: bytes, right: bytes) -> Digest:
    """RFC 9162 interior node hash: SHA-256(0x01 ‖ left ‖ right)."""
    return Digest(_sha256(b"\x01" + left + right).digest())


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    paired = [
        _sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
    ]
    if len(level) % 2:
        paired.append(level[-1])
    return paired


def merkle_root(leaf_hashes: Sequence[bytes]) -> Digest:
    """The tree hash of ``leaf_hashes`` (the empty tree hashes to SHA-256 of nothing)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level: Sequence[bytes] = leaf_hashes
    while len(level) > 1:
        level = _next_level(level)
    return Digest(bytes(level[0]))


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def audit_path(*, index: int, leaf_hashes: Sequence[bytes]) -> list[Digest]:
    """The inclusion proof PATH(index, D[n]) of RFC 9162 §2.1.3.1, bottom up."""
    if not 0 <= index < len(leaf_hashes):
        raise ProofInvalid(f"leaf index {index} is outside a tree of {len(leaf_hashes)} leaves")
    path: list[Digest] = []
    level: Sequence[bytes] = leaf_hashes
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):  # the last node of an odd level has no sibling: it moves up
            path.append(Digest(bytes(level[sibling])))
        level = _next_level(level)
        index >>= 1
    return path


def audit_paths(leaf_hashes: Sequence[bytes]) -> list[list[Digest]]:
    """Every leaf's :func:`audit_path` at once: the levels are built once (O(n log n))."""
    levels: list[Sequence[bytes]] = [leaf_hashes]
    while len(levels[-1]) > 1:
        levels.append(_next_level(levels[-1]))
    paths: list[list[Digest]] = []
    for leaf in range(len(leaf_hashes)):
        path: list[Digest] = []
        index = leaf
        for level in levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(Digest(bytes(level[sibling])))
            index >>= 1
        paths.append(path)
    return paths


def _check_hashes(values: Sequence[bytes], what: str) -> None:
    for value in values:
        if len(value) != HASH_SIZE:
            raise ProofInvalid(f"{what} holds a {len(value)}-byte value, not a SHA-256 hash")


def root_from_audit_path(
    *, leaf_hash: bytes, index: int, size: int, path: Sequence[bytes]
) -> Digest:
    """The root that ``path`` leads to from ``leaf_hash`` at ``index`` (RFC 9162 §2.1.3.2).

    Raises ProofInvalid when the path cannot belong to a tree of ``size`` leaves; the caller
    compares the result with the root it trusts (or uses :func:`verify_inclusion`).
    """
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf index {index} is outside a tree of {size} leaves")
    _check_hashes(path, "the audit path")
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in path:
        if sn == 0:
            raise ProofInvalid(f"the audit path is too long for leaf {index} of {size}")
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid(f"the audit path is too short for leaf {index} of {size}")
    return Digest(r)


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofInvalid unless ``path`` proves ``leaf_hash`` at ``index`` under ``root``."""
    _check_hashes([leaf_hash, root], "the leaf hash or root")
    if root_from_audit_path(leaf_hash=leaf_hash, index=index, size=size, path=path) != root:
        raise ProofInvalid(f"the audit path of leaf {index} does not lead to the tree root")


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[Digest]:
    n = len(leaves)
    if m == n:
        return [] if complete else [merkle_root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), merkle_root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), merkle_root(leaves[:k])]


def consistency_proof(*, old_size: int, leaf_hashes: Sequence[bytes]) -> list[Digest]:
    """PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1: the tree of ``old_size`` is a prefix."""
    if not 0 <= old_size <= len(leaf_hashes):
        raise ProofInvalid(f"old size {old_size} is outside 0..{len(leaf_hashes)}")
    if old_size == 0:
        return []
    return _subproof(old_size, leaf_hashes, True)


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofInvalid unless ``proof`` shows the old tree is a prefix of the new one."""
    if not 0 <= old_size <= new_size:
        raise ProofInvalid(f"a tree cannot shrink from {old_size} to {new_size} leaves")
    _check_hashes(proof, "the consistency proof")
    if old_size == 0:  # RFC 9162 defines PROOF(m, D[n]) for 0 < m only
        if new_size or proof or old_root != EMPTY_ROOT or new_root != EMPTY_ROOT:
            raise ProofInvalid("a consistency proof from the empty tree is meaningless")
        return
    if old_size == new_size:
        if proof or old_root != new_root:
            raise ProofInvalid(f"the trees of {old_size} and {new_size} leaves are not consistent")
        return
    if not proof:
        raise ProofInvalid("the consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofInvalid("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + c + fr).digest()
            sr = _sha256(b"\x01" + c + sr).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofInvalid(
            f"the consistency proof from {old_size} to {new_size} leaves does not match the roots"
        )


class MerkleAccumulator:
    """The root of a growing log in O(log n) memory: the stack of perfect-subtree roots.

    The stack is the log's *frontier*: the roots of the perfect subtrees that cover leaves
    ``0..size-1``, largest (leftmost) first. With ``record_nodes`` every subtree root that
    becomes complete while appending is kept in :attr:`completed` as ``(level, index, hash)``
    (level 0 is a leaf), so a store can persist the interior hashes of the tree as it grows.
    """

    __slots__ = ("_size", "_stack", "completed")

    def __init__(self, *, record_nodes: bool = False) -> None:
        self._stack: list[bytes] = []
        self._size = 0
        self.completed: list[tuple[int, int, bytes]] | None = [] if record_nodes else None

    @classmethod
    def from_frontier(
        cls, *, size: int, frontier: Sequence[bytes], record_nodes: bool = False
    ) -> MerkleAccumulator:
        """Resume a log of ``size`` leaves from its frontier (see :func:`frontier_nodes`)."""
        if len(frontier) != bin(size).count("1"):
            raise ProofInvalid(
                f"a log of {size} leaves has {bin(size).count('1')} frontier hashes, "
                f"not {len(frontier)}"
            )
        _check_hashes(frontier, "the frontier")
        acc = cls(record_nodes=record_nodes)
        acc._stack = [bytes(h) for h in frontier]
        acc._size = size
        return acc

    @property
    def size(self) -> int:
        """How many leaves were appended."""
        return self._size

    @property
    def frontier(self) -> list[bytes]:
        """The perfect-subtree roots covering the leaves so far, leftmost first."""
        return list(self._stack)

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf hash (amortised O(1) hashing)."""
        node, size = bytes(leaf_hash), self._size
        completed = self.completed
        if completed is not None:
            completed.append((0, size, node))
        level = 0
        while size & 1:  # merge equal-sized perfect subtrees, as in binary addition
            node = _sha256(b"\x01" + self._stack.pop() + node).digest()
            size >>= 1
            level += 1
            if completed is not None:
                completed.append((level, self._size >> level, node))
        self._stack.append(node)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append every leaf hash in order."""
        for value in leaf_hashes:
            self.append(value)

    def root(self) -> Digest:
        """The RFC 9162 root of the leaves so far (the larger subtrees are on the left)."""
        stack = self._stack
        if not stack:
            return EMPTY_ROOT
        node = stack[-1]
        sha256 = _sha256
        for left in stack[-2::-1]:
            node = sha256(b"\x01" + left + node).digest()
        return Digest(node)


def frontier_nodes(size: int) -> list[tuple[int, int]]:
    """The (level, index) of each perfect subtree covering leaves ``0..size-1``, leftmost first.

    Node (level, index) covers leaves ``index * 2**level`` to ``(index + 1) * 2**level - 1``.
    """
    nodes: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes
