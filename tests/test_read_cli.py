"""The read commands over the reference case as ``offerledger demo`` records it, on both backends.

The full demo (300 synthetic employees) is built once per backend per test session. Golden
files live in ``tests/golden/projections/``; regenerate them only with
``OFFERLEDGER_UPDATE_GOLDEN=1`` after comparing the output with a real filed final amendment.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PG_BASE, REQUIRE_PG, _pg_connect, pg_problem
from offerledger.cli import cli
from offerledger.commitments import stored_entries
from offerledger.demo import FILING_NAME, run_demo
from offerledger.demo_amendment import quoted_passages
from offerledger.events import (
    EASTERN,
    AcceptedGrant,
    NewOptionsGranted,
    TenderedOptionsAccepted,
    split_sentences,
)
from offerledger.ledger import Ledger

GOLDEN = Path(__file__).parent / "golden" / "projections"
FILING = Path(__file__).resolve().parent / "fixtures" / FILING_NAME
UPDATE = os.environ.get("OFFERLEDGER_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def demo_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The full reference demo, built once per backend."""
    folder = tmp_path_factory.mktemp(f"demo-{request.param}")
    schema = None
    if request.param == "sqlite":
        db = str(folder / "demo.db")
    else:
        problem = pg_problem()
        if problem:
            if REQUIRE_PG:
                pytest.fail(f"OFFERLEDGER_REQUIRE_POSTGRES=1 but {problem}")
            pytest.skip(problem)
        schema = f"olt_{uuid.uuid4().hex[:12]}"
        with _pg_connect() as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        db = f"{PG_BASE}?schema={schema}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        run_demo(db, passphrase=b"test-passphrase")
    try:
        yield db
    finally:
        if schema is not None:
            with _pg_connect() as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def read_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "read-model.sqlite"
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(path))
    return path


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = invoke(db, *args)
    assert code == 0, err
    return out


def golden(name: str, text: str) -> None:
    """Compare with the golden file; the first line's log root (which any change to the stored
    format changes) is kept as ``<root>``: tests/test_read_verification.py checks it."""
    first, rest = text.split("\n", 1)
    text = re.sub(r"\broot [0-9a-f]{64}\b", "root <root>", first) + "\n" + rest
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from {path}"


def accepted(db: str) -> list[AcceptedGrant]:
    """The grants the ledger's acceptance events commit to (their stored lists)."""
    ledger = Ledger.open(db)
    try:
        return [
            g
            for e in ledger.log()
            if isinstance(e.event, TenderedOptionsAccepted)
            for g in stored_entries(ledger.document, e.event.grants)
        ]
    finally:
        ledger.close()


def _blocks(view: dict[str, object]) -> dict[str, dict[str, object]]:
    return {b["id"]: b for p in view["parts"] for b in p["blocks"]}  # type: ignore[index,attr-defined]


# --- the reference case's text checks -------------------------------------------------------


def test_section_7_last_paragraph_before_and_as_of_amendment_2(
    demo_db: str, read_model: Path
) -> None:
    a, b, c = quoted_passages(FILING.read_bytes())
    before = json.loads(ok(demo_db, "text", "--as-of", "2001-09-12", "--format", "json"))
    after = json.loads(ok(demo_db, "text", "--as-of", "2001-09-13", "--format", "json"))
    assert _blocks(before)["s7-last"]["text"] == (
        "[not on file: the original last paragraph of Section 7]"
    )
    assert _blocks(after)["s7-last"]["text"] == a
    assert _blocks(after)["s7-last"]["sentences"] == list(split_sentences(a))


def test_section_17_first_sentence_replaced_and_safe_harbor_right_after(
    demo_db: str, read_model: Path
) -> None:
    _, b, c = quoted_passages(FILING.read_bytes())
    view = json.loads(
        ok(
            demo_db,
            "text",
            "--as-of",
            "2001-09-13",
            "--section",
            "17",
            "--format",
            "json",
            "--provenance",
        )
    )
    (section,) = view["parts"]
    first, inserted, rest = section["blocks"]
    assert first["id"] == "s17-p1" and first["sentences"][0] == b
    assert first["sentences"][1]["not_on_file"]
    assert inserted["text"] == c
    assert inserted["introduced"]["filing"]["amendment_number"] == 2
    assert inserted["introduced"]["operation"] == "insert_paragraph_after"
    assert rest["kind"] == "gap"


def test_provenance_names_the_filing_and_event(demo_db: str, read_model: Path) -> None:
    out = " ".join(ok(demo_db, "text", "--section", "7", "--provenance").split())
    assert "last changed: Amendment No. 2 (SC TO-I/A) filed 2001-09-13; replace paragraph" in out
    assert "introduced: Schedule TO-I (SC TO-I) filed 2001-08-27; registered" in out


def test_diff_shows_amendment_2_paragraph_by_paragraph(demo_db: str, read_model: Path) -> None:
    out = json.loads(ok(demo_db, "diff", "2001-09-12", "2001-09-13", "--format", "json"))
    changes = [(c["status"], c["id"]) for c in out["changes"]]
    assert changes[0] == ("changed", "s7-last")
    assert changes[1] == ("changed", "s17-p1")
    assert changes[2][0] == "added"
    assert all(c["changed_by"]["filing"]["amendment_number"] == 2 for c in out["changes"])
    assert ok(demo_db, "diff", "2001-09-01", "2001-09-12").endswith("No changes to the text.\n")


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("text", "--as-of", "2001-13-45"), "Error: field '--as-of': cannot read '2001-13-45'"),
        (("text", "--as-of", "2001-08-26"), "Error: field '--as-of': the offer had not commenced"),
        (("text", "--section", "9"), "Error: field '--section': the document has no section '9'"),
        (("text", "--offer", "offer:0:0"), "Error: no offer 'offer:0:0' in this ledger"),
        (("text", "--as-recorded", "yesterday"), "Error: field '--as-recorded': cannot read"),
        (("elections", "--employee", "E9999"), "Error: field '--employee': no employee 'E9999'"),
        (("elections", "--status", "maybe"), "Error: field '--status': unknown status 'maybe'"),
        (("diff", "2001-09-12", "soon"), "Error: field 'TO': cannot read 'soon' as a date"),
        (("timeline", "--employee", "E9999", "--no-verify"), "Error: no employee 'E9999'"),
        (("final-amendment", "--date", "28/09/2001"), "Error: field '--date': cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    demo_db: str, read_model: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = invoke(demo_db, *args)
    assert code == 2
    assert out == ""
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(message), err
    assert "Traceback" not in err


# --- elections, final amendment, letters -------------------------------------------------


def test_elections_summary_agrees_with_the_acceptance(demo_db: str, read_model: Path) -> None:
    data = json.loads(ok(demo_db, "elections", "--format", "json"))
    total = data["summary"]["total"]
    assert total["employees_eligible"] == len(data["employees"]) == 300
    assert total["grants_tendered"] == len(accepted(demo_db))  # the demo accepts every one
    assert data["summary"]["synthetic"] is True
    refused = [e for e in data["employees"] if e["refused"]]
    assert refused and all(a["rule"] for e in refused for a in e["refused"])
    assert all(e["notices"] for e in data["employees"])
    csv = ok(demo_db, "elections", "--status", "withdrawn", "--format", "csv").splitlines()
    assert csv[0].startswith("# UNVERIFIED: 582 events, root ")  # documented: docs/projections.md
    assert csv[1].startswith("employee_id,name,grant_id,plan")
    assert len(csv) > 2 and all(",withdrawn," in line for line in csv[2:])


def test_final_amendment_matches_the_golden_file(demo_db: str, read_model: Path) -> None:
    text = ok(demo_db, "final-amendment")
    golden("final-amendment.txt", text)
    golden("final-amendment.md", ok(demo_db, "final-amendment", "--format", "markdown"))
    assert "(Amendment No. 3 - Final Amendment)" in text
    assert "of the tender offer. [X]" in text
    assert "[X]  issuer tender offer subject to Rule 13e-4." in text
    assert "Date:  September 28, 2001" in text
    dated = ok(demo_db, "final-amendment", "--date", "2001-10-01")
    assert "Date:  October 1, 2001" in dated


def test_letters_one_per_participating_employee(
    demo_db: str, read_model: Path, tmp_path: Path
) -> None:
    out = ok(demo_db, "letters", "--out", str(tmp_path / "letters"))
    files = sorted((tmp_path / "letters").iterdir())
    assert [str(f) for f in files] == out.split()
    data = json.loads(ok(demo_db, "elections", "--format", "json"))
    refused = {e["employee_id"] for e in data["employees"] if e["refused"]}
    participating = {a.employee_id for a in accepted(demo_db)}
    assert refused and not refused & participating
    assert {f.stem for f in files} == participating | refused  # a notice to each refused too
    letter = files[0].read_text()
    assert "Attachment A" in letter and "SYNTHETIC DATA" in letter
    assert "From:     People Communications" in letter  # who sent employee communications
    golden("letter-E0001.txt", (tmp_path / "letters" / "E0001.txt").read_text())
    notice = (tmp_path / "letters" / f"{sorted(refused)[0]}.txt").read_text()
    assert "Subject:  Your election form in the Offer to Exchange" in notice
    assert "It was not accepted" in notice and "did not accept any of your options" in notice


# --- the final amendment: as filed by this issuer, as known on its date ------------------------


def test_final_amendment_as_recorded_on_its_date_holds_no_later_fact(
    demo_db: str, read_model: Path
) -> None:
    """Issue 10: "final-amendment --as-recorded 2001-09-28 contains no fact recorded later"."""
    pinned = ok(demo_db, "final-amendment", "--as-recorded", "2001-09-28")
    end = datetime(2001, 9, 29, tzinfo=EASTERN)
    ledger = Ledger.open(demo_db)
    try:
        later = [e.event for e in ledger.log() if e.event and e.event.recorded >= end]
    finally:
        ledger.close()
    grants = [e for e in later if isinstance(e, NewOptionsGranted)]
    assert grants  # the demo records the new grant in 2002
    for event in grants:
        grant = event.grant_date
        for fact in (f"{grant:%B} {grant.day}, {grant.year}", grant.isoformat(), str(grant.year)):
            assert fact not in pinned
    assert "March 29, 2002" not in pinned
    assert "[not yet known on September 28, 2001:" in pinned
    assert ok(demo_db, "final-amendment") == pinned  # dated September 28: the same knowledge
    known = ok(demo_db, "final-amendment", "--date", "2002-04-01")
    assert "granted New Options" in " ".join(known.split()) and "March 29, 2002" in known


def test_final_amendment_cover_and_introduction_come_from_the_filing(
    demo_db: str, read_model: Path
) -> None:
    text = ok(demo_db, "final-amendment")
    flat = " ".join(text.split())
    for line in ("175 Sully's Trail", "Pittsford, New York 14534", "(716) 218-6550"):
        assert line in text  # the address and telephone Amendment No. 2's cover gives
    assert (
        "Copy to:" in text and "Andrew B. Janszky, Esq." in text and "Shearman & Sterling" in text
    )
    assert 'by Mpower Holding Corporation, a Delaware corporation (the "Company")' in flat
    assert '(the "PNH Plan"; and, together with the Holding Plan, the "Plans")' in flat
    assert 'the related election form (the "Election Form"' in flat
    assert "CALCULATION OF FILING FEE" in text
    assert "Item 12 of the Tender Offer Statement is hereby amended" in text
    assert "(a)(12)  Form of Letter to Employees Reporting the Results of the Offer." in text
    assert "Exhibit (a)(12)" in text and "Dear [Name of Employee]:" in text
    assert "accession number [not on file: the file on record has no SEC header]" in flat
    assert "CIK 1117042: as the offer's commencement" in flat
    assert "[not on file: address" not in text


def test_text_shows_an_exhibit_and_diff_lists_exhibits_added(
    demo_db: str, read_model: Path
) -> None:
    notice = ok(demo_db, "text", "--exhibit", "(a)(11)")
    assert "NOTICE OF AMENDMENT TO OFFER TO EXCHANGE" in notice
    assert "filed with: Amendment No. 2 (SC TO-I/A) filed 2001-09-13" in notice
    assert "its normalized text matches the SHA-256 Amendment No. 2 recorded" in notice
    data = json.loads(ok(demo_db, "text", "--exhibit", "(a)(11)", "--format", "json"))
    assert data["exhibit"] == "(a)(11)" and len(data["notices"]) == 2
    code, _, err = invoke(demo_db, "text", "--exhibit", "(a)(11)", "--as-of", "2001-09-12")
    assert code == 2 and "no exhibit '(a)(11)' is on record at the moment asked for" in err
    assert "Offer to Exchange, Exhibit (a)(1)" in ok(demo_db, "text", "--exhibit", "(a)(1)")
    diff = ok(demo_db, "diff", "2001-09-12", "2001-09-13")
    assert "EXHIBITS ADDED" in diff and "- Exhibit (a)(11): Notice of Amendment" in diff
    added = json.loads(ok(demo_db, "diff", "2001-09-12", "2001-09-13", "--format", "json"))
    assert [x["exhibit"] for x in added["exhibits_added"]] == ["(a)(11)"]


# --- timeline --------------------------------------------------------------------------------


def test_timeline_in_effective_order_with_verification_status(
    demo_db: str, read_model: Path
) -> None:
    employee = json.loads(ok(demo_db, "timeline", "--employee", "E0004", "--json"))["events"]
    assert {r["action"] for r in employee} >= {"EligibleGrantsRegistered", "NoticeDispatched"}
    assert all(r["employee_id"] in ("E0004", None) for r in employee)
    assert {r["status"] for r in employee} == {"not verified"}  # timeline does not verify
    ok(demo_db, "verify")
    rows = json.loads(ok(demo_db, "timeline", "--json"))["events"]
    assert len(rows) == 582
    assert {r["status"] for r in rows} == {"verified"}  # what verify recorded
    order = [(r["effective_sort_key"], r["position"]) for r in rows]
    assert order == sorted(order)


# --- read model and log give the same bytes -------------------------------------------------


COMMANDS = [
    ("text",),
    ("text", "--provenance", "--format", "markdown"),
    ("text", "--as-of", "2001-09-12", "--format", "json", "--provenance"),
    ("diff", "2001-09-12", "2001-09-13"),
    ("elections",),
    ("elections", "--format", "json"),
    ("elections", "--format", "csv"),
    ("final-amendment",),
    ("timeline", "--json", "--no-verify"),
]


def test_read_model_and_log_give_identical_output(demo_db: str, read_model: Path) -> None:
    ok(demo_db, "rebuild")
    for args in COMMANDS:
        code, from_model, err = invoke(demo_db, *args)
        assert code == 0 and "Note:" not in err, err
        assert from_model == ok(demo_db, *args, "--from-log"), args


def test_nightly_writes_outputs_and_a_manifest(
    demo_db: str, read_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    # this test's keystore lacks the demo's root key: a passphrase that opens no root key is
    # exit 3 (tests/test_read_verification.py), a run with none is unsigned by choice
    monkeypatch.delenv("OFFERLEDGER_KEY_PASSPHRASE")
    out = tmp_path / "nightly"
    manifest = json.loads(ok(demo_db, "nightly", "--out", str(out), "--json"))
    assert set(manifest["outputs"]) == {
        "text.txt",
        "text-provenance.txt",
        "elections.csv",
        "final-amendment.txt",
    }
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
        assert (out / name).read_text() == ok(demo_db, *_command_for(name), "--from-log")
    assert manifest["ledger"]["events"] == 582
    assert manifest["ledger"]["tree_root"] == manifest["verification"]["tree_root"]
    assert manifest["verification"]["ok"] is True
    assert manifest["outputs_verification"]["state"] == "verified"
    first = {name: (out / name).read_text().split("\n", 1) for name in manifest["outputs"]}
    again = json.loads(ok(demo_db, "nightly", "--out", str(out), "--json"))
    # the same outputs but for the time of the night's verification on their first line
    assert {name: (out / name).read_text().split("\n", 1)[1] for name in first} == {
        name: rest for name, (_, rest) in first.items()
    }
    verified = "NOT EVIDENCE (keys public: a demo ledger): signatures verified: 582 events"
    assert all(line.lstrip("# ").startswith(verified) for line, _ in first.values())
    assert again["read_model"] == {"mode": "current", "applied": 0}
    assert again["verification"]["new_events_since_last_run"] == 0


def _command_for(name: str) -> tuple[str, ...]:
    return {
        "text.txt": ("text",),
        "text-provenance.txt": ("text", "--provenance"),
        "elections.csv": ("elections", "--format", "csv"),
        "final-amendment.txt": ("final-amendment",),
    }[name]


def test_every_read_command_documents_an_example() -> None:
    for name in (
        "text",
        "diff",
        "elections",
        "final-amendment",
        "letters",
        "timeline",
        "rebuild",
        "nightly",
    ):
        help_text = CliRunner().invoke(cli, [name, "--help"]).stdout
        assert re.search(r"Example: offerledger ", help_text), name


def test_elections_on_a_terminal_say_what_a_pipe_says_in_colour(
    demo_db: str, read_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import offerledger.cli.output as output

    piped = ok(demo_db, "elections", "--employee", "E0004")
    monkeypatch.setattr(output, "is_terminal", lambda: True)  # rich then forces a terminal
    shown = ok(demo_db, "elections", "--employee", "E0004")
    assert "\x1b[" in shown  # styled
    assert output.plain(shown) == piped  # the same content: notices, summary, every column
    assert " events, root " in piped.splitlines()[0] and "notice: (a)(11)" in piped


def test_amendment_one_may_have_been_filed_on_amendment_twos_day(demo_db: str) -> None:
    """Amendment No. 1 is known only from Amendment No. 2 (September 13, 2001): its bounds run
    from the Schedule TO-I to the end of that day, which they include."""
    from datetime import date

    from offerledger.values import EASTERN, TimeNotOnFile

    ledger = Ledger.open(demo_db)
    try:
        (one,) = [
            f
            for f in ledger.filings(ledger.resolve_offer(None))
            if f.amendment_number == 1 and f.form == "SC TO-I/A"
        ]
    finally:
        ledger.close()
    assert isinstance(one.effective, TimeNotOnFile)
    assert one.effective.earliest() == datetime(2001, 8, 27, tzinfo=EASTERN)
    assert one.effective.latest() == datetime(2001, 9, 14, tzinfo=EASTERN)  # end of 9/13
    noon_on_the_13th = datetime(2001, 9, 13, 12, tzinfo=EASTERN)
    assert one.effective.earliest() <= noon_on_the_13th < one.effective.latest()
    assert one.effective.latest().astimezone(EASTERN).date() > date(2001, 9, 13)
