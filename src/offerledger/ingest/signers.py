"""Which registered key signs an ingest: the one named, or the only live key of the role."""

from __future__ import annotations

from offerledger.domain.keys import KeyInfo
from offerledger.errors import InputError
from offerledger.ledger import Ledger


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


def actor_of(ledger: Ledger, key_id: str) -> str:
    info = ledger.registry().keys.get(key_id)
    return info.holder if info else "unregistered"


__all__ = ["actor_of", "default_key"]
