"""Source documents: stored with the events that cite them, in the same transaction, readable
byte for byte with ``show document``, and checked by ``documents_problems``; both backends."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dbedit import DbEdit
from offerledger.cli import cli
from offerledger.document_check import cited_documents, documents_problems, stored_document_hashes
from offerledger.errors import ConcurrentWrite
from offerledger.events import (
    EligibleGrantsRegistered,
    FilingRecorded,
    NoticeDispatched,
    normalize_text,
)
from offerledger.ingest.filing import parse_filing
from offerledger.ingest.source import decode, line_span
from offerledger.ingest.sourcedocs import exhibit_document, filing_document
from offerledger.ledger import Ledger
from test_ingest_support import PASSPHRASE, build_ledger, reference_bytes

ROSTER = (
    "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\r\n"
    "E1,Ann Lee,G1,Holding Plan,1999-03-01,12.50,1000\r\n"
    "E2,Bo Chan,G2,PNH Plan,2000-01-04,30.00,200\r\n"
)
ELECTIONS = (
    "employee_id,grant_id,choice,received_at,form_id,channel\n"
    "E1,G1,exchange,2001-09-27T23:59:59-04:00,F1,email\n"
    "E2,G2,exchange,2001-09-28T00:00:00-04:00,F2,paper\n"
)
FILING = "mpower-amendment-2.txt"


def run(db: str, *args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    return result.exit_code, result.stdout_bytes, result.stderr


def hashes(db: str) -> list[str]:
    ledger = Ledger.open(db)
    try:
        return stored_document_hashes(ledger)
    finally:
        ledger.close()


def problems(db: str) -> list[str]:
    ledger = Ledger.open(db)
    try:
        return documents_problems(ledger)
    finally:
        ledger.close()


def events(db: str) -> list[tuple[int, object]]:
    ledger = Ledger.open(db)
    try:
        return [(e.position, e.event) for e in ledger.log()]
    finally:
        ledger.close()


@pytest.fixture
def ledger(ledger_db: str, tmp_path: Path) -> str:
    build_ledger(ledger_db)
    (tmp_path / FILING).write_bytes(reference_bytes())
    (tmp_path / "roster.csv").write_bytes(ROSTER.encode())
    (tmp_path / "elections.csv").write_bytes(ELECTIONS.encode())
    return ledger_db


@pytest.fixture
def ingested(ledger: str, tmp_path: Path) -> str:
    for kind, name in (
        ("filing", FILING),
        ("roster", "roster.csv"),
        ("elections", "elections.csv"),
    ):
        code, _, err = run(ledger, "ingest", kind, str(tmp_path / name))
        assert code == 0, err
    return ledger


def test_ingest_stores_the_filing_the_notice_text_and_the_csvs(ingested: str) -> None:
    raw = reference_bytes()
    exhibit = parse_filing(raw, name=FILING).exhibit("(a)(11)")
    assert exhibit is not None
    notice = line_span(raw, first=exhibit.first_line, last=exhibit.last_line)
    expected = {
        hashlib.sha256(raw).hexdigest(),
        hashlib.sha256(notice).hexdigest(),
        hashlib.sha256(ROSTER.encode()).hexdigest(),
        hashlib.sha256(ELECTIONS.encode()).hexdigest(),
    }
    assert set(hashes(ingested)) == expected
    cited = {sha for _, e in events(ingested) if e is not None for _, sha in cited_documents(e)}  # type: ignore[arg-type]
    assert cited == expected
    filings = [e for _, e in events(ingested) if isinstance(e, FilingRecorded)]
    assert [f.source_sha256 for f in filings] == [None, hashlib.sha256(raw).hexdigest()]
    notices = [e for _, e in events(ingested) if isinstance(e, NoticeDispatched)]
    assert [n.content_sha256 for n in notices] == [hashlib.sha256(notice).hexdigest()] * 2
    assert problems(ingested) == []


def test_the_notice_text_normalizes_to_the_exhibit_hash() -> None:
    """The stored notice is the exhibit's lines as filed; the exhibit's hash in FilingRecorded is
    of its normalized text, and normalizing the stored bytes gives exactly that text."""
    raw = reference_bytes()
    exhibit = parse_filing(raw, name=FILING).exhibit("(a)(11)")
    assert exhibit is not None
    document = exhibit_document(raw, exhibit, name=f"/some/folder/{FILING}")
    assert document.name == f"{FILING} lines 187-263 (Exhibit (a)(11))"
    assert document.media_type == "text/plain"
    assert document.content.startswith(b"                    ")
    assert b"Exhibit (a)(11)\n" in document.content and document.content.endswith(b"above.\n")
    text = normalize_text(decode(document.content, name="notice"))
    assert hashlib.sha256(text.encode()).hexdigest() == exhibit.sha256 != document.sha256


def test_line_span_keeps_every_line_ending() -> None:
    data = b"one\r\ntwo\rthree\nfour"
    assert line_span(data, first=1, last=1) == b"one\r\n"
    assert line_span(data, first=2, last=3) == b"two\rthree\n"
    assert line_span(data, first=4, last=4) == b"four"
    with pytest.raises(ValueError, match="lines 3-5 are not in a file of 4 lines"):
        line_span(data, first=3, last=5)


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (b"<html><body><p>SCHEDULE TO</p></body></html>", "text/html"),
        (b"<SEC-DOCUMENT>\n<DOCUMENT>\n<TYPE>SC TO-I/A\n<TEXT>\n<p>x</p>\n</TEXT>\n", "text/plain"),
        (b"SCHEDULE TO\nplain text", "text/plain"),
    ],
)
def test_filing_media_type(content: bytes, media_type: str) -> None:
    document = filing_document(content, name="dir/f.htm")
    assert (document.media_type, document.name, document.content) == (media_type, "f.htm", content)


def test_show_document_prints_the_exact_bytes(ingested: str, tmp_path: Path) -> None:
    for content in (reference_bytes(), ROSTER.encode(), ELECTIONS.encode()):
        code, out, err = run(ingested, "show", "document", hashlib.sha256(content).hexdigest())
        assert (code, err) == (0, "")
        assert out == content
    sha = hashlib.sha256(ROSTER.encode()).hexdigest()
    code, out, _ = run(ingested, "show", "document", sha.upper(), "--json")
    assert code == 0
    meta = json.loads(out)
    assert {k: meta[k] for k in ("sha256", "media_type", "name", "size")} == {
        "sha256": sha,
        "media_type": "text/csv",
        "name": "roster.csv",
        "size": len(ROSTER.encode()),
    }
    positions = [p for p, e in events(ingested) if isinstance(e, EligibleGrantsRegistered)]
    assert [c["position"] for c in meta["cited_by"]] == positions
    assert {c["field"] for c in meta["cited_by"]} == {"source_sha256"}
    assert [c["version"] for c in meta["cited_by"]] == [1, 1]


def test_show_document_out_writes_once_and_never_overwrites(ingested: str, tmp_path: Path) -> None:
    sha = hashlib.sha256(reference_bytes()).hexdigest()
    out = tmp_path / "copy.txt"
    code, stdout, err = run(ingested, "show", "document", sha, "--out", str(out))
    assert (code, stdout) == (0, b"")
    assert err == f"wrote {len(reference_bytes())} bytes of {FILING} to {out}\n"
    assert out.read_bytes() == reference_bytes()
    code, _, err = run(ingested, "show", "document", sha, "--out", str(out))
    assert code == 0 and "already holds these" in err
    out.write_bytes(b"something else")
    code, _, err = run(ingested, "show", "document", sha, "--out", str(out))
    assert code == 2
    assert err.splitlines()[0] == (
        f"Error: field '--out': {out} already exists with other content; nothing was written"
    )
    assert out.read_bytes() == b"something else"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".copy")) == []
    code, _, err = run(ingested, "show", "document", sha, "--out", str(tmp_path / "no" / "f"))
    assert code == 2
    assert err.splitlines()[0] == f"Error: field '--out': folder {tmp_path / 'no'} does not exist"


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "abc",
            "Error: field 'SHA256': 'abc' is not a SHA-256 document hash (64 hexadecimal digits)",
        ),
        (
            "g" * 64,
            f"Error: field 'SHA256': '{'g' * 64}' is not a SHA-256 document hash "
            "(64 hexadecimal digits)",
        ),
        ("0" * 64, f"Error: no document {'0' * 64} is stored in this ledger"),
    ],
)
def test_show_document_bad_input(ingested: str, argument: str, message: str) -> None:
    code, out, err = run(ingested, "show", "document", argument)
    assert (code, out) == (2, b"")
    assert err.splitlines()[0] == message


def test_an_altered_document_is_refused_and_reported(ingested: str) -> None:
    sha = hashlib.sha256(ROSTER.encode()).hexdigest()
    altered = ROSTER.replace("1000", "9000").encode()
    edit = DbEdit(ingested)
    edit.exec("UPDATE offerledger_documents SET content = ? WHERE sha256 = ?", (altered, sha))
    edit.close()
    code, out, err = run(ingested, "show", "document", sha)
    assert (code, out) == (1, b"")
    assert err.splitlines()[0] == (
        f"Error: document {sha}: the stored bytes hash to {hashlib.sha256(altered).hexdigest()}, "
        "not to their name; the ledger's copy was altered and is not shown"
    )
    assert problems(ingested) == [
        f"document {sha} (roster.csv): its bytes hash to {hashlib.sha256(altered).hexdigest()}, "
        "not to its name"
    ]


def test_a_missing_or_uncited_document_is_reported(ingested: str) -> None:
    sha = hashlib.sha256(ELECTIONS.encode()).hexdigest()
    edit = DbEdit(ingested)
    edit.exec("DELETE FROM offerledger_documents WHERE sha256 = ?", (sha,))
    stray = b"not cited by anyone"
    stray_sha = hashlib.sha256(stray).hexdigest()
    edit.exec(
        "INSERT INTO offerledger_documents VALUES (?, ?, ?, ?)",
        (stray_sha, "text/plain", "stray.txt", stray),
    )
    edit.close()
    found = problems(ingested)
    cites = [(p, e) for p, e in events(ingested) if getattr(e, "source_sha256", None) == sha]
    assert len(cites) == 2
    assert found == [
        f"position {p} (stream {e.originator_id} version {e.originator_version}): source_sha256 "  # type: ignore[attr-defined]
        f"names document {sha}, which is not stored"
        for p, e in cites
    ] + [f"document {stray_sha}: stored, but no event cites it"]
    code, _, err = run(ingested, "show", "document", sha)
    assert code == 2 and err.startswith(f"Error: no document {sha} is stored")


def test_a_refused_ingest_stores_no_document(ledger: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad-roster.csv"
    bad.write_text(ROSTER + "E3,Cy,G3,Holding Plan,yesterday,1,1\n")
    code, _, err = run(ledger, "ingest", "roster", str(bad))
    assert code == 2 and "line 4, column 'grant_date'" in err
    code, _, _ = run(ledger, "ingest", "roster", str(tmp_path / "roster.csv"), "--dry-run")
    code, _, _ = run(ledger, "ingest", "filing", str(tmp_path / FILING), "--dry-run")
    assert code == 0
    assert hashes(ledger) == []


def test_documents_share_the_events_transaction(ledger: str, tmp_path: Path) -> None:
    """A save that fails at commit (another writer took the stream version) stores neither its
    events nor its documents."""
    from offerledger.actions import record
    from offerledger.ingest.service import plan_filing

    db = Ledger.open(ledger)
    try:
        officer = db.signer("Russell I. Zuckerman", PASSPHRASE.encode())
        comms = db.signer("People Communications", PASSPHRASE.encode())
        raw = reference_bytes()
        plan = plan_filing(
            db,
            parse_filing(raw, name=FILING),
            raw=raw,
            key_id=officer.key_id,
            notice_key_id=comms.key_id,
        )
        assert len(plan.documents) == 2
        before = len(list(db.log()))
        other = Ledger.open(ledger)  # another writer moves the offer stream on meanwhile
        try:
            record(
                other,
                "condition-asserted",
                {
                    "effective": {"kind": "date", "on": "2001-09-10"},
                    "condition_id": "c",
                    "condition_kind": "other",
                    "reason": "a writer in between",
                },
                signer=officer,
            )
        finally:
            other.close()
        keys = {officer.key_id: officer, comms.key_id: comms}
        with pytest.raises(ConcurrentWrite):
            db.save_groups(
                [(events, keys[kid]) for events, kid in plan.groups], documents=plan.documents
            )
        assert len(list(db.log())) == before + 1
    finally:
        db.close()
    assert hashes(ledger) == []


def test_record_stores_a_cited_document_and_refuses_one_it_lacks(
    ledger: str, tmp_path: Path
) -> None:
    notice = tmp_path / "reminder.txt"
    notice.write_bytes(b"Reminder: the offer expires at 11:59 p.m. EDT on September 27, 2001.\r\n")
    args = [
        "record",
        "notice-dispatched",
        "--key",
        "People Communications",
        "--effective",
        "2001-09-20",
        "--notice-id",
        "reminder",
        "--notice-kind",
        "reminder",
        "--channel",
        "email",
        "--recipient-class",
        "all eligible employees",
    ]
    missing = "ab" * 32
    code, _, err = run(ledger, *args, "--content-sha256", missing)
    assert code == 2
    assert err.splitlines()[0] == (
        f"Error: field 'content_sha256': names document {missing}, which is neither given nor "
        "stored in the ledger"
    )
    other = tmp_path / "other.txt"
    other.write_bytes(b"another text")
    code, _, err = run(
        ledger,
        *args,
        "--content-sha256",
        hashlib.sha256(notice.read_bytes()).hexdigest(),
        "--document",
        str(notice),
        "--document",
        str(other),
    )
    assert code == 2
    assert err.splitlines()[0] == (
        f"Error: field '--document': the document other.txt (SHA-256 "
        f"{hashlib.sha256(b'another text').hexdigest()}) is not one the NoticeDispatched cites"
    )
    assert hashes(ledger) == []
    code, out, err = run(ledger, *args, "--document", str(notice), "--json")
    assert code == 0, err
    sha = hashlib.sha256(notice.read_bytes()).hexdigest()
    assert json.loads(out)["payload"]["content_sha256"] == sha
    assert hashes(ledger) == [sha]
    code, out, _ = run(ledger, "show", "document", sha, "--json")
    assert (
        json.loads(out)["media_type"] == "text/plain" and json.loads(out)["name"] == "reminder.txt"
    )
    code, _, err = run(ledger, *args, "--notice-id", "again", "--content-sha256", sha)
    assert code == 0, err  # stored already: citing it again needs no file
    assert problems(ledger) == []


def test_the_demo_ledger_holds_its_source_documents(ledger_db: str) -> None:
    from offerledger.demo import FILING_NAME, run_demo

    run_demo(ledger_db, passphrase=PASSPHRASE.encode(), employees=6)
    db = Ledger.open(ledger_db)
    try:
        names = {db.document(h).name for h in stored_document_hashes(db)}  # type: ignore[union-attr]
        assert documents_problems(db) == []
    finally:
        db.close()
    assert {
        FILING_NAME,
        f"{FILING_NAME} lines 187-263 (Exhibit (a)(11))",
        "roster.csv",
    } <= names
    # the elections: one file per day and channel, as the clerk and the e-mail intake record them
    assert {n.rsplit("-", 1)[-1] for n in names if n.startswith("2001-")} == {
        "email.csv",
        "paper.csv",
    }


def test_documents_roll_back_with_a_save_that_fails_after_writing_them(
    ledger: str, tmp_path: Path
) -> None:
    """The documents are written after the events; the log head is moved last. A failure there
    (a trigger refuses the head update) leaves neither events nor documents."""
    edit = DbEdit(ledger)
    if edit.pg:
        edit.exec(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF NEW.size > OLD.size THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$"
        )
        edit.exec(
            "CREATE TRIGGER refuse BEFORE UPDATE ON offerledger_head "
            "FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    else:
        edit.exec(
            "CREATE TRIGGER refuse BEFORE UPDATE ON offerledger_head WHEN NEW.size > OLD.size "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    edit.close()
    before = len(events(ledger))
    for kind, name in (("filing", FILING), ("roster", "roster.csv")):
        code, _, err = run(ledger, "ingest", kind, str(tmp_path / name))
        # SQLite reports the trigger's abort as a constraint failure (a concurrent write)
        assert code != 0 and ("refused" in err or "nothing was written" in err), err
    assert len(events(ledger)) == before
    assert hashes(ledger) == []
