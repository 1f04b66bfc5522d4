"""The HTML report in a real browser: Debian's chromium, headless, opens each page of the demo's
report from ``file://`` and the test reads the DOM it built (the verification line, the three
Amendment No. 2 passages and the Section 7 redline, the dashboard's counts, a finding), checks
no page logs to the console, prints the offer page to PDF and screenshots the offer page and
the dashboard; follows the dashboard to employees' pages (standings equal ``elections``, each
form with its time and channel, the letter) and runs ``report --pdf`` (a PDF with its pages).

Skipped when chromium is not installed, unless ``OFFERLEDGER_REQUIRE_CHROMIUM=1`` (CI): then
it fails.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.demo import FILING_NAME, run_demo
from offerledger.demo_amendment import quoted_passages
from offerledger.projections.report import PAGES

FILING = Path(__file__).resolve().parent / "fixtures" / FILING_NAME
REQUIRE = os.environ.get("OFFERLEDGER_REQUIRE_CHROMIUM") == "1"


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if REQUIRE:
            pytest.fail("OFFERLEDGER_REQUIRE_CHROMIUM=1 but chromium is not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The demo ledger and its report (the redline from the day before Amendment No. 2)."""
    folder = tmp_path_factory.mktemp("report-browser")
    db = str(folder / "demo.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        run_demo(db, passphrase=b"test-passphrase")
    out = folder / "report"
    result = CliRunner().invoke(
        cli, ["--db", db, "report", "--out", str(out), "--from", "2001-09-12"]
    )
    assert result.exit_code == 0, result.stderr
    yield db, out


def browse(chromium: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def dom(chromium: str, page: Path) -> tuple[str, str]:
    """The DOM chromium built (entities resolved, whitespace collapsed) and its console lines."""
    done = browse(chromium, "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri())
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return " ".join(html.unescape(done.stdout).split()), "\n".join(console)


def cli_json(db: str, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_console_errors_are_caught(chromium: str, tmp_path: Path) -> None:
    """The console check below can fail: a page that logs is seen."""
    page = tmp_path / "bad.html"
    page.write_text('<script>console.error("report-test-marker")</script>', encoding="utf-8")
    assert "report-test-marker" in dom(chromium, page)[1]


def test_pages_in_chromium(chromium: str, demo: tuple[str, Path]) -> None:
    db, out = demo
    line = cli_json(db, "text", "--format", "json")["verification"]["line"]  # type: ignore[index]
    pages = {}
    for name, _ in PAGES:
        text, console = dom(chromium, out / name)
        assert console == "", f"{name} logged to the console:\n{console}"
        assert f'id="verification">{line}</p>' in text, name
        pages[name] = text

    offer = pages["offer.html"]
    for passage in quoted_passages(FILING.read_bytes()):
        assert " ".join(passage.split()) in offer
    s7 = offer[offer.index('id="change-s7-last"') : offer.index('id="change-s17-p1"')]
    assert "<del>" in s7 and "<ins>" in s7
    assert "Amendment No. 2 (SC TO-I/A) filed 2001-09-13</strong>; event #" in s7

    summary = cli_json(db, "elections", "--format", "json")["summary"]
    total = summary["total"]  # type: ignore[index]
    row = pages["elections.html"].split('data-plan="all plans">')[1].split("</tr>")[0]
    assert f'<td class="n">{total["grants_tendered"]:,}</td>' in row
    assert f'<td class="n">{total["options_tendered"]:,}</td>' in row
    assert 'class="synthetic"' in pages["elections.html"]

    items = cli_json(db, "findings", "--json")["findings"]
    first = items[0]  # type: ignore[index]
    assert f"{first['rule']}: {first['title']}" in pages["findings.html"]


def test_prints_and_screenshots(chromium: str, demo: tuple[str, Path], tmp_path: Path) -> None:
    _, out = demo
    pdf = tmp_path / "offer.pdf"
    browse(
        chromium, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", (out / "offer.html").as_uri()
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000
    assert b"/Title (Offer redline: Offer to Exchange)" in data
    for name in ("offer.html", "elections.html"):
        shot = tmp_path / f"{name}.png"
        browse(
            chromium,
            "--hide-scrollbars",
            "--window-size=1200,1400",
            f"--screenshot={shot}",
            (out / name).as_uri(),
        )
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000


def test_employee_pages_in_chromium(chromium: str, demo: tuple[str, Path]) -> None:
    """The dashboard links each employee's page; the pages chromium builds show the standings
    ``elections`` gives, every form with its time and channel, the letter, the banners."""
    db, out = demo
    line = cli_json(db, "text", "--format", "json")["verification"]["line"]  # type: ignore[index]
    dashboard, _ = dom(chromium, out / "elections.html")
    everyone = cli_json(db, "elections", "--format", "json")["employees"]
    for e in everyone:  # type: ignore[attr-defined]
        assert f'<a href="employees/{e["employee_id"]}.html">{e["employee_id"]}</a>' in dashboard
    # a change of mind, a withdrawal, a form refused as late
    for employee, kind in (("E0024", "change"), ("E0009", "withdraw"), ("E0298", "refused")):
        text, console = dom(chromium, out / "employees" / f"{employee}.html")
        assert console == "", f"{employee} logged to the console:\n{console}"
        assert f'id="verification">{line}</p>' in text
        assert 'class="synthetic" id="synthetic">SYNTHETIC: ' in text
        assert '<a href="../elections.html">Elections</a>' in text
        shown = cli_json(db, "elections", "--format", "json", "--employee", employee)
        (status,) = shown["employees"]  # type: ignore[index]
        for grant in status["grants"]:
            row = text.split(f'<tr data-grant="{grant["grant_id"]}">')[1].split("</tr>")[0]
            assert f'data-standing="{grant["standing"]}"' in row
        assert f'<tr data-kind="{kind}">' in text
        acts = [status["last_act"], *status["refused"]]
        for act in (a for a in acts if a):
            received = act.get("received_at") or act.get("received")
            assert f'<th scope="row">{received}</th><td>{act["form_id"]}</td>' in text
            assert f"<td>{act['channel']}</td>" in text
    late = dom(chromium, out / "employees" / "E0298.html")[0]
    assert '<pre class="letter" id="letter-text">SYNTHETIC DATA.' in late
    assert "Your election form in the Offer to Exchange" in late


def test_report_pdf(chromium: str, tmp_path: Path) -> None:
    """report --pdf: one PDF of every page, printed by chromium (a 12-employee demo)."""
    db = str(tmp_path / "small.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(tmp_path / "keys"))
        run_demo(db, passphrase=b"test-passphrase", employees=12)
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["--db", db, "report", "--out", str(out), "--pdf"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == str(out / "report.pdf")
    data = (out / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages > 12  # five report pages and twelve employees, a page break between each
    assert not (out / "report.pdf.part").exists()
