"""Names and ids are one line of plain text, refused at input otherwise (exit 2, where).

A roster row whose name held a line break and a terminal escape was recorded, and
``elections`` then printed a line of the attacker's choosing ("verified: all forms signed")
under the real first line, with ESC[2K to erase lines on a terminal; ``keys create --holder``
with a line break and ``ingest roster`` with one crashed as internal errors (exit 70).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from offerledger.cli import cli
from offerledger.values import one_line

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
