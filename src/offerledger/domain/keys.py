"""The key registry: which public keys may sign what, and when.

A pure fold over the ``keys`` stream. The first event of a ledger is the root key registering
itself; every later registration and revocation is signed by the root key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from offerledger.errors import RuleViolation, UnknownEntity
from offerledger.events import (
    KeyRegistered,
    KeyRevoked,
    LedgerEvent,
    key_valid_at,
    role_may_record,
)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    public_key: bytes
    holder: str
    role: str
    valid_from: datetime
    valid_until: datetime | None
    revoked: bool = False
    revoked_reason: str | None = None
    compromised_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class KeyRegistry:
    version: int = 0
    keys: dict[str, KeyInfo] = field(default_factory=dict)
    root_key_id: str | None = None

    def get(self, key_id: str) -> KeyInfo:
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownEntity(
                f"key {key_id[:16]}… is not registered in this ledger",
                hint="register it with 'offerledger keys create' (signed by the root key)",
            ) from None

    def by_holder(self, holder: str) -> list[KeyInfo]:
        return [k for k in self.keys.values() if k.holder == holder]


def fold_keys(registry: KeyRegistry, event: LedgerEvent) -> KeyRegistry:
    """``(registry, event) -> registry`` for the keys stream."""
    keys = dict(registry.keys)
    root = registry.root_key_id
    if isinstance(event, KeyRegistered):
        keys[event.registered_key_id] = KeyInfo(
            key_id=event.registered_key_id,
            public_key=bytes.fromhex(event.public_key),
            holder=event.holder,
            role=event.role,
            valid_from=event.valid_from,
            valid_until=event.valid_until,
        )
        if registry.version == 0 and event.role == "root":
            root = event.registered_key_id
    elif isinstance(event, KeyRevoked) and event.revoked_key_id in keys:
        keys[event.revoked_key_id] = replace(
            keys[event.revoked_key_id],
            revoked=True,
            revoked_reason=event.reason,
            compromised_since=event.compromised_since,
        )
    return KeyRegistry(version=event.originator_version, keys=keys, root_key_id=root)


def authorize(registry: KeyRegistry, event: LedgerEvent, *, signer_key_id: str) -> None:
    """Refuse an event its signing key may not record (role, validity, revocation)."""
    if event.key_id != signer_key_id:
        raise RuleViolation(
            f"event names key {event.key_id[:16]}… but is signed with {signer_key_id[:16]}…",
            rule="signer-key",
        )
    if registry.version == 0:
        if (
            isinstance(event, KeyRegistered)
            and event.role == "root"
            and event.registered_key_id == signer_key_id
            and event.originator_version == 1
        ):
            return  # the root key registers itself: the ledger's first event
        raise RuleViolation(
            "the ledger has no root key yet",
            rule="key-registered",
            hint="run 'offerledger init' first",
        )
    key = registry.get(signer_key_id)
    if event.actor != key.holder:
        raise RuleViolation(
            f"the event names {event.actor!r} as the actor who records it, but key "
            f"{key.key_id[:16]}… belongs to {key.holder!r}",
            rule="signer-key",
            hint="the actor is the key's holder; who acted in the world is a payload field",
        )
    if isinstance(event, KeyRegistered) and not event.key_id_matches():
        raise RuleViolation("registered_key_id is not the SHA-256 of public_key", rule="key-id")
    if isinstance(event, KeyRegistered) and event.registered_key_id in registry.keys:
        raise RuleViolation(
            f"key {event.registered_key_id[:16]}… is already registered", rule="key-registered"
        )
    if not role_may_record(role=key.role, action=event.action):
        raise RuleViolation(
            f"a key in role {key.role!r} ({key.holder}) may not record {event.action}",
            rule="key-role",
        )
    problem = key_valid_at(
        recorded=event.recorded,
        valid_from=key.valid_from,
        valid_until=key.valid_until,
        revoked=key.revoked,
        compromised_since=key.compromised_since,
    )
    if problem is not None:
        raise RuleViolation(
            f"key {key.key_id[:16]}… ({key.holder}) may not sign at {event.recorded.isoformat()}",
            rule=problem,
        )
