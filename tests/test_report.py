"""``offerledger report --out DIR`` over the reference demo: the pages, their first line, the
redline of Amendment No. 2, the dashboard's counts, determinism and accessibility (the browser
test is tests/test_report_browser.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape as html_unescape
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
    written = stdout.split()
    assert written[: len(PAGES)] == [str(out / name) for name, _ in PAGES]
    assert all(w.startswith(str(out / "employees") + "/") for w in written[len(PAGES) :])
    return {
        str(Path(name).relative_to(out)): Path(name).read_text(encoding="utf-8") for name in written
    }


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


def test_each_employee_has_a_page_linked_from_the_dashboard(demo: str, tmp_path: Path) -> None:
    _, out, _ = run(demo, "elections", "--format", "json")
    employees = json.loads(out)["employees"]
    pages = report(demo, tmp_path / "r")
    files = sorted(name for name in pages if name.startswith("employees/"))
    assert files == sorted(f"employees/{e['employee_id']}.html" for e in employees)
    dashboard = pages["elections.html"]
    assert all(f'<a href="{name}">' in dashboard for name in files)
    for e in employees:
        page = pages[f"employees/{e['employee_id']}.html"]
        lines = parsed(page).lines
        assert lines[0] == parsed(pages["index.html"]).lines[0]  # the same verification line
        assert lines[1].startswith("SYNTHETIC: ")  # the demo's roster is synthetic
        for grant in e["grants"]:
            row = re.search(rf'<tr data-grant="{grant["grant_id"]}">(.*?)</tr>', page)
            assert row is not None and f'data-standing="{grant["standing"]}"' in row[1]
        acts = re.findall(
            r'<tr data-kind="(\w+)"><th scope="row">([^<]+)</th><td>([^<]+)</td>', page
        )
        if e["last_act"] is not None:
            last = e["last_act"]
            assert (last["kind"], last["received_at"], last["form_id"]) in acts
        assert len([a for a in acts if a[0] == "refused"]) == len(e["refused"])
        tendering = any(g["standing"] == "exchange" for g in e["grants"])
        assert f'data-tendering="{"yes" if tendering else "no"}"' in page


def test_employee_pages_quote_their_letters(demo: str, tmp_path: Path) -> None:
    code, _, err = run(demo, "letters", "--out", str(tmp_path / "letters"))
    assert code == 0, err
    pages = report(demo, tmp_path / "r")
    letters = sorted((tmp_path / "letters").glob("*.txt"))
    assert letters
    for letter in letters:
        page = pages[f"employees/{letter.stem}.html"]
        shown = html_unescape(
            page.split('<pre class="letter" id="letter-text">')[1].split("</pre>")[0]
        )
        body = letter.read_text(encoding="utf-8")
        assert shown.strip() and shown.strip() in body  # the letter, under its verification line
    without = [
        n
        for n in pages
        if n.startswith("employees/") and Path(n).stem not in {p.stem for p in letters}
    ]
    assert without and 'id="no-letter">No letter: ' in pages[without[0]]


def test_refused_late_form_on_its_employee_page(demo: str, tmp_path: Path) -> None:
    page = report(demo, tmp_path / "r")["employees/E0298.html"]
    row = re.search(r'<tr data-kind="refused">(.*?)</tr>', page)
    assert row is not None
    assert "2001-09-28T09:12:00-04:00" in row[1] and "F-E0298-1" in row[1] and "paper" in row[1]
    assert "election-window" in row[1]


def test_an_employee_no_longer_shown_keeps_no_page(demo: str, tmp_path: Path) -> None:
    out = tmp_path / "r"
    (out / "employees").mkdir(parents=True)
    (out / "employees" / "E9999.html").write_text("old", encoding="utf-8")
    (out / "employees" / "notes.txt").write_text("mine", encoding="utf-8")
    report(demo, out)
    assert not (out / "employees" / "E9999.html").exists()
    assert (out / "employees" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_pdf_without_chromium_exit_2_and_nothing_written(
    demo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv("OFFERLEDGER_CHROMIUM", raising=False)
    code, out, err = run(demo, "report", "--out", str(tmp_path / "r"), "--pdf")
    assert code == 2
    assert "report --pdf needs Chromium" in err and "chromium" in err and "apt-get install" in err
    assert out == "" and not (tmp_path / "r").exists()
    monkeypatch.setenv("OFFERLEDGER_CHROMIUM", str(tmp_path / "no-such-chromium"))
    code, _, err = run(demo, "report", "--out", str(tmp_path / "r"), "--pdf")
    assert code == 2 and "OFFERLEDGER_CHROMIUM=" in err and not (tmp_path / "r").exists()
