"""Every action of DESIGN.md §2 recorded through the CLI on a fresh ledger, as a user would.

``init``, ``keys create`` for each role, then ``record <action>`` with options or ``--file``,
on SQLite and PostgreSQL; the ledger verifies clean at the end.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from offerledger.actions import action_classes
from offerledger.cli import cli

OFFICER, COMMS, AGENT, CLERK = "Officer", "Comms", "Agent", "Clerk"
DOC = {
    "id": "offer-to-exchange",
    "title": "Offer to Exchange",
    "parts": [
        {
            "kind": "section",
            "id": "s7",
            "number": "7",
            "title": "Conditions of the Offer",
            "blocks": [
                {"kind": "paragraph", "id": "s7-p1", "sentences": ["Original text."]},
            ],
        }
    ],
}


def run(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def record(db: str, tmp: Path, action: str, key: str, effective: str, **fields: Any) -> None:
    path = tmp / f"{action}.json"
    path.write_text(json.dumps(fields))
    run(db, "record", action, "--key", key, "--effective", effective, "--file", str(path))


def test_every_action_through_the_cli(ledger_db: str, tmp_path: Path) -> None:
    db = ledger_db
    run(db, "init")
    for holder, role in (
        (OFFICER, "issuer_officer"),
        (COMMS, "communications"),
        (AGENT, "filing_agent"),
        (CLERK, "clerk"),
    ):
        run(db, "keys", "create", "--holder", holder, "--role", role)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    # an offer that opened 60 days ago for 30 days, recorded today: nothing is recorded before
    # it happened (the write side refuses an event recorded before its effective time)
    t = [start + timedelta(days=i) for i in range(40)]
    seen: set[str] = set()

    def rec(action: str, key: str, at: datetime | str, **fields: Any) -> None:
        seen.add(action)
        when = at if isinstance(at, str) else at.isoformat()
        record(db, tmp_path, action, key, when, **fields)

    rec(
        "offer-commenced",
        OFFICER,
        t[0],
        issuer="Example Corp",
        cik="0000001",
        file_number="005-00001",
        securities="Options",
        expiration=t[30].isoformat(),
    )
    rec("filing-recorded", AGENT, t[0], form="SC TO-I", filed_on=t[0].date().isoformat())
    filing = json.loads(run(db, "log", "--type", "FilingRecorded", "--json"))[0]["stream"]
    rec("offer-document-registered", OFFICER, t[0], filing_id=filing, document=DOC)
    rec(
        "document-amended",
        OFFICER,
        t[1],
        filing_id=filing,
        document_id="offer-to-exchange",
        operations=[
            {
                "op": "replace_sentence",
                "section_id": "s7",
                "paragraph_id": "s7-p1",
                "index": 0,
                "text": "New text.",
                "locator": "the first sentence",
            }
        ],
    )
    rec(
        "cross-check-recorded",
        AGENT,
        t[0],
        filing_id=filing,
        check="notice-deadline",
        compared="the deadline the notice states against the expiration in force",
        outcome="disagree",
        values={"stated": t[29].isoformat(), "ledger": t[30].isoformat()},
        detail="the notice states a day earlier than the offer's expiration",
    )
    notice = tmp_path / "notice.txt"
    notice.write_bytes(b"NOTICE OF AMENDMENT\r\nThe offer is amended.\r\n")
    path = tmp_path / "notice-dispatched.json"
    path.write_text(
        json.dumps(
            {
                "notice_id": "n1",
                "notice_kind": "amendment_notice",
                "channel": "email",
                "recipient_class": "all employees",
            }
        )
    )
    seen.add("notice-dispatched")
    run(
        db,
        "record",
        "notice-dispatched",
        "--key",
        COMMS,
        "--effective",
        t[1].isoformat(),
        "--file",
        str(path),
        "--document",
        str(notice),
    )
    rec(
        "eligible-grants-registered",
        OFFICER,
        t[0],
        employee_id="E1",
        employee_name="Ann",
        grants=[
            {
                "grant_id": "G1",
                "plan": "Plan",
                "grant_date": "2000-01-03",
                "exercise_price": "12.50",
                "options_outstanding": 1000,
            }
        ],
    )
    election = {"employee_id": "E1", "channel": "paper", "acted_by": "E1"}
    rec(
        "election-submitted",
        CLERK,
        t[2],
        **election,
        form_id="F1",
        received_at=t[2].isoformat(),
        choices=[{"grant_id": "G1", "choice": "exchange"}],
    )
    rec(
        "election-receipt-confirmed",
        COMMS,
        t[2],
        employee_id="E1",
        form_id="F1",
        channel="email",
        sent_at=t[2].isoformat(),
    )
    rec(
        "election-withdrawn",
        CLERK,
        t[3],
        **election,
        form_id="F2",
        received_at=t[3].isoformat(),
        grant_ids=["G1"],
    )
    rec(
        "election-changed",
        CLERK,
        t[4],
        **election,
        form_id="F3",
        received_at=t[4].isoformat(),
        choices=[{"grant_id": "G1", "choice": "exchange"}],
    )
    rec(
        "condition-asserted",
        OFFICER,
        t[5],
        condition_id="7(a)",
        condition_kind="other",
        reason="litigation",
    )
    rec("condition-waived", OFFICER, t[6], condition_id="7(a)", condition_kind="other")
    rec("expiration-extended", OFFICER, t[7], new_expiration=t[31].isoformat())
    rec(
        "terms-changed",
        OFFICER,
        t[7],
        change="consideration",
        description="one new option for every two tendered",
    )
    rec(
        "election-refused",
        CLERK,
        t[33],
        **election,
        form_id="F4",
        received_at=t[33].isoformat(),
        attempted="submit",
        rule="election-window",
        reason="received after the offer expired",
    )
    rec("offer-expired", OFFICER, (t[31] + timedelta(minutes=1)).isoformat())
    rec(
        "tendered-options-accepted",
        OFFICER,
        t[32],
        cancelled_on=t[32].date().isoformat(),
        grants=[{"employee_id": "E1", "grant_id": "G1", "options": 1000, "plan": "Plan"}],
    )
    rec(
        "new-options-granted",
        OFFICER,
        t[38],
        grant_date=t[38].date().isoformat(),
        plan="Plan",
        exercise_price="9.75",
        grants=[{"employee_id": "E1", "grant_id": "N1", "options": 1000, "replaces": ["G1"]}],
    )
    asserted = json.loads(run(db, "log", "--type", "ConditionAsserted", "--json"))[0]
    rec(
        "correction-recorded",
        OFFICER,
        t[38],
        stream=asserted["stream"],
        supersedes_version=asserted["version"],
        supersedes_topic="offerledger.ConditionAsserted.v1",
        reason="reason misstated",
        corrected={"reason": "pending litigation"},
    )
    # a second offer, terminated
    rec(
        "offer-commenced",
        OFFICER,
        t[0],
        issuer="Example Corp",
        cik="0000001",
        file_number="005-00002",
        securities="Options",
        expiration=t[30].isoformat(),
    )
    run(
        db,
        "record",
        "offer-terminated",
        "--key",
        OFFICER,
        "--offer",
        "offer:0000001:005-00002",
        "--effective",
        t[8].isoformat(),
        "--reason",
        "withdrawn by the board",
    )
    seen.add("offer-terminated")

    assert seen == set(action_classes())
    report = json.loads(run(db, "verify", "--json"))
    assert report["ok"] is True
    assert report["events"] == len(json.loads(run(db, "log", "--json")))
