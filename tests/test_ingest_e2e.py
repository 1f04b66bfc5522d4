"""End to end through the command line, on SQLite and PostgreSQL: a fresh ledger, its keys, the
constructed TO-C, SC TO-I and Amendment No. 1, a roster and an election; then text, diff,
elections, findings and verify read what was recorded."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from offerledger.cli import cli
from test_ingest_support import AMENDMENT_2001, TO_C_2001, TO_I_2001

ROSTER = (
    "employee_id,name,grant_id,plan,grant_date,exercise_price,options_outstanding\n"
    "E1,Ann Lee,G1,Halvorsen Optical Networks Inc. 1998 Stock Option Plan,2000-03-01,31.25,800\n"
)
ELECTIONS = (
    "employee_id,grant_id,choice,received_at,form_id,channel\n"
    "E1,G1,exchange,2001-10-20T10:00:00-04:00,F1,paper\n"
)


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def flat(text: str) -> str:
    return " ".join(text.split())


def test_fresh_ledger_to_i_amendment_text_and_elections(ledger_db: str, tmp_path: Path) -> None:
    db = ledger_db
    assert run(db, "init")[0] == 0
    for holder, role in (
        ("Dana K. Whitcomb", "issuer_officer"),
        ("Stock Administration", "communications"),
        ("Clerk", "clerk"),
    ):
        code, _, err = run(
            db,
            "keys",
            "create",
            "--holder",
            holder,
            "--role",
            role,
            "--valid-from",
            "2001-01-01T00:00:00+00:00",
        )
        assert code == 0, err

    code, _, err = run(db, "ingest", "filing", str(TO_C_2001))
    assert code == 0 and "1 event recorded" in err
    code, out, err = run(db, "ingest", "filing", str(TO_I_2001))
    assert code == 0, err
    assert "6 events recorded" in err  # with the notice's deadline cross-check
    assert out.startswith("OfferCommenced stream ")
    code, _, err = run(db, "ingest", "filing", str(AMENDMENT_2001))
    assert code == 0 and "5 events recorded" in err, err  # and its two cross-checks

    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "elections.csv").write_text(ELECTIONS)
    assert run(db, "ingest", "roster", str(tmp_path / "roster.csv"))[0] == 0
    code, _, err = run(db, "ingest", "elections", str(tmp_path / "elections.csv"))
    assert code == 0 and "1 event recorded" in err, err

    code, out, err = run(db, "text", "--section", "6", "--from-log")
    assert code == 0, err
    assert "Section 6. CONDITIONS OF THE OFFER (page 6)" in out
    assert "Except for conditions that depend on a governmental approval" in flat(out)
    code, out, _ = run(db, "text", "--section", "6", "--as-of", "2001-10-01", "--from-log")
    assert "We may assert them before the expiration date regardless of the" in flat(out)
    code, out, err = run(db, "diff", "2001-10-01", "2001-10-16", "--from-log")
    assert code == 0, out + err
    assert "CHANGED paragraph s4-p1 in Section 4. WITHDRAWAL RIGHTS" in out
    assert "CHANGED paragraph s6-p5 in Section 6. CONDITIONS OF THE OFFER" in out

    code, out, err = run(db, "elections", "--format", "json", "--from-log")
    assert code == 0, err
    data = json.loads(out)
    text = json.dumps(data)
    assert "E1" in text and "G1" in text and "exchange" in text
    code, out, err = run(db, "findings", "--json")
    assert code == 0, err
    first = json.loads(out)["findings"][0]
    assert (first["rule"], first["status"]) == ("Rule 14e-1(a)", "met")
    code, out, err = run(db, "verify")
    assert code == 0, out + err
