"""``offerledger record ACTION``: one action of DESIGN.md §2, from options or ``--file`` JSON.

One subcommand per event class, with an option per payload field (generated from the pydantic
model, so the options and the schema cannot drift apart): each option's help is the field's
description, format and example (:func:`offerledger.recording.help_for`), each subcommand's the
first sentence of its event class, and ``--template`` prints a complete ``--file`` JSON built
from the model (:func:`offerledger.recording.template`). Lists and objects are given as JSON.
Actions whose events cite a source document (a filing's bytes, a notice's text, a CSV file) take
``--document FILE``: the file is stored with the event and its hash fills the citing field.
``offer-document-registered --document FILE`` takes the document itself: JSON, or plain text or
Markdown with numbered section headings (:mod:`offerledger.ingest.textdoc`). Every problem of
the input is reported at once (docs/recording.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from offerledger.cli.common import cli, emit_json, json_option, offer_option, open_ledger
from offerledger.cli.lazy import write_commands
from offerledger.cli.record_actions import ACTIONS
from offerledger.documents import CITING_FIELD, SourceDocument
from offerledger.errors import InputError
from offerledger.limits import check_json, read_json_text

if TYPE_CHECKING:
    from offerledger.events import LedgerEvent

__all__ = ["RecordGroup", "load_document", "parse_effective", "record_group", "summary"]


def parse_effective(value: str) -> dict[str, Any]:
    """``2001-09-13`` (a date), an ISO instant with zone, or ``not-on-file[:AFTER..BEFORE]``."""
    from datetime import date, datetime

    if value.startswith("not-on-file"):
        bounds = value.split(":", 1)[1] if ":" in value else ""
        after, _, before = bounds.partition("..")
        return {"kind": "not_on_file", "after": after or None, "before": before or None}
    try:
        return {"kind": "date", "on": date.fromisoformat(value).isoformat()}
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{value!r} is not a date, an ISO date-time with zone, or not-on-file",
            field="--effective",
        ) from None
    if at.tzinfo is None:
        raise InputError(f"{value!r} has no time zone (e.g. -04:00 for EDT)", field="--effective")
    return {"kind": "instant", "at": at.isoformat()}


def _value(raw: str, *, option: str, problems: list[str]) -> Any:
    """An option's value: JSON when it opens a list or an object, else the text as given."""
    text = raw.strip()
    if text[:1] in "[{":
        check_json(text, file=f"option {option}")  # (json.loads recurses once a level)
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            problems.append(f"field '{option}', column {e.colno}: invalid JSON ({e.msg})")
            return None
    return raw


def _load_file(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = read_json_text(path)  # (refused over the size or nesting limit, unparsed)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read: {e}", file=path, field="--file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(
            f"invalid JSON: {e.msg}", file=path, line=e.lineno, column=e.colno
        ) from None
    if not isinstance(data, dict):
        raise InputError("must hold one JSON object", file=path, line=1)
    return data, text


def _offer_document(raw: str, *, problems: list[str]) -> Any:
    """``--document`` of offer-document-registered: JSON, or a file holding the document as
    JSON or as plain text / Markdown with numbered section headings."""
    text = raw.strip()
    if text[:1] == "{":
        return _value(raw, option="--document", problems=problems)
    path = Path(raw)
    try:
        data = path.read_bytes()
    except OSError as e:
        problems.append(f"field '--document': cannot read {raw}: {e.strerror or e}")
        return None
    if path.suffix.lower() == ".json" or data.lstrip()[:1] == b"{":
        try:
            return json.loads(data)
        except json.JSONDecodeError as e:
            problems.append(f"{raw}, line {e.lineno}, column {e.colno}: invalid JSON: {e.msg}")
            return None
        except UnicodeDecodeError as e:
            problems.append(f"{raw}: not UTF-8 text ({e.reason} at byte {e.start})")
            return None
    from offerledger.ingest.textdoc import document_from_text

    document, notes = document_from_text(data, name=raw)
    for note in notes:
        click.echo(f"{raw}: note: {note.describe()}", err=True)
    return document.model_dump(mode="json")


MEDIA_TYPES = {
    ".txt": "text/plain",
    ".htm": "text/html",
    ".html": "text/html",
    ".csv": "text/csv",
    ".json": "application/json",
}


def load_document(path: Path) -> SourceDocument:
    """A file given as a source document: its exact bytes, a media type from its suffix."""
    try:
        content = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", file=path, field="--document") from None
    media = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return SourceDocument(content, media, path.name)


# what --document is for each action that cites a source document, with an example
_CITED = {
    "FilingRecorded": "the filing's file as EDGAR serves it, e.g. 0000999999-01-000101.txt",
    "NoticeDispatched": "the notice's text as sent, e.g. notice.txt",
    "EligibleGrantsRegistered": "the roster CSV the grants come from, e.g. roster.csv",
    **dict.fromkeys(
        ("ElectionSubmitted", "ElectionChanged", "ElectionWithdrawn", "ElectionRefused"),
        "the elections CSV the form comes from, e.g. elections.csv",
    ),
}


def _make_command(name: str, cls: type[LedgerEvent]) -> click.Command:
    from offerledger.recording import help_for, is_json_field, payload_fields

    payload = payload_fields(cls)
    citing = CITING_FIELD.get(cls.TOPIC.split(".")[1])

    @click.pass_context
    def run(ctx: click.Context, /, **kwargs: Any) -> None:
        source = kwargs.pop("file")
        key, offer, as_json = kwargs.pop("key"), kwargs.pop("offer"), kwargs.pop("as_json")
        effective = kwargs.pop("effective")
        documents = [load_document(p) for p in kwargs.pop("documents", ())]
        data: dict[str, Any] = {}
        text = None
        if source is not None:
            data, text = _load_file(source)
        problems: list[str] = []
        for field, raw in kwargs.items():
            if raw is None:
                continue
            if field == "document" and name == "offer-document-registered":
                data[field] = _offer_document(raw, problems=problems)
            else:
                option = f"--{field.replace('_', '-')}"
                data[field] = _value(raw, option=option, problems=problems)
        given = {f for f, raw in kwargs.items() if raw is not None}
        if effective is not None:
            given.add("effective")
            try:
                data["effective"] = parse_effective(effective)
            except InputError as e:
                problems.append(e.message)
        if len(problems) == 1:
            raise InputError(problems[0])
        if problems:
            lines = "\n".join(f"  {p}" for p in problems)
            raise InputError(f"{len(problems)} problems; nothing was recorded:\n{lines}")
        from offerledger.actions import build, record
        from offerledger.signing.keys import passphrase_from_env_or_prompt

        ledger = open_ledger()
        try:
            # the input and the offer's rules are checked before anyone types a passphrase
            build(
                ledger,
                name,
                data,
                signer=ledger.find_key(key),
                offer=offer,
                source=str(source) if source else None,
                text=text,
                documents=documents,
                options=given,
            )
            signer = ledger.signer(key, passphrase_from_env_or_prompt(prompt=True))
            event = record(
                ledger,
                name,
                data,
                signer=signer,
                offer=offer,
                source=str(source) if source else None,
                text=text,
                documents=documents,
                options=given,
            )
        finally:
            ledger.close()
        if as_json:
            emit_json(
                {
                    "stream": str(event.originator_id),
                    "version": event.originator_version,
                    "topic": event.TOPIC,
                    "payload": event.payload(),
                }
            )
        else:
            click.echo(
                f"recorded {event.action} in stream {event.originator_id} "
                f"version {event.originator_version}"
            )

    params: list[click.Parameter] = [
        click.Option(
            ["--file", "file"],
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help=f"A JSON object with the fields (options override it); --template prints a "
            f"complete one. E.g. {name}.json.",
        ),
        click.Option(
            ["--template"],
            is_flag=True,
            is_eager=True,
            expose_value=False,
            callback=_template_callback(name, cls, citing),
            help="Print a complete example JSON for --file (every required field, realistic "
            "values of one option exchange) and exit.",
        ),
        click.Option(
            ["--key", "key"],
            required=True,
            help='Signing key: holder name, key id or prefix. E.g. "Russell I. Zuckerman".',
        ),
        click.Option(
            ["--effective"],
            default=None,
            help="When it happened: a date (2001-10-01, 00:00 New York time), an ISO instant "
            "with its zone (2001-10-10T09:30:00-04:00), or not-on-file[:AFTER..BEFORE].",
        ),
    ]
    if citing:
        cited = _CITED.get(cls.TOPIC.split(".")[1], "the file it cites")
        params.append(
            click.Option(
                ["--document", "documents"],
                type=click.Path(path_type=Path, dir_okay=False),
                multiple=True,
                help=f"Source document the event cites ({cited}), stored with it (fills "
                f"--{citing.replace('_', '-')} when left out).",
            )
        )
    if cls.TOPIC.startswith("offerledger.CorrectionRecorded."):
        params.append(
            click.Option(
                ["--stream"],
                default=None,
                help="The stream (name or uuid) of the event corrected; offerledger log --json "
                "shows each event's. E.g. offer:0000999101:005-99101.",
            )
        )
    for field in payload:
        info = cls.model_fields[field]
        try:
            text = help_for(info, field)
        except TypeError:  # a field with no description or example: tests/test_record_help.py
            text = info.description or ""
        if field == "document" and name == "offer-document-registered":
            text += (
                " Or FILE: a .json file holding it, or the document as plain text or Markdown: "
                "a title line ('# Offer to Exchange'), then numbered section headings on lines "
                "of their own ('Section 7. Conditions of the Offer', '## 7. Conditions of the "
                "Offer') and paragraphs separated by blank lines; ids as DESIGN §2 gives them."
            )
        params.append(
            click.Option(
                [f"--{field.replace('_', '-')}", field],
                default=None,
                metavar="JSON" if is_json_field(info) else "TEXT",
                help=text,
            )
        )
    sentence = summary(cls)
    command = click.Command(
        name,
        callback=run,
        params=params,
        short_help=sentence,
        help=f"{sentence}\n\n"
        f"Example: offerledger record {name} --template > {name}.json; edit it, then "
        f'offerledger record {name} --key "Russell I. Zuckerman" --file {name}.json'
        + (
            ""
            if not citing
            else f" --document FILE (its SHA-256 fills {citing})"
            if cls.model_fields[citing].is_required()
            else f" [--document FILE: its SHA-256 fills {citing}]"
        )
        + ". Worked examples: docs/recording.md.",
    )
    json_option(offer_option(command))
    return command


def summary(cls: type[LedgerEvent]) -> str:
    """What the action is in the offer's life: the first sentence of its event class."""
    doc = " ".join((cls.__doc__ or "").replace("``", "").split("\n\n")[0].split())
    if not doc:  # tests/test_record_help.py refuses an action without one
        return ""
    first = doc.split(". ")[0].rstrip(".")
    return first + "."


def _template_callback(name: str, cls: type[LedgerEvent], citing: str | None) -> Any:
    def show(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if not value or ctx.resilient_parsing:
            return
        from offerledger.recording import template

        click.echo(json.dumps(template(name, cls, citing=citing), indent=2, ensure_ascii=False))
        if citing:
            need = "give" if cls.model_fields[citing].is_required() else "you may give"
            click.echo(
                f"note: {need} the source document with --document FILE; its SHA-256 fills "
                f"{citing}",
                err=True,
            )
        ctx.exit(0)

    return show


class RecordGroup(click.Group):
    """``record``'s actions, each built from its event model when first asked for: ``record
    --help`` lists them from :data:`offerledger.cli.record_actions.ACTIONS` (each action's
    sentence, checked against the models by tests/test_cli_habits.py) and imports no model;
    ``record ACTION --help`` imports the pydantic models, no storage or crypto."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *ACTIONS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in ACTIONS:
            from offerledger.recording import action_classes

            cls = action_classes().get(cmd_name)
            if cls is not None:
                self.add_command(_make_command(cmd_name, cls))
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The action list, each by the sentence kept in ACTIONS (what the built command's
        ``short_help`` is), for actions not built yet."""
        write_commands(
            self, ctx, formatter, lambda name: click.Command(name, short_help=ACTIONS[name])
        )

    def load_all(self) -> None:
        """Build every action's command (the CLI reference and tests walk them all)."""
        from offerledger.recording import action_classes

        for name, cls in action_classes().items():
            if name not in self.commands:
                self.add_command(_make_command(name, cls))


@cli.group("record", cls=RecordGroup)
def record_group() -> None:
    """Record one action (signed by --key). Run 'offerledger record ACTION --help' for fields.

    Each action takes its fields as options or as a JSON file (--file); 'offerledger record
    ACTION --template' prints a complete example of that file. Worked examples of every
    action: docs/recording.md.

    Example: offerledger record condition-waived --key "Russell I. Zuckerman"
    --condition-id 7c --condition-kind other --effective 2001-09-20
    """
