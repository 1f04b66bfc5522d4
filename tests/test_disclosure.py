"""Committed lists (docs/disclosure.md): the byte-level vector, the order rule, every refusal of
a document that does not match, entry proofs, and that a sibling leaf confirms no guess."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from offerledger.commitments import commit_action_list
from offerledger.disclosure import (
    commit_entries,
    entry_fields,
    open_document,
    prove_entry,
    sort_key,
    verify_entry,
)
from offerledger.errors import DisclosureInvalid, InputError
from offerledger.events import CommittedList
from offerledger.integrity import merkle
from offerledger.signing.canonical import canonical_json

DOCS = Path(__file__).resolve().parent.parent / "docs" / "disclosure.md"


def grants(*rows: tuple[str, str, int, str]) -> list[dict[str, Any]]:
    return [{"employee_id": e, "grant_id": g, "options": n, "plan": p} for e, g, n, p in rows]


ROWS = grants(
    ("E0002", "G0002-1", 1200, "Holding Plan"),
    ("E0001", "G0001-2", 500, "PNH Plan"),
    ("E0001", "G0001-1", 1000, "Holding Plan"),
    ("E0003", "G0003-1", 700, "Holding Plan"),
)


# --- the vector in docs/disclosure.md --------------------------------------------------------


def _vector() -> dict[str, str]:
    """The ``name: value`` lines of the test-vector block in docs/disclosure.md."""
    block = re.search(r"```text\n# test vector\n(.*?)```", DOCS.read_text(), re.DOTALL)
    assert block is not None, "docs/disclosure.md has no test-vector block"
    pairs = (line.split(": ", 1) for line in block.group(1).splitlines() if ": " in line)
    return {k.strip(): v.strip() for k, v in pairs}


def test_the_documented_vector_is_what_the_code_computes() -> None:
    v = _vector()
    document = v["document"].encode()
    committed = CommittedList(
        kind="accepted-grants",
        root=v["root"],
        count=int(v["count"]),
        document_sha256=v["document_sha256"],
    )
    assert hashlib.sha256(document).hexdigest() == v["document_sha256"]
    entries = json.loads(document)["entries"]
    for i, entry in enumerate(entries):
        assert canonical_json(entry).decode() == v[f"entry {i}"]
        assert merkle.leaf_hash(canonical_json(entry)).hex() == v[f"leaf {i}"]
    assert open_document(committed, document)[0]["employee_id"] == "E0001"
    (proof,) = prove_entry(committed, document, lambda f: f["grant_id"] == "G0001-1")
    assert proof.entry_bytes.decode() == v["entry 0"]
    assert list(proof.audit_path) == v["audit path of entry 0"].split(", ")
    verify_entry(
        entry_bytes=v["entry 0"].encode(),
        index=0,
        size=int(v["count"]),
        path=v["audit path of entry 0"].split(", "),
        root=v["root"],
    )


# --- commit and open --------------------------------------------------------------------------


def test_entries_are_ordered_by_their_fields_without_the_salt_whatever_the_input_order() -> None:
    committed, document = commit_entries("accepted-grants", ROWS)
    opened = open_document(committed, document.content)
    assert [(e["employee_id"], e["grant_id"]) for e in opened] == [
        ("E0001", "G0001-1"),
        ("E0001", "G0001-2"),
        ("E0002", "G0002-1"),
        ("E0003", "G0003-1"),
    ]
    assert [sort_key(e) for e in opened] == sorted(sort_key(r) for r in ROWS)
    assert committed.count == 4
    assert committed.document_sha256 == document.sha256
    assert document.media_type == "application/json"
    again, _ = commit_entries("accepted-grants", list(reversed(ROWS)))
    assert again.root != committed.root  # fresh salts: a new root every time


def test_the_document_is_canonical_and_each_entry_is_its_own_bytes() -> None:
    committed, document = commit_entries("accepted-grants", ROWS)
    data = json.loads(document.content)
    assert canonical_json(data) == document.content
    assert set(data) == {"entries", "kind"} and data["kind"] == "accepted-grants"
    leaves = []
    for entry in data["entries"]:
        raw = canonical_json(entry)
        assert raw in document.content
        assert re.fullmatch(r"[0-9a-f]{64}", entry["salt"])
        leaves.append(merkle.leaf_hash(raw))
    assert merkle.merkle_root(leaves).hex() == committed.root


@pytest.mark.parametrize("count", [1, 2, 5, 37])
def test_the_document_built_entry_by_entry_is_the_canonical_json_of_the_salted_list(
    count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """commit_entries writes the document one entry at a time and folds the root in an
    accumulator: the bytes and root are those of the whole salted list made at once."""
    drawn = iter(range(10**6))
    monkeypatch.setattr(
        "offerledger.disclosure.secrets.token_bytes", lambda n: next(drawn).to_bytes(n, "big")
    )
    rows = [
        {"employee_id": f"É{i % 7:03d}", "grant_id": f"N-{i}", "options": i + 1, "replaces": [i]}
        for i in reversed(range(count))
    ]
    committed, document = commit_entries("new-grants", rows)
    ordered = sorted(rows, key=sort_key)
    salted = [{**r, "salt": i.to_bytes(32, "big").hex()} for i, r in enumerate(ordered)]
    assert document.content == canonical_json({"entries": salted, "kind": "new-grants"})
    leaves = [merkle.leaf_hash(canonical_json(e)) for e in salted]
    assert committed.root == merkle.merkle_root(leaves).hex() and committed.count == count


def test_an_empty_list_commits_to_the_empty_tree() -> None:
    committed, document = commit_entries("accepted-grants", [])
    assert committed.root == hashlib.sha256(b"").hexdigest()
    assert open_document(committed, document.content) == []


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["E0001"], "an entry must be a JSON object"),
        ([{"employee_id": "E0001", "salt": "00"}], "an entry brings no salt"),
        ([{"employee_id": "E0001"}, {"employee_id": "E0001"}], "appears twice"),
        ([{"employee_id": "E0001", "options": 1.5}], "float 1.5 is not allowed"),
    ],
)
def test_commit_refuses_what_is_not_a_list_of_distinct_objects(
    entries: list[Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        commit_entries("notice-recipients", entries)


def _tampered(content: bytes, change: Any) -> bytes:
    data = json.loads(content)
    change(data)
    return canonical_json(data)


def _swap(data: dict[str, Any]) -> None:
    data["entries"][0], data["entries"][1] = data["entries"][1], data["entries"][0]


def _edit_options(data: dict[str, Any]) -> None:
    data["entries"][2]["options"] += 100


def _drop(data: dict[str, Any]) -> None:
    del data["entries"][3]


def _rekind(data: dict[str, Any]) -> None:
    data["kind"] = "new-grants"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_swap, "not in ascending order of their sort key"),
        (_edit_options, "do not hash to the root the event commits to"),
        (_drop, "holds 3 entries, the event commits to 4"),
        (_rekind, "holds a 'new-grants' list"),
    ],
    ids=["reordered", "entry-altered", "entry-removed", "other-kind"],
)
def test_open_refuses_a_document_that_does_not_match_its_commitment(
    change: Any, message: str
) -> None:
    committed, document = commit_entries("accepted-grants", ROWS)
    content = _tampered(document.content, change)
    # the event's hash names the document it was signed with: a changed document fails that
    # first; re-pointing the hash at the changed bytes shows the next check holds on its own
    with pytest.raises(DisclosureInvalid, match="SHA-256 is .*, not the one the event commits"):
        open_document(committed, content)
    repointed = committed.model_copy(
        update={"document_sha256": hashlib.sha256(content).hexdigest()}
    )
    with pytest.raises(DisclosureInvalid, match=message) as info:
        open_document(repointed, content)
    assert info.value.exit_code == 1


def test_open_refuses_a_document_that_is_not_canonical() -> None:
    committed, document = commit_entries("accepted-grants", ROWS)
    pretty = json.dumps(json.loads(document.content), indent=1).encode()
    repointed = committed.model_copy(update={"document_sha256": hashlib.sha256(pretty).hexdigest()})
    with pytest.raises(DisclosureInvalid, match="not RFC 8785 canonical JSON"):
        open_document(repointed, pretty)


# --- one entry, proven alone ------------------------------------------------------------------

entry_rows = st.lists(
    st.fixed_dictionaries(
        {
            "employee_id": st.from_regex(r"E[0-9]{1,5}", fullmatch=True),
            "grant_id": st.text(min_size=1, max_size=12),
            "options": st.integers(1, 10**9),
            "plan": st.sampled_from(["Holding Plan", "PNH Plan"]),
        }
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda r: (r["employee_id"], r["grant_id"], r["options"], r["plan"]),
)


@settings(max_examples=60, deadline=None)
@given(rows=entry_rows, data=st.data())
def test_any_entry_proves_and_verifies_and_any_altered_entry_fails(
    rows: list[dict[str, Any]], data: st.DataObject
) -> None:
    committed, document = commit_entries("accepted-grants", rows)
    proofs = prove_entry(committed, document.content, lambda f: True)
    assert [p.leaf_index for p in proofs] == list(range(len(rows)))
    for proof in proofs:
        verify_entry(
            entry_bytes=proof.entry_bytes,
            index=proof.leaf_index,
            size=committed.count,
            path=proof.audit_path,
            root=committed.root,
        )
    proof = data.draw(st.sampled_from(proofs))
    at = data.draw(st.integers(0, len(proof.entry_bytes) - 1))
    flip = data.draw(st.integers(1, 255))
    altered = bytearray(proof.entry_bytes)
    altered[at] ^= flip
    with pytest.raises(DisclosureInvalid):
        verify_entry(
            entry_bytes=bytes(altered),
            index=proof.leaf_index,
            size=committed.count,
            path=proof.audit_path,
            root=committed.root,
        )


def test_an_entry_proof_at_another_index_or_size_fails() -> None:
    committed, document = commit_entries("accepted-grants", ROWS)
    proof = prove_entry(committed, document.content, lambda f: f["employee_id"] == "E0002")[0]
    assert entry_fields(proof.entry_bytes) == ROWS[0]
    for index, size in ((proof.leaf_index - 1, 4), (proof.leaf_index, 5)):
        with pytest.raises(DisclosureInvalid, match=f"entry {index} of {size}"):
            verify_entry(
                entry_bytes=proof.entry_bytes,
                index=index,
                size=size,
                path=proof.audit_path,
                root=committed.root,
            )


def _unsalted_leaf(fields: dict[str, Any]) -> bytes:
    return merkle.leaf_hash(canonical_json(fields))


@pytest.mark.parametrize("kind", ["accepted-grants", "new-grants", "notice-recipients"])
def test_a_sibling_leaf_confirms_no_guess_about_the_neighbouring_employee(kind: str) -> None:
    """E0001's proof carries E0002's leaf hash as its first sibling. Every value E0002's entry
    could take in the demo's roster (employee ids, grant ids, option counts in hundreds, plans,
    grants replaced) is enumerated without the salt: none matches. The same enumeration does
    find E0002's entry when it is hashed without its salt, so the test can fail."""
    mine, theirs = NEIGHBOURS[kind]
    committed, document = commit_entries(kind, [theirs, mine])  # type: ignore[arg-type]
    (proof,) = prove_entry(committed, document.content, lambda f: f["employee_id"] == "E0001")
    assert proof.leaf_index == 0 and len(proof.audit_path) == 1
    sibling = bytes.fromhex(proof.audit_path[0])
    guesses = set(_guesses(kind))
    assert _unsalted_leaf(theirs) in guesses  # the enumeration holds the true entry
    assert sibling not in guesses


NEIGHBOURS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "accepted-grants": (
        {"employee_id": "E0001", "grant_id": "G0001-1", "options": 1000, "plan": "PNH Plan"},
        {"employee_id": "E0002", "grant_id": "G0002-2", "options": 7300, "plan": "PNH Plan"},
    ),
    "new-grants": (
        {"employee_id": "E0001", "grant_id": "N-G0001-1", "options": 1000, "replaces": ["G0001-1"]},
        {"employee_id": "E0002", "grant_id": "N-G0002-2", "options": 7300, "replaces": ["G0002-2"]},
    ),
    "notice-recipients": ({"employee_id": "E0001"}, {"employee_id": "E0002"}),
}


def _guesses(kind: str) -> list[bytes]:
    ids = [f"E{i:04d}" for i in range(1, 21)]
    if kind == "notice-recipients":
        return [_unsalted_leaf({"employee_id": e}) for e in ids]
    out = []
    for e in ids:
        for j in (1, 2, 3):
            grant = f"G{e[1:]}-{j}"
            for options in range(100, 20000, 100):
                base = {"employee_id": e, "options": options}
                if kind == "accepted-grants":
                    for plan in ("Holding Plan", "PNH Plan"):
                        row = {**base, "grant_id": grant, "plan": plan}
                        out.append(_unsalted_leaf(row))
                else:
                    row = {**base, "grant_id": f"N-{grant}", "replaces": [grant]}
                    out.append(_unsalted_leaf(row))
    return out


# --- what record commits ----------------------------------------------------------------------


def test_record_derives_the_offers_figures_from_the_full_list() -> None:
    fields, documents, entries = commit_action_list("TenderedOptionsAccepted", {"grants": ROWS})
    assert fields["employees"] == 3 and fields["options"] == 3400
    assert fields["by_plan"] == [
        {"plan": "Holding Plan", "employees": 3, "grants": 3, "options": 2900},
        {"plan": "PNH Plan", "employees": 1, "grants": 1, "options": 500},
    ]
    committed = CommittedList.model_validate(fields["grants"])
    assert committed.count == 4 and [d.sha256 for d in documents] == [committed.document_sha256]
    assert len(open_document(committed, documents[0].content)) == len(entries) == 4


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("TenderedOptionsAccepted", {"grants": ROWS, "options": 1}, "field 'options': is 1"),
        ("NewOptionsGranted", {"grants": {"root": "00"}}, "give the full list"),
        ("TenderedOptionsAccepted", {"grants": [{"employee_id": "E1"}]}, r"grants\[0\]\.grant_id"),
        ("NoticeDispatched", {"recipients": ["E1", "E1"]}, "appears twice"),
    ],
)
def test_record_refuses_a_list_it_cannot_commit_to(
    name: str, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        commit_action_list(name, data)


def test_a_notice_to_a_class_with_no_list_commits_to_nothing() -> None:
    fields, documents, _ = commit_action_list("NoticeDispatched", {"recipients": []})
    assert "recipients" not in fields and documents == []
