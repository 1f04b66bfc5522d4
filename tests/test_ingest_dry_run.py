"""Dry runs need nothing: no key, no passphrase; and the golden events of the constructed filings.

The golden files under tests/golden/ingest/ are the events a dry run plans for each constructed
filing on a fresh ledger (unsigned: no key is registered). Regenerate them with
``OFFERLEDGER_UPDATE_GOLDEN=1`` after reading the difference.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.ingest.filing import parse_filing
from offerledger.ingest.service import plan_filing
from offerledger.ingest.signers import UNSIGNED, UNSIGNED_ACTOR
from offerledger.ledger import Ledger
from test_ingest_support import (
    FIXTURES,
    KEY_START,
    PASSPHRASE,
    TO_C_2001,
    TO_I_2001,
    TO_I_2008,
    stored,
)

GOLDEN = Path(__file__).parent / "golden" / "ingest"
UPDATE = os.environ.get("OFFERLEDGER_UPDATE_GOLDEN") == "1"
MPOWER = FIXTURES / "mpower-schedule-to-amendment-2-2001-09-13.txt"


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def fresh(ledger_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ledger after 'init' only: a root key, no other key; then no passphrase anywhere."""
    Ledger.init(ledger_db, passphrase=PASSPHRASE.encode(), valid_from=KEY_START)[0].close()
    monkeypatch.delenv("OFFERLEDGER_KEY_PASSPHRASE")
    return ledger_db


def test_the_reference_amendment_on_a_fresh_ledger_asks_for_no_key(fresh: str) -> None:
    before = stored(fresh)
    code, out, err = run(fresh, "ingest", "filing", str(MPOWER), "--dry-run")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"Error: {MPOWER}: the ledger holds no offer of MPOWER HOLDING CORPORATION: an amendment "
        "amends the offer its Schedule TO-I commenced",
        "Hint: ingest the offer's SC TO-I first ('offerledger ingest filing TO-I.txt'), or record "
        "offer-commenced by hand; 'offerledger parse FILE' needs no ledger",
    ]
    assert stored(fresh) == before


def test_a_dry_run_of_a_to_i_needs_no_key_and_writes_nothing(fresh: str) -> None:
    before = stored(fresh)
    code, out, err = run(fresh, "ingest", "filing", str(TO_I_2001), "--dry-run", "--json")
    assert code == 0, err
    assert stored(fresh) == before
    data = json.loads(out)
    assert data["recorded"] is False and data["offer_id"] is not None
    assert [e["action"] for e in data["events"]] == [
        "OfferCommenced",
        "FilingRecorded",
        "OfferDocumentRegistered",
        "NoticeDispatched",
        "NoticeDispatched",
        "CrossCheckRecorded",
    ]
    assert {(e["actor"], e["key_id"]) for e in data["events"]} == {(UNSIGNED_ACTOR, UNSIGNED)}
    assert data["notes"] == [
        "dry run: no single issuer officer key is registered, so the events are shown unsigned; "
        "a real run needs one (--key)",
        "dry run: no single communications key is registered, so the events are shown unsigned; "
        "a real run needs one (--notice-key)",
    ]
    code, out, err = run(fresh, "ingest", "filing", str(TO_I_2001), "--dry-run")
    assert code == 0 and "6 events would be recorded (dry run: nothing was written)" in err
    assert out.startswith("OfferCommenced stream ")
    assert (
        "  expires 2001-10-31T00:00:00-05:00; plans: Halvorsen Optical Networks, Inc. 1998" in out
    )
    assert stored(fresh) == before


def test_a_real_run_without_a_key_is_refused(fresh: str) -> None:
    code, _, err = run(fresh, "ingest", "filing", str(TO_I_2001))
    assert code == 2
    assert err.splitlines()[0] == (
        "Error: field '--key': no registered issuer officer key(s); name the signing key with --key"
    )


def _planned(path: Path, tmp_path: Path) -> dict[str, Any]:
    db = str(tmp_path / "golden.db")
    ledger, _ = Ledger.init(db, passphrase=PASSPHRASE.encode(), valid_from=KEY_START)
    try:
        raw = path.read_bytes()
        plan = plan_filing(ledger, parse_filing(raw, name=path.name), raw=raw, key_id=UNSIGNED)
        plan_json = plan.as_json()
    finally:
        ledger.close()
    return {k: plan_json[k] for k in ("filing", "offer_id", "events", "documents", "cross_checks")}


@pytest.mark.parametrize("path", [TO_I_2001, TO_I_2008, TO_C_2001], ids=lambda p: p.stem)
def test_golden_events(path: Path, tmp_path: Path) -> None:
    got = json.dumps(_planned(path, tmp_path), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    golden = GOLDEN / f"{path.stem}.events.json"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    assert golden.read_text(encoding="utf-8") == got, "OFFERLEDGER_UPDATE_GOLDEN=1 to regenerate"


def test_a_dry_run_refuses_an_ambiguous_filing_as_a_real_run_would(
    fresh: str, tmp_path: Path
) -> None:
    path = tmp_path / "two-expirations.txt"
    path.write_bytes(
        TO_I_2001.read_bytes().replace(
            b"THE OFFER EXPIRES AT 12:00 MIDNIGHT, EASTERN TIME, ON OCTOBER 30,",
            b"THE OFFER EXPIRES AT 11:59 P.M., EASTERN TIME, ON OCTOBER 30,",
        )
    )
    code, out, err = run(fresh, "ingest", "filing", str(path), "--dry-run")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"Error: {path}, line 212: the filing is ambiguous; nothing was recorded:"
    assert lines[4] == (
        "  lines 491-492: Exhibit (a)(2) states the expiration as '11:59 P.M., EASTERN TIME, ON "
        "OCTOBER 30, 2001' (2001-10-30T23:59:00-05:00); the filing states 2 different expirations"
    )
    assert lines[-1] == (
        "Hint: nothing is guessed: check the filing, or record the action by hand ('offerledger "
        "record ...'); 'offerledger parse FILE' shows what was read"
    )
