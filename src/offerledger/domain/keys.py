"""The key registry: which public keys may sign what, and when.

A pure fold over the ``keys`` stream. The first event of a ledger is the root key registering
itself (saying, for the demo, that the ledger's keys are public); every later registration,
revocation and root rotation is signed by the root key. A rotation makes its new key the root
and retires the old one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from offerledger.errors import RuleViolation, UnknownEntity
from offerledger.events import (
    KeyRegistered,
    KeyRevoked,
    LedgerEvent,
    RootKeyRotated,
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
    keys_public: bool = False  # the root's registration says the private keys are public

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
    root, public = registry.root_key_id, registry.keys_public
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
            root, public = event.registered_key_id, bool(event.keys_public)
    elif isinstance(event, KeyRevoked) and event.revoked_key_id in keys:
        keys[event.revoked_key_id] = replace(
            keys[event.revoked_key_id],
            revoked=True,
            revoked_reason=event.reason,
            compromised_since=event.compromised_since,
        )
    elif isinstance(event, RootKeyRotated):
        keys[event.new_root_key_id] = KeyInfo(
            key_id=event.new_root_key_id,
            public_key=bytes.fromhex(event.public_key),
            holder=event.holder,
            role="root",
            valid_from=event.valid_from,
            valid_until=None,
        )
        if event.key_id in keys:
            keys[event.key_id] = replace(
                keys[event.key_id],
                revoked=True,
                revoked_reason=f"root rotated to {event.new_root_key_id}",
            )
        root = event.new_root_key_id
    return KeyRegistry(
        version=event.originator_version, keys=keys, root_key_id=root, keys_public=public
    )


def authorize(
    registry: KeyRegistry, event: LedgerEvent, *, signer_key_id: str, demo_keys_ok: bool = True
) -> None:
    """Refuse an event its signing key may not record (role, validity, revocation).

    With ``demo_keys_ok`` False, refuse every event on a ledger whose keys are public (the
    demo's): the CLI passes False unless ``--demo-keys-ok``.
    """
    if registry.keys_public and not demo_keys_ok:
        raise RuleViolation(
            f"this ledger's keys are public (its root key registration says so: a demo "
            f"ledger), so anyone can sign as any of its actors; {event.action} not recorded",
            rule="demo-keys",
            hint="record into a ledger of your own ('offerledger init'), or pass "
            "--demo-keys-ok to write into the demo anyway",
        )
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
    if isinstance(event, RootKeyRotated):
        _check_rotation(registry, event)
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


def _check_rotation(registry: KeyRegistry, event: RootKeyRotated) -> None:
    """A rotation comes from the root in force and names a new, well-formed key.

    The new root's countersignature is checked where crypto lives (the write path and verify).
    """
    if event.key_id != registry.root_key_id:
        raise RuleViolation(
            f"key {event.key_id[:16]}… is not the ledger's root in force; only it may rotate",
            rule="root-rotation",
        )
    if not event.key_id_matches():
        raise RuleViolation("new_root_key_id is not the SHA-256 of public_key", rule="key-id")
    if event.new_root_key_id in registry.keys:
        raise RuleViolation(
            f"key {event.new_root_key_id[:16]}… is already registered", rule="key-registered"
        )
