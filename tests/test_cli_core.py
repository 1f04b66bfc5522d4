"""The CLI: exit codes, one-line errors naming field, file and line; ledger unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dbedit import DbEdit
from offerledger.cli import cli
from offerledger.demo import OFFICER, run_demo

PASS = b"test-passphrase"


@pytest.fixture
def demo_db(ledger_db: str) -> str:
    run_demo(ledger_db, passphrase=PASS, employees=8)
    return ledger_db


def invoke(db: str, *args: str) -> tuple[int, str, str]:
    # the demo's keys are public: writing into it takes --demo-keys-ok (tests/test_keys_cli.py)
    result = CliRunner().invoke(cli, ["--db", db, "--demo-keys-ok", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_verify_clean_exit_0(demo_db: str) -> None:
    code, out, _ = invoke(demo_db, "verify", "--json")
    assert code == 0
    assert json.loads(out)["ok"] is True


def test_verify_tampered_exit_1(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    key, *_, state = edit.rows()[5]
    edit.set_state(key, state.replace(b"20", b"21", 1))
    edit.close()
    code, out, _ = invoke(demo_db, "verify")
    assert code == 1
    assert "bad-signature" in out or "non-canonical" in out


def test_bad_field_in_file_names_file_line_field_and_writes_nothing(
    demo_db: str, tmp_path: Path
) -> None:
    data = tmp_path / "waiver.json"
    data.write_text(
        '{\n  "effective": {"kind": "date", "on": "2001-09-20"},\n'
        '  "condition_id": "7(b)",\n  "condition_kind": "sometimes"\n}\n'
    )
    edit = DbEdit(demo_db)
    before = edit.snapshot()
    code, _, err = invoke(
        demo_db, "record", "condition-waived", "--key", OFFICER, "--file", str(data)
    )
    assert code == 2
    assert err.startswith(f"Error: {data}, line 4, field 'condition_kind': Input should be")
    assert "Traceback" not in err
    assert edit.snapshot() == before
    edit.close()


def test_invalid_json_names_line_and_column(demo_db: str, tmp_path: Path) -> None:
    data = tmp_path / "bad.json"
    data.write_text('{\n  "condition_id": "7(b)",\n  oops\n}\n')
    code, _, err = invoke(
        demo_db, "record", "condition-waived", "--key", OFFICER, "--file", str(data)
    )
    assert code == 2
    assert f"{data}, line 3, column 3: invalid JSON" in err


def test_refused_action_exit_2_ledger_unchanged(demo_db: str) -> None:
    edit = DbEdit(demo_db)
    before = edit.snapshot()
    code, _, err = invoke(
        demo_db,
        "record",
        "offer-expired",
        "--key",
        OFFICER,
        "--effective",
        "2001-10-01T10:00:00-04:00",
    )
    assert code == 2
    assert "refused (expiration): the offer has already expired" in err
    assert edit.snapshot() == before
    edit.close()


def test_bad_effective_time(demo_db: str) -> None:
    code, _, err = invoke(
        demo_db,
        "record",
        "condition-waived",
        "--key",
        OFFICER,
        "--effective",
        "yesterday",
        "--condition-id",
        "7(b)",
        "--condition-kind",
        "other",
    )
    assert code == 2
    assert "field '--effective'" in err


def test_no_ledger_exit_3(tmp_path: Path) -> None:
    code, _, err = invoke(str(tmp_path / "none.db"), "verify")
    assert code == 3
    assert "no ledger at" in err


def test_log_filters(demo_db: str) -> None:
    code, out, _ = invoke(demo_db, "log", "--type", "NoticeDispatched", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["payload"]["channel"] for r in rows] == ["email", "paper"]


def test_keys_create_list_revoke(demo_db: str) -> None:
    code, out, err = invoke(demo_db, "keys", "create", "--holder", "Jane Roe", "--role", "clerk")
    assert code == 0, err
    kid = out.strip()
    code, out, _ = invoke(demo_db, "keys", "list", "--json")
    assert any(k["key_id"] == kid and k["role"] == "clerk" for k in json.loads(out))
    code, out, _ = invoke(demo_db, "keys", "revoke", kid[:12], "--reason", "left")
    assert code == 0
    code, _, err = invoke(demo_db, "keys", "revoke", kid[:12], "--reason", "again")
    assert code == 2
    assert "already revoked" in err


def test_checkpoint_then_verify(demo_db: str, tmp_path: Path) -> None:
    out = tmp_path / "head.checkpoint"
    code, _, err = invoke(demo_db, "checkpoint", "--out", str(out))
    assert code == 0, err
    assert out.read_text().startswith("offerledger/")
    code, text, _ = invoke(demo_db, "verify", "--checkpoint", str(out))
    assert code == 0
    assert "from the root key that signed checkpoint" in text


def test_correction_names_stream_and_fields(demo_db: str) -> None:
    notice = json.loads(invoke(demo_db, "log", "--type", "NoticeDispatched", "--json")[1])[0]
    args = [
        "record",
        "correction-recorded",
        "--key",
        "People Communications",
        "--effective",
        "2001-09-14",
        "--stream",
        notice["stream"],
        "--supersedes-version",
        str(notice["version"]),
        "--supersedes-topic",
        notice["topic"],
        "--reason",
        "wrong recipient class",
    ]
    code, _, err = invoke(demo_db, *args, "--corrected", '{"no_such_field": "x"}')
    assert code == 2
    assert "field 'corrected'" in err and "no_such_field" in err
    code, out, err = invoke(demo_db, *args, "--corrected", '{"recipient_class": "all"}')
    assert code == 0, err
    assert "recorded CorrectionRecorded" in out


def test_bad_received_at_names_the_field(demo_db: str) -> None:
    code, _, err = invoke(
        demo_db,
        "record",
        "election-submitted",
        "--key",
        "People Services (paper forms)",
        "--employee-id",
        "E0001",
        "--form-id",
        "X1",
        "--received-at",
        "2001-09-20 noon",
        "--channel",
        "paper",
        "--acted-by",
        "E0001",
        "--choices",
        '[{"grant_id": "G0001-1", "choice": "exchange"}]',
    )
    assert code == 2
    assert "field 'received_at'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("log", "--type", "Bogus"), "field '--type': no action 'Bogus'"),
        (("log", "--stream", "nope"), "field '--stream': no stream 'nope'"),
        (("text", "--as-of", "9999-12-31"), "field '--as-of': the date '9999-12-31' is out of"),
        (("diff", "9999-12-31", "2001-09-13"), "field 'FROM': the date '9999-12-31' is out of"),
        (("letters", "--out", "/proc/nope"), "Error: /proc/nope: No such file or directory"),
    ],
)
def test_bad_read_arguments_exit_2(demo_db: str, args: tuple[str, ...], message: str) -> None:
    code, _, err = invoke(demo_db, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_a_file_that_is_no_database_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database\n")
    code, _, err = invoke(str(path), "verify")
    assert code == 3
    assert err.startswith("Error: storage: file is not a database")


@pytest.mark.parametrize(
    ("db", "message"),
    [
        ("postgresql://postgres@127.0.0.1:5432/test?schema=s1;drop", "is not a PostgreSQL schema"),
        ("mysql://x", "is not a database offerledger can use"),
    ],
)
def test_unusable_database_locations_exit_3(db: str, message: str) -> None:
    code, _, err = invoke(db, "verify")
    assert code == 3
    assert message in err


def test_demo_on_an_existing_ledger_is_refused(demo_db: str) -> None:
    code, _, err = invoke(demo_db, "demo")
    assert code == 2
    assert "already holds a ledger; nothing was written" in err


@pytest.mark.parametrize("employees", ["0", "1", "2"])
def test_demo_too_few_employees_is_refused(tmp_path: Path, employees: str) -> None:
    # the story's deadline boundary needs three employees: fewer crashed with an IndexError
    db = str(tmp_path / "d.db")
    result = CliRunner().invoke(cli, ["--db", db, "demo", "--employees", employees])
    assert result.exit_code == 2, result.output
    assert "'--employees'" in result.stderr and "x>=3" in result.stderr
    assert not Path(db).exists()


def test_demo_summary_says_synthetic_and_not_evidence(tmp_path: Path) -> None:
    # the summary's first line and its verify line: a demo's "verified" is never plain
    db = str(tmp_path / "d.db")
    result = CliRunner().invoke(cli, ["--db", db, "demo", "--employees", "3"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "SYNTHETIC" in lines[0] and "keys public" in lines[0]
    (verify_line,) = [line for line in lines if line.strip().startswith("verify:")]
    assert "NOT EVIDENCE (keys public: a demo ledger)" in verify_line
