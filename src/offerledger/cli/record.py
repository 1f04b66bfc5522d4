"""``offerledger record ACTION``: one action of DESIGN.md §2, from options or ``--file`` JSON.

One subcommand per event class, with an option per payload field (generated from the pydantic
model, so the options and the schema cannot drift apart). Lists and objects are given as JSON.
Actions whose events cite a source document (a filing's bytes, a notice's text, a CSV file) take
``--document FILE``: the file is stored with the event and its hash fills the citing field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from offerledger.actions import action_classes, record
from offerledger.cli.common import cli, emit_json, json_option, offer_option, open_ledger
from offerledger.document_check import CITING_FIELD
from offerledger.documents import SourceDocument
from offerledger.errors import InputError
from offerledger.events import HEADER_FIELDS, LedgerEvent
from offerledger.signing.keys import passphrase_from_env_or_prompt

AUTO_FIELDS = {"offer_id", "offer_name"}


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


def _value(raw: str) -> Any:
    text = raw.strip()
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"invalid JSON ({e.msg})", column=e.colno) from None
    return raw


def _load_file(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read: {e}", file=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(
            f"invalid JSON: {e.msg}", file=path, line=e.lineno, column=e.colno
        ) from None
    if not isinstance(data, dict):
        raise InputError("must hold one JSON object", file=path, line=1)
    return data, text


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


def _make_command(name: str, cls: type[LedgerEvent]) -> click.Command:
    payload = [f for f in cls.model_fields if f not in HEADER_FIELDS and f not in AUTO_FIELDS]

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
        for field, raw in kwargs.items():
            if raw is not None:
                try:
                    data[field] = _value(raw)
                except InputError as e:
                    raise InputError(e.message, field=field) from None
        if effective is not None:
            data["effective"] = parse_effective(effective)
        ledger = open_ledger()
        try:
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
            help="JSON object with the fields (options override it).",
        ),
        click.Option(
            ["--key", "key"], required=True, help="Signing key: holder name, key id or prefix."
        ),
        click.Option(
            ["--effective"],
            default=None,
            help="When it happened: DATE, ISO instant with zone, or not-on-file.",
        ),
    ]
    citing = CITING_FIELD.get(cls.TOPIC.split(".")[1])
    if citing:
        params.append(
            click.Option(
                ["--document", "documents"],
                type=click.Path(path_type=Path, dir_okay=False),
                multiple=True,
                help=f"Source document the event cites, stored with it (fills --"
                f"{citing.replace('_', '-')} when left out).",
            )
        )
    if cls.TOPIC.startswith("offerledger.CorrectionRecorded."):
        params.append(
            click.Option(
                ["--stream"], default=None, help="The stream (name or uuid) of the event corrected."
            )
        )
    for field in payload:
        info = cls.model_fields[field]
        params.append(
            click.Option(
                [f"--{field.replace('_', '-')}", field],
                default=None,
                help=(info.description or "") + " (JSON for lists/objects)",
            )
        )
    command = click.Command(
        name,
        callback=run,
        params=params,
        help=f"{(cls.__doc__ or name).strip().splitlines()[0]}\n\n"
        f'Example: offerledger record {name} --key "Russell I. Zuckerman" --file {name}.json',
    )
    json_option(offer_option(command))
    return command


@cli.group("record")
def record_group() -> None:
    """Record one action (signed by --key). Run 'offerledger record ACTION --help' for fields.

    Example: offerledger record condition-waived --key "Russell I. Zuckerman"
    --condition-id 7c --condition-kind other --effective 2001-09-20
    """


for _name, _cls in action_classes().items():
    record_group.add_command(_make_command(_name, _cls))
