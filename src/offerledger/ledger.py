"""The library API the CLI is a skin over: open a ledger, manage keys, save signed events, read.

One :class:`Ledger` wraps the eventsourcing application of one database. Every write goes
through :meth:`Ledger.save`, which the store signs and authorizes against the key registry.

The storage layer, and the one gateway to it. Only the storage layer touches the database's
recorder: this module, :mod:`offerledger.store` (the signing event store and the application),
:mod:`offerledger.recorders` and :mod:`offerledger.recorders_pg` (SQLite and PostgreSQL),
:mod:`offerledger.dbadmin` (backups and restores of the database itself) and
:mod:`offerledger.integrity`, which verifies the stored rows themselves. Everything else reads
through a :class:`Ledger`: a stream's rows (:meth:`Ledger.rows`, :meth:`Ledger.last_row`,
:meth:`Ledger.stream_exists`), the log in pages (:meth:`Ledger.notification_pages`, the one
paging helper, and :meth:`Ledger.events` over it), every stored envelope decoded by the one
decoder (:func:`offerledger.store.decode_stored`). ``tests/test_storage_gateway.py`` fails when
a module outside the storage layer names a ``recorder`` or imports the recorders.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from eventsourcing.persistence import Notification, PersistenceError

from offerledger import pgurl
from offerledger.documents import SourceDocument
from offerledger.domain.election import Employee, project_employee
from offerledger.domain.keys import KeyInfo, KeyRegistry, authorize, fold_keys
from offerledger.domain.offer import Offer, project_offer
from offerledger.errors import InputError, OfferLedgerError, StorageError, UnknownEntity
from offerledger.events import (
    KEYS_STREAM_NAME,
    FilingRecorded,
    KeyRegistered,
    KeyRevoked,
    LedgerEvent,
    OfferCommenced,
    Role,
    employee_stream_name,
    stream_id,
)
from offerledger.integrity.logtree import TreeHead
from offerledger.recorders import fault
from offerledger.signing.envelope import verify_envelope
from offerledger.signing.keys import Keystore, SigningKey, check_public_key, generate_signing_key
from offerledger.store import (
    KEYS_STREAM,
    Backend,
    LedgerApplication,
    decode_stored,
    open_application,
    resolve_backend,
)

Clock = Callable[[], datetime]

PAGE = 2000
"""Rows per read of the log (:meth:`Ledger.notification_pages`)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One stored event in log order. ``event`` is None when the stored bytes do not decode."""

    position: int
    notification_id: int
    stream: uuid.UUID
    version: int
    topic: str
    state: bytes
    event: LedgerEvent | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StreamRow:
    """One stored event of a stream, as stored: its envelope, not yet decoded."""

    stream: uuid.UUID
    version: int
    topic: str
    state: bytes

    def event(self) -> LedgerEvent:
        """The event (decoded by the ledger's one decoder, not verified); raises
        :class:`~offerledger.errors.OfferLedgerError` or ``ValueError`` when it does not
        decode."""
        return decode_stored(self.topic, self.state)


def keystore_folder(backend: Backend) -> Path:
    """``OFFERLEDGER_KEYS``, else ``keys/`` beside the SQLite file, or for a PostgreSQL ledger
    ``keys/`` in its per-user folder (:func:`offerledger.pgurl.ledger_home`): never the working
    folder, so every command finds the same keys wherever it is run."""
    env = os.environ.get("OFFERLEDGER_KEYS")
    if env:
        return Path(env)
    if backend.home is not None:
        return backend.home / "keys"
    return backend.sqlite_path.resolve().parent / "keys"


class Ledger:
    """One ledger database: keys, signed saves, reads."""

    def __init__(
        self,
        app: LedgerApplication,
        *,
        clock: Clock = utc_now,
        keys: Path | None = None,
        demo_keys_ok: bool = True,
    ) -> None:
        self.app = app
        self.backend = app.backend
        self.clock = clock
        self.keystore = Keystore(keys or keystore_folder(self.backend))
        # False: refuse every save on a ledger whose keys are public (the CLI's default)
        self.demo_keys_ok = demo_keys_ok
        self._registry = KeyRegistry()
        self._offers: list[OfferCommenced] | None = None
        app.store.authorize = self._authorize

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        db: str | None,
        *,
        clock: Clock = utc_now,
        keys: Path | None = None,
        demo_keys_ok: bool = True,
    ) -> Ledger:
        """Open a ledger; ``keys``: the keystore folder (default :func:`keystore_folder`)."""
        ledger = cls(
            open_application(resolve_backend(db)), clock=clock, keys=keys, demo_keys_ok=demo_keys_ok
        )
        try:
            first = ledger.stream_exists(KEYS_STREAM)
        except PersistenceError as e:
            ledger.close()
            raise StorageError(
                f"{ledger.backend.location} is not an offerledger ledger "
                f"({pgurl.scrub(str(e), ledger.backend.pg)})",
                hint="run 'offerledger init' or pass the right --db",
            ) from None
        if not first:
            ledger.close()
            raise StorageError(
                f"{ledger.backend.location} holds no ledger", hint="run 'offerledger init' first"
            )
        return ledger

    @classmethod
    def init(
        cls,
        db: str | None,
        *,
        passphrase: bytes,
        holder: str = "ledger root",
        clock: Clock = utc_now,
        root_key: SigningKey | None = None,
        valid_from: datetime | None = None,
        keys: Path | None = None,
        keys_public: bool = False,
    ) -> tuple[Ledger, SigningKey]:
        """A new ledger: a root key (file in the keystore) that registers itself.

        ``keys_public``: the root's registration says the ledger's private keys are public
        (the demo's), so ``verify`` says so and the CLI refuses to write without
        ``--demo-keys-ok``.
        """
        backend = resolve_backend(db)
        ledger = cls(open_application(backend, create=True), clock=clock, keys=keys)
        if ledger.stream_exists(KEYS_STREAM):
            ledger.close()
            raise InputError(
                f"{backend.location} already holds a ledger; nothing was written",
                field="--db",
                hint="use another --db (a new file or schema)",
            )
        root = root_key or generate_signing_key()
        if not ledger.keystore.path_for(root.key_id).exists():  # a file per key id: same key
            ledger.keystore.save(key=root, passphrase=passphrase)
        now = ledger.clock()
        event = KeyRegistered(
            originator_id=KEYS_STREAM,
            originator_version=1,
            effective={"kind": "instant", "at": min(valid_from or now, now)},  # not later
            recorded=now,
            actor=holder,
            key_id=root.key_id,
            registered_key_id=root.key_id,
            public_key=root.public_key.hex(),
            holder=holder,
            role="root",
            valid_from=valid_from or now,
            keys_public=True if keys_public else None,
        )
        ledger.save([event], signer=root)
        return ledger, root

    def close(self) -> None:
        self.app.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        """``with Ledger.open(db) as ledger:`` closes the ledger on the way out."""
        self.close()

    # --- keys ------------------------------------------------------------------------------

    def registry(self) -> KeyRegistry:
        """The key registry, brought up to date from the keys stream.

        Only key events whose signatures verify with the root key are folded in: a damaged or
        forged row in the keys stream stops every write with a clear error (run ``verify``).
        """
        reg = self._registry
        for stored in self.rows(KEYS_STREAM, gt=reg.version):
            where = f"the keys stream at version {stored.version}"
            try:
                event = stored.event()
                (envelope,) = self.app.envelopes([stored.state])
                root = reg.keys[reg.root_key_id] if reg.root_key_id else None
                public_key = (
                    root.public_key if root else bytes.fromhex(getattr(event, "public_key", ""))
                )
                verify_envelope(envelope=envelope, public_key=public_key)
            except (OfferLedgerError, ValueError, KeyError, TypeError) as e:
                raise StorageError(
                    f"{where} does not decode or verify: {str(e).splitlines()[0]}",
                    hint="run 'offerledger verify'; nothing can be signed until it is repaired",
                ) from None
            reg = fold_keys(reg, event)
        self._registry = reg
        return reg

    def _authorize(self, events: Sequence[LedgerEvent], signer: SigningKey) -> None:
        reg = self.registry()
        for event in events:
            authorize(reg, event, signer_key_id=signer.key_id, demo_keys_ok=self.demo_keys_ok)
            if event.originator_id == KEYS_STREAM:
                reg = fold_keys(reg, event)

    def root_key_info(self) -> KeyInfo:
        reg = self.registry()
        if reg.root_key_id is None:
            raise StorageError("the ledger has no root key", hint="run 'offerledger init'")
        return reg.keys[reg.root_key_id]

    def find_key(self, who: str) -> KeyInfo:
        """A registered key by key id, unambiguous key-id prefix (8+ hex) or holder name."""
        reg = self.registry()
        matches = [k for k in reg.keys.values() if k.holder == who]
        if not matches and len(who) >= 8:
            matches = [k for k in reg.keys.values() if k.key_id.startswith(who.lower())]
        live = [k for k in matches if not k.revoked] or matches
        if len(live) != 1:
            raise UnknownEntity(
                f"no registered key is known by {who!r}"
                if not live
                else f"{who!r} names {len(live)} keys; give the key id",
                hint="'offerledger keys list' shows the keys",
            )
        return live[0]

    def signer(self, who: str, passphrase: bytes) -> SigningKey:
        """Load the private key of a registered key (by holder, key id or prefix)."""
        info = self.find_key(who)
        return self.keystore.load(key_id=info.key_id, passphrase=passphrase)

    def register_key(
        self,
        *,
        root: SigningKey,
        holder: str,
        role: Role,
        key: SigningKey | None = None,
        public_key: bytes | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        passphrase: bytes | None = None,
    ) -> str:
        """Register an actor's key (a new one whose file is written, or a given public key)."""
        if key is None and public_key is None:
            key = generate_signing_key()
        pub = key.public_key if key is not None else public_key
        assert pub is not None
        check_public_key(public_key=pub)
        from offerledger.signing.keys import key_id_for

        kid = key_id_for(public_key=pub)
        if kid in self.registry().keys:
            raise InputError(f"key {kid[:16]}… is already registered", field="public_key")
        now = self.clock()
        event = KeyRegistered(
            originator_id=KEYS_STREAM,
            originator_version=self.registry().version + 1,
            effective={"kind": "instant", "at": min(valid_from or now, now)},  # not later
            recorded=now,
            actor=self.root_key_info().holder,
            key_id=root.key_id,
            registered_key_id=kid,
            public_key=pub.hex(),
            holder=holder,
            role=role,
            valid_from=valid_from or now,
            valid_until=valid_until,
        )
        self.save([event], signer=root)
        if key is not None and passphrase is not None and not self.keystore.path_for(kid).exists():
            self.keystore.save(key=key, passphrase=passphrase)
        return kid

    def revoke_key(
        self,
        *,
        root: SigningKey,
        key_id: str,
        reason: str,
        compromised_since: datetime | None = None,
    ) -> str:
        """Revoke a key (by id, prefix or holder); returns the key id revoked."""
        info = self.find_key(key_id)
        if info.revoked:
            raise InputError(f"key {info.key_id[:16]}… is already revoked", field="key_id")
        if info.role == "root":
            raise InputError("the root key cannot be revoked in its own ledger", field="key_id")
        now = self.clock()
        self.save(
            [
                KeyRevoked(
                    originator_id=KEYS_STREAM,
                    originator_version=self.registry().version + 1,
                    effective={"kind": "instant", "at": now},
                    recorded=now,
                    actor=self.root_key_info().holder,
                    key_id=root.key_id,
                    revoked_key_id=info.key_id,
                    reason=reason,
                    compromised_since=compromised_since,
                    from_position=self.app.count(),
                )
            ],
            signer=root,
        )
        return info.key_id

    # --- writing ---------------------------------------------------------------------------

    def save(
        self,
        events: Sequence[LedgerEvent],
        *,
        signer: SigningKey,
        documents: Sequence[SourceDocument] = (),
    ) -> None:
        """Authorize, chain, sign and store one save atomically, with the source ``documents``
        its events cite (stored content-addressed in the same transaction).

        Straight to the signing event store: ``Application.save`` would only add a runtime
        protocol check per event (snapshots are off and nothing subscribes in-process).
        """
        self.app.store.put(self._marked(events), signer=signer, documents=documents)
        if any(isinstance(e, OfferCommenced) for e in events):
            self._offers = None

    def save_groups(
        self,
        groups: Sequence[tuple[Sequence[LedgerEvent], SigningKey]],
        *,
        documents: Sequence[SourceDocument] = (),
    ) -> None:
        """Several signers' saves in one transaction: all stored or none."""
        marked = [(self._marked(events), signer) for events, signer in groups]
        self.app.store.put_groups(marked, documents=documents)
        if any(isinstance(e, OfferCommenced) for events, _ in groups for e in events):
            self._offers = None

    def _marked(self, events: Sequence[LedgerEvent]) -> list[LedgerEvent]:
        """The events, each with the header's ``synthetic`` mark when this ledger's clock is a
        synthetic one (the demo's story clock says so with ``synthetic = True``): whatever a
        synthetic clock records is marked, however it was built."""
        if getattr(self.clock, "synthetic", False) is not True:
            return list(events)
        return [
            e if e.synthetic_record else e.model_copy(update={"synthetic_record": True})
            for e in events
        ]

    def document(self, sha256: str) -> SourceDocument | None:
        """The stored source document whose exact bytes hash to ``sha256`` (hex), or None."""
        return self.app.document(sha256)

    # --- reading ---------------------------------------------------------------------------

    def log(self, *, after: int = -1) -> Iterator[LogEntry]:
        """Every stored event in log order, from position ``after + 1``; decoded, not verified."""
        position = -1
        for page in self.notification_pages():
            for n in page:
                position += 1
                if position <= after:
                    continue
                event: LedgerEvent | None = None
                error: str | None = None
                try:
                    event = decode_stored(n.topic, n.state)
                except (OfferLedgerError, ValueError, KeyError, TypeError) as e:
                    error = str(e).splitlines()[0]
                yield LogEntry(
                    position=position,
                    notification_id=n.id,
                    stream=n.originator_id
                    if isinstance(n.originator_id, uuid.UUID)
                    else uuid.UUID(str(n.originator_id)),
                    version=n.originator_version,
                    topic=n.topic,
                    state=n.state,
                    event=event,
                    error=error,
                )

    def notification_pages(
        self, *, start: int = 1, topics: Sequence[str] = (), batch: int = PAGE
    ) -> Iterator[Sequence[Notification]]:
        """The stored rows in log (notification) order from notification id ``start``, a page
        of at most ``batch`` rows at a time, only those of ``topics`` when given: the one
        paging helper, so that no reader stops at its first page. A short page is the last
        (the database had no more rows when it was read): no query is spent finding nothing."""
        after = start
        while rows := self.app.recorder.select_notifications(after, batch, topics=topics):
            yield rows
            if len(rows) < batch:
                return
            after = rows[-1].id + 1

    def events(
        self, *topics: str, streams: Container[uuid.UUID] | None = None
    ) -> Iterator[LedgerEvent]:
        """Every stored event of ``topics`` in log order (of ``streams`` only, when given: no
        other row is decoded), decoded (not verified); a row that does not decode raises
        (``log`` lists such rows, ``verify`` reports them)."""
        for page in self.notification_pages(topics=topics):
            for stored in page:
                if streams is None or stored.originator_id in streams:
                    yield decode_stored(stored.topic, stored.state)

    def streams_events(self, streams: Container[uuid.UUID]) -> Iterator[LedgerEvent]:
        """Every stored event of ``streams`` (all topics) in log order, decoded (not verified):
        one scan of the log for many streams (:meth:`stream_events` reads one). Once the scan
        has ended, the store knows each stream's last row as its head, so a save extending these
        streams next looks none of them up again."""
        heads: dict[uuid.UUID, tuple[int, bytes]] = {}
        for page in self.notification_pages():
            for stored in page:
                sid = stored.originator_id
                if sid in streams and isinstance(sid, uuid.UUID):
                    heads[sid] = (stored.originator_version, stored.state)
                    yield decode_stored(stored.topic, stored.state)
        self.app.store.note_heads(heads)

    def notification(self, notification_id: int) -> Notification | None:
        """The stored row with this notification id, or None."""
        found = self.app.recorder.select_notifications(notification_id, 1)
        return found[0] if found and found[0].id == notification_id else None

    def last_notification_id(self) -> int:
        """The highest notification id stored (0 for none); not a count (ids may skip)."""
        return int(self.app.recorder.max_notification_id() or 0)

    def rows(
        self,
        stream: uuid.UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[StreamRow]:
        """A stream's stored rows by version: above ``gt``, up to ``lte``, newest first with
        ``desc``, at most ``limit``."""
        return [
            StreamRow(stream, s.originator_version, s.topic, s.state)
            for s in self.app.recorder.select_events(stream, gt=gt, lte=lte, desc=desc, limit=limit)
        ]

    def last_row(self, stream: uuid.UUID) -> StreamRow | None:
        """A stream's newest stored row (its version is the stream's), or None."""
        found = self.rows(stream, desc=True, limit=1)
        return found[0] if found else None

    def stream_exists(self, stream: uuid.UUID) -> bool:
        """Whether any event is stored in ``stream``."""
        return bool(self.app.recorder.select_events(stream, limit=1))

    def stream_events(self, sid: uuid.UUID) -> list[LedgerEvent]:
        """A stream's events in version order, decoded (not verified)."""
        return self.app.stream(sid)

    def position_of(self, stream: uuid.UUID, version: int) -> int | None:
        """The log position of a stream's event at ``version`` (from the log index), or None."""
        return self.app.position_of(stream, version)

    def ledger_id(self) -> uuid.UUID:
        """The ledger's identity (derived from its first event, the root key's registration)."""
        return self.app.ledger_id()

    def tree_head(self) -> TreeHead:
        """The log index's head as stored (size and root; not verified)."""
        return self.app.tree_head()

    def document_hashes(self) -> list[str]:
        """The SHA-256 (hex) of every stored source document, sorted."""
        return self.app.document_hashes()

    @staticmethod
    def fault(step: str) -> None:
        """The crash tests' hook (``tests/test_crash.py``), told each step of a save or a
        rebuild: :func:`offerledger.recorders.fault`."""
        fault(step)

    def offers(self) -> list[OfferCommenced]:
        """The offers in this ledger (read once per Ledger; a save of a new offer refreshes)."""
        if self._offers is None:
            found = [e for e in self.events(OfferCommenced.TOPIC) if isinstance(e, OfferCommenced)]
            self._offers = found
        return self._offers

    def filings(self, offer_id: uuid.UUID) -> list[FilingRecorded]:
        """The filings recorded for an offer, in log order (one pass over the filings)."""
        return [
            e
            for e in self.events(FilingRecorded.TOPIC)
            if isinstance(e, FilingRecorded) and e.offer_id == offer_id
        ]

    def resolve_offer(self, offer: str | None) -> uuid.UUID:
        """An offer by stream name, uuid or CIK; may be left out when there is exactly one."""
        offers = self.offers()
        if offer is None:
            if len(offers) == 1:
                return offers[0].originator_id
            raise InputError(
                "the ledger holds no offer"
                if not offers
                else f"the ledger holds {len(offers)} offers; choose one",
                field="--offer",
                hint=", ".join(o.offer_name for o in offers) or "record offer-commenced first",
            )
        matches = [o for o in offers if offer in (o.offer_name, str(o.originator_id), o.cik)]
        if len(matches) == 1:
            return matches[0].originator_id
        if matches:
            raise InputError(
                f"{offer!r} names {len(matches)} offers; give the offer's stream name",
                field="--offer",
                hint=", ".join(o.offer_name for o in matches),
            )
        raise UnknownEntity(
            f"no offer {offer!r} in this ledger",
            hint=", ".join(o.offer_name for o in offers) or "record offer-commenced first",
        )

    def offer_state(self, offer_id: uuid.UUID) -> Offer:
        offer = project_offer(self.app.stream(offer_id))
        if offer is None:
            raise UnknownEntity(f"no offer with id {offer_id}")
        return offer

    def employee_stream(self, offer_id: uuid.UUID, employee_id: str) -> uuid.UUID:
        offer = self.offer_state(offer_id)
        return stream_id(employee_stream_name(offer=offer.name, employee_id=employee_id))

    def employee_state(self, offer_id: uuid.UUID, employee_id: str) -> Employee:
        emp = project_employee(self.app.stream(self.employee_stream(offer_id, employee_id)))
        if emp is None:
            raise UnknownEntity(
                f"employee {employee_id!r} has no eligible grants registered in this offer",
                hint="register them with 'offerledger record eligible-grants-registered' "
                "or 'offerledger ingest roster'",
            )
        return emp

    def count(self) -> int:
        """The number of stored events (the Merkle tree size)."""
        return self.app.count()


__all__ = [
    "KEYS_STREAM_NAME",
    "PAGE",
    "Ledger",
    "LogEntry",
    "StreamRow",
    "keystore_folder",
    "utc_now",
]
