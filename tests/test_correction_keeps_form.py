"""A correction the write side accepts never drops the election form it corrects.

The write side accepts a correction of any payload field of a form when the corrected event
validates (``synthetic``, ``source_sha256``, ``late_recorded_reason``, a refusal's ``reason``...).
The elections projection read only the six fields of a form's standing and dropped the whole
form for any other: marking a form synthetic, or correcting a refusal's reason, made the
employee's election vanish from ``elections`` (and the final amendment's counts) with nothing
said and ``verify`` clean. The standalone verifier's fold did the same, so the two agreed on the
wrong answer. Both now keep the form; a correction can add the SYNTHETIC label, never drop it.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from offerledger.cli import cli
from offerledger.offerledger_verify import Event, fold_elections


def run(db: str, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--db", db, *args])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def record(db: str, tmp: Path, action: str, key: str, data: dict[str, Any]) -> None:
    path = tmp / f"{action}.json"
    path.write_text(json.dumps(data))
    run(db, "record", action, "--key", key, "--file", str(path))


def template(db: str, action: str) -> dict[str, Any]:
    out = CliRunner().invoke(cli, ["--db", db, "record", action, "--template"]).stdout
    return dict(json.loads(out))


def log(db: str) -> list[dict[str, Any]]:
    return list(json.loads(run(db, "log", "--json").stdout))


def test_correcting_a_field_outside_the_standing_keeps_the_form(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    run(db, "init")
    run(db, "keys", "create", "--holder", "Officer", "--role", "issuer_officer")
    run(db, "keys", "create", "--holder", "Clerk", "--role", "clerk")
    record(db, tmp_path, "offer-commenced", "Officer", template(db, "offer-commenced"))
    grants = template(db, "eligible-grants-registered")
    record(db, tmp_path, "eligible-grants-registered", "Officer", grants)
    record(db, tmp_path, "election-submitted", "Clerk", template(db, "election-submitted"))
    refused = template(db, "election-refused")
    refused["received_at"] = "2001-11-07T10:15:00-05:00"  # after the template's expiration
    record(db, tmp_path, "election-refused", "Clerk", refused)
    rows = {r["topic"].split(".")[1]: r for r in log(db)}
    submitted, refusal = rows["ElectionSubmitted"], rows["ElectionRefused"]
    for row, fields in (
        (submitted, {"synthetic": True}),
        (refusal, {"reason": "received by mail on November 7, after the offer expired"}),
    ):
        record(
            db,
            tmp_path,
            "correction-recorded",
            "Clerk",
            {
                "effective": {"kind": "date", "on": "2001-10-12"},
                "stream": row["stream"],
                "supersedes_version": row["version"],
                "supersedes_topic": row["topic"],
                "reason": "misstated",
                "corrected": fields,
            },
        )

    for args in (("elections", "--json"), ("elections", "--json", "--from-log")):
        shown = json.loads(run(db, *args).stdout)
        (employee,) = shown["employees"]
        assert employee["grants"][0]["standing"] == "exchange", args
        assert employee["last_act"]["position"] == submitted["position"], args
        assert employee["synthetic"] is True, args  # the correction's label is shown
        assert shown["summary"]["total"]["employees_tendering"] == 1, args
        (refused_act,) = employee["refused"]
        assert refused_act["position"] == refusal["position"], args
        assert refused_act["reason"].startswith("received by mail on November 7"), args

    events = [
        Event(
            position=r["position"],
            stream=r["stream"],
            version=r["version"],
            topic=r["topic"],
            payload=r["payload"],
            action=r["topic"].split(".")[1],
        )
        for r in log(db)
    ]
    folded = fold_elections(events)["E0001"]
    assert folded["last_act"] == submitted["position"]
    assert folded["refused"] == [refusal["position"]]
    assert [g[2] for g in folded["grants"]] == ["exchange"]


def test_a_correction_naming_an_unstored_document_gets_a_hint_it_can_follow(
    tmp_path: Path,
) -> None:
    """The hint said "give the document's file with --document FILE", an option that
    correction-recorded does not have."""
    db = str(tmp_path / "l.db")
    run(db, "init")
    run(db, "keys", "create", "--holder", "Officer", "--role", "issuer_officer")
    record(db, tmp_path, "offer-commenced", "Officer", template(db, "offer-commenced"))
    grants = template(db, "eligible-grants-registered")
    record(db, tmp_path, "eligible-grants-registered", "Officer", grants)
    row = log(db)[-1]
    fix = tmp_path / "fix.json"
    fix.write_text(
        json.dumps(
            {
                "effective": {"kind": "date", "on": "2001-10-12"},
                "stream": row["stream"],
                "supersedes_version": row["version"],
                "supersedes_topic": row["topic"],
                "reason": "the roster came from another file",
                "corrected": {"source_sha256": "a" * 64},
            }
        )
    )
    args = ["--db", db, "record", "correction-recorded", "--key", "Officer", "--file", str(fix)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2
    assert "field 'corrected.source_sha256'" in refused.output
    assert "--document FILE" not in refused.output
    assert "correction-recorded takes no --document" in refused.output
    no_option = CliRunner().invoke(cli, [*args, "--document", str(fix)])
    assert no_option.exit_code == 2 and "No such option" in no_option.output


def test_verify_reports_a_stored_correction_the_reports_cannot_apply(tmp_path: Path) -> None:
    """A signed correction saved past the write side's check (an older version stored such
    ones; an insider can use the library) whose fields make no valid form: elections cannot
    apply it and drops the form, so verify must say so, and every output then says
    VERIFICATION FAILED instead of showing the employee as not tendering over "verified"."""
    from offerledger.events import CorrectionRecorded
    from offerledger.ledger import Ledger

    db = str(tmp_path / "l.db")
    run(db, "init")
    run(db, "keys", "create", "--holder", "Officer", "--role", "issuer_officer")
    run(db, "keys", "create", "--holder", "Clerk", "--role", "clerk")
    record(db, tmp_path, "offer-commenced", "Officer", template(db, "offer-commenced"))
    grants = template(db, "eligible-grants-registered")
    record(db, tmp_path, "eligible-grants-registered", "Officer", grants)
    record(db, tmp_path, "election-submitted", "Clerk", template(db, "election-submitted"))
    form = log(db)[-1]
    assert json.loads(run(db, "verify", "--json").stdout)["ok"] is True

    with Ledger.open(db) as ledger:
        signer = ledger.signer("Clerk", os.environ["OFFERLEDGER_KEY_PASSPHRASE"].encode())
        bad = CorrectionRecorded(
            originator_id=uuid.UUID(form["stream"]),
            originator_version=form["version"] + 1,
            effective={"kind": "date", "on": "2001-10-12"},
            recorded=ledger.clock(),
            actor="Clerk",
            key_id=signer.key_id,
            supersedes_version=form["version"],
            supersedes_topic=form["topic"],
            reason="the choice was misread",
            corrected={"choices": "keep"},  # a string where the form holds a list
        )
        ledger.save([bad], signer=signer)
    position = log(db)[-1]["position"]

    found = CliRunner().invoke(cli, ["--db", db, "verify", "--json"])
    assert found.exit_code == 1, found.output
    (problem,) = json.loads(found.stdout)["problems"]
    assert (problem["reason"], problem["position"]) == ("correction-invalid", position)
    assert "corrected.choices" in problem["detail"]
    shown = CliRunner().invoke(cli, ["--db", db, "elections"]).stdout
    assert shown.startswith("VERIFICATION FAILED")
