"""``offerledger show document SHA256``: a stored source document, its bytes or its metadata."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from offerledger.cli.common import cli, emit_json, err_console, json_option, with_ledger
from offerledger.errors import DocumentAltered, InputError, UnknownEntity

if TYPE_CHECKING:  # imported when a command runs, not for --help
    from offerledger.documents import SourceDocument
    from offerledger.ledger import Ledger


@cli.group("show")
def show() -> None:
    """Show what the ledger stores besides events: the source documents events cite.

    Example: offerledger show document "$(offerledger log --type NoticeDispatched --json |
    jq -r '.[0].payload.content_sha256')" --json
    """


def read_document(ledger: Ledger, text: str) -> SourceDocument:
    """The stored document a user names, its bytes re-hashed: refused if they do not match."""
    from offerledger.documents import parse_document_hash

    sha = parse_document_hash(text)
    document = ledger.document(sha)
    if document is None:
        raise UnknownEntity(
            f"no document {sha} is stored in this ledger",
            name=sha,
            hint="'offerledger log --json' shows the hashes events cite",
        )
    if document.sha256 != sha:
        raise DocumentAltered(
            f"document {sha}: the stored bytes hash to {document.sha256}, not to their name; "
            "the ledger's copy was altered and is not shown",
            sha256=sha,
            hint="run 'offerledger verify'",
        )
    return document


def write_new(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` atomically; False when it already holds exactly that.

    An existing file with other content is never overwritten (InputError).
    """
    if path.exists() and (path.is_dir() or path.read_bytes() != content):
        raise InputError(
            f"{path} already exists with other content; nothing was written",
            field="--out",
            hint="choose another file or remove it first",
        )
    if path.exists():
        return False
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"folder {folder} does not exist", field="--out")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails if the file appeared meanwhile: never overwrites
        except FileExistsError:
            if path.read_bytes() != content:
                raise InputError(
                    f"{path} already exists with other content; nothing was written",
                    field="--out",
                ) from None
            return False
        except OSError:  # no hard links on this file system
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True


def document_json(ledger: Ledger, document: SourceDocument) -> dict[str, Any]:
    from offerledger.document_check import citations_of

    return {
        "sha256": document.sha256,
        "media_type": document.media_type,
        "name": document.name,
        "size": len(document.content),
        "cited_by": [c.as_json() for c in citations_of(ledger, document.sha256)],
    }


@show.command("document")
@click.argument("sha256", metavar="SHA256")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the bytes to FILE (atomically; an existing different file is refused).",
)
@json_option
@with_ledger
def show_document(sha256: str, out: Path | None, as_json: bool, ledger: Ledger) -> None:
    """A stored source document (a filing as received, a notice as sent, a CSV as ingested):
    its exact bytes on stdout or in --out FILE, or with --json its metadata (SHA-256, media
    type, name, size, and the events that cite it by position, stream and version). The bytes
    are re-hashed on reading; a copy that does not match its name is refused (exit 1).

    Example: offerledger show document "$(offerledger log --type FilingRecorded --json |
    jq -r 'last.payload.source_sha256')" --out filing.txt
    """
    document = read_document(ledger, sha256)
    if out is not None:
        size = len(document.content)
        message = (
            f"wrote {size} bytes of {document.name} to {out}"
            if write_new(out, document.content)
            else f"{out} already holds these {size} bytes of {document.name}; nothing was written"
        )
        err_console.print(message, markup=False, highlight=False)
    if as_json:
        emit_json(document_json(ledger, document))
    elif out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(document.content)
        sys.stdout.buffer.flush()


__all__ = ["document_json", "read_document", "show", "show_document", "write_new"]
