"""An offer with no document on record: ``text`` (no moment asked for) says so and what to do,
instead of "field '--as-of': no offer document was registered at the moment asked for", an
option the user never gave."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from offerledger.cli import cli


def _offer_without_document(tmp_path: Path) -> str:
    db = str(tmp_path / "l.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db, "init"]).exit_code == 0
    made = ["keys", "create", "--holder", "Officer", "--role", "issuer_officer"]
    assert runner.invoke(cli, ["--db", db, *made]).exit_code == 0
    offer = tmp_path / "offer.json"
    offer.write_text(
        runner.invoke(cli, ["--db", db, "record", "offer-commenced", "--template"]).stdout
    )
    args = ["record", "offer-commenced", "--key", "Officer", "--file", str(offer)]
    assert runner.invoke(cli, ["--db", db, *args]).exit_code == 0
    return db


def test_text_of_an_offer_with_no_document_names_no_option_never_given(tmp_path: Path) -> None:
    db = _offer_without_document(tmp_path)
    runner = CliRunner()
    shown = runner.invoke(cli, ["--db", db, "text"])
    assert shown.exit_code == 2
    assert "Error: no offer document is registered for this offer" in shown.output
    assert "--as-of" not in shown.output
    assert "record offer-document-registered" in shown.output
    # the moment asked for is not what is wrong: no moment has a document
    asked = runner.invoke(cli, ["--db", db, "text", "--as-of", "2001-10-02"])
    assert asked.exit_code == 2
    assert "Error: no offer document is registered for this offer" in asked.output
    assert "--as-of" not in asked.output


def test_diff_and_report_name_no_option_never_given(tmp_path: Path) -> None:
    """diff takes its moments as FROM and TO, report defaults --from: neither named --as-of."""
    db = _offer_without_document(tmp_path)
    runner = CliRunner()
    for args in (
        ["diff", "2001-10-01", "2001-10-05"],
        ["report", "--out", str(tmp_path / "rep")],
        ["report", "--out", str(tmp_path / "rep"), "--from", "2001-10-02"],
    ):
        shown = runner.invoke(cli, ["--db", db, *args])
        assert shown.exit_code == 2, args
        assert "Error: no offer document is registered for this offer" in shown.output, args
        assert "field '" not in shown.output, args
        assert "record offer-document-registered" in shown.output, args
    assert not (tmp_path / "rep").exists()
    early = runner.invoke(cli, ["--db", db, "diff", "1999-01-04", "2001-10-05"])
    assert early.exit_code == 2
    assert "field 'FROM': the offer had not commenced" in early.output
