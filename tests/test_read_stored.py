"""The reference events stored in a real, signed ledger (both backends), and what reads them.

``store_reference(db, through=…)`` makes a ledger whose keys sign the events that
``test_projection_reference`` builds; other read tests import it. The tests here check that
folding the stored log gives exactly the state folded from the built events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime

import pytest

from offerledger.documents import SourceDocument
from offerledger.events import LedgerEvent
from offerledger.ledger import Ledger
from offerledger.projections import EMPTY, fold_all
from offerledger.projections.disclosed import committed_lists
from offerledger.signing.keys import SigningKey
from test_projection_reference import OFFICER, ROLES, Recorder, et, reference_recorder

PASSPHRASE = b"test-passphrase"


def key_for(name: str) -> SigningKey:
    return SigningKey.from_seed(seed=hashlib.sha256(f"projection tests: {name}".encode()).digest())


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def new_ledger(db: str) -> tuple[Ledger, dict[str, SigningKey]]:
    """A ledger with the reference case's actors' keys registered (valid from 2001-08-01)."""
    keys = {key: key_for(key) for _, _, key in ROLES}
    ledger, root = Ledger.init(
        db,
        passphrase=PASSPHRASE,
        clock=FixedClock(et(2001, 8, 1)),
        root_key=keys["root"],
        valid_from=et(2001, 8, 1),
    )
    for holder, role, key in ROLES:
        if role != "root":
            ledger.register_key(
                root=root,
                holder=holder,
                role=role,
                key=keys[key],  # type: ignore[arg-type]
                passphrase=PASSPHRASE,
                valid_from=et(2001, 8, 1),
            )
    return ledger, keys


def reference_for_ledger(*, through: str = "granted") -> Recorder:
    """The reference events signed by the keys :func:`new_ledger` registers."""
    keys = {key: key_for(key).key_id for _, _, key in ROLES}
    return reference_recorder(through=through, keys=keys, position=len(ROLES))


def cited(r: Recorder, event: LedgerEvent) -> list[SourceDocument]:
    """The documents an event's committed lists name, stored with it as `record` does."""
    return [r.documents[c.document_sha256] for c in committed_lists(event)]


def store_reference(db: str, *, through: str = "granted", upto: int | None = None) -> Recorder:
    """Store the reference case (its first ``upto`` events) in a new ledger at ``db``."""
    r = reference_for_ledger(through=through)
    ledger, keys = new_ledger(db)
    try:
        for (_, event), signer in list(zip(r.entries, r.signers, strict=True))[:upto]:
            ledger.save([event], signer=keys[signer], documents=cited(r, event))
    finally:
        ledger.close()
    return r


def append(db: str, r: Recorder, start: int, stop: int | None = None) -> None:
    """Append the recorder's events ``start:stop`` to the stored ledger."""
    ledger = Ledger.open(db)
    try:
        pairs = list(zip(r.entries, r.signers, strict=True))[start:stop]
        for (_, event), signer in pairs:
            ledger.save([event], signer=key_for(signer), documents=cited(r, event))
    finally:
        ledger.close()


@pytest.fixture
def reference_db(ledger_db: str) -> Iterator[str]:
    store_reference(ledger_db)
    yield ledger_db


def test_folding_the_stored_log_equals_folding_the_built_events(ledger_db: str) -> None:
    built = store_reference(ledger_db).entries
    ledger = Ledger.open(ledger_db)
    try:
        stored = [(e.position, e.event) for e in ledger.log()]
    finally:
        ledger.close()
    assert all(event is not None for _, event in stored)
    offer_part = [entry for entry in stored if entry[0] >= len(ROLES)]
    assert fold_all(EMPTY, offer_part) == fold_all(EMPTY, built)  # type: ignore[arg-type]


def test_the_stored_reference_is_signed_by_the_officer(reference_db: str) -> None:
    ledger = Ledger.open(reference_db)
    try:
        assert ledger.find_key(OFFICER).key_id == key_for("officer").key_id
    finally:
        ledger.close()
