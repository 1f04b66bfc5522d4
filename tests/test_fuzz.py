"""Hostile inputs (hypothesis): the filing parser, the CSV readers, ``record --file`` JSON and the
standalone evidence-bundle verifier answer any input with a project error (or the verifier's
exit 1 or 2), never a traceback or another exception. CI-sized: 1,000 cases per target;
``OFFERLEDGER_FULL_SUITES=1``: 10,000.

Cases are cheap: every target runs in this process (the CLI through ``CliRunner``), the ledger
and the bundle are made once per module (the insecure test KDF, as conftest sets), and the file a
case writes goes to a folder in memory where there is one (``scratch``: on this machine's disk a
small write costs about 2.4 ms, in /dev/shm 0.04 ms, and a SQLite commit far more).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offerledger.errors import OfferLedgerError
from suites import FULL

CASES = 10_000 if FULL else 1_000
FUZZ = settings(
    max_examples=CASES,
    deadline=None,
    derandomize=not FULL,  # CI: the same cases every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FIXTURES = Path(__file__).parent / "fixtures"
FILING = (FIXTURES / "mpower-schedule-to-amendment-2-2001-09-13.txt").read_bytes()


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete", "dup", "cut"]),
        st.integers(0, 2**32),
        st.integers(1, 256),
        st.binary(min_size=1, max_size=16),
    ),
    min_size=1,
    max_size=8,
)


def apply(edits: list[tuple[str, int, int, bytes]], seed: bytes) -> bytes:
    """``seed`` with a few bytes flipped, inserted, deleted or a span duplicated or cut."""
    data = bytearray(seed)
    for op, where, n, payload in edits:
        if not data:
            break
        i = where % len(data)
        if op == "flip":
            data[i] ^= 1 << (n % 8)
        elif op == "insert":
            data[i:i] = payload
        elif op == "delete":
            del data[i : i + n % 64 + 1]
        elif op == "dup":
            data[i:i] = data[i : i + n]
        else:
            del data[i:]
    return bytes(data)


def mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    return EDITS.map(lambda edits: apply(edits, seed))


def _text_lines(seed: str) -> st.SearchStrategy[bytes]:
    lines = seed.splitlines(keepends=True)
    return st.lists(
        st.one_of(st.sampled_from(lines), st.text(max_size=80).map(lambda s: s + "\n")),
        max_size=len(lines) + 10,
    ).map(lambda ls: "".join(ls).encode("utf-8", "surrogatepass"))


@FUZZ
@given(data=st.one_of(mutated(FILING), _text_lines(FILING.decode()), st.binary(max_size=2000)))
def test_filing_parser(data: bytes) -> None:
    from offerledger.ingest.filing import parse_filing

    with contextlib.suppress(OfferLedgerError):
        parse_filing(data, name="fuzzed.txt")


ROSTER = (
    "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\n"
    "E1,Ann Lee,G1,Holding Plan,1999-03-01,12.50,1000\n"
    "E2,Bo Chan,G2,PNH Plan,2000-01-04,30.00,200\n"
)
ELECTIONS = (
    "employee_id,grant_id,choice,received_at,form_id,channel\n"
    "E1,G1,exchange,2001-09-27T23:59:59-04:00,F1,email\n"
    "E2,G2,keep,2001-09-28 00:00:00 EDT,F2,paper\n"
)
CELLS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "1e9", "-1", "NaN", "2001-02-30", '"', '""x', "\r", "\ufeff", "9" * 40]),
)


@st.composite
def csv_files(draw: st.DrawFn, seed: str) -> bytes:
    lines = seed.splitlines()
    if draw(st.booleans()):
        return apply(draw(EDITS), seed.encode())
    rows = [lines[0]]
    width = len(lines[0].split(","))
    for _ in range(draw(st.integers(0, 6))):
        n = draw(st.sampled_from([width, width, width - 1, width + 1]))
        rows.append(",".join(draw(CELLS).replace("\n", " ") for _ in range(n)))
    return "\n".join(rows).encode("utf-8", "surrogatepass")


@FUZZ
@given(roster=csv_files(ROSTER), elections=csv_files(ELECTIONS))
def test_csv_readers(roster: bytes, elections: bytes) -> None:
    from offerledger.ingest.csvrows import (
        ELECTION_COLUMNS,
        ROSTER_COLUMNS,
        ElectionRow,
        RosterRow,
        rows_from_bytes,
    )

    with contextlib.suppress(OfferLedgerError):
        rows_from_bytes(roster, Path("roster.csv"), RosterRow, ROSTER_COLUMNS)
    with contextlib.suppress(OfferLedgerError):
        rows_from_bytes(elections, Path("elections.csv"), ElectionRow, ("employee_id",))
        rows_from_bytes(elections, Path("elections.csv"), ElectionRow, ELECTION_COLUMNS)


WAIVER = '{\n  "effective": {"kind": "date", "on": "2001-09-20"},\n  "condition_id": "7(b)",\n  "condition_kind": "other"\n}\n'  # noqa: E501
JSONS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder for this module's ledger and the files its cases write: in memory when the
    machine has /dev/shm, else a temporary folder."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path_factory.mktemp("fuzz")
        return
    folder = Path(tempfile.mkdtemp(prefix="offerledger-fuzz-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def demo_ledger(scratch: Path) -> tuple[str, Path]:
    from offerledger.demo import run_demo

    folder = scratch / "ledger"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        run_demo(str(folder / "demo.db"), passphrase=b"test-passphrase", employees=4)
    return str(folder / "demo.db"), folder


@FUZZ
@given(
    text=st.one_of(
        mutated(WAIVER.encode()).map(lambda b: b.decode("utf-8", "replace")),
        st.dictionaries(
            st.sampled_from(["effective", "condition_id", "condition_kind", "x", "recorded"]),
            JSONS,
        ).map(json.dumps),
        JSONS.map(json.dumps),
    )
)
def test_record_file_json(
    text: str, demo_ledger: tuple[str, Path], scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offerledger.cli import cli

    db, folder = demo_ledger
    monkeypatch.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
    path = scratch / "in.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(
        cli,
        ["--db", db, "--demo-keys-ok", "record", "condition-waived", "--key",
         "Russell I. Zuckerman", "--file", str(path)],
    )  # fmt: skip
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.startswith("Error: "), result.stderr


@dataclass(frozen=True)
class Bundle:
    """An exported bundle, its root key id and its members (read once for every case)."""

    zipped: bytes
    root: str
    members: tuple[tuple[zipfile.ZipInfo, bytes], ...]

    @property
    def checked(self) -> list[str]:
        return [i.filename for i, _ in self.members if i.filename not in UNCHECKED]


@pytest.fixture(scope="module")
def bundle(demo_ledger: tuple[str, Path]) -> Bundle:
    from offerledger.cli import cli

    db, folder = demo_ledger
    out = folder / "e.zip"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        mp.setenv("OFFERLEDGER_KEY_PASSPHRASE", "test-passphrase")
        runner = CliRunner()
        result = runner.invoke(cli, ["--db", db, "export", "evidence", "--employee", "E0001",
                                     "--out", str(out)])  # fmt: skip
        assert result.exit_code == 0, result.stderr
        root = json.loads(runner.invoke(cli, ["--db", db, "verify", "--json"]).stdout)
    with zipfile.ZipFile(out) as z:
        members = tuple((info, z.read(info)) for info in z.infolist())
    return Bundle(out.read_bytes(), str(root["root_key_id"]), members)


def _rezip(bundle: Bundle, name: str, content: bytes) -> bytes:
    """The bundle with member ``name`` replaced, stored uncompressed (the verifier reads either;
    deflating every member again was a tenth of a case's time)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for info, data in bundle.members:
            data = content if info.filename == name else data
            dst.writestr(info, data, compress_type=zipfile.ZIP_STORED)
    return buf.getvalue()


UNCHECKED = ("README.txt", "offerledger_verify.py")  # what the verifier does not read


@FUZZ
@given(whole=st.booleans(), member=st.integers(0, 2**16), edits=EDITS)
def test_bundle_verifier_on_mutated_bundles(
    whole: bool,
    member: int,
    edits: list[tuple[str, int, int, bytes]],
    bundle: Bundle,
    scratch: Path,
) -> None:
    from offerledger import offerledger_verify

    root, names = bundle.root, bundle.checked
    changed: bool | None = None
    if whole:
        mutant = apply(edits, bundle.zipped)
    else:
        name = names[member % len(names)]
        content = {i.filename: d for i, d in bundle.members}[name]
        mutated_content = apply(edits, content)
        mutant, changed = _rezip(bundle, name, mutated_content), mutated_content != content
    path = scratch / "b.zip"
    path.write_bytes(mutant)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = offerledger_verify.main([str(path), "--trust", root])
    assert "Traceback" not in err.getvalue()
    assert code in (0, 1, 2)
    if changed:  # a changed member the verifier reads is never accepted
        assert code in (1, 2), (out.getvalue(), err.getvalue())
    if code == 2:
        assert err.getvalue().startswith(f"{path}: unusable: "), err.getvalue()
