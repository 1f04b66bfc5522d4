"""Every rule text a finding prints is either a verbatim quote with the address its words were
checked at, or labelled a paraphrase and never put in quotation marks (issue 10)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.demo import run_demo
from offerledger.domain.rule_texts import CITATIONS, DART_14E

# 17 CFR 240.14e-1, introductory text and the first sentence of (a), (b) and (c), as published
# at DART_14E (read through the search tool on 2026-12-01; the FDIC's 2009 copy, FDIC_14E, has
# the same words). The verbatim citations are checked against this text, fragment by fragment.
PUBLISHED_14E1 = """As a means reasonably designed to prevent fraudulent, deceptive or manipulative
acts or practices within the meaning of section 14(e) of the Act, no person who makes a tender
offer shall:
(a) Hold such tender offer open for less than twenty business days from the date such tender
offer is first published or sent to security holders; provided, however, that if the tender
offer involves a roll-up transaction as defined in Item 901(c) of Regulation S-K (17 CFR
229.901(c)) and the securities being offered are registered (or authorized to be registered) on
Form S-4 (17 CFR 229.25) or Form F-4 (17 CFR 229.34), the offer shall not be open for less than
sixty calendar days from the date the tender offer is first published or sent to security
holders;
(b) Increase or decrease the percentage of the class of securities being sought or the
consideration offered or the dealer's soliciting fee to be given in a tender offer unless such
tender offer remains open for at least ten business days from the date that notice of such
increase or decrease is first published or sent or given to security holders.
(c) Fail to pay the consideration offered or return the securities deposited by or on behalf of
security holders promptly after the termination or withdrawal of a tender offer."""


def _words(text: str) -> str:
    return " ".join(text.split())


def test_verbatim_quotes_are_the_published_words() -> None:
    published = _words(PUBLISHED_14E1)
    verbatim = {name: c for name, c in CITATIONS.items() if c.verbatim}
    assert set(verbatim) == {"C_14E1A", "C_14E1B", "C_14E1C"}
    for name, citation in verbatim.items():
        assert citation.url == DART_14E and citation.source.startswith("17 CFR 240.14e-1(")
        at = 0
        for fragment in citation.quote.split(" ... "):  # shortened only with "..."
            found = published.find(_words(fragment), at)
            assert found >= 0, (name, fragment)
            at = found + len(fragment)


def test_the_others_are_labelled_paraphrases() -> None:
    for name, citation in CITATIONS.items():
        label = citation.label
        if citation.verbatim:
            assert label.startswith(f'"{citation.quote}" ({citation.source}; verbatim, as at ')
            assert citation.url in label and citation.url.startswith("https://"), name
            assert citation.as_json()["quote"] == citation.quote
        else:
            assert label.startswith("[paraphrase, not the rule's words] "), name
            assert '"' not in label and "“" not in label, name  # never in quotation marks
            data = citation.as_json()
            assert (data["quote"], data["paraphrase"], data["verbatim"]) == (
                None,
                citation.quote,
                False,
            )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("rule-texts")
    db = str(folder / "demo.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OFFERLEDGER_KEYS", str(folder / "keys"))
        mp.setenv("OFFERLEDGER_READ_MODEL", str(folder / "rm.sqlite"))
        run_demo(db, passphrase=b"test-passphrase", employees=8)
    return db


def run(db: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_every_printed_rule_text_is_verbatim_with_its_source_or_a_paraphrase(
    demo: str, tmp_path: Path
) -> None:
    text = run(demo, "findings")
    lines = [line for line in text.splitlines() if line.startswith("  rule: ")]
    assert lines
    quoted = re.compile(r'^  rule: "[^"]+" \(17 CFR 240\.14e-1\([abc]\); verbatim, as at https://')
    kinds = set()
    for line in lines:
        if line.startswith('  rule: "'):
            assert quoted.match(line), line
            kinds.add("verbatim")
        else:
            assert line.startswith("  rule: [paraphrase, not the rule's words] "), line
            assert '"' not in line, line
            kinds.add("paraphrase")
    assert kinds == {"verbatim", "paraphrase"}

    for f in json.loads(run(demo, "findings", "--json"))["findings"]:
        c = f["citation"]
        if c["verbatim"]:
            assert c["quote"] and c["url"].startswith("https://") and c["paraphrase"] is None
        else:
            assert c["quote"] is None and c["paraphrase"] and c["url"] == ""
        assert f"  rule: {c['label']}" in text  # the text prints the same label

    run(demo, "report", "--out", str(tmp_path / "r"))
    html = (tmp_path / "r" / "findings.html").read_text()
    quotes = re.findall(r"<blockquote>(.*?)</blockquote>", html, re.S)
    assert quotes and all("verbatim, as at https://" in q for q in quotes)
    assert re.search(r"Paraphrase, not the rule(&#39;|')s words:", html)
