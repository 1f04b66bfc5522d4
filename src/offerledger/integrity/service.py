"""Verify a ledger and write its checkpoint: the integrity operations the CLI calls.

A checkpoint is a C2SP tlog-checkpoint signed note (origin ``offerledger/<ledger uuid>``, tree
size = event count, base64 RFC 9162 root of the envelopes in log order) signed by the root key,
plus a JSON sidecar (``<FILE>.heads.json``, :mod:`.heads`) of every stream's head, signed by
the same key, so that verify can name the stream whose tail was cut.

A checkpoint vouches for a prefix of the log: events appended after it are no problem. A
checkpoint that does not verify against the trusted root key (:mod:`.trust`) is a
``checkpoint-mismatch`` problem (exit 1); only a file that is no checkpoint at all is an error.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from offerledger.errors import (
    CheckpointError,
    InputError,
    OfferLedgerError,
    ProofInvalid,
    SignatureInvalid,
    StorageError,
)
from offerledger.integrity.checkpoint import (
    Checkpoint,
    make_checkpoint_note,
    open_note,
    parse_checkpoint_note,
    parse_vkey,
)
from offerledger.integrity.checkpoints import CheckpointsFile
from offerledger.integrity.heads import heads_path, read_heads, write_atomically, write_heads
from offerledger.integrity.logtree import consistency_proof_from, root_from
from offerledger.integrity.merkle import Digest, verify_consistency
from offerledger.integrity.problems import Problem, VerifyReport
from offerledger.integrity.since import verify_since
from offerledger.integrity.slices import PgSlices, Slices, SqliteSlices
from offerledger.integrity.trust import RootTrust, anchor_of, checkpoint_key, resolve_trust
from offerledger.integrity.verify import (
    KEYS_STREAM,
    PARALLEL_THRESHOLD,
    KeyScan,
    raw_rows_of,
    scan_keys,
    verify_rows,
)
from offerledger.ledger import Ledger
from offerledger.signing.keys import SigningKey, key_id_for

__all__ = ["heads_path", "origin_of", "verify_ledger", "write_checkpoint"]

_NO_KEY = bytes(32)  # stands in when the trusted root has no key here: nothing verifies


def origin_of(ledger: Ledger) -> str:
    return f"offerledger/{ledger.app.ledger_id()}"


def _origin(ledger: Ledger) -> str | None:
    """The ledger's origin, or None when its first event is too damaged to name it."""
    try:
        return origin_of(ledger)
    except (StorageError, TypeError, ValueError):
        return None


def _scan(ledger: Ledger) -> KeyScan:
    """Scan the keys stream (through the raw rows if the recorder cannot read it)."""
    try:
        states = [row.state for row in ledger.app.recorder.select_events(KEYS_STREAM)]
    except Exception:  # a damaged keys stream: read the rows as stored
        keys = (KEYS_STREAM, KEYS_STREAM.hex)
        states = [r.state for r in raw_rows_of(ledger.app.raw_rows()) if r.stream in keys]
    return scan_keys(states)


def _slices(ledger: Ledger) -> Slices | None:
    """Workers read their own slices of the log, on SQLite and PostgreSQL alike (see
    integrity/slices.py)."""
    backend = ledger.backend
    if backend.kind == "sqlite":
        return SqliteSlices(str(backend.sqlite_path.resolve()), backend.events_table)
    pg = backend.pg
    if pg is None:
        return None
    connection = {
        "host": pg.host,
        "port": pg.port,
        "dbname": pg.dbname,
        "user": pg.user,
        "password": pg.password,
        "connect_timeout": pg.connect_timeout,
        **pg.options,
    }
    return PgSlices(tuple(connection.items()), pg.schema_name, backend.events_table)


def verify_ledger(
    ledger: Ledger,
    *,
    root_key: str | None = None,
    checkpoint: Path | None = None,
    workers: int | None = None,
    parallel_threshold: int = PARALLEL_THRESHOLD,
    since: bool = False,
    witnesses: Sequence[str] = (),
    progress: Callable[[int, int | None], None] | None = None,
) -> VerifyReport:
    """Verify every event; with a checkpoint, also what it vouches for.

    ``checkpoint`` is a checkpoint note or a checkpoints file (its last note counts). With
    ``since``, only the events after the checkpoint are examined, once the persisted log shows
    (a consistency proof) that the ledger extends it; if it cannot, everything is verified.
    ``witnesses`` are verifier keys (``name+id+key``) whose signatures the checkpoint must carry.
    ``progress(examined, total)`` is told how far the examination has come, every 1,000 rows
    (``total`` None when only the events after a checkpoint are examined).
    """
    scan = _scan(ledger)
    trust = resolve_trust(root_key=root_key, keystore=ledger.keystore.folder, scan=scan)
    trusted, source = trust.ids, trust.source
    note: Checkpoint | None = None
    problems: list[Problem] = []
    note_text = _last_note(checkpoint) if checkpoint is not None else None
    key = checkpoint_key(trust, scan, note=note_text)
    if checkpoint is not None and note_text is not None:
        note = _open_note(note_text, checkpoint, key, problems)
        if note is not None:
            assert key is not None
            source = f"the root key that signed checkpoint {checkpoint}; {source}"
            if trusted is None:  # the checkpoint, kept outside the database, vouches for it
                trusted = frozenset({anchor_of(scan, key)})
        for vkey in witnesses:
            problems.extend(_witness_problems(note_text, vkey, checkpoint))
    if since and note is not None and checkpoint is not None and key is not None:
        resumed = verify_since(
            ledger.app,
            note,
            trusted=trusted,
            scan=scan,
            workers=workers,
            parallel_threshold=parallel_threshold,
            slices=_slices(ledger),
            progress=None if progress is None else (lambda n: progress(n, None)),
        )
        if resumed is not None:
            resumed.root_key_source = source
            resumed.problems.extend(problems)
            _check_index(ledger, resumed)
            _check_documents(ledger, resumed, complete=False)
            _check_corrections(ledger, resumed)
            if note.origin != _origin(ledger):
                resumed.problems.append(
                    _general("checkpoint-mismatch", f"the checkpoint is for {note.origin}")
                )
            return resumed
        problems.append(
            _general(
                "checkpoint-mismatch",
                "the persisted log does not extend the checkpoint (no consistency proof "
                "from it): every event was verified instead",
            )
        )
    report, root_at = verify_rows(
        raw_rows_of(ledger.app.raw_rows()),
        read_saves=ledger.app.raw_saves,
        trusted_roots=trusted,
        workers=workers,
        checkpoint_size=note.size if note is not None else None,
        public_keys=scan.public_keys,
        revoked_keys=scan.revoked,
        parallel_threshold=parallel_threshold,
        slices=_slices(ledger),
        row_count=(total := ledger.app.count()),
        progress=None if progress is None else (lambda n: progress(n, total)),
    )
    report.root_key_source = source
    report.problems.extend(problems)
    _check_index(ledger, report)
    _check_documents(ledger, report, complete=True)
    _check_corrections(ledger, report)
    if note is not None and checkpoint is not None and key is not None:
        _check_note(_origin(ledger), report, note, root_at, checkpoint, key)
    return report


def _check_index(ledger: Ledger, report: VerifyReport) -> None:
    """The persisted log (head, frontier) must describe the events as stored."""
    try:
        head = ledger.app.tree_head()
        stored_root = root_from(ledger.app.read_nodes, head.size)
    except (StorageError, ProofInvalid) as e:
        report.problems.append(_general("index-mismatch", f"the log index is unreadable: {e}"))
        return
    except Exception as e:  # a dropped or damaged table arrives as a driver error
        report.problems.append(
            _general("index-mismatch", f"the log index is unreadable ({type(e).__name__}: {e})")
        )
        return
    if (
        head.size == report.count
        and head.root == report.root
        and stored_root == head.root
        and report.index_digest is not None
        and ledger.app.index_digest() != report.index_digest
    ):
        report.problems.append(
            _general(
                "index-mismatch",
                "the log index's leaves or interior hashes differ from the tree the events "
                "make (its head agrees): proofs drawn from it would not verify",
            )
        )
    if head.size != report.count or head.root != report.root or stored_root != head.root:
        report.problems.append(
            _general(
                "index-mismatch",
                f"the log index records {head.size} events with root {head.root.hex()[:16]}…; "
                f"the events table holds {report.count} with root {report.root.hex()[:16]}…"
                + ("" if stored_root == head.root else "; its stored nodes disagree with it")
                + (
                    ": events at the end of the log were removed"
                    if head.size > report.count
                    else ""
                ),
            )
        )


def _check_documents(ledger: Ledger, report: VerifyReport, *, complete: bool) -> None:
    """Every stored source document hashes to its name; every cited one is stored; with
    ``complete`` (the whole log was read), every stored one is cited by some event."""
    try:
        stored = ledger.app.document_hashes()
    except Exception as e:  # a dropped or damaged table arrives as a driver error
        report.problems.append(
            _general("document-mismatch", f"the documents table is unreadable ({e})")
        )
        return
    for name in stored:
        try:
            document = ledger.app.document(name)
        except Exception:  # garbage in a damaged row must never stop verify
            document = None
        if document is None or document.sha256 != name:
            report.problems.append(
                _general(
                    "document-mismatch",
                    f"stored document {name}: its bytes hash to "
                    f"{document.sha256 if document else 'nothing readable'}, not to its name",
                )
            )
    present = set(stored)
    for sha, position in sorted(report.cited.items(), key=lambda item: item[1]):
        if sha not in present:
            report.problems.append(
                Problem(
                    position,
                    None,
                    None,
                    "document-mismatch",
                    f"the event cites source document {sha}, which is not stored",
                )
            )
    if complete:
        for name in sorted(present - set(report.cited)):
            report.problems.append(
                _general("document-mismatch", f"stored document {name} is cited by no event")
            )


def _check_corrections(ledger: Ledger, report: VerifyReport) -> None:
    """Each correction examined makes a valid event of the one it supersedes (its own model, as
    the write side checks it): the read side applies only such corrections, so a signed one that
    does not (stored by an older version, or saved past the write side's check) would otherwise
    drop the corrected event from every report with nothing said. An empty correction (a
    retraction, as older versions stored them) and a superseded event that cannot be read
    (reported as such) are left alone."""
    from offerledger.correction_check import superseded
    from offerledger.domain.correction import merge_correction

    for position, stream, version, target, topic, fields in report.corrections:
        if not fields or stream is None:
            continue
        try:
            original = superseded(ledger, uuid.UUID(stream), target, topic)
        except OfferLedgerError as e:
            detail = f"it supersedes version {target} ({topic}), which is not there: {e}"
        except Exception:  # an unreadable superseded row is reported as undecodable
            continue
        else:
            try:
                merge_correction(original, dict(fields))
                continue
            except OfferLedgerError as e:
                detail = (
                    f"its fields do not make a valid {topic} of version {target}: "
                    f"{e.message}; the reports cannot apply it"
                )
        report.problems.append(Problem(position, stream, version, "correction-invalid", detail))


def _last_note(path: Path) -> str:
    """The note of a checkpoint file, or the last note of a checkpoints file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CheckpointError(f"cannot read the checkpoint: {e}", path=path) from e
    if not text.endswith("\n\n"):
        return text  # one note, as `checkpoint --out` writes it
    last = CheckpointsFile.read(path).last
    if last is None:
        raise CheckpointError("the checkpoints file holds no checkpoint", path=path)
    return last


def _witness_problems(text: str, vkey: str, path: Path) -> list[Problem]:
    name, public_key = parse_vkey(text=vkey, source="--witness")
    try:
        open_note(text=text, public_key=public_key, key_name=name, source=str(path))
    except SignatureInvalid as e:
        return [_general("checkpoint-mismatch", f"witness {name} has not cosigned it: {e}")]
    return []


def _open_note(
    text: str, path: Path, key: bytes | None, problems: list[Problem]
) -> Checkpoint | None:
    """The checkpoint if the trusted root signed it; a malformed note raises CheckpointError."""
    try:
        return parse_checkpoint_note(text=text, public_key=key or _NO_KEY, source=str(path))
    except SignatureInvalid as e:
        why = str(e) if key is not None else "the trusted root key is not registered here"
        problems.append(
            _general(
                "checkpoint-mismatch",
                f"the checkpoint is not signed by the trusted root key: {why}",
            )
        )
        return None


def _general(
    reason: str, detail: str, stream: str | None = None, version: int | None = None
) -> Problem:
    return Problem(None, stream, version, reason, detail)


def _check_note(
    origin: str | None,
    report: VerifyReport,
    note: Checkpoint,
    root_at: bytes | None,
    path: Path,
    key: bytes,
) -> None:
    add = report.problems.append
    if note.origin != origin:
        add(
            _general(
                "checkpoint-mismatch",
                f"the checkpoint is for {note.origin}, not this "
                f"ledger ({origin or 'its first event is damaged'})",
            )
        )
        return
    if note.size > report.count:
        add(
            _general(
                "stream-truncated",
                f"the checkpoint vouches for {note.size} events; the ledger holds {report.count}",
            )
        )
    elif root_at != note.root:
        add(
            _general(
                "checkpoint-mismatch",
                f"the first {note.size} events do not hash to the checkpoint's root",
            )
        )
    sidecar = heads_path(path)
    if not sidecar.exists():
        return
    heads = read_heads(
        sidecar,
        public_key=key,
        origin=origin,
        problems=report.problems,
        size=note.size,
        root=note.root,
    )
    for stream, (version, digest) in sorted(heads.items()):
        have = report.heads.get(stream)
        if have is None or have[0] < version:
            add(
                _general(
                    "stream-truncated",
                    f"the checkpoint saw version {version}; the ledger "
                    f"has {have[0] if have else 'no events'}",
                    stream,
                    version,
                )
            )
        elif have[0] == version and have[1] != digest:
            add(
                _general(
                    "checkpoint-mismatch",
                    "the stream's head differs from the checkpoint's",
                    stream,
                    version,
                )
            )


def write_checkpoint(ledger: Ledger, *, out: Path, root: SigningKey) -> dict[str, Any]:
    """Verify, then write the signed note to ``out`` and the signed heads sidecar beside it.

    An existing checkpoint at ``out`` is replaced only if the ledger still extends it (the
    first *size* events hash to its root and no stream went back); both files are written
    to a temporary file in the same folder and renamed into place.
    """
    if root.key_id not in _scan(ledger).roots[-1:]:
        raise InputError("the key given is not this ledger's root key in force", field="--key")
    try:
        exists, is_dir, has_folder = out.exists(), out.is_dir(), out.parent.is_dir()
    except (OSError, ValueError) as e:
        raise InputError(f"cannot use this path: {e}", file=out, field="--out") from e
    if is_dir:
        raise InputError("is a directory; give the checkpoint's file name", file=out, field="--out")
    if not has_folder:
        raise InputError(f"folder {out.parent} does not exist", file=out, field="--out")
    try:
        report = verify_ledger(ledger, root_key=root.key_id, checkpoint=out if exists else None)
    except CheckpointError as e:
        raise CheckpointError(
            f"the file there is not a checkpoint of this ledger ({e.message}); refusing to "
            "overwrite it",
            path=out,
            hint="choose another --out, or move that file away first",
        ) from e
    if not report.ok:
        raise _refusal(report, out, exists)
    origin = origin_of(ledger)
    note = make_checkpoint_note(
        origin=origin, size=report.count, root=report.root, key_name=origin, key=root
    )
    statement = {
        "origin": origin,
        "size": report.count,
        "root": base64.b64encode(report.root).decode(),
        "root_key_id": key_id_for(public_key=root.public_key),
        "heads": {s: {"version": v, "hash": h} for s, (v, h) in sorted(report.heads.items())},
    }
    write_heads(heads_path(out), statement=statement, root=root)
    write_atomically(out, note)
    return statement


def _refusal(report: VerifyReport, out: Path, exists: bool) -> CheckpointError:
    against = [p for p in report.problems if p.position is None]
    if exists and against:
        first = against[0]
        return CheckpointError(
            f"the ledger no longer matches the checkpoint already there ({first.reason}: "
            f"{first.detail}); refusing to overwrite it",
            path=out,
            hint=f"keep it as evidence: run 'offerledger verify --checkpoint {out}', and write "
            "a new checkpoint elsewhere",
        )
    return CheckpointError(
        f"verify found {len(report.problems)} problem(s); no checkpoint written",
        hint="run 'offerledger verify' and resolve them first",
    )


def append_checkpoint(ledger: Ledger, *, path: Path, root: SigningKey) -> dict[str, Any]:
    """Verify, then append a signed checkpoint of the head to the checkpoints file ``path``.

    With a checkpoint already in the file, only the events after it are verified and the new
    one is appended only if an RFC 9162 consistency proof shows the ledger extends it;
    otherwise the whole ledger is verified. Nothing is written when verify finds a problem.
    """
    scan = _scan(ledger)
    if root.key_id not in scan.roots[-1:]:
        raise InputError("the key given is not this ledger's root key in force", field="--key")
    if path.is_dir() or not path.parent.is_dir():
        raise InputError("not a file in an existing folder", file=path, field="--append")
    checkpoints = CheckpointsFile.read(path)
    previous = None
    if checkpoints.last is not None:
        signer = checkpoint_key(RootTrust(None, None, ""), scan, note=checkpoints.last)
        previous = parse_checkpoint_note(  # signed by the root in force then (rotations)
            text=checkpoints.last, public_key=signer or root.public_key, source=str(path)
        )
    report = verify_ledger(
        ledger,
        root_key=root.key_id,
        checkpoint=path if previous is not None else None,
        since=previous is not None,
    )
    if not report.ok:
        first = report.problems[0]
        raise CheckpointError(
            f"verify found {len(report.problems)} problem(s) (first: {first.reason}: "
            f"{first.detail}); no checkpoint appended",
            path=path,
            hint="run 'offerledger verify' and keep this file as evidence",
        )
    proof: list[Digest] = []
    if previous is not None:
        proof = consistency_proof_from(
            ledger.app.read_nodes, old_size=previous.size, new_size=report.count
        )
        verify_consistency(
            old_size=previous.size,
            new_size=report.count,
            old_root=previous.root,
            new_root=report.root,
            proof=proof,
        )
    origin = origin_of(ledger)
    note = make_checkpoint_note(
        origin=origin, size=report.count, root=report.root, key_name=origin, key=root
    )
    unchanged = previous is not None and (previous.size, previous.root) == (
        report.count,
        report.root,
    )
    if not unchanged:  # the same head again adds nothing a reader could use
        checkpoints.append(note)
    return {
        "origin": origin,
        "size": report.count,
        "root": report.root.hex(),
        "previous_size": previous.size if previous is not None else None,
        "consistency_proof": [h.hex() for h in proof],
        "events_verified": report.examined,
        "checkpoints": len(checkpoints.notes) + (0 if unchanged else 1),
        "appended": not unchanged,
    }
