"""The package ships what it runs: the public names are pinned, ``import offerledger`` stays
cheap, ``python -m offerledger`` is the CLI, a bug exits 70 (never 1), and a wheel built from
this tree holds every file of the package (data, templates, the standalone verifier) and the
LICENSE. (.ci/run installs such a wheel into a fresh venv and runs the demo from it.)"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import offerledger
from offerledger.cli import INTERNAL_ERROR, main

ROOT = Path(__file__).resolve().parent.parent

PUBLIC = [
    "CheckpointError",
    "ConcurrentWrite",
    "DisclosureInvalid",
    "DocumentAltered",
    "DocumentView",
    "ElectionSummary",
    "EmployeeStatus",
    "EnvelopeUndecodable",
    "Finding",
    "InputError",
    "KeyFileError",
    "KeyNotFound",
    "Ledger",
    "LedgerView",
    "LogEntry",
    "NonCanonicalValue",
    "OfferLedgerError",
    "Problem",
    "ProofInvalid",
    "PublicKeyRejected",
    "RuleViolation",
    "SignatureInvalid",
    "Standing",
    "StorageError",
    "Undecodable",
    "UnknownEntity",
    "VerifyReport",
    "__version__",
    "append_checkpoint",
    "events",
    "read",
    "verify",
    "write_checkpoint",
]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


# --- the public names -----------------------------------------------------------------------


def test_all_is_pinned_and_sorted() -> None:
    assert offerledger.__all__ == PUBLIC, "a change to the public API: update docs/api.md too"
    assert sorted(PUBLIC) == PUBLIC


def test_every_public_name_resolves_and_the_errors_share_one_root() -> None:
    namespace: dict[str, object] = {}
    exec("from offerledger import *", namespace)
    assert set(PUBLIC) <= set(namespace) and set(PUBLIC) <= set(dir(offerledger))
    errors = [getattr(offerledger, n) for n in PUBLIC if n[0].isupper() and "Error" in n]
    assert all(issubclass(e, offerledger.OfferLedgerError) for e in errors)
    assert offerledger.events.TOPICS
    assert offerledger.Ledger.__module__ == "offerledger.ledger"
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        offerledger.nothing_here  # type: ignore[attr-defined]  # noqa: B018


def test_import_offerledger_loads_no_storage_crypto_or_event_models() -> None:
    heavy = ("eventsourcing", "cryptography", "pydantic", "offerledger.events", "click", "rich")
    probe = f"import sys, offerledger; print([m for m in {heavy!r} if m in sys.modules])"
    assert run("-c", probe).stdout.strip() == "[]"


def test_version_is_the_installed_distributions() -> None:
    assert offerledger.__version__ == importlib.metadata.version("offerledger")
    done = run("-m", "offerledger", "--version")
    assert (done.returncode, done.stdout) == (
        0,
        f"offerledger, version {offerledger.__version__}\n",
    )


def test_python_dash_m_offerledger_is_the_cli() -> None:
    done = run("-m", "offerledger", "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: offerledger [OPTIONS] COMMAND [ARGS]...")


# --- a bug exits 70, not 1 ------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_exception_exits_70_not_1(
    debug: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something no command expected")

    monkeypatch.setattr(offerledger.Ledger, "open", broken)
    argv = ["offerledger", "--db", str(tmp_path / "x.db"), *(["--debug"] if debug else []), "log"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == INTERNAL_ERROR == 70
    err = capsys.readouterr().err
    assert "Error: internal error: RuntimeError: something no command expected\n" in err
    assert "Hint: this is a bug in offerledger; run the command again with --debug" in err
    assert ("Traceback (most recent call last)" in err) is debug


# --- the wheel ------------------------------------------------------------------------------


def package_files(top: Path) -> set[str]:
    """Every file of the package as the source tree holds it (following the projections
    symlink), as wheel paths."""
    found = set()
    for folder, dirs, files in os.walk(top, followlinks=True):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if not name.endswith(".pyc"):
                found.add((Path(folder) / name).relative_to(top.parent).as_posix())
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built (sdist first, then the wheel from it) from a copy of this tree, so that a
    stale build/ folder cannot add files and the sdist must be complete."""
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, tree / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "src", tree / "src", symlinks=True, ignore=ignore)
    shutil.copytree(ROOT / "projections", tree / "projections", ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    done = run("-m", "build", "--outdir", str(out), str(tree))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (built,) = out.glob("offerledger-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_every_file_of_the_package_and_nothing_else(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n for n in names if n.startswith("offerledger/")}
    expected = package_files(ROOT / "src" / "offerledger")
    assert sorted(expected - shipped) == [], "not in the wheel: add them to package-data"
    assert sorted(shipped - expected) == []
    for needed in (
        "offerledger/__init__.py",
        "offerledger/__main__.py",
        "offerledger/offerledger_verify.py",
        "offerledger/data/__init__.py",
        "offerledger/data/mpower-schedule-to-amendment-2-2001-09-13.txt",
        "offerledger/projections/templates/final_amendment.txt.j2",
        "offerledger/py.typed",
    ):
        assert needed in shipped


@pytest.mark.slow
def test_the_wheel_carries_the_license_and_both_commands(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        info = wheel.name.split("-py3")[0]
        license_text = z.read(f"{info}.dist-info/licenses/LICENSE")
        metadata = z.read(f"{info}.dist-info/METADATA").decode()
        entry_points = z.read(f"{info}.dist-info/entry_points.txt").decode()
    assert license_text == (ROOT / "LICENSE").read_bytes()
    assert license_text.startswith(b"\n                                 Apache License\n")
    assert "License-Expression: Apache-2.0\n" in metadata
    assert "License-File: LICENSE\n" in metadata
    assert "offerledger = offerledger.cli:main" in entry_points
    assert "offerledger-verify = offerledger.offerledger_verify:main" in entry_points
