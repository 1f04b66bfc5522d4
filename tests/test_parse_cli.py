"""``offerledger parse FILE``: what the parser reads, with its lines, and no ledger at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from test_ingest_support import FIXTURES, TO_C_2001, TO_I_2001

MPOWER = FIXTURES / "mpower-schedule-to-amendment-2-2001-09-13.txt"


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no ledger, no keys and no passphrase."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OFFERLEDGER_KEY_PASSPHRASE", raising=False)
    monkeypatch.setenv("OFFERLEDGER_KEYS", str(tmp_path / "no-keys"))
    return tmp_path


def parse(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["parse", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_reference_amendment_needs_no_ledger(nowhere: Path) -> None:
    code, out, err = parse(str(MPOWER))
    assert code == 0, err
    assert os.listdir(nowhere) == []  # no ledger, no keystore, nothing written
    lines = out.splitlines()
    heads = [line.split(":", 1)[0] for line in lines if line.startswith("instruction ")]
    assert heads == [
        "instruction A. lines 97-115",
        "instruction B. lines 117-124",
        "instruction C. lines 126-141",
        "instruction D. lines 143-147",
    ]
    assert "  new text, lines 130-141: The safe harbor for forward-looking statements" in out
    assert (
        lines.count(
            "  unresolved: it needs the offer's document as the ledger holds it (no ledger here)"
        )
        == 3
    )
    assert (
        "notice, lines 187-263: Exhibit (a)(11) (amendment_notice) by email and paper to Mpower "
        "Employees, dated 2001-09-13; deadline 2001-09-27T23:59:00-04:00"
    ) in lines
    assert lines[-1] == "not understood: nothing"


def test_json_names_every_item_with_its_lines(nowhere: Path) -> None:
    code, out, _ = parse(str(MPOWER), "--json")
    assert code == 0
    data = json.loads(out)
    assert [
        (i["label"], i["first_line"], i["last_line"], i["action"], i["resolution"][:10])
        for i in data["instructions"]
    ] == [
        ("A", 97, 115, "replace", "unresolved"),
        ("B", 117, 124, "replace", "unresolved"),
        ("C", 126, 141, "insert_after", "unresolved"),
        ("D", 143, 147, "file_exhibit", "needs no d"),
    ]
    assert data["instructions"][0]["targets"] == [
        "the last paragraph of Section 7 (Conditions of the Offer), page 27, of Exhibit (a)(1) to "
        "the Tender Offer Statement"
    ]
    assert data["instructions"][1]["new_text"] == [
        {
            "first_line": 122,
            "last_line": 124,
            "text": "This Offer to Exchange and our Securities and Exchange Commission reports "
            "referred to above include forward-looking statements.",
        }
    ]
    assert [(n["exhibit_id"], n["channels"]) for n in data["notices"]] == [
        ("(a)(11)", ["email", "paper"])
    ]
    assert data["cover"]["amendment_number"] == 2 and data["not_understood"] == []
    assert data["offer_document"] is None and data["terms"] is None


def test_a_to_i_shows_its_document_terms_and_header(nowhere: Path) -> None:
    code, out, _ = parse(str(TO_I_2001), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["submission"]["accession_number"] == "0000999999-01-000101"
    assert [d["type"] for d in data["submission"]["documents"]] == [
        "SC TO-I",
        "EX-99.(A)(1)",
        "EX-99.(A)(2)",
        "EX-99.(A)(3)",
    ]
    assert data["terms"]["expiration"] == "2001-10-31T00:00:00-05:00"
    doc = data["offer_document"]
    s6 = next(p for p in doc["parts"] if p["id"] == "s6")
    assert (s6["number"], s6["page"], s6["first_line"], len(s6["paragraphs"])) == ("6", "6", 373, 5)
    assert s6["paragraphs"][1] == {
        "first_line": 379,
        "last_line": 380,
        "id": "s6-p2",
        "style": "bullet",
        "page": "6",
        "sentences": [
            "any action or proceeding by any government agency or other person has been "
            "threatened or instituted that challenges the offer;"
        ],
    }
    code, out, _ = parse(str(TO_I_2001))
    assert "  lines 373-390: Section 6. CONDITIONS OF THE OFFER [s6], page 6, 5 paragraph(s)" in out
    assert "expiration: 2001-10-31T00:00:00-05:00" in out


def test_what_is_not_understood_is_listed_with_its_lines(nowhere: Path) -> None:
    broken = nowhere / "two-expirations.txt"
    broken.write_bytes(
        TO_C_2001.read_bytes().replace(
            b"We expect the offer to commence",
            b"The offer expires at 5:00 p.m., Eastern Time, on October 29, 2001. The offer "
            b"expires at 5:00 p.m., Eastern Time, on October 30, 2001. We expect the offer to "
            b"commence",
        )
    )
    code, out, _ = parse(str(broken))
    assert code == 0
    tail = out.splitlines()[-3:]
    assert tail[0] == "not understood: 2"
    assert tail[1].startswith(
        "  line 88: Exhibit 99.1 states the expiration as '5:00 p.m., Eastern"
    )
    assert tail[1].endswith("the filing states 2 different expirations (refused on ingest)")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"Dear employee, nothing to see here.\n", "no Schedule TO cover page was found"),
    ],
)
def test_unreadable_files_exit_2_with_the_file_named(
    nowhere: Path, content: bytes, message: str
) -> None:
    path = nowhere / "bad.txt"
    path.write_bytes(content)
    code, out, err = parse(str(path))
    assert code == 2 and out == ""
    assert err.splitlines()[0] == f"Error: {path}: {message}"
