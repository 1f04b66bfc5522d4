"""Oversized inputs are refused before they are read whole, with the file, the limit and the size
found in the message, exit 2 and nothing written (offerledger.limits; docs/ingest.md, "Input
limits"): filings (bytes, lines), roster and elections CSVs (bytes, rows, value length),
``record --file`` JSON (bytes, nesting), evidence bundles (bytes, events) in both verifiers.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from offerledger.cli import cli
from offerledger.ledger import Ledger
from offerledger.limits import CSV_BYTES, FILING_BYTES, JSON_BYTES, json_depth, read_bounded
from test_ingest_support import build_ledger

FIXTURES = Path(__file__).parent / "fixtures"
FILING = FIXTURES / "mpower-schedule-to-amendment-2-2001-09-13.txt"
ROSTER_HEAD = "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\n"
ELECTIONS_HEAD = "employee_id,grant_id,choice,received_at,form_id,channel\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("limits")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        build_ledger(str(folder / "ledger.db"))
    return folder


@pytest.fixture
def db(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of a ledger up to Amendment No. 2 (keys: officer, communications, clerk)."""
    import shutil

    shutil.copy(built / "ledger.db", tmp_path / "ledger.db")
    shutil.copytree(built / "keys", tmp_path / "keys")
    monkeypatch.setenv("OFFERLEDGER_KEYS", str(tmp_path / "keys"))
    return str(tmp_path / "ledger.db")


def _count(db: str) -> int:
    ledger = Ledger.open(db)
    try:
        return ledger.count()
    finally:
        ledger.close()


def refused(db: str, *args: str) -> Result:
    """Run the CLI; require exit 2, one Error line, no traceback and nothing written."""
    before = _count(db)
    result = CliRunner().invoke(cli, ["--db", db, *args])
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert _count(db) == before
    return result


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that costs no disk (reading it whole would cost the memory)."""
    with path.open("wb") as f:
        f.truncate(size)
    return path


# --- filings ----------------------------------------------------------------------------------


def test_a_filing_over_the_default_size_is_refused_unread(db: str, tmp_path: Path) -> None:
    big = sparse(tmp_path / "huge.txt", FILING_BYTES.default + 1)
    result = refused(db, "ingest", "filing", str(big), "--dry-run")
    assert f"{big}: the filing is {FILING_BYTES.default + 1:,} bytes, over the limit of " in (
        result.stderr
    )
    assert f"{FILING_BYTES.default:,} bytes; nothing was read or recorded" in result.stderr
    assert "OFFERLEDGER_MAX_FILING_BYTES=N" in result.stderr


def test_a_filing_over_the_line_limit_is_refused(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = FILING.read_bytes()
    lines = data.count(b"\n") + (not data.endswith(b"\n"))  # (a last line without its newline)
    monkeypatch.setenv("OFFERLEDGER_MAX_FILING_LINES", str(lines - 1))
    result = refused(db, "ingest", "filing", str(FILING))
    assert f"the filing is {lines:,} lines, over the limit of {lines - 1:,} lines" in (
        result.stderr
    )
    monkeypatch.setenv("OFFERLEDGER_MAX_FILING_LINES", str(lines))  # at the limit: read
    parsed = CliRunner().invoke(cli, ["parse", str(FILING), "--json"])
    assert parsed.exit_code == 0, parsed.stderr


def test_parse_refuses_an_oversized_filing_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFERLEDGER_MAX_FILING_BYTES", "1000")
    result = CliRunner().invoke(cli, ["parse", str(FILING)])
    assert result.exit_code == 2
    size = FILING.stat().st_size
    assert f"the filing is {size:,} bytes, over the limit of 1,000 bytes" in result.stderr


def test_a_limit_that_is_not_a_number_is_refused_by_name(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFERLEDGER_MAX_FILING_BYTES", "lots")
    result = refused(db, "ingest", "filing", str(FILING), "--dry-run")
    assert "field 'OFFERLEDGER_MAX_FILING_BYTES': 'lots' is not a positive whole number" in (
        result.stderr
    )


# --- CSV --------------------------------------------------------------------------------------


def test_a_csv_over_the_default_size_is_refused_unread(db: str, tmp_path: Path) -> None:
    big = sparse(tmp_path / "elections.csv", CSV_BYTES.default + 1)
    for kind in ("elections", "roster"):
        result = refused(db, "ingest", kind, str(big), "--dry-run")
        assert f"{big}: the CSV file is {CSV_BYTES.default + 1:,} bytes, over the limit" in (
            result.stderr
        )
        assert "OFFERLEDGER_MAX_CSV_BYTES=N" in result.stderr


def test_a_csv_over_the_row_limit_is_refused_at_the_first_row_over(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFERLEDGER_MAX_CSV_ROWS", "2")
    csv = tmp_path / "roster.csv"
    rows = [f"E{i},Person {i},G{i},Holding Plan,1999-03-01,12.50,100" for i in range(5)]
    csv.write_text(ROSTER_HEAD + "\n".join(rows) + "\n")
    result = refused(db, "ingest", "roster", str(csv), "--key", "Russell I. Zuckerman")
    assert f"{csv}, line 4: the CSV file is at least 3 rows, over the limit of 2 rows" in (
        result.stderr
    )
    assert "OFFERLEDGER_MAX_CSV_ROWS=N" in result.stderr
    monkeypatch.setenv("OFFERLEDGER_MAX_CSV_ROWS", "5")  # at the limit: recorded
    ok = CliRunner().invoke(cli, ["--db", db, "ingest", "roster", str(csv), "--dry-run"])
    assert ok.exit_code == 0, ok.stderr


def test_a_csv_value_over_the_length_limit_is_refused_with_its_line_and_column(
    db: str, tmp_path: Path
) -> None:
    csv = tmp_path / "elections.csv"
    form = "F" * 5000
    csv.write_text(ELECTIONS_HEAD + f"E1,G1,exchange,2001-09-20T10:00:00-04:00,{form},paper\n")
    result = refused(db, "ingest", "elections", str(csv), "--key", "Clerk")
    assert (
        f"{csv}, line 2, field 'form_id': a value is 5,000 characters, over the limit of "
        "4,096 characters"
    ) in result.stderr
    # past the csv module's own cap (131,072), still this message, not "field larger than"
    csv.write_text(ELECTIONS_HEAD + f"E1,G1,exchange,2001-09-20,{'x' * 200_000},paper\n")
    result = refused(db, "ingest", "elections", str(csv), "--key", "Clerk")
    assert "field 'form_id': a value is 200,000 characters, over the limit" in result.stderr


def test_a_long_header_is_refused_too(tmp_path: Path) -> None:
    from offerledger.errors import InputTooLarge
    from offerledger.ingest.csvrows import ELECTION_COLUMNS, ElectionRow, rows_from_bytes

    data = ("employee_id," + "c" * 5000 + "\n").encode()
    with pytest.raises(InputTooLarge, match=r"line 1, field '#2': a value is 5,000 characters"):
        rows_from_bytes(data, tmp_path / "e.csv", ElectionRow, ELECTION_COLUMNS)


# --- record --file JSON -----------------------------------------------------------------------


WAIVER = {
    "effective": {"kind": "date", "on": "2001-09-20"},
    "condition_id": "7(b)",
    "condition_kind": "other",
}


def _record(db: str, path: Path) -> Result:
    return refused(
        db, "record", "condition-waived", "--key", "Russell I. Zuckerman", "--file", str(path)
    )


def test_record_file_json_over_the_size_limit_is_refused_unread(db: str, tmp_path: Path) -> None:
    big = sparse(tmp_path / "waiver.json", JSON_BYTES.default + 1)
    result = _record(db, big)
    assert f"{big}: the JSON is {JSON_BYTES.default + 1:,} bytes, over the limit of " in (
        result.stderr
    )
    assert "OFFERLEDGER_MAX_JSON_BYTES=N" in result.stderr


@pytest.mark.parametrize("depth", [64, 100_000])
def test_record_file_json_nested_too_deep_is_refused_unparsed(
    db: str, tmp_path: Path, depth: int
) -> None:
    path = tmp_path / "deep.json"
    path.write_text(
        json.dumps({**WAIVER, "condition_id": "7(b)"})[:-1]
        + ', "x": '
        + "[" * depth
        + "]" * depth
        + "}"
    )
    result = _record(db, path)
    nesting = depth + 1  # (inside the waiver's object)
    assert f"{path}: the JSON's nesting is {nesting:,} levels, over the limit of 64 levels" in (
        result.stderr
    )


def test_an_options_json_nested_too_deep_is_refused(db: str) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    result = refused(
        db, "record", "election-submitted", "--key", "Clerk", "--employee-id", "E1",
        "--form-id", "F1", "--received-at", "2001-09-20T10:00:00-04:00", "--channel", "paper",
        "--acted-by", "E1", "--choices", deep,
    )  # fmt: skip
    assert "the JSON's nesting is 50,000 levels, over the limit of 64 levels" in result.stderr


def test_json_depth_skips_brackets_in_strings() -> None:
    assert json_depth('{"a": ["[[[", {"b": "\\"]]{{"}]}') == 3
    assert json_depth('"unterminated [[[') == 0
    assert json_depth("[" * 10 + "]" * 10) == 10


def test_read_bounded_refuses_by_stat_and_again_while_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size on disk first; then bytes and lines while reading (a file that grew after it
    was stat'ed, a line count past the first chunk)."""
    from offerledger.errors import InputTooLarge
    from offerledger.limits import Limit

    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    limit = Limit("OFFERLEDGER_TEST_LIMIT", 10, "bytes", "the file")
    assert read_bounded(path, limit) == b"x" * 10
    path.write_bytes(b"x" * 11)
    with pytest.raises(InputTooLarge, match="the file is 11 bytes, over the limit of 10 bytes"):
        read_bounded(path, limit)
    lines = Limit("OFFERLEDGER_TEST_LINES", 3, "lines", "the file")
    path.write_bytes(b"a\n" * 3 + b"b" * (3 << 20) + b"\n" * 2)  # past the first 1 MiB read
    with pytest.raises(InputTooLarge, match="the file is at least 5 lines, over the limit of 3"):
        read_bounded(path, Limit("OFFERLEDGER_TEST_BIG", 1 << 30, "bytes", "the file"), lines)
    import offerledger.limits

    class Stat:
        st_size = 0  # as if the file grew after it was stat'ed

    monkeypatch.setattr(offerledger.limits.os, "fstat", lambda fd: Stat())
    with pytest.raises(InputTooLarge, match=r"is at least 1,048,576 bytes, over the limit of 10 "):
        read_bounded(path, limit)


# --- evidence bundles -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from offerledger.demo import run_demo

    folder = tmp_path_factory.mktemp("bundle")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        mp.setenv("OFFERLEDGER_KEY_PASSPHRASE", "test-passphrase")
        run_demo(str(folder / "demo.db"), passphrase=b"test-passphrase", employees=4)
        out = folder / "e.zip"
        result = CliRunner().invoke(
            cli,
            ["--db", str(folder / "demo.db"), "export", "evidence", "--employee", "E0001",
             "--out", str(out)],
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
    return out


def _standalone(*args: str) -> tuple[int, str]:
    from offerledger import offerledger_verify

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = offerledger_verify.main(list(args))
    return code, err.getvalue()


def test_the_standalone_verifier_refuses_a_bundle_over_its_limits(bundle: Path) -> None:
    size = bundle.stat().st_size
    assert _standalone(str(bundle))[0] == 0
    code, err = _standalone(str(bundle), "--max-bytes", str(size - 1))
    assert code == 2
    assert err == f"{bundle}: unusable: {size:,} bytes, over the limit --max-bytes {size - 1:,}\n"
    code, err = _standalone(str(bundle), "--max-events", "3")
    assert code == 2
    assert (
        err.startswith(f"{bundle}: unusable: ") and " events, over the limit --max-events 3" in err
    )


def test_the_standalone_verifier_refuses_what_a_bundle_unpacks_to(
    bundle: Path, tmp_path: Path
) -> None:
    import zipfile

    padded = tmp_path / "padded.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
        dst.writestr("padding", b"\0" * 5_000_000, compress_type=zipfile.ZIP_DEFLATED)
    assert padded.stat().st_size < 1_000_000  # small on disk, 5 MB unpacked
    code, err = _standalone(str(padded), "--max-bytes", "1000000")
    assert code == 2 and "bytes unpacked, over the limit --max-bytes 1,000,000" in err


def test_verify_bundle_refuses_a_bundle_over_its_limits(bundle: Path) -> None:
    size = bundle.stat().st_size
    result = CliRunner().invoke(cli, ["verify-bundle", str(bundle), "--max-bytes", str(size - 1)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"Error: {bundle}: refused before it was read: {size:,} bytes, over the limit "
        f"--max-bytes {size - 1:,}\n"
    )
    result = CliRunner().invoke(cli, ["verify-bundle", str(bundle), "--max-events", "3"])
    assert result.exit_code == 2 and "events, over the limit --max-events 3" in result.stderr


def test_the_bundle_readme_and_verify_bundle_state_the_verifiers_limits(bundle: Path) -> None:
    import zipfile

    from offerledger import offerledger_verify

    readme = " ".join(zipfile.ZipFile(bundle).read("README.txt").decode().split())
    assert offerledger_verify.LIMITS == {"max_bytes": 1 << 30, "max_events": 1_000_000}
    assert "over a limit (1 GiB on disk or unpacked, 1,000,000 events: --max-bytes N" in readme
    shown = " ".join(CliRunner().invoke(cli, ["verify-bundle", "--help"]).stdout.split())
    assert "--max-bytes N Refuse a bundle larger" in shown and f"[default: {1 << 30};" in shown
    assert "--max-events N Refuse a bundle" in shown and "[default: 1000000;" in shown


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\\\ax,:', max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, indent=st.sampled_from([None, 1]), ascii_only=st.booleans())
def test_json_depth_is_the_nesting_json_loads_would_recurse_into(
    value: object, indent: int | None, ascii_only: bool
) -> None:
    """Brackets, quotes and backslashes inside strings never count (the scan agrees with the
    parsed value on any JSON text)."""
    assert json_depth(json.dumps(value, indent=indent, ensure_ascii=ascii_only)) == _depth(value)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet='[]{}"\\\\a ', max_size=60))
def test_json_depth_takes_any_text(text: str) -> None:
    assert 0 <= json_depth(text) <= text.count("[") + text.count("{")
