"""docs/format.md's test vectors: a tiny ledger made deterministically, checked three ways.

1. The ledger is rebuilt with the code, on SQLite and PostgreSQL, and every row, table, hash,
   signed message, signature, tree head, proof, checkpoint and sidecar equals
   ``tests/fixtures/format-vectors.json``.
2. docs/format.md's generated sections equal what the JSON and ``events.py`` give (the vectors,
   the role→action matrix), every hex or base64 value quoted in the vectors occurs in the JSON,
   and the reasons it lists are ``REASONS``.
3. A mini-verifier written from docs/format.md with only hashlib, json, base64, uuid, datetime
   and ``cryptography`` checks the vectors from the JSON and the doc's role table alone, and
   refuses tampered copies of them.

Ed25519 signatures are deterministic, so fixed seeds and a fixed clock give fixed bytes.
Regenerate the JSON and the doc's sections only after a deliberate format change:
``OFFERLEDGER_REGEN_VECTORS=1 .venv/bin/python -m pytest tests/test_format_vectors.py``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import sqlite3
import typing
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from offerledger.documents import SourceDocument
from offerledger.events import (
    EASTERN,
    HEADER_FIELDS,
    ROLE_ACTIONS,
    TOPICS,
    ExpirationExtended,
    FilingRecorded,
    OfferCommenced,
    Role,
    filing_stream_name,
    offer_stream_name,
    role_may_record,
    stream_id,
)
from offerledger.integrity.checkpoint import note_key_id, vkey_string
from offerledger.integrity.logtree import consistency_proof_from, inclusion_proof_from, root_from
from offerledger.integrity.problems import REASONS
from offerledger.integrity.service import verify_ledger, write_checkpoint
from offerledger.ledger import Ledger
from offerledger.signing import envelope as envelope_module
from offerledger.signing.canonical import canonical_json
from offerledger.signing.envelope import (
    body_hash,
    envelope_hash,
    parse_save,
    parse_state,
    save_message,
)
from offerledger.signing.keys import SigningKey

ROOT_DIR = Path(__file__).resolve().parent.parent
FIXTURE = ROOT_DIR / "tests" / "fixtures" / "format-vectors.json"
DOC = ROOT_DIR / "docs" / "format.md"
REGEN = os.environ.get("OFFERLEDGER_REGEN_VECTORS") == "1"
PASS = b"test-passphrase"

# --- the tiny ledger ---------------------------------------------------------------------------

KEYS = {  # name -> (holder, role, seed label)
    "root": ("Ledger Root", "root", "offerledger format vectors: root"),
    "officer": ("Jane Officer", "issuer_officer", "offerledger format vectors: officer"),
}
T0 = datetime(2001, 8, 27, 9, 0, tzinfo=EASTERN)
OFFICER_UNTIL = datetime(2002, 1, 1, tzinfo=EASTERN)
REVOKED_AT = datetime(2001, 8, 28, 10, 0, tzinfo=EASTERN)
COMPROMISED_SINCE = datetime(2001, 8, 28, 9, 0, tzinfo=UTC)
OFFER = offer_stream_name(cik="1117042", file_number="005-59595")
FILING = SourceDocument(b"SC TO-I filed 2001-08-27 (format vector)\n", "text/plain", "sc-to-i.txt")


def seed_of(name: str) -> bytes:
    return hashlib.sha256(KEYS[name][2].encode()).digest()


def key(name: str) -> SigningKey:
    return SigningKey.from_seed(seed=seed_of(name))


def fixed_salts() -> Callable[[], bytes]:
    """Save-leaf salts for the vectors: SHA-256("offerledger-vector-salt" ‖ n)[:16], n = 0, 1…
    (a real ledger draws them from os.urandom)."""
    counter = iter(range(1 << 30))
    return lambda: hashlib.sha256(b"offerledger-vector-salt" + bytes([next(counter)])).digest()[:16]


def build(db: str) -> Ledger:
    """The tiny ledger, its save salts fixed (:func:`fixed_salts`)."""
    real = envelope_module.new_salt
    envelope_module.new_salt = fixed_salts()  # type: ignore[assignment]
    try:
        return _build(db)
    finally:
        envelope_module.new_salt = real  # type: ignore[assignment]


def _build(db: str) -> Ledger:
    """Root key, officer key, the offer, a save of two events (with a document), a revocation."""
    root, officer = key("root"), key("officer")
    ledger, _ = Ledger.init(
        db, passphrase=PASS, holder=KEYS["root"][0], clock=lambda: T0, root_key=root
    )
    ledger.clock = lambda: T0 + timedelta(minutes=1)
    ledger.register_key(
        root=root,
        holder=KEYS["officer"][0],
        role="issuer_officer",
        key=officer,
        valid_from=T0,
        valid_until=OFFICER_UNTIL,
    )
    offer, actor = stream_id(OFFER), KEYS["officer"][0]
    header = {"actor": actor, "key_id": officer.key_id}
    commenced = OfferCommenced(
        originator_id=offer,
        originator_version=1,
        effective={"kind": "date", "on": "2001-08-27"},
        recorded=T0 + timedelta(minutes=5),
        offer_name=OFFER,
        issuer="Example Corp",
        cik="1117042",
        file_number="005-59595",
        securities="options to purchase common stock",
        expiration=datetime(2001, 9, 25, tzinfo=EASTERN),
        **header,
    )
    ledger.save([commenced], signer=officer)
    at = T0 + timedelta(minutes=10)
    filing = FilingRecorded(
        originator_id=stream_id(filing_stream_name(sha256=FILING.sha256)),
        originator_version=1,
        effective={"kind": "date", "on": "2001-08-27"},
        recorded=at,
        offer_id=offer,
        form="SC TO-I",
        filed_on="2001-08-27",
        source_sha256=FILING.sha256,
        **header,
    )
    extended = ExpirationExtended(
        originator_id=offer,
        originator_version=2,
        effective={"kind": "instant", "at": at},
        recorded=at,
        new_expiration=datetime(2001, 10, 2, tzinfo=EASTERN),
        **header,
    )
    ledger.save([filing, extended], signer=officer, documents=[FILING])
    ledger.clock = lambda: REVOKED_AT
    ledger.revoke_key(
        root=root,
        key_id=officer.key_id,
        reason="left the company",
        compromised_since=COMPROMISED_SINCE,
    )
    return ledger


# --- reading the database as stored ------------------------------------------------------------


def _read_tables(db: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the ledger in its natural order (events in log order), as the driver
    returns the values."""
    queries = {
        "events": "SELECT {id}, originator_id, originator_version, topic, state FROM {events} "
        "ORDER BY {id}",
        "head": "SELECT id, size, root FROM offerledger_head",
        "saves": "SELECT save, log_size, size, log_root, signature, leaves "
        "FROM offerledger_saves ORDER BY save",
        "leaves": "SELECT position, originator_id, originator_version, hash FROM "
        "offerledger_leaves ORDER BY position",
        "nodes": "SELECT level, idx, hash FROM offerledger_nodes ORDER BY level, idx",
        "documents": "SELECT sha256, media_type, name, content FROM offerledger_documents "
        "ORDER BY sha256",
    }
    if db.startswith("postgresql://"):
        import psycopg

        schema = parse_qs(urlparse(db).query)["schema"][0]
        with psycopg.connect(db.split("?")[0]) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            ids = {"id": "notification_id", "events": "offerledger_events"}
            return {k: conn.execute(q.format(**ids)).fetchall() for k, q in queries.items()}
    conn = sqlite3.connect(db)
    try:
        ids = {"id": "rowid", "events": "stored_events"}
        return {k: conn.execute(q.format(**ids)).fetchall() for k, q in queries.items()}
    finally:
        conn.close()


def _stream_column(value: Any, *, postgres: bool) -> str:
    """The originator_id column as SQLite stores it (32 lower-case hex digits)."""
    if postgres:
        assert isinstance(value, uuid.UUID), "PostgreSQL stores originator_id as uuid"
        return value.hex
    assert isinstance(value, str) and re.fullmatch(r"[0-9a-f]{32}", value)
    return value


def collect(ledger: Ledger, db: str, checkpoint: Path) -> dict[str, Any]:
    """The vectors of the ledger in ``db``, computed with the code from what is stored."""
    pg = db.startswith("postgresql://")
    tables = _read_tables(db)
    read = ledger.app.read_nodes
    rows: list[dict[str, Any]] = []
    saves: list[dict[str, Any]] = []
    records = {int(r[0]): parse_save(tuple(r)) for r in tables["saves"]}
    assert sorted(records) == list(range(len(records)))  # numbered 0, 1, … in log order
    for position, (row_id, sid, version, topic, raw_state) in enumerate(tables["events"]):
        state = bytes(raw_state)
        own = parse_state(state)
        record = records[own.save]
        leaf = save_leaf(own.salt, own.body)
        assert record.leaf_fits(own.index, leaf)
        if own.index == 0:
            assert own.save == len(saves)
            message = save_message(
                log_size=record.log_size,
                log_root=record.log_root,
                size=record.size,
                save_root=record.root(leaf),
            )
            saves.append(
                {
                    "number": own.save,
                    "positions": [],
                    "key_id": json.loads(own.body)["header"]["key_id"],
                    "log_size": record.log_size,
                    "log_root": record.log_root.hex(),
                    "size": record.size,
                    "save_leaves": [h.hex() for h in record.leaves] or [leaf.hex()],
                    "audit_paths": [[h.hex() for h in path] for path in record.paths],
                    "save_root": record.root(leaf).hex(),
                    "signed_message": message.hex(),
                    "signature": record.signature.hex(),
                }
            )
        current = saves[-1]
        current["positions"].append(position)
        if len(current["positions"]) == record.size:
            end = position + 1
            current["tree_head_after"] = {"size": end, "root": root_from(read, end).hex()}
        rows.append(
            {
                "position": position,
                "row_id": int(row_id),
                "originator_id": _stream_column(sid, postgres=pg),
                "originator_version": version,
                "topic": topic,
                "state": state.hex(),
                "body": own.body.decode("ascii"),
                "body_sha256": body_hash(own.body).hex(),
                "save_salt": base64.b64encode(own.salt).decode(),
                "save_leaf": leaf.hex(),
                "state_hash": envelope_hash(state),
                "leaf_hash": bytes(tables["leaves"][position][3]).hex(),
                "save": own.save,
                "index": own.index,
            }
        )
    ((head_id, size, head_root),) = tables["head"]
    old, new = 3, len(rows)
    note = checkpoint.read_text(encoding="utf-8")
    signed_text, _, signature_line = note.rpartition("\n\n")
    name, _, blob64 = signature_line.removeprefix("\u2014 ").rstrip("\n").partition(" ")
    blob = base64.b64decode(blob64)
    sidecar = json.loads(checkpoint.with_name(checkpoint.name + ".heads.json").read_text())
    root_key = key("root")
    assert blob[:4] == note_key_id(name=name, public_key=root_key.public_key)
    return {
        "about": "offerledger stored format version 3 test vectors (docs/format.md); made and "
        "checked by tests/test_format_vectors.py; regenerate only with "
        "OFFERLEDGER_REGEN_VECTORS=1",
        "format_version": 3,
        "keys": {
            name: {
                "holder": holder,
                "role": role,
                "seed_label": label,
                "seed": seed_of(name).hex(),
                "public_key": key(name).public_key.hex(),
                "key_id": key(name).key_id,
            }
            for name, (holder, role, label) in KEYS.items()
        },
        "streams": {
            name: {"id": str(stream_id(name)), "sqlite": stream_id(name).hex}
            for name in ("keys", OFFER, filing_stream_name(sha256=FILING.sha256))
        },
        "rows": rows,
        "saves": saves,
        "tables": {
            "offerledger_head": {"id": head_id, "size": size, "root": bytes(head_root).hex()},
            "offerledger_saves": [
                {
                    "save": n,
                    "log_size": ls,
                    "size": sz,
                    "log_root": bytes(lr).hex(),
                    "signature": bytes(sg).hex(),
                    "leaves": bytes(lv).hex(),
                }
                for n, ls, sz, lr, sg, lv in tables["saves"]
            ],
            "offerledger_leaves": [
                {
                    "position": p,
                    "originator_id": _stream_column(s, postgres=pg),
                    "originator_version": v,
                    "hash": bytes(h).hex(),
                }
                for p, s, v, h in tables["leaves"]
            ],
            "offerledger_nodes": [
                {"level": lv, "idx": i, "hash": bytes(h).hex()} for lv, i, h in tables["nodes"]
            ],
            "offerledger_documents": [
                {"sha256": s, "media_type": m, "name": n, "content": bytes(c).decode("ascii")}
                for s, m, n, c in tables["documents"]
            ],
        },
        "proofs": {
            "inclusion": {
                "index": old,
                "tree_size": new,
                "leaf_hash": rows[old]["leaf_hash"],
                "root": root_from(read, new).hex(),
                "proof": [h.hex() for h in inclusion_proof_from(read, index=old, size=new)],
            },
            "consistency": {
                "old_size": old,
                "new_size": new,
                "old_root": root_from(read, old).hex(),
                "new_root": root_from(read, new).hex(),
                "proof": [
                    h.hex() for h in consistency_proof_from(read, old_size=old, new_size=new)
                ],
            },
        },
        "ledger_id": str(ledger.app.ledger_id()),
        "checkpoint": {
            "note": note,
            "signed_text": signed_text + "\n",
            "key_name": name,
            "note_key_id": blob[:4].hex(),
            "signature": blob[4:].hex(),
            "vkey": vkey_string(name=name, public_key=root_key.public_key),
        },
        "heads_sidecar": {
            "file": json.dumps(sidecar, indent=2, sort_keys=True) + "\n",
            "signed_bytes": "offerledger/heads/v2\n"
            + canonical_json(sidecar["heads_statement"]).decode("ascii"),
            "signature": base64.b64decode(sidecar["signature"]).hex(),
        },
    }


def save_leaf(salt: bytes, body: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + hashlib.sha256(salt + body).digest()).digest()


# --- the doc's generated sections --------------------------------------------------------------

VECTORS_BEGIN = "<!-- format-vectors:begin (generated from tests/fixtures/format-vectors.json) -->"
VECTORS_END = "<!-- format-vectors:end -->"
ROLES_BEGIN = "<!-- role-matrix:begin (generated from offerledger.events.ROLE_ACTIONS) -->"
ROLES_END = "<!-- role-matrix:end -->"
ROLES: tuple[str, ...] = typing.get_args(Role)


def product_topics() -> list[str]:
    """The topics offerledger defines (tests may register their own classes in the registry)."""
    return sorted(t for t in TOPICS if TOPICS[t].__module__.startswith("offerledger."))


def actions() -> list[str]:
    return sorted({topic.split(".")[1] for topic in product_topics()})


def render_role_matrix() -> str:
    lines = [
        "| action | " + " | ".join(f"`{r}`" for r in ROLES) + " |",
        "| --- | " + " | ".join(":-:" for _ in ROLES) + " |",
    ]
    for action in actions():
        marks = ["✓" if role_may_record(role=r, action=action) else "—" for r in ROLES]
        lines.append(f"| `{action}` | " + " | ".join(marks) + " |")
    return "\n".join(lines)


TOPICS_BEGIN = "<!-- topics:begin (generated from offerledger.events.TOPICS) -->"
TOPICS_END = "<!-- topics:end -->"


def render_topics() -> str:
    lines = [
        "| topic | payload fields (the writer puts every one in the body, `null` where empty) |"
    ]
    lines.append("| --- | --- |")
    for topic in product_topics():
        fields = [f for f in TOPICS[topic].model_fields if f not in HEADER_FIELDS]
        lines.append(
            f"| `{topic}` | " + (", ".join(f"`{f}`" for f in sorted(fields)) or "none") + " |"
        )
    return "\n".join(lines)


def _b64(hex_value: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_value)).decode()


def render_vectors(v: dict[str, Any]) -> str:
    """The vector section of docs/format.md, every value taken from the JSON."""
    out: list[str] = []
    add = out.append
    add("#### Keys\n\n```text")
    for name, k in sorted(v["keys"].items(), key=lambda item: item[1]["role"] != "root"):
        add(f"{name} holder:      {k['holder']} (role {k['role']})")
        add(f"{name} seed:        {k['seed']}  (SHA-256 of {k['seed_label']!r})")
        add(f"{name} public key:  {k['public_key']}")
        add(f"{name} key id:      {k['key_id']}")
    add("```\n\n#### Streams\n\n```text")
    for name, s in v["streams"].items():
        add(f"{name}\n  id: {s['id']}\n  SQLite originator_id: {s['sqlite']}")
    add("```\n\n#### Rows in log order\n")
    for r in v["rows"]:
        add(
            f"Position {r['position']}: `{r['topic']}`, save {r['save']}, index {r['index']}."
            "\n\n```text"
        )
        add(f"row id:                {r['row_id']}")
        add(f"originator_id:         {r['originator_id']}")
        add(f"originator_version:    {r['originator_version']}")
        add(f"topic:                 {r['topic']}")
        add(f"state (hex):           {r['state']}")
        add(f"body:                  {r['body']}")
        add(f"SHA-256(body):         {r['body_sha256']}")
        add(f"save salt (base64):    {r['save_salt']}")
        add(f"save leaf:             {r['save_leaf']}")
        add(f"state hash (prev):     {r['state_hash']}")
        add(f"log leaf hash:         {r['leaf_hash']}")
        add("```\n")
    add("#### Saves\n")
    for i, s in enumerate(v["saves"]):
        positions = ", ".join(str(p) for p in s["positions"])
        assert s["number"] == i
        add(f"Save {i}: position(s) {positions}, signed by key {s['key_id'][:16]}….\n\n```text")
        add(f"log head extended:     size {s['log_size']}, root {s['log_root']}")
        add(f"save size:             {s['size']}")
        for j, (leaf, path) in enumerate(zip(s["save_leaves"], s["audit_paths"], strict=True)):
            add(f"save leaf {j}:           {leaf}")
            add(f"audit path {j}:          {', '.join(path) or '(empty)'}")
        add(f"save root:             {s['save_root']}")
        add(f"signed message:        {s['signed_message']}")
        add(f"signature:             {s['signature']}")
        head = s["tree_head_after"]
        add(f"tree head after:       size {head['size']}, root {head['root']}")
        add("```\n")
    t = v["tables"]
    head = t["offerledger_head"]
    add("#### The persisted log and documents (after the last save)\n\n```text")
    add(f"offerledger_head:      id {head['id']}, size {head['size']}, root {head['root']}")
    for row in t["offerledger_saves"]:
        add(
            f"offerledger_saves:     save {row['save']}, log_size {row['log_size']}, size "
            f"{row['size']}, log_root {row['log_root']}, signature {row['signature']}, leaves "
            f"{row['leaves'] or '(none: a save of one)'}"
        )
    for leaf in t["offerledger_leaves"]:
        add(
            f"offerledger_leaves:    position {leaf['position']}, {leaf['originator_id']} "
            f"v{leaf['originator_version']}, hash {leaf['hash']}"
        )
    for node in t["offerledger_nodes"]:
        add(f"offerledger_nodes:     level {node['level']}, idx {node['idx']}, hash {node['hash']}")
    for d in t["offerledger_documents"]:
        add(
            f"offerledger_documents: sha256 {d['sha256']}, {d['media_type']}, {d['name']}, "
            f"content {json.dumps(d['content'])}"
        )
    add("```\n\n#### Proofs\n\n```text")
    inc, con = v["proofs"]["inclusion"], v["proofs"]["consistency"]
    add(f"inclusion of position {inc['index']} in the tree of {inc['tree_size']}:")
    add(f"  leaf hash: {inc['leaf_hash']}\n  root:      {inc['root']}")
    add(f"  proof:     {', '.join(inc['proof'])}")
    add(f"consistency from {con['old_size']} to {con['new_size']}:")
    add(f"  old root:  {con['old_root']}\n  new root:  {con['new_root']}")
    add(f"  proof:     {', '.join(con['proof'])}")
    c = v["checkpoint"]
    add("```\n\n#### Checkpoint\n\n```text")
    add(f"ledger uuid:           {v['ledger_id']}")
    add(f"key name:              {c['key_name']}")
    add(f"C2SP key ID:           {c['note_key_id']}")
    add(f"verifier key:          {c['vkey']}")
    add(f"signed text (hex):     {c['signed_text'].encode().hex()}")
    add(f"signature:             {c['signature']}")
    add("```\n\nThe note, byte for byte (the last line begins with U+2014 EM DASH):\n\n```text")
    add(c["note"].rstrip("\n"))
    h = v["heads_sidecar"]
    add("```\n\n#### Heads sidecar\n\n```text")
    add(f"signed bytes:          {h['signed_bytes']}")
    add(f"signature:             {h['signature']}")
    add("```\n\nThe file `head.checkpoint.heads.json`:\n\n```json")
    add(h["file"].rstrip("\n"))
    add("```")
    return "\n".join(out)


def _between(text: str, begin: str, end: str) -> str:
    start, stop = text.find(begin), text.find(end)
    assert 0 <= start < stop, f"docs/format.md has no section {begin!r} … {end!r}"
    return text[start + len(begin) : stop].strip("\n")


def _replace_between(text: str, begin: str, end: str, content: str) -> str:
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[:start] + "\n" + content + "\n" + text[stop:]


def regenerate(vectors: dict[str, Any]) -> None:
    FIXTURE.write_text(json.dumps(vectors, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    vectors = fixture()  # rendered from the file, as the check reads it
    text = DOC.read_text(encoding="utf-8")
    text = _replace_between(text, VECTORS_BEGIN, VECTORS_END, render_vectors(vectors))
    text = _replace_between(text, ROLES_BEGIN, ROLES_END, render_role_matrix())
    text = _replace_between(text, TOPICS_BEGIN, TOPICS_END, render_topics())
    DOC.write_text(text, encoding="utf-8")


def fixture() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return loaded


# --- 1. the code makes the vectors -------------------------------------------------------------


def test_the_code_makes_the_vectors(ledger_db: str, tmp_path: Path) -> None:
    ledger = build(ledger_db)
    try:
        root = key("root")
        report = verify_ledger(ledger, root_key=root.key_id, workers=1)
        assert report.problems == [] and report.count == 6
        out = tmp_path / "head.checkpoint"
        write_checkpoint(ledger, out=out, root=root)
        vectors = collect(ledger, ledger_db, out)
    finally:
        ledger.close()
    if REGEN and not ledger_db.startswith("postgresql://"):
        regenerate(vectors)
    assert vectors == fixture(), (
        "the code no longer makes docs/format.md's vectors: if the format changed on purpose, "
        "regenerate with OFFERLEDGER_REGEN_VECTORS=1 and update the spec and the changelog"
    )


# --- 2. the doc says what the JSON and events.py say -------------------------------------------


def test_the_docs_vector_section_is_the_json() -> None:
    v = fixture()
    section = _between(DOC.read_text(encoding="utf-8"), VECTORS_BEGIN, VECTORS_END)
    assert section == render_vectors(v), "regenerate with OFFERLEDGER_REGEN_VECTORS=1"
    strings: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            strings.extend([value, value.encode().hex()])
            if re.fullmatch(r"(?:[0-9a-f]{2})+", value):
                strings.append(_b64(value))

    walk(v)
    quoted = re.findall(r"(?<![0-9A-Za-z+/])[0-9a-f]{32,}(?![0-9a-z])", section)
    quoted += re.findall(r"[A-Za-z0-9+/]{40,}={0,2}", section)
    assert len(quoted) > 100
    assert [q for q in quoted if not any(q in s for s in strings)] == []


def _doc_role_table() -> dict[str, set[str]]:
    """role -> actions, as docs/format.md's role→action table says."""
    section = _between(DOC.read_text(encoding="utf-8"), ROLES_BEGIN, ROLES_END)
    header, _, *body = [line for line in section.splitlines() if line.startswith("|")]
    roles = [cell.strip().strip("`") for cell in header.strip("|").split("|")[1:]]
    table: dict[str, set[str]] = {role: set() for role in roles}
    for line in body:
        action, *marks = [cell.strip() for cell in line.strip("|").split("|")]
        for role, mark in zip(roles, marks, strict=True):
            assert mark in ("✓", "—")
            if mark == "✓":
                table[role].add(action.strip("`"))
    return table


def test_the_docs_role_matrix_is_events_py() -> None:
    section = _between(DOC.read_text(encoding="utf-8"), ROLES_BEGIN, ROLES_END)
    assert section == render_role_matrix(), "regenerate with OFFERLEDGER_REGEN_VECTORS=1"
    table = _doc_role_table()
    assert set(table) == set(ROLES) == set(ROLE_ACTIONS)
    assert table == {role: set(allowed) for role, allowed in ROLE_ACTIONS.items()}


def test_the_docs_list_every_topic_and_its_payload_fields() -> None:
    section = _between(DOC.read_text(encoding="utf-8"), TOPICS_BEGIN, TOPICS_END)
    assert section == render_topics(), "regenerate with OFFERLEDGER_REGEN_VECTORS=1"


def test_the_docs_list_every_reason_verify_reports() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Verify's reasons") :]
    section = section[: section.index("\n## ", 1)]
    listed = re.findall(r"^\| `([a-z-]+)` \|", section, re.MULTILINE)
    assert listed == list(REASONS)


# --- 3. an independent mini-verifier, from the spec alone --------------------------------------

SAVE_PREFIX = b"offerledger/save/v2\n"
NAMESPACE = uuid.UUID("6f1d5a52-5b0e-5b8e-9d0c-0ff3e41ed9e2")


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 Merkle tree hash of leaf hashes (the recursive definition)."""
    if not leaves:
        return _h(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return _h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2."""
    assert 0 <= index < size
    fn, sn, r = index, size - 1, leaf
    for p in path:
        assert sn > 0, "audit path too long"
        if fn & 1 or fn == sn:
            r = _h(b"\x01" + p + r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _h(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0, "audit path too short"
    return r


def subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF (PROOF(m, D[n]) = SUBPROOF(m, D[n], true))."""
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*subproof(m, leaves[:k], complete), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def canonical(value: Any) -> bytes:
    """RFC 8785 for the values the vectors hold (ASCII keys, no floats)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64(text: str) -> bytes:
    decoded = base64.b64decode(text, validate=True)
    assert base64.b64encode(decoded).decode() == text, "not canonical padded base64"
    return decoded


def mini_verify(
    rows: list[dict[str, Any]],
    saves_table: list[dict[str, Any]],
    *,
    root_public_key: bytes,
    roles: dict[str, set[str]],
) -> dict[str, Any]:
    """Verify rows (originator_id, originator_version, topic, state) in log order with the
    saves table's rows, as docs/format.md says; raise on the first problem. Returns what it
    computed."""
    leaves: list[bytes] = []
    keys: dict[str, dict[str, Any]] = {}
    heads: dict[str, tuple[int, str]] = {}
    signed: list[tuple[str, int, datetime]] = []  # (key id, position, recorded)
    revocations: list[tuple[str, int, datetime, datetime | None]] = []
    open_save: int | None = None
    saves: list[dict[str, Any]] = []
    by_number = {row["save"]: row for row in saves_table}
    for position, row in enumerate(rows):
        state = bytes.fromhex(row["state"])
        assert state[0] == 3 and len(state) >= 33, "undecodable"
        number, index = int.from_bytes(state[1:9], "big"), int.from_bytes(state[9:17], "big")
        salt, body = state[17:33], state[33:]
        decoded = json.loads(body)
        assert canonical(decoded) == body, "non-canonical"
        header, payload = decoded["header"], decoded["payload"]
        stream = str(uuid.UUID(hex=row["originator_id"]))
        assert row["originator_id"] == uuid.UUID(stream).hex
        assert (header["stream"], header["version"], header["topic"]) == (
            stream,
            row["originator_version"],
            row["topic"],
        ), "body-row-mismatch"
        last = heads.get(stream)
        assert header["version"] == (last[0] + 1 if last else 1), "version-gap"
        assert header["prev"] == (last[1] if last else None), "chain-break"
        heads[stream] = (header["version"], hashlib.sha256(state).hexdigest())
        # the save: its row, its head, the event's place and leaf in it, the signed message
        save = by_number[number]  # KeyError: undecodable
        size, log_root = save["size"], bytes.fromhex(save["log_root"])
        blob = bytes.fromhex(save["leaves"])  # none for a save of one
        assert len(log_root) == 32 and index < size, "undecodable"
        assert len(blob) == (32 * size if size > 1 else 0), "undecodable"
        if index == 0:
            assert open_save is None, "batch-incomplete"
            assert save["log_size"] == position, "tree-head-mismatch"
            assert log_root == mth(leaves), "tree-head-mismatch"
            open_save, expected = number, 0
            saves.append({"positions": []})
        else:
            assert open_save == number and index == expected, "batch-incomplete"
        expected = index + 1
        if expected == size:
            open_save = None
        saves[-1]["positions"].append(position)
        leaf = _h(b"\x00" + _h(salt + body))
        save_leaves = [blob[k : k + 32] for k in range(0, len(blob), 32)] or [leaf]
        assert leaf == save_leaves[index], "bad-signature"
        save_root = mth(save_leaves)
        message = (
            SAVE_PREFIX
            + save["log_size"].to_bytes(8, "big")
            + log_root
            + size.to_bytes(8, "big")
            + save_root
        )
        saves[-1].update(save_root=save_root.hex(), signed_message=message.hex())
        # the key: registered earlier, held by the actor, allowed, valid, not revoked
        key_id, action = header["key_id"], header["topic"].split(".")[1]
        recorded = datetime.fromisoformat(header["recorded"])
        keys_stream = stream == str(uuid.uuid5(NAMESPACE, "keys"))
        if position == 0:
            assert keys_stream and action == "KeyRegistered" and payload["role"] == "root"
            assert payload["registered_key_id"] == key_id == _h(root_public_key).hex()
            assert bytes.fromhex(payload["public_key"]) == root_public_key
            public_key = root_public_key
        else:
            k = keys[key_id]  # KeyError: unknown-key
            assert header["actor"] == k["holder"], "unknown-key"
            assert action in roles[k["role"]], "wrong-role"
            assert not k["revoked"], "revoked-key"
            assert k["valid_from"] <= recorded, "recorded-outside-key-validity"
            assert k["valid_until"] is None or recorded < k["valid_until"]
            public_key = k["public_key"]
        signature = bytes.fromhex(save["signature"])
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        signed.append((key_id, position, recorded))
        if keys_stream and action == "KeyRegistered":
            registered = bytes.fromhex(payload["public_key"])
            assert _h(registered).hex() == payload["registered_key_id"] not in keys
            until = payload["valid_until"]
            keys[payload["registered_key_id"]] = {
                "public_key": registered,
                "holder": payload["holder"],
                "role": payload["role"],
                "valid_from": datetime.fromisoformat(payload["valid_from"]),
                "valid_until": datetime.fromisoformat(until) if until else None,
                "revoked": False,
            }
        if keys_stream and action == "KeyRevoked":
            keys[payload["revoked_key_id"]]["revoked"] = True
            since = payload["compromised_since"]
            revocations.append(
                (
                    payload["revoked_key_id"],
                    payload["from_position"],
                    recorded,
                    datetime.fromisoformat(since) if since else None,
                )
            )
        leaves.append(_h(b"\x00" + state))
    assert open_save is None, "batch-incomplete"
    for revoked, from_position, revoked_at, since in revocations:
        for key_id, position, recorded in signed:
            if key_id == revoked:
                assert position < from_position and recorded < revoked_at, "revoked-key"
                assert since is None or recorded < since, "revoked-key"
    return {"leaves": leaves, "root": mth(leaves), "heads": heads, "saves": saves}


def _note_key_id(name: str, public_key: bytes) -> bytes:
    return _h(name.encode() + b"\n\x01" + public_key)[:4]


def test_a_verifier_written_from_the_spec_accepts_the_vectors() -> None:
    v = fixture()
    keys = v["keys"]
    for k in keys.values():
        private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(k["seed"]))
        public = private.public_key().public_bytes_raw()
        assert public.hex() == k["public_key"] and _h(public).hex() == k["key_id"]
        assert _h(k["seed_label"].encode()).hex() == k["seed"]
    for name, s in v["streams"].items():
        assert str(uuid.uuid5(NAMESPACE, name)) == s["id"] and uuid.UUID(s["id"]).hex == s["sqlite"]
    root_public = bytes.fromhex(keys["root"]["public_key"])
    rows = v["rows"]
    saves_table = v["tables"]["offerledger_saves"]
    found = mini_verify(rows, saves_table, root_public_key=root_public, roles=_doc_role_table())
    leaves = found["leaves"]
    for row, leaf in zip(rows, leaves, strict=True):
        body, state = row["body"].encode(), bytes.fromhex(row["state"])
        assert state[33:] == body and state[0] == 3
        assert int.from_bytes(state[1:9], "big") == row["save"]
        assert int.from_bytes(state[9:17], "big") == row["index"]
        assert _h(body).hex() == row["body_sha256"]
        salt = base64.b64decode(row["save_salt"])
        assert state[17:33] == salt
        assert _h(b"\x00" + _h(salt + body)).hex() == row["save_leaf"]
        assert _h(state).hex() == row["state_hash"]
        assert leaf.hex() == row["leaf_hash"]
    assert len(found["saves"]) == len(v["saves"])
    assert len(saves_table) == len(v["saves"])
    for mine, save, stored in zip(found["saves"], v["saves"], saves_table, strict=True):
        size = len(save["positions"])
        assert stored == {
            "save": save["number"],
            "log_size": save["log_size"],
            "size": size,
            "log_root": save["log_root"],
            "signature": save["signature"],
            "leaves": "".join(save["save_leaves"]) if size > 1 else "",
        }
        pairs = zip(save["save_leaves"], save["audit_paths"], strict=True)
        for j, (leaf_hex, path) in enumerate(pairs):
            hashes = [bytes.fromhex(p) for p in path]
            assert (
                root_from_path(bytes.fromhex(leaf_hex), j, size, hashes).hex() == save["save_root"]
            )
        assert mine["positions"] == save["positions"]
        assert mine["save_root"] == save["save_root"]
        assert save["save_root"] == mth([bytes.fromhex(h) for h in save["save_leaves"]]).hex()
        assert mine["signed_message"] == save["signed_message"]
        message = bytes.fromhex(save["signed_message"])
        assert len(message) == 100 and message.startswith(SAVE_PREFIX)
        assert message[20:28] == save["log_size"].to_bytes(8, "big")
        assert message[28:60].hex() == save["log_root"]
        assert message[60:68] == size.to_bytes(8, "big")
        assert message[68:].hex() == save["save_root"]
        public = bytes.fromhex(
            next(k for k in keys.values() if k["key_id"] == save["key_id"])["public_key"]
        )
        Ed25519PublicKey.from_public_bytes(public).verify(bytes.fromhex(save["signature"]), message)
        end = save["tree_head_after"]["size"]
        assert end == save["positions"][-1] + 1
        assert save["tree_head_after"]["root"] == mth(leaves[:end]).hex()
    # the persisted log: the head, every leaf and every complete interior node
    tables = v["tables"]
    assert tables["offerledger_head"] == {"id": 1, "size": len(rows), "root": found["root"].hex()}
    assert tables["offerledger_leaves"] == [
        {
            "position": r["position"],
            "originator_id": r["originator_id"],
            "originator_version": r["originator_version"],
            "hash": r["leaf_hash"],
        }
        for r in rows
    ]
    expected_nodes = [
        {"level": level, "idx": i, "hash": mth(leaves[i << level : (i + 1) << level]).hex()}
        for level in range(4, len(leaves).bit_length())  # levels 1-3 are not stored
        for i in range(len(leaves) >> level)
    ]
    assert tables["offerledger_nodes"] == expected_nodes
    for d in tables["offerledger_documents"]:
        assert _h(d["content"].encode()).hex() == d["sha256"]
    # the proofs
    inc = v["proofs"]["inclusion"]
    path = [bytes.fromhex(h) for h in inc["proof"]]
    leaf = bytes.fromhex(inc["leaf_hash"])
    assert root_from_path(leaf, inc["index"], inc["tree_size"], path).hex() == inc["root"]
    con = v["proofs"]["consistency"]
    assert con["old_root"] == mth(leaves[: con["old_size"]]).hex()
    assert con["new_root"] == mth(leaves[: con["new_size"]]).hex()
    proof = subproof(con["old_size"], leaves[: con["new_size"]], True)
    assert [h.hex() for h in proof] == con["proof"]
    # the ledger uuid, the checkpoint note and the heads sidecar
    raw = bytearray(_h(bytes.fromhex(rows[0]["state"]))[:16])
    raw[6], raw[8] = (raw[6] & 0x0F) | 0x40, (raw[8] & 0x3F) | 0x80
    assert str(uuid.UUID(bytes=bytes(raw))) == v["ledger_id"]
    origin = f"offerledger/{v['ledger_id']}"
    c = v["checkpoint"]
    assert c["key_name"] == origin
    assert (
        c["signed_text"] == f"{origin}\n{len(rows)}\n{base64.b64encode(found['root']).decode()}\n"
    )
    blob = _note_key_id(origin, root_public) + bytes.fromhex(c["signature"])
    assert c["note"] == f"{c['signed_text']}\n\u2014 {origin} {base64.b64encode(blob).decode()}\n"
    assert c["note_key_id"] == blob[:4].hex()
    vkey = base64.b64encode(b"\x01" + root_public).decode()
    assert c["vkey"] == f"{origin}+{blob[:4].hex()}+{vkey}"
    Ed25519PublicKey.from_public_bytes(root_public).verify(blob[4:], c["signed_text"].encode())
    h = v["heads_sidecar"]
    sidecar = json.loads(h["file"])
    statement = sidecar["heads_statement"]
    assert "offerledger/heads/v2\n" + canonical(statement).decode() == h["signed_bytes"]
    assert b64(sidecar["signature"]).hex() == h["signature"]
    Ed25519PublicKey.from_public_bytes(root_public).verify(
        bytes.fromhex(h["signature"]), h["signed_bytes"].encode()
    )
    assert statement == {
        "origin": origin,
        "size": len(rows),
        "root": base64.b64encode(found["root"]).decode(),
        "root_key_id": keys["root"]["key_id"],
        "heads": {s: {"version": n, "hash": d} for s, (n, d) in sorted(found["heads"].items())},
    }


def _tampered(
    change: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, set[str]], bytes]:
    v = fixture()
    rows = copy.deepcopy(v["rows"])
    saves = copy.deepcopy(v["tables"]["offerledger_saves"])
    roles = _doc_role_table()
    root = bytes.fromhex(v["keys"]["root"]["public_key"])

    def flip(hex_value: str, at: int) -> str:
        raw = bytearray(bytes.fromhex(hex_value))
        raw[at] ^= 1
        return raw.hex()

    if change == "payload byte":
        state = bytes.fromhex(rows[2]["state"])
        rows[2]["state"] = state.replace(b"Example Corp", b"Exbmple Corp").hex()
    elif change == "salt byte":
        rows[5]["state"] = flip(rows[5]["state"], 20)
    elif change == "index":
        rows[4]["state"] = flip(rows[4]["state"], 16)  # index 1 -> 0
    elif change == "save row signature":
        saves[-1]["signature"] = flip(saves[-1]["signature"], 0)
    elif change == "save row leaf":
        saves[3]["leaves"] = flip(saves[3]["leaves"], 40)
    elif change == "save row log root":
        saves[-1]["log_root"] = flip(saves[-1]["log_root"], 0)
    elif change == "event deleted":
        del rows[1]
    elif change == "events swapped":
        rows[3], rows[4] = rows[4], rows[3]
    elif change == "topic column":
        rows[4]["topic"] = "offerledger.OfferTerminated.v1"
    elif change == "role matrix":
        roles["issuer_officer"].discard("OfferCommenced")
    elif change == "another root key":
        root = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key().public_bytes_raw()
    elif change == "last save cut short":
        del rows[4:]
    return rows, saves, roles, root


@pytest.mark.parametrize(
    "change",
    [
        "payload byte",
        "event deleted",
        "events swapped",
        "topic column",
        "role matrix",
        "another root key",
        "last save cut short",
        "salt byte",
        "index",
        "save row signature",
        "save row leaf",
        "save row log root",
    ],
)
def test_the_spec_verifier_refuses_tampered_vectors(change: str) -> None:
    rows, saves, roles, root = _tampered(change)
    with pytest.raises((AssertionError, InvalidSignature, KeyError)):
        mini_verify(rows, saves, root_public_key=root, roles=roles)
