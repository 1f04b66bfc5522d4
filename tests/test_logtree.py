"""Proofs from the persisted tree (logtree) equal RFC 9162 proofs from the whole leaf list."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offerledger.errors import ProofInvalid
from offerledger.integrity.logtree import (
    Node,
    consistency_proof_from,
    inclusion_proof_from,
    plan,
    root_from,
)
from offerledger.integrity.merkle import (
    MerkleAccumulator,
    audit_path,
    consistency_proof,
    frontier_nodes,
    leaf_hash,
    merkle_root,
)


def _store(n: int) -> tuple[list[bytes], dict[Node, bytes], MerkleAccumulator]:
    leaves = [leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]
    acc = MerkleAccumulator(record_nodes=True)
    acc.extend(leaves)
    return leaves, {(lv, ix): h for lv, ix, h in acc.completed or []}, acc


def _reader(nodes: dict[Node, bytes], reads: list[int]):  # type: ignore[no-untyped-def]
    def read(wanted: Iterable[Node]) -> dict[Node, bytes]:
        wanted = list(wanted)
        reads.append(len(wanted))
        return {k: nodes[k] for k in wanted if k in nodes}

    return read


@settings(max_examples=120, deadline=None)
@given(n=st.integers(1, 300), data=st.data())
def test_stored_proofs_equal_rfc9162_proofs(n: int, data: st.DataObject) -> None:
    leaves, nodes, acc = _store(n)
    reads: list[int] = []
    read = _reader(nodes, reads)
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))
    assert root_from(read, size) == merkle_root(leaves[:size])
    assert inclusion_proof_from(read, index=index, size=size) == audit_path(
        index=index, leaf_hashes=leaves[:size]
    )
    assert consistency_proof_from(read, old_size=old, new_size=size) == consistency_proof(
        old_size=old, leaf_hashes=leaves[:size]
    )
    assert acc.root() == merkle_root(leaves)
    assert all(r <= 4 * max(1, size.bit_length()) for r in reads)  # O(log n) nodes, one read


def test_frontier_resumes_the_accumulator() -> None:
    leaves, nodes, _ = _store(1000)
    for size in (1, 2, 3, 512, 999):
        frontier = [nodes[k] for k in frontier_nodes(size)]
        resumed = MerkleAccumulator.from_frontier(size=size, frontier=frontier)
        resumed.extend(leaves[size:])
        assert resumed.root() == merkle_root(leaves)


def test_a_million_leaf_log_needs_few_nodes() -> None:
    assert len(plan([(0, 1_000_000)])) == bin(1_000_000).count("1")
    assert len(frontier_nodes(2**20)) == 1


def test_a_missing_node_is_a_damaged_index() -> None:
    _, nodes, _ = _store(10)
    del nodes[(3, 0)]
    with pytest.raises(ProofInvalid, match="log index is damaged"):
        root_from(_reader(nodes, []), 10)
