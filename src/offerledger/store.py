"""Persistence: the eventsourcing Application, the signing event store and backend selection.

Every save goes through :class:`SigningEventStore.put`, which refuses events the signer's key
may not record, chains each event to its predecessor in the stream, signs the save (one
signature, a Merkle batch when it holds several events) and hands the envelopes to the recorder
in one transaction. Nothing reaches the database unsigned.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.application import Application
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import Environment

from offerledger import pgurl
from offerledger.documents import SourceDocument
from offerledger.domain.recording import check_order, check_records
from offerledger.errors import (
    ConcurrentWrite,
    EnvelopeUndecodable,
    OfferLedgerError,
    RuleViolation,
    StorageError,
)
from offerledger.events import (
    KEYS_STREAM_NAME,
    LedgerEvent,
    event_class_for_topic,
    model_fields,
    stream_id,
)
from offerledger.events import upcast_payload as _upcast
from offerledger.integrity.logtree import IndexDigest, Node, TreeHead
from offerledger.integrity.merkle import MerkleAccumulator, leaf_hash
from offerledger.pgurl import PgTarget
from offerledger.recorders import LastState, Sealed
from offerledger.signing.envelope import (
    Envelope,
    SaveRecord,
    body_for,
    body_of,
    envelope_hash,
    open_envelope,
    parse_save,
    save_of,
    sign_bodies,
)
from offerledger.signing.keys import SigningKey

DEFAULT_DB = "offerledger.db"
PG_OPTIONS_ENV = "OFFERLEDGER_PG_OPTIONS"
KEYS_STREAM = stream_id(KEYS_STREAM_NAME)
# the largest log position either database can hold (a bigint / SQLite INTEGER): the closed
# upper end of a "from position p on" range, see LedgerApplication.heads_before
_MAX_POSITION = 2**63 - 1


@dataclass(frozen=True)
class Backend:
    """Where the ledger lives: ``kind`` is ``sqlite`` or ``postgres``.

    ``location`` is what may be shown (a PostgreSQL URL with its password as ``***``); ``env``
    (the eventsourcing settings, with the password) is never shown. ``home``: the per-user
    folder of a PostgreSQL ledger's keys and read model (:func:`offerledger.pgurl.ledger_home`).
    """

    kind: str
    location: str
    env: dict[str, str] = field(repr=False)
    events_table: str
    schema: str | None = None
    home: Path | None = None
    pg: PgTarget | None = None

    @property
    def sqlite_path(self) -> Path:
        return Path(self.location)


def resolve_backend(db: str | None) -> Backend:
    """``--db`` / ``OFFERLEDGER_DB``: a SQLite path (default) or a ``postgresql://`` URL."""
    target = db or os.environ.get("OFFERLEDGER_DB") or DEFAULT_DB
    if pgurl.is_pg_url(target):
        pg = pgurl.parse(target)
        env = {
            "PERSISTENCE_MODULE": "offerledger.recorders_pg:LedgerPostgresFactory",
            "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port),
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "POSTGRES_CONNECT_TIMEOUT": str(pg.connect_timeout),
            "POSTGRES_POOL_SIZE": "4",
            # a save signs inside its transaction (under the lock that orders the log); a large
            # save on a busy machine needs longer than eventsourcing's 5 s default
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "300",
            "APPLICATION_RECORDER_TOPIC": "offerledger.recorders_pg:LedgerPostgresRecorder",
            # the URL's libpq options (sslmode, application_name, …), for every pooled connection
            PG_OPTIONS_ENV: orjson.dumps(pg.options).decode(),
        }
        if pg.schema:
            env["POSTGRES_SCHEMA"] = pg.schema
        return Backend(
            "postgres",
            pg.shown,
            env,
            "offerledger_events",
            pg.schema,
            home=pgurl.ledger_home(pg),
            pg=pg,
        )
    if "://" in target:
        raise StorageError(
            f"{target!r} is not a database offerledger can use",
            hint="a SQLite file path, or a postgresql:// URL",
        )
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(target),
        "SQLITE_LOCK_TIMEOUT": "30",
        "APPLICATION_RECORDER_TOPIC": "offerledger.recorders:LedgerSQLiteRecorder",
    }
    return Backend("sqlite", str(target), env, "stored_events")


class EnvelopeMapper(Mapper[uuid.UUID]):
    """Reads envelopes back into event models; writing goes through SigningEventStore only."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        raise RuntimeError("events are stored only through SigningEventStore.put (signed)")

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return decode_stored(stored_event.topic, stored_event.state)


def decode_stored(topic: str, state: bytes) -> LedgerEvent:
    """Decode (without verifying) a stored event into its newest event model.

    Reads only the body: the signature and save proof are verify's business.
    """
    try:
        body = orjson.loads(body_of(bytes(state)))
        header, payload = body["header"], body["payload"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as e:
        raise EnvelopeUndecodable(f"stored state is not an offerledger envelope: {e}") from e
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise EnvelopeUndecodable("event body has no header and payload objects")
    _, payload = _upcast(header["topic"], dict(payload))
    cls = event_class_for_topic(topic)
    return cls.model_validate(model_fields(header, payload))


class _NoTranscoder(Transcoder):
    def register(self, transcoding: Any) -> None:  # pragma: no cover
        pass

    def encode(self, obj: Any) -> bytes:  # pragma: no cover
        raise RuntimeError("not used")

    def decode(self, data: bytes) -> Any:  # pragma: no cover
        raise RuntimeError("not used")


Authorizer = Callable[[Sequence[LedgerEvent], SigningKey], None]


class SigningEventStore(EventStore[uuid.UUID]):
    """An EventStore whose ``put`` signs each save with the signer it is handed."""

    def __init__(self, mapper: Mapper[uuid.UUID], recorder: Any) -> None:
        super().__init__(mapper, recorder)
        self.authorize: Authorizer | None = None
        self._heads: dict[uuid.UUID, tuple[int, str]] = {}
        self._last: tuple[int, datetime | None] | None = None  # (log size, its last recorded)

    def head(self, stream: uuid.UUID) -> tuple[int, str] | None:
        """(version, envelope hash) of the last stored event of a stream."""
        if stream in self._heads:
            return self._heads[stream]
        rows = self.recorder.select_events(stream, desc=True, limit=1)
        if not rows:
            return None
        head = (rows[0].originator_version, envelope_hash(rows[0].state))
        self._heads[stream] = head
        return head

    def note_heads(self, rows: dict[uuid.UUID, tuple[int, bytes]]) -> None:
        """Remember streams' heads a reader has just read: {stream: (version, stored state)},
        each the last row of its stream that one scan of the log read, so that a save extending
        these streams looks none of them up again (:meth:`head`). A head older than one already
        known is ignored. A head gone stale meanwhile (another writer extended the stream)
        gives the same version as that writer's row: the insert conflicts and nothing is
        written, as with any head this store remembers."""
        for stream, (version, state) in rows.items():
            known = self._heads.get(stream)
            if known is None or known[0] < version:
                self._heads[stream] = (version, envelope_hash(state))

    def put(
        self,
        domain_events: Sequence[Any],
        *,
        signer: SigningKey | None = None,
        documents: Sequence[SourceDocument] = (),
        **kwargs: Any,
    ) -> list[Recording[uuid.UUID]]:
        if not domain_events:
            return []
        if signer is None:
            raise RuleViolation("an event cannot be stored unsigned", rule="signed")
        events: list[LedgerEvent] = list(domain_events)
        stored, ids = self.put_groups([(events, signer)], documents=documents)
        return [
            Recording(
                ev,
                Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=n_id,
                ),
            )
            for ev, s, n_id in zip(events, stored, ids, strict=False)
        ]

    def put_groups(
        self,
        groups: Sequence[tuple[Sequence[LedgerEvent], SigningKey]],
        *,
        documents: Sequence[SourceDocument] = (),
    ) -> tuple[list[StoredEvent], list[int]]:
        """Several actors' saves in one transaction (ingest: officer and communications).

        Each group is authorized, then, under the lock that orders the log, chained and signed
        by its own key against the log head the groups before it leave; all are stored or
        none, with the source ``documents`` they cite.
        """
        if self.authorize is None:
            raise RuleViolation("no key registry is attached to the store", rule="signed")
        saves = [(list(events), signer) for events, signer in groups if events]
        for events, signer in saves:
            check_records(events)  # nothing recorded before what it records
            self.authorize(events, signer)
        if not saves:
            return [], []

        stored: list[StoredEvent] = []
        records: list[SaveRecord] = []

        def seal(tree: MerkleAccumulator, last_state: LastState, next_save: int) -> Sealed:
            stored.clear()  # a retried transaction seals again from the head it then finds
            records.clear()
            number = [next_save]  # the number each save takes, in order
            if self._last is None or self._last[0] != tree.size:
                self._last = (tree.size, last_recorded(last_state()))
            pending: dict[uuid.UUID, tuple[int, str]] = {}
            for events, signer in saves:
                batch = self._sign(events, signer, pending, tree, records, number)
                for event, s in zip(events, batch, strict=True):
                    pending[event.originator_id] = (s.originator_version, envelope_hash(s.state))
                stored.extend(batch)
            previous = self._last[1]
            for events, _ in saves:  # and never before the event before it in log order
                previous = check_order(events, previous=previous)
            return Sealed(stored, records, documents)

        streams = {e.originator_id for events, _ in saves for e in events}
        recorder: Any = self.recorder
        try:
            ids = recorder.append_sealed(seal)
        except IntegrityError as e:
            for sid in streams:
                self._heads.pop(sid, None)
            raise ConcurrentWrite(
                "another writer stored the same stream version first; nothing was written",
                hint="reload and try again",
            ) from e
        except OfferLedgerError:
            for sid in streams:
                self._heads.pop(sid, None)
            raise
        for s in stored:
            self._heads[_uuid(s.originator_id)] = (s.originator_version, envelope_hash(s.state))
        self._last = (
            (self._last[0] + len(stored), saves[-1][0][-1].recorded) if self._last else None
        )
        return stored, list(ids)

    def _sign(
        self,
        events: list[LedgerEvent],
        signer: SigningKey,
        pending: dict[uuid.UUID, tuple[int, str]],
        tree: MerkleAccumulator,
        records: list[SaveRecord],
        number: list[int],
    ) -> list[StoredEvent]:
        """Chain and sign one actor's events as consecutive saves, each extending the log head.

        A stored state names its save (and its hash is what a successor's ``prev`` names), so
        an event can only name a predecessor stored in an earlier save: the events are cut,
        in order, into runs holding at most one event per stream. The usual save (one event
        per stream, e.g. a hundred employees' elections) is one run, one signature. Log order
        is the order given.
        """
        heads: dict[uuid.UUID, tuple[int, str] | None] = {}
        for event in events:
            sid = event.originator_id
            if sid in heads:
                continue
            if sid in pending:
                heads[sid] = pending[sid]
            elif event.originator_version == 1 and sid not in self._heads:
                # a new stream has no predecessor to look up; if the stream exists after
                # all, the insert conflicts on (stream, version 1) and nothing is written
                heads[sid] = None
            else:
                heads[sid] = self.head(sid)
        stored: list[StoredEvent] = []
        run: list[LedgerEvent] = []
        in_run: set[uuid.UUID] = set()
        for event in events:
            if event.originator_id in in_run:
                stored.extend(self._sign_run(run, signer, heads, tree, records, number))
                run, in_run = [], set()
            run.append(event)
            in_run.add(event.originator_id)
        stored.extend(self._sign_run(run, signer, heads, tree, records, number))
        return stored

    def _sign_run(
        self,
        run: list[LedgerEvent],
        signer: SigningKey,
        heads: dict[uuid.UUID, tuple[int, str] | None],
        tree: MerkleAccumulator,
        records: list[SaveRecord],
        number: list[int],
    ) -> list[StoredEvent]:
        bodies = []
        for event in run:
            head = heads[event.originator_id]
            expected = 1 if head is None else head[0] + 1
            if event.originator_version != expected:
                self._heads.pop(event.originator_id, None)
                raise ConcurrentWrite(
                    f"stream {event.originator_id} is at version {expected - 1}; "
                    f"refusing to write version {event.originator_version}",
                    hint="reload and try again",
                )
            bodies.append(body_for(event, prev=None if head is None else head[1]))
        states, record = sign_bodies(
            bodies=bodies,
            signer=signer,
            log_size=tree.size,
            log_root=tree.root(),
            number=number[0],
        )
        records.append(record)
        number[0] += 1
        out = []
        for event, state in zip(run, states, strict=True):
            heads[event.originator_id] = (event.originator_version, envelope_hash(state))
            tree.append(leaf_hash(state))
            out.append(
                StoredEvent(
                    originator_id=event.originator_id,
                    originator_version=event.originator_version,
                    topic=event.TOPIC,
                    state=state,
                )
            )
        return out


def last_recorded(state: bytes | None) -> datetime | None:
    """The recorded time in a stored event's header; None when there is none or it does not
    parse (a damaged row: verify reports it, and the write is not refused for it)."""
    if state is None:
        return None
    try:
        recorded = orjson.loads(body_of(bytes(state)))["header"]["recorded"]
        at = datetime.fromisoformat(recorded)
    except (OfferLedgerError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    return at if at.tzinfo is not None else None


def sqlite_value(storage_class: str, raw: bytes | None) -> Any:
    """A SQLite value read as (typeof, CAST AS BLOB): text that is not UTF-8 stays bytes."""
    if raw is None or storage_class == "null":
        return None
    if storage_class == "integer":
        return int(raw)
    if storage_class == "real":
        return float(raw)
    if storage_class == "text":
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return bytes(raw)
    return bytes(raw)


def sqlite_state(storage_class: str, raw: bytes | None) -> Any:
    """The state column read as (typeof, CAST AS BLOB): a state stored as TEXT comes back as a
    ``str`` even when its bytes are not UTF-8 (surrogate escapes keep them), so verify can say
    the column holds text; everything else as :func:`sqlite_value`."""
    if raw is not None and storage_class == "text":
        return bytes(raw).decode("utf-8", "surrogateescape")
    return sqlite_value(storage_class, raw)


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


class LedgerApplication(Application[uuid.UUID]):
    """The eventsourcing Application over one ledger database."""

    name = "offerledger"

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        super().__init__(env=backend.env)

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Only the explicit mapping: nothing leaks in from os.environ.
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        return EnvelopeMapper(transcoder=_NoTranscoder())

    def construct_event_store(self) -> EventStore[uuid.UUID]:
        return SigningEventStore(mapper=self.mapper, recorder=self.recorder)

    @property
    def store(self) -> SigningEventStore:
        assert isinstance(self.events, SigningEventStore)
        return self.events

    def stream(self, sid: uuid.UUID) -> list[LedgerEvent]:
        """Every event of one stream, decoded (not verified), in version order."""
        return [decode_stored(s.topic, s.state) for s in self.recorder.select_events(sid)]

    def notifications(self, *, start: int = 1, batch: int = 2000) -> Iterator[Notification]:
        """Every stored event in notification (log) order, streamed in batches."""
        recorder: Any = self.recorder
        after = start
        while True:
            rows = recorder.select_notifications(after, batch)
            if not rows:
                return
            yield from rows
            after = rows[-1].id + 1

    def count(self) -> int:
        """The number of stored events (the Merkle tree size; never a notification id)."""
        row = self._raw_query(f"SELECT COUNT(*) FROM {self._table()}", ())
        return int(row[0][0]) if row else 0

    def raw_rows(
        self, *, batch: int = 2000, after: Any = -1
    ) -> Iterator[tuple[Any, Any, Any, Any, Any]]:
        """Every row as stored, in notification order, with no conversion: (id, originator_id,
        originator_version, topic, state). For verify, which must read garbage without crashing.

        On SQLite every column is read as bytes with its storage class, so text that is not
        UTF-8 comes back as bytes instead of stopping the read.
        """
        sqlite = self.backend.kind == "sqlite"
        key = "rowid" if sqlite else "notification_id"
        columns = ("originator_id", "originator_version", "topic", "state")
        select = (
            ", ".join(f"typeof({c}), CAST({c} AS BLOB)" for c in columns)
            if sqlite
            else ", ".join(columns)
        )
        while True:
            rows = self._raw_query(
                f"SELECT {key}, {select} FROM {self._table()} WHERE {key} > {self._param} "
                f"ORDER BY {key} LIMIT {int(batch)}",
                (after,),
            )
            if not rows:
                return
            for row in rows:
                if sqlite:
                    values = [sqlite_value(row[i], row[i + 1]) for i in range(1, 7, 2)]
                    state = sqlite_state(row[7], row[8])
                    yield (row[0], values[0], values[1], values[2], state)
                else:
                    yield (row[0], row[1], row[2], row[3], row[4])
            after = rows[-1][0]

    def row_id_at(self, position: int) -> Any:
        """The notification id (SQLite rowid) of the event at a log position, from the
        persisted log; None when the log index does not know the position."""
        sqlite = self.backend.kind == "sqlite"
        key = "rowid" if sqlite else "notification_id"
        leaves = (
            "offerledger_leaves"
            if sqlite
            else f'"{self.backend.schema or "public"}".offerledger_leaves'
        )
        rows = self._raw_query(
            f"SELECT e.{key} FROM {leaves} l JOIN {self._table()} e ON "
            "e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
            f"WHERE l.position = {self._param}",
            (position,),
        )
        return rows[0][0] if rows else None

    def state_at(self, position: int) -> bytes | None:
        """The stored envelope of the event at a log position, from the persisted log; None
        when the log index does not know the position."""
        sqlite = self.backend.kind == "sqlite"
        leaves = (
            "offerledger_leaves"
            if sqlite
            else f'"{self.backend.schema or "public"}".offerledger_leaves'
        )
        rows = self._raw_query(
            f"SELECT e.state FROM {leaves} l JOIN {self._table()} e ON "
            "e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
            f"WHERE l.position = {self._param}",
            (position,),
        )
        return bytes(rows[0][0]) if rows else None

    def heads_before(self, position: int) -> dict[str, tuple[int, bytes]]:
        """For every stream with an event at or after ``position``, its last event before it:
        {dashed stream id: (version, stored state)}, from the persisted log in one query.

        The streams come from the leaves at or after ``position`` (a range of the primary key)
        and each one's head from its own rows of the (stream, version) index, newest first:
        the work grows with the events after ``position``, never a scan of every leaf. The
        range is closed (``<= _MAX_POSITION``, always true) so that PostgreSQL, before its first
        ANALYZE of a freshly loaded table, estimates it narrow and reads it from the index: an
        open range is guessed at a third of the table and read by a sequential scan."""
        sqlite = self.backend.kind == "sqlite"
        leaves = (
            "offerledger_leaves"
            if sqlite
            else f'"{self.backend.schema or "public"}".offerledger_leaves'
        )
        p = self._param
        rows = self._raw_query(
            f"SELECT e.originator_id, e.originator_version, e.state FROM (SELECT s.originator_id, "
            f"(SELECT MAX(l.originator_version) FROM {leaves} l WHERE "
            f"l.originator_id = s.originator_id AND l.position < {p}) AS v "
            f"FROM (SELECT DISTINCT originator_id FROM {leaves} "
            f"WHERE position >= {p} AND position <= {_MAX_POSITION}) s) h "
            f"JOIN {self._table()} e "
            "ON e.originator_id = h.originator_id AND e.originator_version = h.v",
            (position, position),
        )
        return {
            str(r[0] if isinstance(r[0], uuid.UUID) else uuid.UUID(str(r[0]))): (
                int(r[1]),
                bytes(r[2]),
            )
            for r in rows
        }

    @property
    def _param(self) -> str:
        return "?" if self.backend.kind == "sqlite" else "%s"

    def _table(self) -> str:
        if self.backend.kind == "sqlite":
            return self.backend.events_table
        schema = self.backend.schema or "public"
        return f'"{schema}"."{self.backend.events_table}"'

    def _raw_query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        recorder: Any = self.recorder
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, params)
            return [
                tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in cursor.fetchall()
            ]

    def tree_head(self) -> TreeHead:
        """The log's size and root after the last save, from the persisted log (not verified)."""
        recorder: Any = self.recorder
        head: TreeHead = recorder.tree_head()
        return head

    def read_nodes(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        """Stored tree nodes by (level, index); level 0 are the leaf hashes."""
        recorder: Any = self.recorder
        found: dict[Node, bytes] = recorder.read_nodes(nodes)
        return found

    def position_of(self, stream: uuid.UUID, version: int) -> int | None:
        """The log position of one event, from the persisted log."""
        recorder: Any = self.recorder
        position: int | None = recorder.position_of(stream, version)
        return position

    def raw_saves(self, numbers: Iterable[int]) -> dict[int, tuple[Any, ...]]:
        """The stored rows of the saves with these numbers (missing ones are absent), as the
        driver returns them: verify parses them (:func:`parse_save`)."""
        recorder: Any = self.recorder
        found: dict[int, tuple[Any, ...]] = recorder.read_saves(numbers)
        return found

    def saves(self, numbers: Iterable[int]) -> dict[int, SaveRecord]:
        """The parsed rows of the saves with these numbers (raises EnvelopeUndecodable when
        one is missing or out of its stored form)."""
        wanted = set(numbers)
        raw = self.raw_saves(wanted)
        out: dict[int, SaveRecord] = {}
        for number in sorted(wanted):
            if number not in raw:
                raise EnvelopeUndecodable(f"save {number} is not stored")
            out[number] = parse_save(raw[number])
        return out

    def envelopes(self, states: Sequence[bytes]) -> list[Envelope]:
        """The envelopes of stored ``states``, each opened with its save's row (raises
        EnvelopeUndecodable)."""
        saves = self.saves(n for n in (save_of(state) for state in states) if n is not None)
        out = []
        for state in states:
            first = save_of(state)
            if first is None:
                body_of(bytes(state))  # raises, saying what the state is
                raise EnvelopeUndecodable("stored state is not an offerledger event")
            out.append(open_envelope(bytes(state), saves[first]))
        return out

    def document(self, sha256: str) -> SourceDocument | None:
        """The stored source document with this SHA-256, or None."""
        recorder: Any = self.recorder
        found: SourceDocument | None = recorder.document(sha256)
        return found

    def index_digest(self) -> int:
        """The :class:`IndexDigest` of the persisted log's leaves and nodes, read in batches."""
        digest = IndexDigest()
        streams: dict[Any, bytes] = {}  # each stream column value's 16 bytes, parsed once
        sqlite = self.backend.kind == "sqlite"
        prefix = "" if sqlite else f'"{self.backend.schema or "public"}".'
        for table, key in (("offerledger_leaves", "position"), ("offerledger_nodes", "level, idx")):
            after: tuple[Any, ...] = (-1,) if key == "position" else (-1, -1)
            where = "position > {p}" if key == "position" else "(level, idx) > ({p}, {p})"
            while True:
                rows = self._raw_query(
                    f"SELECT * FROM {prefix}{table} WHERE "
                    + where.format(p=self._param)
                    + f" ORDER BY {key} LIMIT 50000",
                    after,
                )
                if not rows:
                    break
                for row in rows:
                    if key == "position":
                        sid = streams.get(row[1])
                        if sid is None:
                            raw = row[1]
                            sid = (raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))).bytes
                            streams[raw] = sid
                        digest.leaf(int(row[0]), sid, int(row[2]), bytes(row[3]))
                    else:
                        digest.node(int(row[0]), int(row[1]), bytes(row[2]))
                last = rows[-1]
                after = (last[0],) if key == "position" else (last[0], last[1])
        return digest.value

    def document_hashes(self) -> list[str]:
        """The names (SHA-256 hex) of every stored source document, sorted."""
        table = (
            "offerledger_documents"
            if self.backend.kind == "sqlite"
            else f'"{self.backend.schema or "public"}".offerledger_documents'
        )
        rows = self._raw_query(f"SELECT sha256 FROM {table} ORDER BY sha256", ())
        return [str(row[0]) for row in rows]

    def ledger_id(self) -> uuid.UUID:
        """The ledger's identity: derived from the stored state of its first event (root key)."""
        rows = self.recorder.select_events(KEYS_STREAM, limit=1)
        if not rows:
            raise StorageError("this database holds no ledger", hint="run 'offerledger init'")
        return uuid.UUID(bytes=hashlib.sha256(rows[0].state).digest()[:16], version=4)


def open_application(backend: Backend, *, create: bool = False) -> LedgerApplication:
    """Open (or with ``create``, make) the ledger database, wrapping driver errors.

    A PostgreSQL ledger is probed first (:func:`offerledger.pgurl.probe`): a wrong database, an
    unreachable server or a missing schema is said at once; ``create`` makes the schema.
    """
    if backend.kind == "sqlite":
        path = backend.sqlite_path
        if not create and not path.exists():
            raise StorageError(
                f"no ledger at {path}", hint="run 'offerledger init' or pass --db PATH"
            )
        if create and path.parent and not path.parent.exists():
            raise StorageError(f"folder {path.parent} does not exist")
    if backend.pg is not None:
        pgurl.probe(backend.pg, create_schema=create)
    if not create:  # reading never creates tables in a database that is not a ledger
        backend = replace(backend, env={**backend.env, "CREATE_TABLE": "n"})
    try:
        return LedgerApplication(backend)
    except Exception as e:  # driver errors arrive as many types: wrap them all, once
        message = pgurl.scrub(str(e), backend.pg)
        error = StorageError(f"cannot open the ledger at {backend.location}: {message}")
        if backend.pg is not None:  # a driver's own text may hold connection details
            raise error from None
        raise error from e
