"""Which registered key signs an ingest: the one named, or the only live key of the role.

A dry run signs nothing and needs no key: where no key can be chosen it plans with
:data:`UNSIGNED` (64 zeros, never a real key id: that would be the SHA-256 of a public key),
shown as ``(dry run: no key)``.
"""

from __future__ import annotations

from offerledger.domain.keys import KeyInfo
from offerledger.errors import InputError
from offerledger.ledger import Ledger

UNSIGNED = "0" * 64
UNSIGNED_ACTOR = "(dry run: no key)"


def default_key(ledger: Ledger, *, role: str, who: str | None, option: str = "--key") -> KeyInfo:
    """The key named by ``who``, or the single live registered key in ``role``."""
    if who:
        return ledger.find_key(who)
    live = [k for k in ledger.registry().keys.values() if k.role == role and not k.revoked]
    if len(live) != 1:
        raise InputError(
            f"{'no' if not live else len(live)} registered {role.replace('_', ' ')} key(s); "
            f"name the signing key with {option}",
            field=option,
            hint="'offerledger keys list' shows the keys",
        )
    return live[0]


def dry_run_key(
    ledger: Ledger, *, role: str, who: str | None, option: str = "--key"
) -> tuple[str, str | None]:
    """The key id a dry run plans with, and a note when it is :data:`UNSIGNED` (no key of the
    role can be chosen: a real run would need ``option``)."""
    try:
        return default_key(ledger, role=role, who=who, option=option).key_id, None
    except InputError:
        if who:
            raise
        return UNSIGNED, (
            f"dry run: no single {role.replace('_', ' ')} key is registered, so the events are "
            f"shown unsigned; a real run needs one ({option})"
        )


def actor_of(ledger: Ledger, key_id: str) -> str:
    if key_id == UNSIGNED:
        return UNSIGNED_ACTOR
    info = ledger.registry().keys.get(key_id)
    return info.holder if info else "unregistered"


__all__ = ["UNSIGNED", "UNSIGNED_ACTOR", "actor_of", "default_key", "dry_run_key"]
