"""Lists that name many employees, committed to so that one entry can be proven alone.

An offer event that concerns many employees (the recipients of a notice, the grants accepted
and cancelled, the new grants) carries a :class:`~offerledger.values.CommittedList` instead of
the list; the list itself is a source document stored beside the event. One employee's entries
are then proven by Merkle audit paths without disclosing anything about the others. The bytes,
for a verifier written without this code, are in ``docs/disclosure.md``:

* an **entry** is the RFC 8785 canonical JSON of an object holding ``"salt"`` (32 random bytes,
  64 lower-case hex digits) and the entry's fields (``employee_id``, ``grant_id``, ...);
* entries are in ascending **byte order of their canonical JSON without the salt** (the
  *sort key*); two entries with the same sort key are refused;
* the **root** is the RFC 9162 Merkle tree hash over ``SHA-256(0x00 ‖ entry)`` of each entry, in
  that order (the empty list: ``SHA-256("")``);
* the **document** is the canonical JSON ``{"entries": [<entry objects>], "kind": <kind>}``;
  being canonical, each entry object appears in it as exactly its entry bytes.

The salt keeps a leaf hash seen as a proof sibling from confirming a guess about another
employee (the possible choices, grant ids and option counts are few; 2**256 salts are not).
No I/O here: the caller stores the document (``Ledger.save(..., documents=[...])``) and reads it
back (``Ledger.document``).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from typing import Any, NamedTuple

from offerledger.documents import SourceDocument
from offerledger.errors import DisclosureInvalid, InputError, NonCanonicalValue, ProofInvalid
from offerledger.integrity import merkle
from offerledger.signing.canonical import canonical_json
from offerledger.values import CommittedList, ListKind

__all__ = [
    "MEDIA_TYPE",
    "SALT_BYTES",
    "EntryProof",
    "commit_entries",
    "entry_fields",
    "open_document",
    "prove_entry",
    "sort_key",
    "verify_entry",
]

SALT_BYTES = 32
MEDIA_TYPE = "application/json"
_SALT = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{64}")


class EntryProof(NamedTuple):
    """One entry as stored (its canonical bytes, salt included), its 0-based index in the list
    and its audit path (RFC 9162 §2.1.3.1, bottom up, hex) under the list's root."""

    entry_bytes: bytes
    leaf_index: int
    audit_path: tuple[str, ...]


def sort_key(fields: Mapping[str, Any]) -> bytes:
    """The order of entries: the canonical JSON of an entry's fields without its salt."""
    return canonical_json({k: v for k, v in fields.items() if k != "salt"})


def commit_entries(
    kind: ListKind, entries: Sequence[Mapping[str, Any]]
) -> tuple[CommittedList, SourceDocument]:
    """Salt, order and commit to ``entries``; returns the commitment and the document to store.

    Each entry is a mapping of its fields (JSON values; no ``"salt"`` key). Raises InputError
    for an entry that is not such a mapping or that appears twice.
    """
    keys: list[bytes] = []  # each entry's sort key, in the order given
    for i, entry in enumerate(entries):
        where = f"{kind}[{i}]"
        if not isinstance(entry, Mapping) or not all(isinstance(k, str) for k in entry):
            raise InputError("an entry must be a JSON object", field=where)
        if "salt" in entry:
            raise InputError("an entry brings no salt: the ledger draws it", field=where)
        try:
            keys.append(sort_key(entry))
        except NonCanonicalValue as e:
            raise InputError(e.message, field=where, hint=e.hint) from None
    order = sorted(range(len(keys)), key=keys.__getitem__)
    for a, b in pairwise(order):
        if keys[a] == keys[b]:
            raise InputError(f"the entry {keys[a].decode()} appears twice", field=kind)
    del keys
    # The document is built entry by entry (the canonical JSON of {"entries": [...], "kind": K}
    # holds each entry object as exactly its entry bytes), and the root by an accumulator:
    # nothing per entry is kept but its bytes in the document (a notice to 500,000 employees
    # held 1.4 KB an entry in salted dicts, leaves and their copies; docs/performance.md).
    tree = merkle.MerkleAccumulator()
    out = bytearray(b'{"entries":[')
    for n, i in enumerate(order):
        salted = canonical_json({**entries[i], "salt": secrets.token_bytes(SALT_BYTES).hex()})
        tree.append(merkle.leaf_hash(salted))
        if n:
            out += b","
        out += salted
    out += b'],"kind":' + canonical_json(kind) + b"}"
    content = bytes(out)
    del out
    document = SourceDocument(content=content, media_type=MEDIA_TYPE, name=f"{kind}.json")
    committed = CommittedList(
        kind=kind,
        root=tree.root().hex(),
        count=len(order),
        document_sha256=document.sha256,
    )
    return committed, document


def _salted_entries(committed: CommittedList, content: bytes) -> list[dict[str, Any]]:
    """The document's entry objects (salts included), after every check but the root."""
    sha = committed.document_sha256

    def bad(message: str, index: int | None = None) -> DisclosureInvalid:
        return DisclosureInvalid(
            f"the {committed.kind} list (document {sha[:16]}…): {message}",
            document_sha256=sha,
            index=index,
        )

    found = hashlib.sha256(content).hexdigest()
    if found != sha:
        raise bad(f"the document's SHA-256 is {found[:16]}…, not the one the event commits to")
    try:
        data = json.loads(content)
        canonical = canonical_json(data) == content
    except (ValueError, NonCanonicalValue):
        raise bad("the document is not JSON") from None
    if not canonical:
        raise bad("the document is not RFC 8785 canonical JSON")
    if not isinstance(data, dict) or set(data) != {"entries", "kind"}:
        raise bad('the document must be an object with exactly "entries" and "kind"')
    if data["kind"] != committed.kind:
        raise bad(f"the document holds a {data['kind']!r} list")
    entries = data["entries"]
    if not isinstance(entries, list) or len(entries) != committed.count:
        count = len(entries) if isinstance(entries, list) else "no"
        raise bad(f"the document holds {count} entries, the event commits to {committed.count}")
    previous = b""
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not _SALT.fullmatch(str(entry.get("salt", ""))):
            raise bad("an entry must be an object with a 64-hex-digit salt", i)
        key = sort_key(entry)
        if i and key <= previous:
            raise bad("the entries are not in ascending order of their sort key", i)
        previous = key
    return entries


def _checked_leaves(committed: CommittedList, entries: list[dict[str, Any]]) -> list[bytes]:
    leaves: list[bytes] = [merkle.leaf_hash(canonical_json(e)) for e in entries]
    if merkle.merkle_root(leaves).hex() != committed.root:
        raise DisclosureInvalid(
            f"the {committed.kind} list (document {committed.document_sha256[:16]}…): the "
            "entries do not hash to the root the event commits to",
            document_sha256=committed.document_sha256,
        )
    return leaves


def open_document(committed: CommittedList, document_bytes: bytes) -> list[dict[str, Any]]:
    """The entries' fields (salts removed), in order, once the document is shown to be the
    one ``committed`` names: its SHA-256, canonical form, kind, order, count and root.

    Raises DisclosureInvalid naming what does not match.
    """
    entries = _salted_entries(committed, document_bytes)
    _checked_leaves(committed, entries)
    return [{k: v for k, v in e.items() if k != "salt"} for e in entries]


def prove_entry(
    committed: CommittedList,
    document_bytes: bytes,
    predicate: Callable[[dict[str, Any]], bool],
) -> list[EntryProof]:
    """The entries whose fields (without the salt) satisfy ``predicate``, each with its index
    and audit path: what a one-employee evidence bundle carries instead of the list."""
    entries = _salted_entries(committed, document_bytes)
    leaves = _checked_leaves(committed, entries)
    chosen = [
        i for i, e in enumerate(entries) if predicate({k: v for k, v in e.items() if k != "salt"})
    ]
    paths = merkle.audit_paths(leaves) if chosen else []
    return [
        EntryProof(canonical_json(entries[i]), i, tuple(h.hex() for h in paths[i])) for i in chosen
    ]


def entry_fields(entry_bytes: bytes) -> dict[str, Any]:
    """The fields of one entry (salt removed); DisclosureInvalid unless it is the canonical JSON
    of an object with a 64-hex-digit salt."""
    try:
        data = json.loads(entry_bytes)
        canonical = canonical_json(data) == entry_bytes
    except (ValueError, NonCanonicalValue):
        raise DisclosureInvalid("the entry is not JSON") from None
    if not canonical:
        raise DisclosureInvalid("the entry is not RFC 8785 canonical JSON")
    if not isinstance(data, dict) or not _SALT.fullmatch(str(data.get("salt", ""))):
        raise DisclosureInvalid("the entry must be an object with a 64-hex-digit salt")
    return {k: v for k, v in data.items() if k != "salt"}


def verify_entry(
    *, entry_bytes: bytes, index: int, size: int, path: Sequence[str], root: str
) -> None:
    """Raise DisclosureInvalid unless ``entry_bytes`` is a well-formed entry that ``path``
    (hex, bottom up) proves at ``index`` of a list of ``size`` entries with root ``root``."""
    entry_fields(entry_bytes)
    if not _HEX32.fullmatch(root) or not all(_HEX32.fullmatch(h) for h in path):
        raise DisclosureInvalid("the root and the audit path must be 64-hex-digit hashes")
    try:
        merkle.verify_inclusion(
            leaf_hash=merkle.leaf_hash(entry_bytes),
            index=index,
            size=size,
            path=[bytes.fromhex(h) for h in path],
            root=bytes.fromhex(root),
        )
    except ProofInvalid as e:
        raise DisclosureInvalid(f"entry {index} of {size}: {e.message}", index=index) from None
