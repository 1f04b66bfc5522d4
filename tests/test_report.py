"""``offerledger report --out DIR`` over the reference demo: the pages, their first line, the
redline of Amendment No. 2, the dashboard's counts, determinism and accessibility (the browser
test is tests/test_report_browser.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.projections.report import PAGES, environment, redline_runs


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("report-demo")
    db = str(folder / "demo.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        run_demo(db, passphrase=b"test-passphrase")
    yield db


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def report(db: str, out: Path, *args: str) -> dict[str, str]:
    code, stdout, stderr = run(db, "report", "--out", str(out), *args)
    assert code == 0, stderr
    assert stdout.split() == [str(out / name) for name, _ in PAGES]
    return {name: (out / name).read_text(encoding="utf-8") for name, _ in PAGES}


class Visible(HTMLParser):
    """The visible text lines of a page (head, style and SVG titles left out), and its tags."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("head", "style", "title", "svg"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "title", "svg"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.lines.append(" ".join(data.split()))


def parsed(html: str) -> Visible:
    v = Visible()
    v.feed(html)
    return v


def test_every_page_begins_with_the_verification_line(demo: str, tmp_path: Path) -> None:
    code, text, _ = run(demo, "text")
    first = text.splitlines()[0]
    assert first.startswith("UNVERIFIED: ")
    for name, html in report(demo, tmp_path / "r").items():
        assert parsed(html).lines[0] == first, name


def test_after_verify_the_pages_say_verified(demo: str, tmp_path: Path) -> None:
    code, _, err = run(demo, "verify")
    assert code == 0, err
    pages = report(demo, tmp_path / "r")
    # a demo ledger: its keys are public, so no page says plain "verified"
    notice = "NOT EVIDENCE (keys public: a demo ledger): signatures verified: "
    assert all(parsed(h).lines[0].startswith(notice) for h in pages.values())
    assert all('class="verification verified keys-public"' in h for h in pages.values())


def test_synthetic_pages_say_so(demo: str, tmp_path: Path) -> None:
    pages = report(demo, tmp_path / "r")
    for name in ("index.html", "elections.html", "timeline.html", "findings.html"):
        assert parsed(pages[name]).lines[1].startswith("SYNTHETIC: "), name
    offer = parsed(pages["offer.html"]).lines
    if any("SYNTHETIC" in line for line in offer[2:]):  # a change by a synthetic actor or event
        assert offer[1].startswith("SYNTHETIC: ")
    else:
        assert "SYNTHETIC" not in pages["offer.html"]


def test_same_ledger_same_bytes(demo: str, tmp_path: Path) -> None:
    one, two = report(demo, tmp_path / "a"), report(demo, tmp_path / "b")
    assert one == two


def test_redline_marks_amendment_2_with_its_filing_and_event(demo: str, tmp_path: Path) -> None:
    html = report(demo, tmp_path / "r", "--from", "2001-09-12", "--as-of", "2001-09-13")
    offer = html["offer.html"]
    ids = re.findall(r'<section class="change (\w+)" id="change-([\w-]+)"', offer)
    assert ids[:2] == [("changed", "s7-last"), ("changed", "s17-p1")]
    assert ids[2][0] == "added"
    s7 = offer[offer.index('id="change-s7-last"') : offer.index('id="change-s17-p1"')]
    assert "<del>" in s7 and "<ins>" in s7
    assert "conditions that are dependent upon the receipt" in s7
    assert "Filing: <strong>Amendment No. 2 (SC TO-I/A) filed 2001-09-13</strong>; event #" in s7
    assert (
        "No changes."
        in report(demo, tmp_path / "n", "--from", "2001-09-01", "--as-of", "2001-09-12")[
            "offer.html"
        ]
    )


def test_dashboard_counts_equal_elections_json(demo: str, tmp_path: Path) -> None:
    _, out, _ = run(demo, "elections", "--format", "json")
    summary = json.loads(out)["summary"]
    html = report(demo, tmp_path / "r")["elections.html"]
    for plan in [summary["total"], *summary["by_plan"]]:
        row = re.search(rf'<tr data-plan="{plan["plan"]}">(.*?)</tr>', html)
        assert row is not None
        cells = [
            int(c.replace(",", "")) for c in re.findall(r'<td class="n">([\d,]+)</td>', row[1])
        ]
        assert cells == [
            plan[k]
            for k in (
                "employees_eligible",
                "employees_tendering",
                "grants_eligible",
                "grants_tendered",
                "options_eligible",
                "options_tendered",
            )
        ]


def test_findings_page_quotes_each_rule(demo: str, tmp_path: Path) -> None:
    _, out, _ = run(demo, "findings", "--json")
    items = json.loads(out)["findings"]
    html = report(demo, tmp_path / "r")["findings.html"]
    assert html.count('<section class="finding"') == len(items)
    overdue = [f for f in items if f["status"] == "overdue"]
    assert overdue and f"{overdue[0]['rule']}: {overdue[0]['title']}" in html


def test_self_contained_and_accessible(demo: str, tmp_path: Path) -> None:
    for name, html in report(demo, tmp_path / "r").items():
        tags = parsed(html).tags
        assert not any(t in ("script", "link", "img", "iframe") for t, _ in tags), name
        assert not re.search(r'(src|href)="(https?:)?//', html), name
        tables = sum(1 for t, _ in tags if t == "table")
        assert tables == sum(1 for t, _ in tags if t == "caption"), name
        assert all(a.get("scope") in ("col", "row") for t, a in tags if t == "th"), name
        assert "@media print" in html


def test_templates_escape_what_they_print() -> None:
    assert environment().from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"


def test_redline_runs_word_by_word() -> None:
    runs = redline_runs(
        "The offer expires on May 1. It may be extended.",
        "The offer expires on June 1. It may be extended.",
    )
    assert ("del", "May ") in runs and ("ins", "June ") in runs
    assert (
        "".join(t for op, t in runs if op != "del")
        == "The offer expires on June 1. It may be extended."
    )
    assert redline_runs("[not on file: x]", "A whole new paragraph of text.")[0] == (
        "del",
        "[not on file: x]",
    )
