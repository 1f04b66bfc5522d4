"""``export evidence``: write an evidence bundle (a ZIP) that an outsider checks with one file.

Layout (``docs/evidence.md``; the names come from :mod:`offerledger.offerledger_verify`)::

    index.json                 format, offer, employee, as-of, the checkpoint's head, every
                               event's position and row columns, documents, withheld, entries
    events/<position>.json     each event's stored ``state`` (base64) with its save's proof
                               (:func:`event_file`), position zero-padded to 10
    proofs/<position>.json     its RFC 9162 inclusion proof against the checkpoint
    documents/<sha256>         the source documents the events cite
    entries/<pos>-<field>-<i>.json   one employee's entries of a committed list, with paths
    projections/...            views rebuilt from the bundle's events alone (:mod:`.views`)
    README.txt                 for the recipient
    offerledger_verify.py      the standalone verifier
    manifest.json              SHA-256 of every file above
    checkpoint                 C2SP note of the log head, signed by the root key; its extension
                               line ``offerledger-evidence-manifest sha256:<hex>`` signs the
                               manifest, so every file is vouched for by the root key

The ledger is verified first (every signature) and the checkpoint is the verified head; a
ledger with damage to its record is refused, while a finding about a key (revoked, or used
outside its validity) goes into the bundle as it is, for its verifier to report. The ZIP is
deterministic: the same ledger and options give the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from offerledger import offerledger_verify as layout
from offerledger.errors import InputError, OfferLedgerError, UnknownEntity
from offerledger.evidence.leaks import find_others
from offerledger.evidence.readme import ReadmeFacts, render_readme
from offerledger.evidence.select import (
    Row,
    cited_documents,
    list_field,
    offer_employees,
    prove_entries,
    select_rows,
)
from offerledger.evidence.views import projection_files
from offerledger.integrity.checkpoint import make_checkpoint_note
from offerledger.integrity.logtree import inclusion_proof_from, root_from
from offerledger.integrity.merkle import leaf_hash
from offerledger.integrity.service import origin_of, verify_ledger
from offerledger.ledger import Ledger
from offerledger.projections.catalog import QueryError
from offerledger.projections.source import open_list, proven_list
from offerledger.signing.canonical import canonical_json
from offerledger.signing.envelope import FORMAT_VERSION, Envelope
from offerledger.signing.keys import SigningKey

__all__ = ["KEY_FINDINGS", "BundleSummary", "EvidenceRefused", "export_bundle"]

# What verify may find that is no damage to the record but a fact about a key (a compromise
# found later): the bundle is written, and its verifier reports the same to the recipient.
KEY_FINDINGS = frozenset({"revoked-key", "recorded-outside-key-validity"})


class EvidenceRefused(OfferLedgerError):
    """No bundle was written: the ledger does not verify, or a file would name another
    employee (the bundle must say nothing about anyone but the employee asked for)."""


@dataclass(frozen=True, slots=True)
class BundleSummary:
    out: Path
    events: int
    documents: int
    withheld: int
    entries: int
    tree_size: int
    root_key_id: str
    findings: int  # key findings verify made on the ledger (KEY_FINDINGS), in any event


def event_file(state: bytes, envelope: Envelope) -> bytes:
    """An event as a bundle holds it: its stored state, and what its save's row gives it (the
    log head, size, key id and signature) with its own audit path in the save, so it verifies
    alone; canonical JSON (docs/evidence.md)."""
    save = envelope.save
    b64 = base64.b64encode
    return canonical_json(
        {
            "key_id": envelope.key_id,
            "save": {
                "log_root": b64(save.log_root).decode(),
                "log_size": save.log_size,
                "path": [b64(h).decode() for h in save.path],
                "size": save.size,
            },
            "sig": b64(envelope.signature).decode(),
            "state": b64(state).decode(),
            "v": FORMAT_VERSION,
        }
    )


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def export_bundle(
    ledger: Ledger,
    *,
    out: Path,
    employee: str | None,
    offer: str | None,
    as_of: date | None,
    checkpoint_key: SigningKey,
) -> BundleSummary:
    """Verify the ledger, select, prove and write the bundle to ``out`` (atomically)."""
    if not out.parent.is_dir() or out.is_dir():
        raise InputError("give a file name in a folder that exists", file=out, field="--out")
    if checkpoint_key.key_id != ledger.root_key_info().key_id:
        raise InputError("the key given is not this ledger's root key", field="--key")
    offer_id = ledger.resolve_offer(offer)
    everyone = offer_employees(ledger, offer_id)
    if employee is not None and employee not in everyone:
        raise UnknownEntity(f"no employee {employee!r} in this offer", name=employee)
    report = verify_ledger(ledger, root_key=checkpoint_key.key_id)
    damage = [p for p in report.problems if p.reason not in KEY_FINDINGS]
    if damage:
        raise EvidenceRefused(
            f"verify found {len(damage)} problem(s) with the stored record; no bundle written",
            hint="run 'offerledger verify' and resolve them first",
        )
    size, root = report.count, report.root
    if root_from(ledger.app.read_nodes, size) != root:
        raise EvidenceRefused("the log index disagrees with the events; no bundle written")
    chosen = [everyone[employee]] if employee else list(everyone.values())
    rows = select_rows(
        ledger, offer_id=offer_id, employee_streams=[e.stream for e in chosen], size=size
    )
    files: dict[str, bytes] = {}
    envelopes = ledger.app.envelopes([row.state for row in rows])
    for row, envelope in zip(rows, envelopes, strict=True):
        proof = inclusion_proof_from(ledger.app.read_nodes, index=row.position, size=size)
        files[layout.EVENT_FILE.format(row.position)] = event_file(row.state, envelope)
        files[layout.PROOF_FILE.format(row.position)] = _json(
            {
                "index": row.position,
                "tree_size": size,
                "leaf_hash": leaf_hash(row.state).hex(),
                "root": root.hex(),
                "proof": [h.hex() for h in proof],
            }
        )
    lists, entries = _lists(ledger, rows, employee, files)
    documents, withheld = _documents(ledger, rows, employee, everyone, files)
    try:
        events = [(r.position, r.event) for r in rows]
        files |= projection_files(events, lists, offer_id=offer_id, employee=employee, as_of=as_of)
    except QueryError as e:
        raise InputError(e.message, field=f"--{e.field}" if e.field else None) from None
    origin, offer_name = origin_of(ledger), ledger.offer_state(offer_id).name
    index = {
        "format": layout.FORMAT,
        "origin": origin,
        "tree_size": size,
        "root": root.hex(),
        "root_key_id": checkpoint_key.key_id,
        "offer": {"id": str(offer_id), "name": offer_name},
        "employee": employee,
        "as_of": as_of.isoformat() if as_of else None,
        "events": [_row(r) for r in rows],
        "documents": documents,
        "withheld_documents": withheld,
        "entries": entries,
    }
    files["index.json"] = _json(index)
    facts = ReadmeFacts(
        offer=offer_name,
        employee=employee,
        as_of=as_of.isoformat() if as_of else None,
        origin=origin,
        size=size,
        root=root.hex(),
        root_key_id=checkpoint_key.key_id,
        events=len(rows),
        documents=len(documents),
        withheld=[w["sha256"] for w in withheld],
        entries=len(entries),
    )
    files["README.txt"] = render_readme(facts).encode()
    files["offerledger_verify.py"] = (
        resources.files("offerledger").joinpath("offerledger_verify.py").read_bytes()
    )
    if employee is not None:
        _refuse_leaks(files, [e for e in everyone.values() if e.employee_id != employee])
    manifest = _json(
        {
            "format": layout.FORMAT,
            "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())},
        }
    )
    files["manifest.json"] = manifest
    files["checkpoint"] = make_checkpoint_note(
        origin=origin,
        size=size,
        root=root,
        key_name=origin,
        key=checkpoint_key,
        extensions=[layout.MANIFEST_LINE + hashlib.sha256(manifest).hexdigest()],
    ).encode()
    _write_zip(out, files)
    return BundleSummary(
        out,
        len(rows),
        len(documents),
        len(withheld),
        len(entries),
        size,
        checkpoint_key.key_id,
        len(report.problems),
    )


def _row(row: Row) -> dict[str, Any]:
    """An event's row columns as index.json lists them."""
    return {
        "position": row.position,
        "stream": str(row.stream),
        "version": row.version,
        "topic": row.topic,
    }


def _lists(
    ledger: Ledger, rows: list[Row], employee: str | None, files: dict[str, bytes]
) -> tuple[dict[Any, Any], list[str]]:
    """The committed lists the projections read: whole (their documents are in the bundle),
    or with ``employee`` only their entries, each written as a file with its audit path."""
    lists: dict[Any, Any] = {}
    names: list[str] = []
    for row in rows:
        held = list_field(row.event)
        if employee is None:
            lists |= {c: open_list(c, _reader(ledger)) for c in held.values()}
            continue
        proofs = prove_entries(ledger, row, employee)
        for field, proof in proofs:
            name = f"entries/{row.position:010d}-{field}-{proof.leaf_index:06d}.json"
            names.append(name)
            files[name] = _json(
                {
                    "position": row.position,
                    "field": field,
                    "entry": proof.entry_bytes.decode(),
                    "index": proof.leaf_index,
                    "path": list(proof.audit_path),
                }
            )
        for field, committed in held.items():
            mine = [(p.entry_bytes, p.leaf_index, p.audit_path) for f, p in proofs if f == field]
            lists[committed] = proven_list(committed, mine)
    return lists, names


def _reader(ledger: Ledger) -> Any:
    def read(sha256: str) -> bytes | None:
        found = ledger.document(sha256)
        return None if found is None else found.content

    return read


def _documents(
    ledger: Ledger,
    rows: list[Row],
    employee: str | None,
    everyone: dict[str, Any],
    files: dict[str, bytes],
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The cited source documents that go in (written to ``files``) and those withheld."""
    others = [e for e in everyone.values() if e.employee_id != employee]
    kept: list[dict[str, str]] = []
    withheld: list[dict[str, str]] = []
    for sha in sorted({sha for row in rows for sha in cited_documents(row.event)}):
        document = ledger.document(sha)
        if document is None:
            continue  # a hash of something the ledger does not hold (e.g. normalized text)
        name = f"documents/{sha}"
        if employee is not None and find_others({name: document.content}, others):
            withheld.append({"sha256": sha, "why": "it names other employees"})
            continue
        files[name] = document.content
        kept.append({"sha256": sha, "media_type": document.media_type, "name": document.name})
    return kept, withheld


def _refuse_leaks(files: dict[str, bytes], others: list[Any]) -> None:
    found = find_others(files, others)
    if found:
        listed = "; ".join(f"{name} names employee {who}" for name, who in found[:5])
        raise EvidenceRefused(
            f"the bundle would name other employees ({listed}); no bundle written",
            hint="an event of the offer names them (a version 1 list, or a correction): "
            "export the whole offer instead, to a recipient entitled to see it",
        )


def _write_zip(out: Path, files: dict[str, bytes]) -> None:
    """Deterministic: sorted names, fixed times and modes, DEFLATE; renamed into place."""
    handle, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w") as z:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, files[name])
        os.replace(temp, out)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
