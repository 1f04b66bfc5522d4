"""`record` a person can use (issue 11 item 3): help, templates, every problem at once, and the
offer's document from text.

Every option of every ``record`` subcommand says what it is, its format and an example (JSON
options an example of the JSON); every subcommand says what the action is in the offer's life;
``--template`` prints a file ``--file`` accepts; a bad file or bad options report every problem
with its field path and write nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from offerledger.cli import cli
from offerledger.cli.record import record_group
from offerledger.input_problems import field_path
from offerledger.recording import action_classes, is_json_field, payload_fields

record_group.load_all()  # type: ignore[attr-defined]  # (actions are built on first use)

COMMON = {"file", "template", "key", "effective", "offer", "as_json", "help", "documents", "stream"}
STOP = frozenset("a an the of its it is to in on or and as for by e g when".split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP}


def _commands() -> list[tuple[str, click.Command]]:
    return [(name, record_group.commands[name]) for name in sorted(record_group.commands)]


def test_every_action_has_a_command() -> None:
    assert set(record_group.commands) == set(action_classes())


@pytest.mark.parametrize("name", sorted(action_classes()))
def test_every_option_says_what_it_is_its_format_and_an_example(name: str) -> None:
    command = record_group.commands[name]
    cls = action_classes()[name]
    seen = set()
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        assert param.name is not None
        text = " ".join((param.help or "").split())
        where = f"record {name} {param.opts[0]}"
        assert text, f"{where}: no help"
        assert "(JSON for lists/objects)" not in text, f"{where}: generic help {text!r}"
        described = re.split(r"\be\.g\.", text, flags=re.I)[0]
        own = _words(described) - _words(param.name) - _words(name)
        assert len(own) >= 3, f"{where}: help only rewords its name: {text!r}"
        if param.name in COMMON:
            continue
        seen.add(param.name)
        info = cls.model_fields[param.name]
        assert re.search(r"\be\.g\.", text, re.I), f"{where}: no example in {text!r}"
        if is_json_field(info):
            m = re.search(r"JSON (list|object), e\.g\. '", text)
            assert m, f"{where}: a JSON option must say so and show an example: {text!r}"
            example, _ = json.JSONDecoder().raw_decode(text, m.end())
            assert isinstance(example, list if m.group(1) == "list" else dict), where
    assert seen == set(payload_fields(cls)), f"record {name}: an option per field"


def test_every_action_says_what_it_is_in_the_offers_life() -> None:
    runner = CliRunner()
    listing = " ".join(runner.invoke(cli, ["record", "--help"]).stdout.split())
    for name, command in _commands():
        sentence = command.short_help or ""
        assert sentence.endswith(".") and "..." not in sentence, (name, sentence)
        assert len(_words(sentence) - _words(name)) >= 3, f"{name}: {sentence!r} is its name"
        assert f"{name} {sentence}" in listing, f"record --help does not show {name}'s sentence"
        own = " ".join(runner.invoke(cli, ["record", name, "--help"]).stdout.split())
        assert sentence in own, f"record {name} --help does not say what it is"


@pytest.mark.parametrize("name", sorted(action_classes()))
def test_a_template_is_complete_json(name: str) -> None:
    result = CliRunner().invoke(cli, ["record", name, "--template"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    cls = action_classes()[name]
    required = {f for f in payload_fields(cls) if cls.model_fields[f].is_required()}
    citing = {"content_sha256"}  # filled by --document FILE, which the note on stderr asks for
    derived = {"employees", "options", "by_plan"}  # derived from the list the template gives
    assert required - set(data) <= citing | derived, f"{name}: template lacks a required field"
    assert set(data) - {"effective", "stream"} <= set(payload_fields(cls))


def _fresh(db: str) -> CliRunner:
    runner = CliRunner()
    for args in (
        ["init"],
        ["keys", "create", "--holder", "Officer", "--role", "issuer_officer"],
    ):
        result = runner.invoke(cli, ["--db", db, *args])
        assert result.exit_code == 0, result.output
    return runner


def _events(runner: CliRunner, db: str) -> int:
    return len(json.loads(runner.invoke(cli, ["--db", db, "log", "--json"]).stdout))


def test_the_offer_commenced_template_records_on_a_fresh_ledger(
    ledger_db: str, tmp_path: Path
) -> None:
    runner = _fresh(ledger_db)
    template = runner.invoke(cli, ["record", "offer-commenced", "--template"])
    path = tmp_path / "o.json"
    path.write_text(template.stdout)
    result = runner.invoke(
        cli,
        ["--db", ledger_db, "record", "offer-commenced", "--key", "Officer", "--file", str(path)],
    )
    assert result.exit_code == 0, result.output
    assert "recorded OfferCommenced" in result.stdout


def test_a_bad_file_reports_every_problem_at_once(ledger_db: str, tmp_path: Path) -> None:
    runner = _fresh(ledger_db)
    before = _events(runner, ledger_db)
    bad = {
        "effective": {"kind": "date", "on": "2001-10-01"},
        "issuer": "Halvorsen Optical Networks, Inc.",
        "cik": 999101,
        "expiration": "October 31, 2001",
        "plans": "1998 Plan",
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, indent=2))
    result = runner.invoke(
        cli,
        ["--db", ledger_db, "record", "offer-commenced", "--key", "Officer", "--file", str(path)],
    )
    assert result.exit_code == 2
    err = result.stderr
    assert f"{path}: 5 problems; nothing was recorded:" in err
    assert "line 7, field 'cik': Input should be a valid string (The issuer's SEC Central" in err
    assert "field 'file_number': Field required (The SEC file number" in err
    assert "field 'securities': Field required" in err
    assert "line 8, field 'expiration': Input should be a valid datetime" in err
    assert 'e.g. "2001-10-31T00:00:00-05:00")' in err
    assert "line 9, field 'plans': Input should be a valid tuple" in err
    assert _events(runner, ledger_db) == before


def test_a_nested_problem_names_its_path(ledger_db: str, tmp_path: Path) -> None:
    runner = _fresh(ledger_db)
    offer = tmp_path / "o.json"
    offer.write_text(runner.invoke(cli, ["record", "offer-commenced", "--template"]).stdout)
    args = ["--db", ledger_db, "record", "offer-commenced", "--key", "Officer"]
    assert runner.invoke(cli, [*args, "--file", str(offer)]).exit_code == 0
    template = json.loads(
        runner.invoke(cli, ["record", "offer-document-registered", "--template"]).stdout
    )
    document = template["document"]
    section = document["parts"][0]
    document["parts"] = [
        section,
        {**section, "id": "s8", "number": "8", "blocks": [{"kind": "paragraph", "sentences": []}]},
    ]
    del document["parts"][0]["title"]
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(template, indent=2))
    result = runner.invoke(
        cli,
        ["--db", ledger_db, "record", "offer-document-registered", "--key", "Officer"]
        + ["--file", str(path)],
    )
    assert result.exit_code == 2
    assert "3 problems; nothing was recorded" in result.stderr
    assert "field 'document.parts[0].title': Field required" in result.stderr
    # a missing field: the line of the object it is missing from (blocks[0] opens two lines
    # above its empty sentences)
    lines = [line.strip() for line in path.read_text().splitlines()]
    opens = lines.index('"sentences": []') - 1
    assert f"line {opens}, field 'document.parts[1].blocks[0].id': Field required" in (
        result.stderr
    )
    assert "field 'document.parts[1].blocks[0].sentences': Tuple should have at least 1" in (
        result.stderr
    )


def test_json_syntax_errors_name_line_and_column(ledger_db: str, tmp_path: Path) -> None:
    runner = _fresh(ledger_db)
    path = tmp_path / "o.json"
    path.write_text('{\n  "issuer": "Halvorsen",\n}\n')
    args = ["--db", ledger_db, "record", "offer-commenced", "--key", "Officer"]
    result = runner.invoke(cli, [*args, "--file", str(path)])
    assert result.exit_code == 2
    assert f"{path}, line 3, column 1: invalid JSON" in result.stderr
    result = runner.invoke(cli, [*args, "--plans", "[1998 Plan", "--effective", "last week"])
    assert result.exit_code == 2
    assert "2 problems; nothing was recorded" in result.stderr
    assert "field '--plans', column 7: invalid JSON (Expecting ',' delimiter)" in result.stderr
    assert "'last week' is not a date" in result.stderr
    assert _events(runner, ledger_db) == 2


def test_field_paths_drop_union_tags() -> None:
    cls = action_classes()["document-amended"]
    loc = ("operations", 0, "replace_paragraph", "new", "sentences", 1, "NotOnFile", "note")
    assert field_path(cls, loc) == "operations[0].new.sentences[1].note"
    cls = action_classes()["offer-document-registered"]
    loc = ("document", "parts", 2, "section", "blocks", 0, "paragraph", "id")
    assert field_path(cls, loc) == "document.parts[2].blocks[0].id"


OFFER_MD = """\
# Offer to Exchange

Exhibit (a)(1)

Halvorsen Optical Networks, Inc. offers to exchange options. The date of this Offer to Exchange
is October 1, 2001.

## Summary Term Sheet

Answers to some of the questions you may have.

Section 1. Number of Options; Expiration Date

We will exchange eligible options.
- Options granted under the 1998 Plan.
- Options having an exercise price of $10.00 or more.

<PAGE>
                                       2

## 7. **Conditions of the Offer**

We will not be required to accept any options. This is the second sentence.
"""


def test_the_document_from_markdown(ledger_db: str, tmp_path: Path) -> None:
    runner = _fresh(ledger_db)
    agent = ["keys", "create", "--holder", "Agent", "--role", "filing_agent"]
    assert runner.invoke(cli, ["--db", ledger_db, *agent]).exit_code == 0
    for action, key in (("offer-commenced", "Officer"), ("filing-recorded", "Agent")):
        path = tmp_path / f"{action}.json"
        path.write_text(runner.invoke(cli, ["record", action, "--template"]).stdout)
        args = ["record", action, "--key", key, "--file", str(path)]
        result = runner.invoke(cli, ["--db", ledger_db, *args])
        assert result.exit_code == 0, result.output
    filing = json.loads(
        runner.invoke(cli, ["--db", ledger_db, "log", "--type", "FilingRecorded", "--json"]).stdout
    )[0]["stream"]
    md = tmp_path / "offer.md"
    md.write_text(OFFER_MD)
    args = ["record", "offer-document-registered", "--key", "Officer", "--effective", "2001-10-01"]
    result = runner.invoke(
        cli, ["--db", ledger_db, *args, "--filing-id", filing, "--document", str(md)]
    )
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["--db", ledger_db, "text", "--format", "json"])
    view = json.loads(shown.stdout)
    parts = view["parts"]
    assert (view["document"], view["title"], view["exhibit"], view["dated"]) == (
        "offer-to-exchange",
        "Offer to Exchange",
        "(a)(1)",
        "2001-10-01",
    )
    assert [(p["id"], p["kind"], p["number"], p["title"]) for p in parts] == [
        ("cover", "section", "", "Cover page"),
        ("summary-term-sheet", "section", "", "Summary Term Sheet"),
        ("s1", "section", "1", "Number of Options; Expiration Date"),
        ("s2-s6-not-on-file", "section_gap", None, None),
        ("s7", "section", "7", "Conditions of the Offer"),
    ]
    s1 = parts[2]["blocks"]
    assert [(b["id"], b["style"]) for b in s1] == [
        ("s1-p1", "body"),
        ("s1-p2", "bullet"),
        ("s1-p3", "bullet"),
    ]
    s7 = parts[4]
    assert (s7["page"], s7["blocks"][0]["page"]) == (2, 2)
    assert s7["blocks"][0]["sentences"] == [
        "We will not be required to accept any options.",
        "This is the second sentence.",
    ]
    assert "page" not in s1[0]
    text = runner.invoke(cli, ["--db", ledger_db, "text"]).stdout
    assert "\nCover page\n" in text and "Section ." not in text
    cited = runner.invoke(cli, ["--db", ledger_db, "text", "--provenance", "--section", "7"])
    assert "    page 2 of the document as registered" in cited.stdout


def test_a_text_document_without_headings_is_refused(ledger_db: str, tmp_path: Path) -> None:
    runner = _fresh(ledger_db)
    md = tmp_path / "offer.md"
    md.write_text("# Offer to Exchange\n\nJust one paragraph of text.\n")
    args = ["record", "offer-document-registered", "--key", "Officer", "--effective", "2001-10-01"]
    result = runner.invoke(
        cli,
        ["--db", ledger_db, *args, "--filing-id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"]
        + ["--document", str(md)],
    )
    assert result.exit_code == 2
    assert "no numbered section heading was found" in result.stderr
    md.write_text("Dear employee,\n\nSection 1. Terms\n\nText.\n")
    result = runner.invoke(
        cli,
        ["--db", ledger_db, *args, "--filing-id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"]
        + ["--document", str(md)],
    )
    assert result.exit_code == 2
    assert "is not the document's title" in result.stderr


def test_every_bad_entry_of_a_list_at_once(ledger_db: str, tmp_path: Path) -> None:
    runner = _fresh(ledger_db)
    offer = tmp_path / "o.json"
    offer.write_text(runner.invoke(cli, ["record", "offer-commenced", "--template"]).stdout)
    args = ["--db", ledger_db, "record", "offer-commenced", "--key", "Officer"]
    assert runner.invoke(cli, [*args, "--file", str(offer)]).exit_code == 0
    before = _events(runner, ledger_db)
    grants = [
        {"employee_id": "E0001", "grant_id": "G-0001", "options": -5},
        {"grant_id": "G-0002", "options": 3, "plan": "1998 Plan"},
    ]
    args = ["--db", ledger_db, "record", "tendered-options-accepted", "--key", "Officer"]
    result = runner.invoke(
        cli,
        [*args, "--effective", "2001-11-08", "--cancelled-on", "2001-11-08"]
        + ["--grants", json.dumps(grants)],
    )
    assert result.exit_code == 2
    assert "3 problems; nothing was recorded" in result.stderr
    assert "field 'grants[0].options': Input should be greater than 0 (How many" in result.stderr
    assert "field 'grants[0].plan': Field required (The plan" in result.stderr
    assert "field 'grants[1].employee_id': Field required" in result.stderr
    assert _events(runner, ledger_db) == before


def test_bad_input_is_reported_before_the_passphrase_is_asked(
    ledger_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = _fresh(ledger_db)
    monkeypatch.delenv("OFFERLEDGER_KEY_PASSPHRASE", raising=False)
    path = tmp_path / "o.json"
    path.write_text('{"issuer": "Halvorsen Optical Networks, Inc."}')
    args = ["--db", ledger_db, "record", "offer-commenced", "--key", "Officer"]
    result = runner.invoke(cli, [*args, "--file", str(path)], input="")
    assert result.exit_code == 2
    assert "5 problems; nothing was recorded" in result.stderr  # all but the issuer
    assert "passphrase" not in result.output + result.stderr


def test_a_bad_option_is_named_as_the_option_not_a_line_of_the_file(
    ledger_db: str, tmp_path: Path
) -> None:
    runner = _fresh(ledger_db)
    path = tmp_path / "o.json"
    path.write_text(runner.invoke(cli, ["record", "offer-commenced", "--template"]).stdout)
    args = ["--db", ledger_db, "record", "offer-commenced", "--key", "Officer"]
    result = runner.invoke(
        cli, [*args, "--file", str(path), "--expiration", "tomorrow", "--plans", '["a", 3]']
    )
    assert result.exit_code == 2
    assert "field '--expiration': Input should be a valid datetime" in result.stderr
    assert "field '--plans[1]': Input should be a valid string" in result.stderr
    assert "line " not in result.stderr
    assert _events(runner, ledger_db) == 2
