"""Synthetic labelled everywhere (issue 10 item 2): an output that rests on a synthetic event
says so where it rests on it, and an output of a ledger with no synthetic event never does.

The demo's events all carry the header's ``synthetic`` mark (a story clock and demo keys
recorded them; the roster, elections, acceptance and new grants are generated); the other
ledger here is recorded by hand with today's clock and no synthetic data.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from offerledger.actions import record
from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.events import EASTERN
from offerledger.ingest.csvingest import ingest_csv
from offerledger.ledger import Ledger
from offerledger.projections.final_amendment import SYNTHETIC_BANNER

PASS = b"test-passphrase"
DOC = {
    "id": "offer-to-exchange",
    "title": "Offer to Exchange",
    "exhibit": "(a)(1)",
    "parts": [
        {
            "kind": "section",
            "id": "s7",
            "number": "7",
            "title": "Conditions of the Offer",
            "blocks": [{"kind": "paragraph", "id": "s7-p1", "sentences": ["The old text."]}],
        }
    ],
}


def read(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def json_out(db: str, *args: str) -> Any:
    text = read(db, *args)
    return json.loads(text)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("demo")
    db = str(folder / "demo.db")
    run_demo(db, passphrase=PASS, employees=12, keys=folder / "keys")
    return db


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small offer recorded by hand as it happened (a clock that is no synthetic one), with
    no synthetic data: two employees, one of whom tenders, and the acceptance."""
    folder = tmp_path_factory.mktemp("plain")
    db = str(folder / "plain.db")
    now = [datetime(2001, 9, 1, 9, tzinfo=EASTERN)]

    def at(day: int, hour: int = 9, minute: int = 0) -> str:
        return datetime(2001, 9, day, hour, minute, tzinfo=EASTERN).isoformat()

    def clock_at(day: int, hour: int = 9, minute: int = 0) -> None:
        now[0] = datetime.fromisoformat(at(day, hour, minute))

    ledger, root = Ledger.init(
        db, passphrase=PASS, keys=folder / "keys", holder="Root", clock=lambda: now[0]
    )
    with ledger:
        keys = {}
        for holder, role in (("Jane Officer", "issuer_officer"), ("Clerk", "clerk")):
            kid = ledger.register_key(root=root, holder=holder, role=role, passphrase=PASS)
            keys[holder] = ledger.keystore.load(key_id=kid, passphrase=PASS)
        officer, clerk = keys["Jane Officer"], keys["Clerk"]
        clock_at(3, 17)

        record(
            ledger,
            "offer-commenced",
            {
                "effective": {"kind": "date", "on": "2001-09-03"},
                "issuer": "Example Corporation",
                "cik": "0000000001",
                "file_number": "005-00001",
                "securities": "Options to purchase common stock",
                "expiration": at(28, 23, 59),
                "plans": ["Stock Plan"],
            },
            signer=officer,
        )
        offer_id = ledger.resolve_offer(None)
        record(
            ledger,
            "filing-recorded",
            {"effective": {"kind": "date", "on": "2001-09-03"}, "form": "SC TO-I"},
            signer=officer,
        )
        (to_i,) = ledger.filings(offer_id)
        record(
            ledger,
            "offer-document-registered",
            {
                "effective": {"kind": "date", "on": "2001-09-03"},
                "filing_id": str(to_i.originator_id),
                "document": DOC,
            },
            signer=officer,
        )
        roster = folder / "roster.csv"
        roster.write_text(
            "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\n"
            "E1,Ann Able,G1,Stock Plan,2000-01-03,12.50,1000\n"
            "E2,Bob Baker,G2,Stock Plan,2000-02-01,15.00,500\n"
        )
        ingest_csv(ledger, "roster", roster, signer=officer)
        clock_at(10, 9, 5)
        elections = folder / "elections.csv"
        elections.write_text(
            "employee_id,grant_id,choice,received_at,form_id,channel\n"
            f"E1,G1,exchange,{at(10)},F1,paper\n"
        )
        ingest_csv(ledger, "elections", elections, signer=clerk)
        record(
            ledger,
            "filing-recorded",
            {
                "effective": {"kind": "date", "on": "2001-09-10"},
                "form": "SC TO-I/A",
                "amendment_number": 1,
            },
            signer=officer,
        )
        amendment = next(f for f in ledger.filings(offer_id) if f.amendment_number == 1)
        record(
            ledger,
            "document-amended",
            {
                "effective": {"kind": "date", "on": "2001-09-10"},
                "filing_id": str(amendment.originator_id),
                "document_id": "offer-to-exchange",
                "operations": [
                    {
                        "op": "replace_sentence",
                        "section_id": "s7",
                        "paragraph_id": "s7-p1",
                        "index": 0,
                        "text": "The new text of the condition.",
                        "locator": "the first sentence of Section 7",
                    }
                ],
            },
            signer=officer,
        )
        clock_at(29, 9, 5)
        for action, data in (
            ("offer-expired", {"effective": {"kind": "instant", "at": at(29, 0, 0)}}),
            (
                "tendered-options-accepted",
                {
                    "effective": {"kind": "instant", "at": at(29)},
                    "grants": [
                        {
                            "employee_id": "E1",
                            "grant_id": "G1",
                            "options": 1000,
                            "plan": "Stock Plan",
                        }
                    ],
                    "cancelled_on": "2001-09-29",
                },
            ),
        ):
            record(ledger, action, data, signer=officer)
    return db


def test_the_plain_ledger_has_no_synthetic_event(plain: str) -> None:
    with Ledger.open(plain) as ledger:
        events = [e.event for e in ledger.log()]
    assert events and not any(e is None or e.is_synthetic for e in events)


def test_findings_json(demo: str, plain: str) -> None:
    found = json_out(demo, "findings", "--json")["findings"]
    assert found and all(f["synthetic"] is True and f["synthetic_basis"] for f in found)
    assert "SYNTHETIC" in read(demo, "findings")
    found = json_out(plain, "findings", "--json")["findings"]
    assert found and not any(f["synthetic"] for f in found)
    assert "SYNTHETIC" not in read(plain, "findings").upper()


def test_timeline_json_marks_each_row(demo: str, plain: str) -> None:
    rows = json_out(demo, "timeline", "--json")["events"]
    assert rows and all(r["synthetic"] is True for r in rows)
    text = read(demo, "timeline")
    recorded = [line for line in text.splitlines() if line.lstrip().startswith("recorded ")]
    assert recorded and all("(SYNTHETIC)" in line for line in recorded)
    rows = json_out(plain, "timeline", "--json")["events"]
    assert rows and not any(r["synthetic"] for r in rows)
    assert "SYNTHETIC" not in read(plain, "timeline")


def test_log_marks_each_event(demo: str, plain: str) -> None:
    assert all(r["synthetic"] is True for r in json_out(demo, "log", "--json"))
    assert not any(r["synthetic"] for r in json_out(plain, "log", "--json"))


def test_elections_csv_and_json(demo: str, plain: str) -> None:
    for db, expected in ((demo, "yes"), (plain, "no")):
        text = read(db, "elections", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(text.split("\n", 1)[1])))  # after the # line
        assert rows and {r["synthetic"] for r in rows} == {expected}
        employees = json_out(db, "elections", "--format", "json")["employees"]
        assert employees and {e["synthetic"] for e in employees} == {expected == "yes"}


def test_letters(demo: str, plain: str, tmp_path: Path) -> None:
    read(demo, "letters", "--out", str(tmp_path / "demo"))
    letters = list((tmp_path / "demo").iterdir())
    assert letters and all("SYNTHETIC DATA" in p.read_text() for p in letters)
    read(plain, "letters", "--out", str(tmp_path / "plain"))
    letters = list((tmp_path / "plain").iterdir())
    assert letters and not any("SYNTHETIC" in p.read_text().upper() for p in letters)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_final_amendment(demo: str, plain: str, fmt: str) -> None:
    text = read(demo, "final-amendment", "--format", fmt)
    pages = [  # cover, body, signature page, exhibit: the banner heads each
        text.index("SECURITIES AND EXCHANGE COMMISSION"),
        text.index("This Amendment No."),
        text.index("SIGNATURE"),
        text.index("INDEX TO EXHIBITS"),
    ]
    banners = [i for i in range(len(text)) if text.startswith(SYNTHETIC_BANNER, i)]
    assert SYNTHETIC_BANNER == "DRAFT — SYNTHETIC DATA — NOT FOR FILING"
    assert len(banners) >= len(pages)
    for page in pages:
        assert any(0 < page - b < 400 for b in banners), text[page - 400 : page]
    assert "/s/" not in text and "[not signed: DRAFT — SYNTHETIC DATA" in text
    assert "true, complete and correct." not in text.replace("\n", " ").split("Not certified")[0]
    assert "a reconstruction, not an amendment the issuer filed" in " ".join(text.split())
    item4 = text[text.index("Item 4") :]
    assert "SYNTHETIC DATA: the figures in this Item" in " ".join(item4.split())
    plain_text = read(plain, "final-amendment", "--format", fmt)
    assert "SYNTHETIC" not in plain_text.upper() and SYNTHETIC_BANNER not in plain_text
    assert "/s/ JANE OFFICER" in plain_text
    assert "is true, complete and correct." in " ".join(plain_text.split())


TEXTS = [
    ("text",),
    ("text", "--format", "markdown"),
    ("text", "--provenance"),
    ("text", "--exhibit", "(a)(11)"),
]


def test_text_and_diff_say_what_is_synthetic(demo: str, plain: str) -> None:
    """The demo's offer text is the filings' words; its recording (clock, keys) is synthetic,
    and the outputs say exactly that, never that the words are invented."""
    diff = ("diff", "2001-09-12", "2001-09-13")
    for args in (*TEXTS, diff):
        out = read(demo, *args)
        body = " ".join(out.split("\n", 2)[2].split())  # after the verification line
        assert body.startswith(("SYNTHETIC: this ", "> **SYNTHETIC: this ")), (args, body[:80])
        assert "recorded by a SYNTHETIC demonstration (its story clock and demo keys" in body
        assert "DocumentAmended" in body or "NoticeDispatched" in body, args
        assert "none of them marks its data as generated" in body, args
    for args in (("text", "--format", "json"), (*diff, "--format", "json")):
        data = json_out(demo, *args)
        assert data["synthetic"] is True and data["synthetic_basis"].startswith("SYNTHETIC: ")
        events = data["synthetic_events"]
        assert {e["action"] for e in events} >= {"OfferDocumentRegistered", "DocumentAmended"}
        assert all(e["recorded_by_synthetic_demonstration"] for e in events)
        assert not any(e["generated_data"] for e in events)  # the filings' words, not invented

    for args in (("text",), ("text", "--format", "markdown"), ("diff", "2001-09-05", "2001-09-12")):
        out = read(plain, *args)
        assert "SYNTHETIC" not in out.upper(), args
    assert "The new text of the condition." in read(plain, "diff", "2001-09-05", "2001-09-12")
    for args in (
        ("text", "--format", "json"),
        ("diff", "2001-09-05", "2001-09-12", "--format", "json"),
    ):
        data = json_out(plain, *args)
        assert (data["synthetic"], data["synthetic_basis"], data["synthetic_events"]) == (
            False,
            "",
            [],
        )
