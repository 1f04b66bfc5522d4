"""Test helpers: a demo stopped part way (a fault injected into the one save path), and the CLI.

``demo_until(db, before=OfferExpired)`` runs the demo and stops it just before the first save
holding an event of that class, as a kill would: every earlier save is stored whole, that one
not at all. ``demo_after_saves(db, k)`` stops it after ``k`` saves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from click.testing import CliRunner, Result

from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.events import LedgerEvent
from offerledger.store import SigningEventStore

PASS = b"test-passphrase"


class Killed(BaseException):
    """What the injected fault raises (not an OfferLedgerError: nothing catches it)."""


def _stopped(fault: Any, db: str, employees: int) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SigningEventStore, "put_groups", fault)
        with pytest.raises(Killed):
            run_demo(db, passphrase=PASS, employees=employees)


def demo_until(db: str, *, before: type[LedgerEvent], employees: int = 12) -> None:
    """The demo, stopped just before its first save holding a ``before`` event."""
    put_groups = SigningEventStore.put_groups

    def fault(self: SigningEventStore, groups: Sequence[Any], **kwargs: Any) -> Any:
        if any(isinstance(e, before) for events, _ in groups for e in events):
            raise Killed(before.__name__)
        return put_groups(self, groups, **kwargs)

    _stopped(fault, db, employees)


def demo_after_saves(db: str, saves: int, *, employees: int = 12) -> None:
    """The demo, stopped after its first ``saves`` saves (the root key's included)."""
    put_groups = SigningEventStore.put_groups
    done = [0]

    def fault(self: SigningEventStore, groups: Sequence[Any], **kwargs: Any) -> Any:
        if done[0] >= saves:
            raise Killed(f"after {saves} saves")
        done[0] += 1
        return put_groups(self, groups, **kwargs)

    _stopped(fault, db, employees)


# A ledger whose keys are public (the demo's) takes writes only with --demo-keys-ok, where the
# CLI has that option.
DEMO_OK = ["--demo-keys-ok"] if any(p.name == "demo_keys_ok" for p in cli.params) else []


def invoke(db: str, *args: str) -> Result:
    """``offerledger --db DB ARGS`` through CliRunner (exceptions kept in the result)."""
    return CliRunner().invoke(cli, ["--db", db, *DEMO_OK, *args])
