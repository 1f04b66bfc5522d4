"""The Python API (docs/api.md) gives the read commands' data, on both backends; the worked
example in docs/api.md runs and prints what the page says it prints."""

from __future__ import annotations

import contextlib
import io
import json
import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import offerledger
from conftest import PG_BASE, REQUIRE_PG, _pg_connect, pg_problem
from dbedit import DbEdit
from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.projections.elections_render import statuses_as_dict

ROOT = Path(__file__).resolve().parent.parent
API_MD = ROOT / "docs" / "api.md"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The reference demo (300 synthetic employees), built once per backend for this module."""
    folder = tmp_path_factory.mktemp(f"api-demo-{request.param}")
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
    """A read-model path of this test's own (verification records go beside it)."""
    path = tmp_path / "read-model.sqlite"
    monkeypatch.setenv("OFFERLEDGER_READ_MODEL", str(path))
    return path


@pytest.fixture
def ledger(demo_db: str, read_model: Path) -> Iterator[offerledger.Ledger]:
    with offerledger.Ledger.open(demo_db) as opened:
        yield opened


def command(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def without_first_line(out: str) -> str:
    """A read command's output without its verification line and the blank line after it."""
    first, blank, rest = out.split("\n", 2)
    assert blank == "" and re.match(r"(verified|UNVERIFIED|VERIFICATION FAILED): ", first)
    return rest


# --- the same data as the commands --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "args"),
    [
        ({}, ()),
        ({"as_of": date(2001, 9, 12), "section": "7"}, ("--as-of", "2001-09-12", "--section", "7")),
        (
            {"as_of": date(2001, 9, 13), "provenance": True, "fmt": "markdown"},
            ("--as-of", "2001-09-13", "--provenance", "--format", "markdown"),
        ),
    ],
)
def test_text_is_what_the_text_command_prints(
    demo_db: str, ledger: offerledger.Ledger, kwargs: dict[str, object], args: tuple[str, ...]
) -> None:
    view = offerledger.read(ledger)
    assert view.text(**kwargs) == without_first_line(command(demo_db, "text", *args))  # type: ignore[arg-type]


def test_text_as_json_and_the_document_view(demo_db: str, ledger: offerledger.Ledger) -> None:
    view = offerledger.read(ledger)
    shown = json.loads(command(demo_db, "text", "--as-of", "2001-09-13", "--format", "json"))
    shown.pop("verification")
    assert json.loads(view.text(as_of=date(2001, 9, 13), fmt="json")) == shown
    doc = view.document(as_of=date(2001, 9, 13), section="7")
    assert isinstance(doc, offerledger.DocumentView)
    last = doc.blocks()["s7-last"][1]
    assert last.changed is not None and last.changed.operation == "replace_paragraph"
    before = view.document(as_of=date(2001, 9, 12), section="7").blocks()["s7-last"][1]
    assert before.changed is None and before.text != last.text


def test_elections_are_what_the_elections_command_prints(
    demo_db: str, ledger: offerledger.Ledger
) -> None:
    view = offerledger.read(ledger)
    shown = json.loads(command(demo_db, "elections", "--format", "json"))
    shown.pop("verification")
    statuses = view.elections()
    assert all(isinstance(s, offerledger.EmployeeStatus) for s in statuses)
    assert statuses_as_dict(statuses, view.election_summary()) == shown
    withdrawn = json.loads(
        command(demo_db, "elections", "--status", "withdrawn", "--format", "json")
    )["employees"]
    assert [s.employee_id for s in view.elections(status="withdrawn")] == [
        e["employee_id"] for e in withdrawn
    ]
    assert len(withdrawn) > 0


def test_findings_and_final_amendment_are_what_the_commands_print(
    demo_db: str, ledger: offerledger.Ledger
) -> None:
    view = offerledger.read(ledger)
    shown = json.loads(command(demo_db, "findings", "--json"))
    assert [f.as_json() for f in view.findings()] == shown["findings"]
    for fmt in ("text", "markdown"):
        printed = command(demo_db, "final-amendment", "--format", fmt)
        assert view.final_amendment(fmt=fmt) == without_first_line(printed)


# --- where the state comes from, and what it rests on -------------------------------------------


def test_the_read_model_is_used_only_for_a_verified_state(
    demo_db: str, ledger: offerledger.Ledger, read_model: Path
) -> None:
    first = offerledger.read(ledger)
    assert first.source == "log"
    assert first.notes == (
        f"no read model at {read_model}; folded the log (run 'offerledger rebuild')",
    )
    command(demo_db, "rebuild")
    unverified = offerledger.read(ledger)
    assert unverified.source == "log" and unverified.verification.state == "unverified"
    assert "the read model's state is unverified: folded the log" in unverified.notes[0]
    report = offerledger.verify(ledger)
    assert report.ok
    verified = offerledger.read(ledger)
    assert (verified.source, verified.notes) == ("read-model", ())
    assert verified.verification.state == "verified"
    assert verified.events == report.count == first.events
    assert verified.text(provenance=True) == first.text(provenance=True)
    assert verified.election_summary() == first.election_summary()
    assert offerledger.read(ledger, from_log=True).source == "log"


def test_verify_records_what_it_found_unless_told_not_to(ledger: offerledger.Ledger) -> None:
    report = offerledger.verify(ledger, record=False)
    assert isinstance(report, offerledger.VerifyReport) and report.ok
    assert offerledger.read(ledger).verification.state == "unverified"
    offerledger.verify(ledger)
    standing = offerledger.read(ledger).verification
    assert standing.state == "verified"
    # the demo ledger's keys are public: never plain "verified"
    assert standing.keys_public is True
    assert standing.first_line().startswith(
        f"NOT EVIDENCE (keys public: a demo ledger): signatures verified: {report.count} events, "
        "root "
    )


def test_a_row_that_does_not_decode_is_reported_never_dropped(
    tmp_path: Path, read_model: Path
) -> None:
    db = str(tmp_path / "small.db")
    run_demo(db, passphrase=b"test-passphrase", employees=12)
    command(db, "rebuild")  # a read model that includes the row before it is damaged
    edit = DbEdit(db)
    rows = edit.rows()
    position = max(i for i, row in enumerate(rows) if "ElectionSubmitted" in row[3])
    edit.set_state(rows[position][0], b"\x00\xffnot json at all")
    edit.close()
    with offerledger.Ledger.open(db) as ledger:
        view = offerledger.read(ledger)
        assert view.source == "log"
        assert [(u.position, u.topic) for u in view.undecodable] == [(position, rows[position][3])]
        assert view.events == len(rows)
        report = offerledger.verify(ledger)
        assert "undecodable" in {p.reason for p in report.problems}
        failed = offerledger.read(ledger)
        assert failed.verification.state == "failed"
        assert [u.position for u in failed.undecodable] == [position]


# --- errors and the context manager -------------------------------------------------------------


@pytest.mark.parametrize(
    ("ask", "error", "message"),
    [
        (lambda v: v.text(section="99"), offerledger.InputError, "no section '99' on file"),
        (lambda v: v.text(fmt="html"), offerledger.InputError, "unknown fmt 'html'"),
        (lambda v: v.final_amendment(fmt="json"), offerledger.InputError, "unknown fmt 'json'"),
        (lambda v: v.elections(status="lost"), offerledger.InputError, "unknown status 'lost'"),
        (
            lambda v: v.elections(employee="E9999"),
            offerledger.InputError,
            "no employee 'E9999' in this offer",
        ),
        (
            lambda v: v.document(as_recorded=datetime(2001, 9, 13)),
            offerledger.InputError,
            "the date-time has no time zone",
        ),
        (
            lambda v: v.document(as_of=datetime(2001, 9, 13)),
            offerledger.InputError,
            "give a date, not a date-time",
        ),
        (
            lambda v: v.document(as_of=date(1066, 10, 14)),
            offerledger.InputError,
            r"out of range \(years 1900 to 9998\)",
        ),
        (lambda v: v.findings(offer="no-such-offer"), offerledger.UnknownEntity, "no offer"),
    ],
)
def test_errors_are_the_librarys(
    ledger: offerledger.Ledger, ask: object, error: type[Exception], message: str
) -> None:
    view = offerledger.read(ledger)
    with pytest.raises(error, match=message) as raised:
        ask(view)  # type: ignore[operator]
    assert isinstance(raised.value, offerledger.OfferLedgerError)


def test_ledger_is_a_context_manager(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    with offerledger.Ledger.open(demo_db) as ledger:
        assert isinstance(ledger, offerledger.Ledger)
        monkeypatch.setattr(ledger.app, "close", lambda: closed.append(True))
    assert closed == [True]
    with pytest.raises(ZeroDivisionError):  # closed on the way out of an error too
        with offerledger.Ledger.open(demo_db) as ledger:
            monkeypatch.setattr(ledger.app, "close", lambda: closed.append(True))
            1 / 0  # noqa: B018
    assert closed == [True, True]


# --- docs/api.md ----------------------------------------------------------------------------------


def worked_example() -> tuple[str, str]:
    """The Python block of docs/api.md's worked example and the output block after it."""
    section = API_MD.read_text(encoding="utf-8").split("## Worked example", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    shown = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert code is not None and shown is not None
    return code.group(1), shown.group(1)


def test_the_worked_example_in_docs_api_md_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OFFERLEDGER_READ_MODEL", raising=False)
    result = CliRunner().invoke(cli, ["--db", "demo.db", "demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    code, shown = worked_example()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(API_MD), "exec"), {"__name__": "api_md_example"})
    assert printed.getvalue() == shown
