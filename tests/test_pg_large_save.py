"""Issue 13 item 1: one save of 10,000 events completes on PostgreSQL, under a timeout.

The save used to hang for ever in psycopg's pipeline (about 3,000 events and up); the recorder
now inserts with ``unnest`` in bounded chunks inside the one transaction. The save runs in a
daemon thread so that a hang fails the test instead of blocking the run. Requires PostgreSQL
(skipped without a server, failed under ``OFFERLEDGER_REQUIRE_POSTGRES=1`` as in CI).
``tests/large_save.py`` times a 100,000-event save by hand.
"""

from __future__ import annotations

import threading
import time

from large_save import offer_ledger, roster_events
from offerledger.ledger import Ledger

EVENTS = 10_000
TIMEOUT_S = 180  # measured about 6 s here; generous for a loaded CI machine


def test_ten_thousand_events_in_one_save_on_postgresql(pg_schema: str) -> None:
    ledger, officer = offer_ledger(pg_schema)
    before = ledger.count()
    events = roster_events(ledger, officer, employees=EVENTS)
    assert len(events) == EVENTS
    outcome: list[BaseException | float] = []

    def save() -> None:
        started = time.perf_counter()
        try:
            ledger.save(events, signer=officer)
        except BaseException as e:  # reported by the test thread
            outcome.append(e)
        else:
            outcome.append(time.perf_counter() - started)

    worker = threading.Thread(target=save, daemon=True)
    worker.start()
    worker.join(TIMEOUT_S)
    assert not worker.is_alive(), f"one save of {EVENTS} events did not finish in {TIMEOUT_S} s"
    ledger.close()
    assert isinstance(outcome[0], float), outcome[0]
    reopened = Ledger.open(pg_schema)
    try:
        assert reopened.count() == before + EVENTS
        assert reopened.app.recorder.tree_head().size == before + EVENTS
    finally:
        reopened.close()
