"""A bare offer ledger and one large roster save, for tests and for timing by hand.

Timing by hand (not in CI)::

    .venv/bin/python tests/large_save.py postgresql://postgres@127.0.0.1:5432/test 100000

creates a schema, saves ``N`` eligible-grants events (one per employee) in one save, prints the
seconds the save took as one JSON line, and drops the schema.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from offerledger.actions import record
from offerledger.demo import CIK, FILE_NUMBER, OFFICER, demo_key
from offerledger.demo_data import EXPIRATION, PLANS, synthetic_roster
from offerledger.events import (
    EASTERN,
    EligibleGrantsRegistered,
    Grant,
    LedgerEvent,
    OnDate,
    employee_stream_name,
    stream_id,
)
from offerledger.ledger import Ledger
from offerledger.signing.keys import SigningKey

PASS = b"test-passphrase"


class StepClock:
    """A clock that starts on the day the offer commenced and moves a second a reading."""

    def __init__(self) -> None:
        self.now = datetime(2001, 8, 27, 9, 0, tzinfo=EASTERN)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def offer_ledger(db: str) -> tuple[Ledger, SigningKey]:
    """A new ledger with the root key, the issuer officer's key and the offer commenced."""
    clock = StepClock()
    ledger, root = Ledger.init(db, passphrase=PASS, clock=clock)
    officer = demo_key(OFFICER)
    ledger.register_key(
        root=root,
        holder=OFFICER,
        role="issuer_officer",
        key=officer,
        passphrase=PASS,
        valid_from=clock.now,
    )
    record(
        ledger,
        "offer-commenced",
        {
            "effective": {"kind": "date", "on": "2001-08-27"},
            "issuer": "Mpower Holding Corporation",
            "cik": CIK,
            "file_number": FILE_NUMBER,
            "securities": "Options to purchase common stock",
            "expiration": EXPIRATION.isoformat(),
            "plans": list(PLANS),
        },
        signer=officer,
    )
    return ledger, officer


def roster_events(ledger: Ledger, officer: SigningKey, *, employees: int) -> list[LedgerEvent]:
    """One eligible-grants event per synthetic employee, each opening its own stream, as
    ``ingest roster`` plans them (built directly: planning reads every employee's stream)."""
    offer = ledger.offer_state(ledger.resolve_offer(None))
    recorded = ledger.clock()
    return [
        EligibleGrantsRegistered(
            originator_id=stream_id(
                employee_stream_name(offer=offer.name, employee_id=emp["employee_id"])
            ),
            originator_version=1,
            effective=OnDate(on=date(2001, 8, 27)),
            recorded=recorded,
            actor=OFFICER,
            key_id=officer.key_id,
            offer_id=offer.id,
            employee_id=emp["employee_id"],
            employee_name=emp["employee_name"],
            email=emp["email"],
            grants=tuple(Grant.model_validate(g) for g in emp["grants"]),
            synthetic=True,
        )
        for emp in synthetic_roster(employees)
    ]


def _time_by_hand(base: str, employees: int) -> None:  # pragma: no cover - run by hand
    import psycopg

    schema = f"olt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        with tempfile.TemporaryDirectory() as folder:
            import os

            os.environ["OFFERLEDGER_KEYS"] = str(Path(folder) / "keys")
            ledger, officer = offer_ledger(f"{base}?schema={schema}")
            started = time.perf_counter()
            events = roster_events(ledger, officer, employees=employees)
            planned = time.perf_counter()
            ledger.save(events, signer=officer)
            saved = time.perf_counter()
            count = ledger.count()
            ledger.close()
        print(
            json.dumps(
                {
                    "events_in_save": len(events),
                    "build_s": round(planned - started, 2),
                    "save_s": round(saved - planned, 2),
                    "ledger_events": count,
                }
            )
        )
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":  # pragma: no cover - run by hand
    _time_by_hand(sys.argv[1], int(sys.argv[2]))
