#!/usr/bin/env python3
"""offerledger-verify: check an offerledger evidence bundle with this one file.

    python offerledger_verify.py BUNDLE.zip --trust ROOT_KEY_ID [--witness VKEY]...

Needs Python 3.11+ and pyca/cryptography, never offerledger; README.txt says what it checks,
offerledger's docs/evidence.md every byte. Canonical JSON (RFC 8785) is checked for what bodies
hold: objects, arrays, strings, true, false, null, integers within ±(2**53-1). Exit 0: all passed;
1: problems, a line each "FILE: reason: detail" (one of REASONS); 2: unusable input."""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import re
import sys
import uuid
import zipfile
from base64 import b64decode
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT, COMPACT = "offerledger-evidence/1", (",", ":")
SAVE_PREFIX, ROTATION = b"offerledger/save/v2\n", b"offerledger/root-rotation/v1\n"
MANIFEST_LINE = "offerledger-evidence-manifest sha256:"  # + hex SHA-256 of manifest.json
EVENT_FILE, PROOF_FILE = "events/{:010d}.json", "proofs/{:010d}.json"  # by log position
KEYS = str(uuid.uuid5(uuid.UUID("6f1d5a52-5b0e-5b8e-9d0c-0ff3e41ed9e2"), "keys"))  # stream id
HEX64 = re.compile("[0-9a-f]{64}")
MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError, AssertionError)
b64 = functools.partial(b64decode, validate=True)
REASONS = {
    "manifest-mismatch": "a file differs from the manifest, or the manifest from the signed one",
    "undecodable": "a file does not parse as what the layout says it is",
    "non-canonical": "an event's body or event file is not RFC 8785 canonical JSON",
    "body-row-mismatch": "an event body names another stream, version or topic than its row",
    "bad-signature": "an event's signature does not verify over its body and save",
    "unknown-key": "the key is not registered by the trusted root before it, or not the actor's",
    "wrong-role": "the key's role may not record the event's action",
    "revoked-key": "the key was revoked for this event (see revokes)",
    "recorded-outside-key-validity": "the event's recorded time is outside the key's validity",
    "chain-break": "prev does not name the previous event of the stream",
    "version-gap": "a stream the bundle carries whole (all but the keys) skips a version",
    "tree-head-mismatch": "the save the event signs puts it at another log position",
    "inclusion-proof-invalid": "an event's inclusion proof does not lead to the checkpoint root",
    "checkpoint-mismatch": "the checkpoint is not the trusted root key's for this ledger",
    "witness-missing": "a --witness key did not sign the checkpoint",
    "entry-proof-invalid": "an employee entry does not prove against its signed commitment",
    "document-mismatch": "a source document does not hash to its name or no event cites it",
    "projection-mismatch": "re-folding the included events does not give the projection",
    "recorded-before-effective": "recorded before its effective time, received_at or sent_at",
    "recorded-out-of-order": "recorded before the included event before it in log order",
    "correction-invalid": "a correction supersedes no event there, or makes a form no form",
}
_FORMS, _FIX = "ElectionSubmitted ElectionChanged ElectionWithdrawn", "CorrectionRecorded"
_ROLES = {  # who may record what: offerledger.events.ROLE_ACTIONS (a test keeps them equal)
    "root": "KeyRegistered KeyRevoked RootKeyRotated",
    "issuer_officer": "OfferCommenced FilingRecorded OfferDocumentRegistered DocumentAmended "
    "ConditionAsserted ConditionWaived ExpirationExtended OfferExpired OfferTerminated "
    "TermsChanged TenderedOptionsAccepted NewOptionsGranted EligibleGrantsRegistered "
    f"ElectionRefused CrossCheckRecorded {_FIX}",
    "filing_agent": f"FilingRecorded CrossCheckRecorded {_FIX}",
    "communications": f"NoticeDispatched ElectionReceiptConfirmed ElectionRefused {_FIX}",
    "employee": f"{_FORMS} {_FIX}",
    "clerk": f"{_FORMS} ElectionRefused {_FIX}",
}
ROLE_ACTIONS = {role: frozenset(actions.split()) for role, actions in _ROLES.items()}
ACTS = frozenset(f"{_FORMS} ElectionRefused".split())  # election forms received
EMPLOYEE_ACTIONS = ACTS | {"EligibleGrantsRegistered", "ElectionReceiptConfirmed"}
STANDING = {"exchange": "exchange", "keep": "not_tendered"}  # a form's choice for a grant
# a form's fields a correction may change (the rest of a form is not a form's to correct)
CORRECTABLE = set(
    "received_at channel form_id acted_by choices grant_ids attempted rule reason synthetic "
    "source_sha256 late_recorded_reason".split()
)
SHAPES: dict[str, Any] = {  # a corrected form field as the reports read it (the models)
    "received_at": lambda v: when(v) is not None,
    "channel": lambda v: v in {"email", "mail", "hand_delivery", "fax", "web", "paper"},
    "choices": lambda v: type(v) is list and v and all(STANDING.get(c["choice"]) for c in v),
    "grant_ids": lambda v: type(v) is list and all(type(g) is str for g in v),
    "form_id": bool,
}
LIMITS = {"max_bytes": 1 << 30, "max_events": 1_000_000}  # --max-bytes (on disk and unpacked), …


class Unusable(Exception):
    """The input is no bundle this verifier can read (exit 2)."""


class Bad(Exception):
    """One problem found: (reason, detail)."""


def need(ok: object, reason: str, detail: str) -> None:
    if not ok:
        raise Bad(reason, detail)


def sha256(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def root_from_path(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root an inclusion proof of a leaf hash leads to (None: no fit)."""
    fn, sn, r = index, size - 1, leaf
    for p in path if 0 <= index < size else [b""]:
        if sn == 0 or not p:
            return None
        if fn & 1 or fn == sn:
            r = sha256(b"\x01", p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha256(b"\x01", r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def is_canonical(data: bytes, value: Any) -> bool:
    """``data`` is RFC 8785 of ``value`` (json.dumps escapes alike; keys go in UTF-16 order)."""

    def ordered(v: Any) -> Any:
        assert not isinstance(v, float) and (type(v) is not int or abs(v) < 2**53), "a number"
        if isinstance(v, dict):
            return {k: ordered(v[k]) for k in sorted(v, key=lambda k: k.encode("utf-16-be"))}
        return [ordered(x) for x in v] if isinstance(v, list) else v

    try:  # RFC 8785 for the JSON the bodies use
        return json.dumps(ordered(value), ensure_ascii=False, separators=COMPACT).encode() == data
    except (AssertionError, UnicodeError):
        return False


@functools.cache  # the events of one save share one signature
def ed25519_ok(public_key: bytes, message: bytes, signature: bytes) -> bool:
    with contextlib.suppress(InvalidSignature, ValueError):
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        return True
    return False


def when(value: Any, day: bool = False) -> datetime | None:
    """An ISO date-time with its UTC offset; ``day``: 00:00 America/New_York of an ISO date."""
    with contextlib.suppress(TypeError, ValueError, KeyError):  # KeyError: no tz database
        t = datetime.fromisoformat(value)
        return t.replace(tzinfo=ZoneInfo("America/New_York")) if day else t if t.tzinfo else None
    return None


@dataclass
class Event:
    position: int
    stream: str
    version: int
    topic: str
    state: bytes = b""  # the stored state (format 3: version, save, index, salt, body)
    header: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    key_id: str = ""
    signed: tuple[bytes, bytes] | None = None  # (message, signature)
    clean: bool = True  # no problem found with it (only clean key events count)
    action: str = ""  # offerledger.<action>.v<N>
    file: str = ""  # its name in the bundle


class Verifier:
    """Reads the bundle in memory (nothing is extracted); :meth:`run` does every check."""

    def __init__(self, path: str, trust: str | None, witnesses: tuple[str, ...], **limits: int):
        self.limits = {**LIMITS, **limits}  # each checked before what it bounds is read
        if trust is not None and not HEX64.fullmatch(trust):
            raise Unusable("--trust takes the root key id: 64 lower-case hex digits")
        self.trust, self.witnesses = trust, [parse_vkey(w) for w in witnesses]
        try:
            self.within("bytes", os.stat(path).st_size, "max_bytes")
            with zipfile.ZipFile(path) as z:
                infos = [i for i in z.infolist() if not i.is_dir()]
                self.within("bytes unpacked", sum(i.file_size for i in infos), "max_bytes")
                self.files = {i.filename: z.read(i) for i in infos}
            self.index = json.loads(self.files["index.json"])
            self.within("events", len(self.index.get("events") or ()), "max_events")
            self.manifest = json.loads(self.files["manifest.json"])["files"]
            assert self.index["format"] == FORMAT and isinstance(self.manifest, dict)
            assert len(self.files) == len(infos) and "checkpoint" in self.files
        except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, *MALFORMED) as e:
            raise Unusable(f"not a {FORMAT} zip ({e!r})") from None
        self.problems: list[tuple[str, str, str]] = []
        self.employee = self.index.get("employee")
        self.events: list[Event] = []
        self.keys: dict[str, tuple[str, str, datetime, datetime | None]] = {}  # holder, role, …
        self.pubs: dict[str, bytes] = {}  # every public key a registration names, by key id
        self.root_key_id: str | None = None

    def within(self, unit: str, n: int, limit: str) -> None:
        if n > self.limits[limit]:
            raise Unusable(f"{n:,} {unit}, over the limit --max-{limit[4:]} {self.limits[limit]:,}")

    def flag(self, where: str | Event, reason: str, detail: str) -> None:
        assert reason in REASONS, reason
        if isinstance(where, Event):
            where.clean, where = False, where.file
        self.problems.append((where, reason, detail))

    def check(self, name: str, check: Any, *args: Any) -> None:
        """Run one check of the file ``name``: a Bad or malformed input is its problem."""
        try:
            check(*args)
        except (Bad, *MALFORMED) as e:
            self.flag(name, *(e.args if isinstance(e, Bad) else ("undecodable", repr(e))))

    def run(self) -> Verifier:
        for row in self.index.get("events") or [None]:
            self.check("index.json", self.read_event, row)
        self.events.sort(key=lambda e: e.position)
        self.check_signatures()
        self.judge()
        for e in (x for x in self.events if x.action == _FIX):
            self.check(e.file, self.check_correction, e)
        size, root = self.check_checkpoint_and_manifest()
        for e in self.events:
            self.check(PROOF_FILE.format(e.position), self.check_inclusion, e, size, root)
        for name in sorted(n for n in self.files if n.startswith(("entries/", "documents/"))):
            self.check(name, self.check_entry if name[0] == "e" else self.check_document, name)
        self.check("projections/elections.json", self.check_elections)
        return self

    def read_event(self, row: dict[str, Any]) -> None:
        e = Event(row["position"], row["stream"], row["version"], row["topic"])
        assert [type(v) for v in (e.position, e.stream, e.version, e.topic)] == [int, str, int, str]
        e.action, e.file = (e.topic.split(".") + ["", ""])[1], EVENT_FILE.format(e.position)
        need(e.file in self.files, "manifest-mismatch", f"the bundle lacks {e.file}")
        try:  # the stored state and its save, as offerledger's evidence/export.py writes them
            env = json.loads(self.files[e.file])
            assert set(env) == {"key_id", "save", "sig", "state", "v"} and env["v"] == 3
            save, e.key_id, e.state = env["save"], env["key_id"], b64(env["state"])
            assert e.state[0] == 3 and len(e.state) >= 33, "not a format 3 state"
            index, salt, body = int.from_bytes(e.state[9:17], "big"), e.state[17:33], e.state[33:]
            e.header, e.payload = (decoded := json.loads(body))["header"], decoded["payload"]
            assert set(save) == {"log_root", "log_size", "path", "size"}
            log, log_root, size = save["log_size"], b64(save["log_root"]), save["size"]
            path, signature = [b64(h) for h in save["path"]], b64(env["sig"])
            assert type(log) is type(size) is int and log >= 0 and len(log_root) == 32
            assert isinstance(e.header, dict) and isinstance(e.payload, dict)
        except MALFORMED as err:
            return self.flag(e.file, "undecodable", f"not an offerledger v3 event ({err!r})")
        self.events.append(e)
        if not (is_canonical(body, decoded) and is_canonical(self.files[e.file], env)):
            self.flag(e, "non-canonical", "the body or the event file is not canonical")
        named = [e.header.get(k) for k in ("stream", "version", "topic")]
        if named != [e.stream, e.version, e.topic]:
            self.flag(e, "body-row-mismatch", f"the body names {named}")
        if e.header.get("key_id") != e.key_id:
            self.flag(e, "bad-signature", "the body names another key than its save")
        if log + index != e.position:  # the save signs the log head it extends
            self.flag(e, "tree-head-mismatch", f"its save puts it at {log + index}")
        save_root = root_from_path(sha256(b"\x00", sha256(salt, body)), index, size, path)
        if save_root is None:
            return self.flag(e, "bad-signature", "its save's audit path is malformed")
        head = log.to_bytes(8, "big") + log_root + size.to_bytes(8, "big")
        e.signed = (SAVE_PREFIX + head + save_root, signature)

    def check_signatures(self) -> None:
        named = [str(e.payload.get("public_key")) for e in self.events if e.stream == KEYS]
        self.pubs = {sha256(k).hex(): k for k in map(bytes.fromhex, filter(HEX64.fullmatch, named))}
        for e in self.events:  # (a key no registration names: judged unknown-key)
            public = self.pubs.get(e.key_id)
            if e.signed and public and not ed25519_ok(public, *e.signed):
                self.flag(e, "bad-signature", "the signature does not verify")

    def judge(self) -> None:
        """Chains, keys, roles, validity and revocations, in log order."""
        revocations: list[Event] = []
        signed: list[tuple[Event, tuple[str, str, datetime, datetime | None], datetime]] = []
        heads: dict[str, Event] = {}
        for i, e in enumerate(self.events):  # and the event before it in log order:
            self.check(e.file, self.check_sequence, e, heads.get(e.stream), self.events[i - 1])
            heads[e.stream] = e
            p, at, key = e.payload, when(e.header.get("recorded")), self.keys.get(e.key_id)
            if e.stream == KEYS and e.version == 1 and not self.keys:
                self.root_registration(e)
            elif key is None or e.signed is None:
                self.flag(e, "unknown-key", f"key {e.key_id:.16} is not registered before it")
            elif at is None:
                self.flag(e, "undecodable", "the recorded time does not parse")
            else:
                if e.header.get("actor") != key[0]:
                    self.flag(e, "unknown-key", f"the key is {key[0]}'s, not the actor's")
                if e.action not in ROLE_ACTIONS.get(key[1], ()):
                    self.flag(e, "wrong-role", f"role {key[1]} may not record {e.action}")
                signed.append((e, key, at))
                if e.clean and e.stream == KEYS and e.action == "KeyRevoked":
                    revocations.append(e)
                elif e.clean and e.stream == KEYS and "public_key" in p:  # registered, rotated
                    self.check(e.file, self.register, e, revocations)
        for e, (holder, _, start, until), at in signed:
            if revoked := [r for r in revocations if revokes(r, e, at)]:
                self.flag(e, "revoked-key", f"{holder}'s key, revoked by {revoked[0].file}")
            elif at < start or (until is not None and at >= until):
                self.flag(e, "recorded-outside-key-validity", f"{holder}'s key at {at}")

    def register(self, e: Event, revocations: list[Event]) -> None:
        p, start = e.payload, when(e.payload.get("valid_from"))
        kid, role = str(p.get("registered_key_id", p.get("new_root_key_id"))), p.get("role", "root")
        if kid in self.keys or kid not in self.pubs or start is None or role not in ROLE_ACTIONS:
            return self.flag(e, "unknown-key", "the registration is repeated or malformed")
        if e.action == "RootKeyRotated":  # the new root signs ROTATION ‖ prev ‖ old ‖ new key id
            signed = ROTATION + bytes.fromhex(str(e.header.get("prev")) + e.key_id + kid)
            sig = bytes.fromhex(p["new_root_signature"])
            need(ed25519_ok(self.pubs[kid], signed, sig), "bad-signature", "no new root signature")
            revocations.append(replace(e, header={}, payload={"revoked_key_id": e.key_id}))
            self.root_key_id = kid  # the root in force: it signs the checkpoint
        self.keys[kid] = (str(p.get("holder")), role, start, when(p.get("valid_until")))

    def root_registration(self, e: Event) -> None:
        """The keys stream opens with the root key registering itself: trusted (or its heir)."""
        root = [e.action, e.payload.get("role"), e.payload.get("registered_key_id")]
        trusted = [None, e.key_id, *(x.payload.get("new_root_key_id") for x in self.events)]
        if root != ["KeyRegistered", "root", e.key_id] or self.trust not in trusted:
            return self.flag(e, "unknown-key", "not a registration of the trusted root key")
        if e.clean and e.signed:
            self.register(e, [])
            self.root_key_id = e.key_id if e.key_id in self.keys else None

    def check_sequence(self, e: Event, last: Event | None, before: Event) -> None:
        """Its stream's versions and chain; its recorded time (docs/format.md "Recorded time")."""
        expected, prev = 1 if last is None else last.version + 1, e.header.get("prev")
        if e.version != expected and (e.stream != KEYS or e.version < expected):
            self.flag(e, "version-gap", f"expected version {expected}, found {e.version}")
        elif last and e.version == last.version + 1 and prev != sha256(last.state).hex():
            self.flag(e, "chain-break", "prev does not name the previous event's envelope")
        at, then = when(e.header.get("recorded")), when(before.header.get("recorded"))
        p, eff = e.payload, e.header.get("effective") or {}  # not an object: undecodable
        named = {"date": "on", "instant": "at", "not_on_file": "after"}.get(str(eff.get("kind")))
        found = [when(eff.get(named), named == "on"), when(p.get("received_at", p.get("sent_at")))]
        if at and (late := [t for t in found if t is not None and at < t]):
            self.flag(e, "recorded-before-effective", f"at {at}, before {max(late)}")
        if at and then and at < then and before.position < e.position:
            self.flag(e, "recorded-out-of-order", f"at {at}, before {then}")

    def check_correction(self, e: Event) -> None:
        """It supersedes an event of its stream (carried whole); a form, with a form's fields."""
        v, topic, fix = map(e.payload.get, ("supersedes_version", "supersedes_topic", "corrected"))
        old = [x for x in self.events if (x.stream, x.version, x.topic) == (e.stream, v, topic)]
        need(old or not fix, "correction-invalid", f"it supersedes {topic} v{v}: not there")
        if fix and old[0].action in ACTS:  # (an empty correction is a retraction)
            form_of(old[0].payload, fix, f"it makes no valid {topic} of v{v}")

    def check_checkpoint_and_manifest(self) -> tuple[int, bytes]:
        """The checkpoint's tree size and root; Unusable if it is no C2SP checkpoint note."""
        try:
            note = self.files["checkpoint"].decode()
            text, sig_lines = note[: note.rindex("\n\n") + 1], note[note.rindex("\n\n") + 2 :]
            origin, size_text, root_text, *extensions = text[:-1].split("\n")
            size, root = int(size_text), b64(root_text)
            assert str(size) == size_text and len(root) == 32
            lines = [line.split(" ") for line in sig_lines.splitlines()]
            sigs = [(name, b64(blob)) for dash, name, blob in lines if dash == "\u2014"]
            assert len(sigs) == len(lines)
        except MALFORMED as e:
            raise Unusable(f"checkpoint is not a C2SP checkpoint note ({e!r})") from None
        first = [e for e in self.events if e.stream == KEYS and e.version == 1]
        if not first or self.root_key_id is None:
            self.flag("checkpoint", "checkpoint-mismatch", "no trusted root key registration")
        else:  # origin: offerledger/<first 16 bytes of SHA-256(root registration) as UUID v4>
            ledger = uuid.UUID(bytes=sha256(first[0].state)[:16], version=4)
            if not signed_by(sigs, text, origin, self.pubs[self.root_key_id]):
                self.flag("checkpoint", "checkpoint-mismatch", f"not the root key's for {origin}")
            if origin != f"offerledger/{ledger}":
                self.flag("checkpoint", "checkpoint-mismatch", f"for {origin}, not {ledger}")
        for name, public, vkey in self.witnesses:
            if not signed_by(sigs, text, name, public):
                self.flag("checkpoint", "witness-missing", f"no valid signature by {vkey:.60}")
        for name, digest in sorted(self.manifest.items()):
            if name not in self.files or sha256(self.files[name]).hex() != digest:
                self.flag(name, "manifest-mismatch", "missing, or not the manifest's SHA-256")
        for name in sorted(set(self.files) - set(self.manifest) - {"manifest.json", "checkpoint"}):
            self.flag(name, "manifest-mismatch", "in the bundle but not in the manifest")
        if f"{MANIFEST_LINE}{sha256(self.files['manifest.json']).hex()}" not in extensions:
            self.flag("manifest.json", "manifest-mismatch", "not the one the checkpoint signs")
        return size, root

    def check_inclusion(self, e: Event, size: int, root: bytes) -> None:
        """Its RFC 9162 inclusion proof in the checkpoint's tree (leaf: the stored state)."""
        proof = json.loads(self.files[PROOF_FILE.format(e.position)])
        leaf, path = sha256(b"\0", e.state), [bytes.fromhex(h) for h in proof["proof"]]
        given = [proof["index"], proof["tree_size"], proof["leaf_hash"], proof["root"]]
        leads_to = root_from_path(leaf, e.position, size, path)
        ok = given == [e.position, size, leaf.hex(), root.hex()] and leads_to == root
        need(ok, "inclusion-proof-invalid", f"not a proof of {e.file} in the checkpoint's tree")

    def check_entry(self, name: str) -> None:
        """One employee entry against the commitment in its (signed) event's payload."""
        proof, bad = json.loads(self.files[name]), "entry-proof-invalid"
        found = [e.payload for e in self.events if e.position == proof["position"]]
        need(found, bad, f"no included event at position {proof['position']}")
        commitment, entry = found[0][proof["field"]], proof["entry"].encode()
        need(is_canonical(entry, fields := json.loads(entry)), bad, "the entry is not canonical")
        need(HEX64.fullmatch(str(fields.get("salt"))), bad, "the entry has no salt")
        need(self.employee in (None, fields.get("employee_id")), bad, f"not {self.employee}'s")
        path = [bytes.fromhex(h) for h in proof["path"]]
        leads_to = root_from_path(sha256(b"\0", entry), proof["index"], commitment["count"], path)
        need(leads_to and leads_to.hex() == commitment["root"], bad, "not under the signed root")

    def check_document(self, name: str) -> None:
        """A source document: named by its SHA-256, which an included event cites."""
        sha = name.removeprefix("documents/")
        need(sha256(self.files[name]).hex() == sha, "document-mismatch", "not its SHA-256")
        cited = f'"{sha}"'.encode()  # a JSON string in a body
        need(any(cited in e.state for e in self.events), "document-mismatch", "no event cites it")

    def check_elections(self) -> None:
        folded, name = fold_elections(self.events), "projections/elections.json"
        if name not in self.files and not folded:
            return
        shown: dict[str, Any] = {}  # each employee of the file, as fold_elections gives it
        for s in json.loads(self.files[name])["employees"]:
            at = [None if a is None else a["position"] for a in (s["last_act"], *s["refused"])]
            rows = map(itemgetter("grant_id", "options", "standing", "last_act"), s["grants"])
            grants = [(*g[:3], g[3] and g[3]["position"]) for g in rows]
            shown[s["employee_id"]] = {"grants": grants, "last_act": at[0], "refused": at[1:]}
        for employee in sorted(set(shown) | set(folded)):
            if shown.get(employee) != folded.get(employee):
                what = f"the events give {folded.get(employee)}, the file {shown.get(employee)}"
                self.flag(name, "projection-mismatch", f"employee {employee}: {what}")


def revokes(r: Event, e: Event, at: datetime) -> bool:
    """Whether revocation ``r`` covers ``e`` recorded ``at`` (docs/format.md, "Keys")."""
    p, made = r.payload, when(r.header.get("recorded"))
    start, since = p.get("from_position"), when(p.get("compromised_since"))
    later = any(t is not None and at >= t for t in (made, since))
    earlier = r.position < e.position or (type(start) is int and e.position >= start)
    return p.get("revoked_key_id") == e.key_id and (earlier or later)


def fold_elections(events: list[Event]) -> dict[str, dict[str, Any]]:
    """Each employee's standing per grant, as offerledger.projections.elections folds it."""
    streams: dict[str, list[Event]] = {}
    for e in events:
        if e.action in EMPLOYEE_ACTIONS or (e.action == _FIX and e.stream in streams):
            streams.setdefault(e.stream, []).append(e)
    out = {}
    for stream in streams.values():
        fixes = {e.payload["supersedes_version"]: e for e in stream if e.action == _FIX}
        grants: dict[str, Any] = {}
        acts, employee = [], ""
        for e in stream:
            p = dict(e.payload)
            fix = fixes[e.version].payload["corrected"] if e.version in fixes else {}
            employee = employee or p.get("employee_id", "")
            if e.action == "EligibleGrantsRegistered":
                grants.update({g["grant_id"]: g for g in p["grants"]})
            if e.action not in ACTS or (e.version in fixes and not fix):
                continue  # not a form, or one a correction retracts
            with contextlib.suppress(Bad):  # a correction the reports cannot apply drops it
                p = form_of(p, fix)
                acts.append((datetime.fromisoformat(p["received_at"]), e.position, e.action, p))
        standing, last, refused, last_act = dict.fromkeys(grants, "not_tendered"), {}, [], None
        for _, position, action, p in sorted(acts, key=lambda a: a[:2]):
            if action == "ElectionRefused":
                refused.append(position)
                continue
            last_act, tendered = position, [g for g, s in standing.items() if s == "exchange"]
            changes = [(c["grant_id"], STANDING[c["choice"]]) for c in p.get("choices") or []]
            if action == "ElectionWithdrawn":
                changes = [(g, "withdrawn") for g in p.get("grant_ids") or tendered]
            for g, s in changes:
                standing[g], last[g] = s, position
        rows = [(g, grants[g]["options_outstanding"], standing[g], last.get(g)) for g in grants]
        if grants or acts:
            out[employee] = {"grants": sorted(rows), "last_act": last_act, "refused": refused}
    return out


def form_of(p: dict[str, Any], fix: dict[str, Any], why: str = "") -> dict[str, Any]:
    """A form with a correction's fields, as the reports read it: Bad when they make none."""
    p = dict(p)
    for k, v in sorted(fix.items()):
        with contextlib.suppress(*MALFORMED):  # not JSON, or not its shape: Bad below
            p[k] = json.loads(v) if k in ("choices", "grant_ids") else v
            if k in CORRECTABLE and type(v) is str and (k not in SHAPES or SHAPES[k](p[k])):
                continue
        raise Bad("correction-invalid", f"{why}: corrected.{k} is {v!r:.60}")
    return p


def note_key_id(name: str, public: bytes) -> bytes:  # C2SP: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)
    return sha256(name.encode(), b"\n\x01", public)[:4]


def signed_by(sigs: list[tuple[str, bytes]], text: str, name: str, public: bytes) -> bool:
    """The note has a signature by (name, public key), and each such signature verifies."""
    mine = [blob[4:] for n, blob in sigs if n == name and blob[:4] == note_key_id(name, public)]
    return bool(mine) and all(ed25519_ok(public, text.encode(), s) for s in mine)


def parse_vkey(vkey: str) -> tuple[str, bytes, str]:
    """A C2SP verifier key ``<name>+<hex key id>+<base64(0x01 ‖ Ed25519 public key)>``."""
    name, key_id, material = (vkey.split("+", 2) + ["", ""])[:3]
    raw = b64decode(material) if re.fullmatch("[A-Za-z0-9+/]{44}", material) else b""
    if not name or raw[:1] != b"\x01" or note_key_id(name, raw[1:]).hex() != key_id:
        raise Unusable(f"--witness {vkey[:60]!r} is not an Ed25519 verifier key")
    return name, raw[1:], vkey


def verify_bundle(path: str, trust: str | None = None, witnesses: Any = (), **limits: int) -> Any:
    """Every check (a :class:`Verifier`; ``limits``: max_bytes, max_events); raises Unusable."""
    return Verifier(path, trust, tuple(witnesses), **limits).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="offerledger-verify", description=__doc__.split("\n")[0])
    (add := parser.add_argument)("bundle", help="the evidence bundle (.zip)")
    add("--trust", metavar="ROOT_KEY_ID", help="the root key id you trust")
    add("--witness", metavar="VKEY", action="append", default=[], help="a C2SP vkey that must sign")
    for name, n in LIMITS.items():
        add(f"--max-{name[4:]}", type=int, default=n, metavar="N", help=f"(default {n:,})")
    args = parser.parse_args(argv)
    limits = {name: getattr(args, name) for name in LIMITS}
    try:
        v = verify_bundle(args.bundle, args.trust, args.witness, **limits)
    except Exception as e:  # Unusable, or input that no check foresaw: never accepted
        why = e if isinstance(e, Unusable) else f"it cannot be checked ({e!r})"
        print(f"{args.bundle}: unusable: {why}", file=sys.stderr)
        return 2
    if any(e.payload.get("keys_public") for e in v.events if e.action == "KeyRegistered"):
        print("WARNING: its keys are public (a demo ledger): no evidence", file=sys.stderr)
    print("".join(": ".join(problem) + "\n" for problem in v.problems), end="")
    verdict = f"{len(v.problems)} problem(s)" if v.problems else "verified"
    trusted = "" if args.trust else f" (no --trust: trusted its own root key {v.root_key_id})"
    print(f"{args.bundle}: {len(v.events)} events: {verdict}{trusted}")
    return 1 if v.problems else 0


if __name__ == "__main__":
    sys.exit(main())
