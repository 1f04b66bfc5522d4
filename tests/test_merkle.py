"""RFC 9162 Merkle trees: known answers, inclusion and consistency proofs, the accumulator."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offerledger.errors import ProofInvalid
from offerledger.integrity.merkle import (
    EMPTY_ROOT,
    MerkleAccumulator,
    audit_path,
    consistency_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_audit_path,
    verify_consistency,
    verify_inclusion,
)

# --- an independent, literal transcription of RFC 9162 §2.1 ----------------------------------


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over the raw entries, by the recursive definition."""
    n = len(entries)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + entries[0])
    k = _k(n)
    return _h(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:]))


def ref_path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, entries[:k]), ref_mth(entries[k:])]
    return [*ref_path(m - k, entries[k:]), ref_mth(entries[:k])]


def ref_subproof(m: int, entries: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if b else [ref_mth(entries)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, entries[:k], b), ref_mth(entries[k:])]
    return [*ref_subproof(m - k, entries[k:], False), ref_mth(entries[:k])]


ENTRIES = [f"event-{i}".encode() for i in range(40)]
LEAVES = [leaf_hash(e) for e in ENTRIES]

# Certificate Transparency's reference leaves and roots (RFC 6962 test data).
CT_ENTRIES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_hash_prefixes() -> None:
    assert leaf_hash(b"abc") == _h(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == _h(b"\x01" + b"L" * 32 + b"R" * 32)
    assert EMPTY_ROOT == _h(b"") == merkle_root([])


@pytest.mark.parametrize("size", range(9))
def test_certificate_transparency_reference_roots(size: int) -> None:
    leaves = [leaf_hash(e) for e in CT_ENTRIES[:size]]
    assert merkle_root(leaves).hex() == CT_ROOTS[size]
    accumulator = MerkleAccumulator()
    accumulator.extend(leaves)
    assert accumulator.root().hex() == CT_ROOTS[size]


def test_certificate_transparency_reference_inclusion_proofs() -> None:
    leaves = [leaf_hash(e) for e in CT_ENTRIES]
    assert [h.hex() for h in audit_path(index=0, leaf_hashes=leaves)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    assert [h.hex() for h in audit_path(index=5, leaf_hashes=leaves)] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]


@pytest.mark.parametrize("size", range(21))
def test_roots_match_the_recursive_definition(size: int) -> None:
    assert merkle_root(LEAVES[:size]) == ref_mth(ENTRIES[:size])


@pytest.mark.parametrize("size", range(1, 34))
def test_audit_paths_round_trip_for_every_index(size: int) -> None:
    leaves = LEAVES[:size]
    root = merkle_root(leaves)
    for index in range(size):
        path = audit_path(index=index, leaf_hashes=leaves)
        assert path == ref_path(index, ENTRIES[:size])
        got = root_from_audit_path(leaf_hash=leaves[index], index=index, size=size, path=path)
        assert got == root
        verify_inclusion(leaf_hash=leaves[index], index=index, size=size, path=path, root=root)
        if size > 1:  # the proof does not fit another leaf, another index or a cut path
            with pytest.raises(ProofInvalid):
                verify_inclusion(
                    leaf_hash=leaves[index - 1], index=index, size=size, path=path, root=root
                )
            with pytest.raises(ProofInvalid):
                verify_inclusion(
                    leaf_hash=leaves[index],
                    index=(index + 1) % size,
                    size=size,
                    path=path,
                    root=root,
                )
            with pytest.raises(ProofInvalid, match="too short"):
                root_from_audit_path(
                    leaf_hash=leaves[index], index=index, size=size, path=path[:-1]
                )
        with pytest.raises(ProofInvalid, match="too long"):
            root_from_audit_path(
                leaf_hash=leaves[index], index=index, size=size, path=[*path, root]
            )


def test_audit_path_bounds() -> None:
    with pytest.raises(ProofInvalid, match="leaf index 3 is outside a tree of 3 leaves"):
        audit_path(index=3, leaf_hashes=LEAVES[:3])
    with pytest.raises(ProofInvalid, match="leaf index -1 is outside"):
        root_from_audit_path(leaf_hash=LEAVES[0], index=-1, size=3, path=[])
    with pytest.raises(ProofInvalid, match="31-byte value"):
        root_from_audit_path(leaf_hash=LEAVES[0], index=0, size=2, path=[b"x" * 31])


def test_accumulator_equals_merkle_root_for_sizes_0_to_100() -> None:
    entries = [f"leaf {i}".encode() for i in range(100)]
    leaves = [leaf_hash(e) for e in entries]
    accumulator = MerkleAccumulator()
    assert accumulator.root() == EMPTY_ROOT
    for size in range(1, 101):
        accumulator.append(leaves[size - 1])
        assert accumulator.size == size
        assert accumulator.root() == merkle_root(leaves[:size])
        assert len(accumulator._stack) == bin(size).count("1")  # O(log n) state
    assert accumulator.root() == ref_mth(entries)


@pytest.mark.parametrize("new_size", range(1, 21))
def test_consistency_proofs_for_every_pair(new_size: int) -> None:
    leaves = LEAVES[:new_size]
    new_root = merkle_root(leaves)
    for old_size in range(1, new_size + 1):
        old_root = merkle_root(leaves[:old_size])
        proof = consistency_proof(old_size=old_size, leaf_hashes=leaves)
        assert proof == ref_subproof(old_size, ENTRIES[:new_size], True)
        verify_consistency(
            old_size=old_size, new_size=new_size, old_root=old_root, new_root=new_root, proof=proof
        )
        wrong_old = merkle_root(LEAVES[1 : old_size + 1])
        with pytest.raises(ProofInvalid):
            verify_consistency(
                old_size=old_size,
                new_size=new_size,
                old_root=wrong_old,
                new_root=new_root,
                proof=proof,
            )
        with pytest.raises(ProofInvalid):
            verify_consistency(
                old_size=old_size,
                new_size=new_size,
                old_root=old_root,
                new_root=wrong_old,
                proof=proof,
            )
        if proof:
            with pytest.raises(ProofInvalid):
                verify_consistency(
                    old_size=old_size,
                    new_size=new_size,
                    old_root=old_root,
                    new_root=new_root,
                    proof=proof[:-1],
                )


def test_consistency_edge_cases() -> None:
    root5 = merkle_root(LEAVES[:5])
    with pytest.raises(ProofInvalid, match="from the empty tree is meaningless"):
        verify_consistency(old_size=0, new_size=5, old_root=EMPTY_ROOT, new_root=root5, proof=[])
    verify_consistency(old_size=0, new_size=0, old_root=EMPTY_ROOT, new_root=EMPTY_ROOT, proof=[])
    assert consistency_proof(old_size=0, leaf_hashes=LEAVES[:5]) == []
    with pytest.raises(ProofInvalid, match="cannot shrink from 6 to 5"):
        verify_consistency(old_size=6, new_size=5, old_root=root5, new_root=root5, proof=[])
    with pytest.raises(ProofInvalid, match="not consistent"):
        verify_consistency(old_size=5, new_size=5, old_root=root5, new_root=EMPTY_ROOT, proof=[])
    with pytest.raises(ProofInvalid, match="not consistent"):
        verify_consistency(old_size=5, new_size=5, old_root=root5, new_root=root5, proof=[root5])
    with pytest.raises(ProofInvalid, match="is empty"):
        verify_consistency(old_size=3, new_size=5, old_root=root5, new_root=root5, proof=[])
    with pytest.raises(ProofInvalid, match="old size 6 is outside 0..5"):
        consistency_proof(old_size=6, leaf_hashes=LEAVES[:5])


@settings(max_examples=150, deadline=None)
@given(
    entries=st.lists(st.binary(max_size=8), min_size=1, max_size=40),
    data=st.data(),
)
def test_any_changed_leaf_changes_the_root(entries: list[bytes], data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 1))
    replacement = data.draw(st.binary(max_size=8).filter(lambda b: b != entries[index]))
    changed = [*entries[:index], replacement, *entries[index + 1 :]]
    before = merkle_root([leaf_hash(e) for e in entries])
    after = merkle_root([leaf_hash(e) for e in changed])
    assert before != after
    accumulator = MerkleAccumulator()
    accumulator.extend(leaf_hash(e) for e in changed)
    assert accumulator.root() == after
