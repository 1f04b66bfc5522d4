"""An offer with no document on record: ``text`` (no moment asked for) says so and what to do,
instead of "field '--as-of': no offer document was registered at the moment asked for", an
option the user never gave."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from offerledger.cli import cli


def test_text_of_an_offer_with_no_document_names_no_option_never_given(tmp_path: Path) -> None:
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

    shown = runner.invoke(cli, ["--db", db, "text"])
    assert shown.exit_code == 2
    assert "Error: no offer document is registered for this offer" in shown.output
    assert "--as-of" not in shown.output
    assert "record offer-document-registered" in shown.output
    asked = runner.invoke(cli, ["--db", db, "text", "--as-of", "2001-10-02"])
    assert asked.exit_code == 2 and "field '--as-of'" in asked.output
