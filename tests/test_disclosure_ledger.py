"""Committed lists in a real ledger: the demo's offer events name no employee, one employee's
entries are proven alone, `record` commits a full list, and a list that cannot be read is an
error the output names (exit 1), never an empty list."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.commitments import accepted_pairs, stored_entries
from offerledger.demo import run_demo
from offerledger.disclosure import entry_fields, prove_entry, verify_entry
from offerledger.documents import SourceDocument
from offerledger.domain.offer import check_new_grants
from offerledger.errors import DisclosureInvalid, RuleViolation
from offerledger.events import (
    EASTERN,
    AcceptedGrant,
    CommittedList,
    LedgerEvent,
    NewOptionsGranted,
    NoticeDispatched,
    NoticeDispatchedV1,
    TenderedOptionsAccepted,
    event_class_for_topic,
)
from offerledger.ledger import Ledger
from offerledger.projections.disclosed import ListUnavailable, committed_lists, recipients

PASS = b"test-passphrase"
# an employee id as it stands in JSON ("E0001"), never a run inside base64 (salts, signatures)
EMPLOYEE_ID = re.compile(rb"(?<![A-Za-z0-9+/])E[0-9]{4}(?![A-Za-z0-9+/=])")


@pytest.fixture
def demo_db(ledger_db: str) -> str:
    run_demo(ledger_db, passphrase=PASS, employees=12)
    return ledger_db


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    # the demo's keys are public: writing into it takes --demo-keys-ok (tests/test_keys_cli.py)
    result = CliRunner().invoke(cli, ["--db", db, "--demo-keys-ok", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def listed(ledger: Ledger) -> list[LedgerEvent]:
    return [e.event for e in ledger.log() if e.event is not None and committed_lists(e.event)]


def test_no_stored_event_outside_an_employees_stream_names_an_employee(demo_db: str) -> None:
    ledger = Ledger.open(demo_db)
    try:
        employee_streams = {
            ledger.employee_stream(ledger.resolve_offer(None), f"E{i:04d}") for i in range(1, 13)
        }
        log = list(ledger.log())
        kinds = {type(e.event) for e in log if e.event is not None and committed_lists(e.event)}
        assert kinds == {NoticeDispatched, TenderedOptionsAccepted, NewOptionsGranted}
        for entry in log:
            if entry.stream not in employee_streams:
                assert not EMPLOYEE_ID.search(entry.state), (entry.position, entry.topic)
    finally:
        ledger.close()


def test_one_employees_entries_prove_alone_against_the_signed_commitment(demo_db: str) -> None:
    ledger = Ledger.open(demo_db)
    try:
        proven: dict[str, list[dict[str, Any]]] = {}
        for event in listed(ledger):
            for committed in committed_lists(event):
                document = ledger.document(committed.document_sha256)
                assert document is not None
                proofs = prove_entry(
                    committed, document.content, lambda f: f["employee_id"] == "E0001"
                )
                for proof in proofs:
                    verify_entry(
                        entry_bytes=proof.entry_bytes,
                        index=proof.leaf_index,
                        size=committed.count,
                        path=proof.audit_path,
                        root=committed.root,
                    )
                    assert set(EMPLOYEE_ID.findall(proof.entry_bytes)) == {b"E0001"}
                    proven.setdefault(committed.kind, []).append(entry_fields(proof.entry_bytes))
        accepted = [
            g
            for e in listed(ledger)
            if isinstance(e, TenderedOptionsAccepted)
            for g in stored_entries(ledger.document, e.grants)
            if g.employee_id == "E0001"
        ]
        assert [AcceptedGrant.model_validate(f) for f in proven.get("accepted-grants", [])] == (
            accepted
        )
        assert len(proven["notice-recipients"]) == 1  # the (a)(11) notice, by one channel
        assert len(proven.get("new-grants", [])) == len(accepted)
    finally:
        ledger.close()


def test_record_commits_the_full_list_and_stores_it(demo_db: str, tmp_path: Any) -> None:
    notice = tmp_path / "reminder.txt"  # the text as sent: stored with the event it names
    notice.write_bytes(b"Reminder: elections are due by 11:59 p.m. EDT, September 27, 2001.\n")
    code, out, err = invoke(
        demo_db,
        "record",
        "notice-dispatched",
        "--key",
        "People Communications",
        "--effective",
        "2001-09-20",
        "--notice-id",
        "reminder 2001-09-20",
        "--notice-kind",
        "reminder",
        "--channel",
        "email",
        "--recipient-class",
        "employees who have not elected",
        "--recipients",
        '["E0003", "E0001"]',
        "--document",
        str(notice),
        "--json",
    )
    assert code == 0, err
    payload = json.loads(out)["payload"]
    committed = CommittedList.model_validate(payload["recipients"])
    assert committed.kind == "notice-recipients" and committed.count == 2
    assert not EMPLOYEE_ID.search(out.encode())
    ledger = Ledger.open(demo_db)
    try:
        assert [r.employee_id for r in stored_entries(ledger.document, committed)] == [
            "E0001",
            "E0003",
        ]
    finally:
        ledger.close()
    code, out, err = invoke(
        demo_db, "elections", "--employee", "E0003", "--format", "json", "--from-log"
    )
    assert code == 0, err
    notices = json.loads(out)["employees"][0]["notices"]
    assert "reminder 2001-09-20" in [n["notice_id"] for n in notices]


@pytest.mark.parametrize("from_log", [True, False], ids=["from-log", "read-model"])
@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_a_list_that_cannot_be_read_is_an_error_the_output_names(
    demo_db: str, damage: str, from_log: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(tmp_path / "rm.sqlite"))
    if not from_log:
        assert invoke(demo_db, "rebuild")[0] == 0
    real = Ledger.document

    def document(self: Ledger, sha256: str) -> SourceDocument | None:
        found = real(self, sha256)
        if found is None or damage == "missing":
            return None
        content = found.content.replace(b'"E0001"', b'"E0099"', 1)
        return SourceDocument(content=content, media_type=found.media_type, name=found.name)

    monkeypatch.setattr(Ledger, "document", document)
    code, out, err = invoke(
        demo_db, "elections", "--employee", "E0002", *(["--from-log"] if from_log else [])
    )
    assert code == 1
    assert out == ""
    problem = (
        "its document is not stored in this ledger"
        if damage == "missing"
        else "the document's SHA-256 is"
    )
    assert re.search(r"the notice-recipients list of the event at position \d+ \(document", err)
    assert problem in err


def test_the_new_grants_rule_reads_the_stored_acceptance(demo_db: str) -> None:
    ledger = Ledger.open(demo_db)
    try:
        offer = ledger.offer_state(ledger.resolve_offer(None))
        assert offer.accepted_list is not None and offer.accepted == frozenset()
        accepted = accepted_pairs(ledger.document, offer.accepted_list)
        assert len(accepted) == offer.accepted_list.count
        reopened = replace(offer, granted=False)
        at = datetime(2002, 3, 29, 9, tzinfo=EASTERN)
        (employee, grant) = sorted(accepted)[0]
        check_new_grants(
            reopened,
            at=at,
            grant_date=date(2002, 3, 29),
            grants=[(employee, (grant,))],
            accepted=accepted,
        )
        with pytest.raises(RuleViolation, match="was not accepted and cancelled"):
            check_new_grants(
                reopened,
                at=at,
                grant_date=date(2002, 3, 29),
                grants=[(employee, ("G9999-9",))],
                accepted=accepted,
            )
        with pytest.raises(DisclosureInvalid, match="is not stored in this ledger"):
            accepted_pairs(lambda sha256: None, offer.accepted_list)
    finally:
        ledger.close()


def test_version_1_events_stay_readable_with_their_lists() -> None:
    cls = event_class_for_topic("offerledger.NoticeDispatched.v1")
    assert cls is NoticeDispatchedV1
    v1 = cls.model_validate(
        {
            "originator_id": "6f1d5a52-5b0e-5b8e-9d0c-0ff3e41ed9e2",
            "originator_version": 4,
            "effective": {"kind": "date", "on": "2001-09-13"},
            "recorded": "2001-09-13T10:05:00-04:00",
            "actor": "People Communications",
            "key_id": "c" * 64,
            "notice_id": "(a)(11)",
            "notice_kind": "amendment_notice",
            "channel": "email",
            "recipient_class": "employees",
            "recipients": ["E0001", "E0002"],
            "content_sha256": "1" * 64,
        }
    )
    assert recipients({}, 7, v1) == ("E0001", "E0002")
    v2 = NoticeDispatched.model_validate(
        {
            **v1.model_dump(),
            "recipients": {
                "kind": "notice-recipients",
                "root": "0" * 64,
                "count": 2,
                "document_sha256": "1" * 64,
            },
        }
    )
    with pytest.raises(ListUnavailable, match="position 7 .*not read from the ledger"):
        recipients({}, 7, v2)


def test_one_employees_outputs_rebuild_from_the_offer_events_and_their_proofs_alone(
    demo_db: str,
) -> None:
    """What a one-employee bundle holds — the offer's and filings' events as stored, that
    employee's stream, and only their entries of each committed list with audit paths — gives
    that employee's election status and results letter byte for byte."""
    from offerledger.cli.read import log_state
    from offerledger.projections import EMPTY, fold_all, outputs
    from offerledger.projections.source import proven_list

    ledger = Ledger.open(demo_db)
    try:
        offer_id = ledger.resolve_offer(None)
        mine = ledger.employee_stream(offer_id, "E0001")
        others = {ledger.employee_stream(offer_id, f"E{i:04d}") for i in range(2, 13)}
        log = [e for e in ledger.log() if e.event is not None]
        full = log_state(ledger)  # its lists are read on first use: render while open
        expected_status = outputs.elections_output(full, offer_id, employee="E0001", fmt="json")
        expected_letter = dict(outputs.letters_output(full, offer_id))["E0001.txt"]
        lists = {}
        for e in log:
            assert e.event is not None
            for committed in committed_lists(e.event):
                document = ledger.document(committed.document_sha256)
                assert document is not None
                proofs = prove_entry(
                    committed, document.content, lambda f: f["employee_id"] == "E0001"
                )
                lists[committed] = proven_list(committed, proofs)
    finally:
        ledger.close()
    kept = [(e.position, e.event) for e in log if e.stream not in others]
    assert any(e.stream == mine for e in log)
    one = replace(fold_all(EMPTY, kept), lists=lists)
    assert len(one.lists) == 4  # two notices, the acceptance, the new grants
    assert outputs.elections_output(one, offer_id, employee="E0001", fmt="json") == (
        expected_status
    )
    letters = dict(outputs.letters_output(one, offer_id))
    assert list(letters) == ["E0001.txt"]
    assert letters["E0001.txt"] == expected_letter


def test_an_entry_whose_proof_fails_is_named_not_dropped(demo_db: str) -> None:
    from offerledger.projections.source import proven_list

    ledger = Ledger.open(demo_db)
    try:
        event = next(e for e in listed(ledger) if isinstance(e, TenderedOptionsAccepted))
        document = ledger.document(event.grants.document_sha256)
        assert document is not None
        proofs = prove_entry(event.grants, document.content, lambda f: True)
    finally:
        ledger.close()
    first = proofs[0]
    forged = (first.entry_bytes.replace(b'"options":', b'"options":1', 1), *first[1:])
    opened = proven_list(event.grants, [forged, *proofs[1:]])
    assert opened.complete is False and opened.problem is not None
    assert "does not lead to the tree root" in opened.problem
