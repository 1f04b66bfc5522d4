"""Commands: keys create|new|export-public|list|revoke|rewrap|rotate-root.

Each actor runs these with their own keystore (``--keys DIR``); the root's keystore holds the
root key alone. docs/keys.md walks through it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from offerledger.cli.common import (
    cli,
    emit_json,
    err_console,
    holder_option,
    json_option,
    settings,
    with_ledger,
)
from offerledger.cli.output import columns, show
from offerledger.errors import InputError

if TYPE_CHECKING:  # the rest is imported when a command runs, not for --help
    from offerledger.key_admin import KeyFileInfo
    from offerledger.ledger import Ledger
    from offerledger.signing.keys import Keystore

ROLES = ["issuer_officer", "filing_agent", "communications", "employee", "clerk"]


def _passphrase() -> bytes:
    from offerledger.signing.keys import passphrase_from_env_or_prompt

    return passphrase_from_env_or_prompt(prompt=True)


def _when(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not an ISO 8601 date-time", field=field) from None
    if parsed.tzinfo is None:
        raise InputError(f"{value!r} has no time zone (add +00:00 or -04:00)", field=field)
    return parsed


def _keystore() -> Keystore:
    """The keystore of ``--keys`` (or OFFERLEDGER_KEYS, or the default of
    :func:`offerledger.ledger.keystore_folder`)."""
    from offerledger.ledger import keystore_folder
    from offerledger.signing.keys import Keystore
    from offerledger.store import resolve_backend

    given = settings()
    return Keystore(given.keys or keystore_folder(resolve_backend(given.db)))


@cli.group()
def keys() -> None:
    """Actors' keys and roles, registered in the ledger by the root key.

    Run for real, each actor keeps a keystore of their own (--keys DIR) and gives the root
    holder only a public key file; see docs/keys.md.

    Example: offerledger --keys ~/clerk-keys keys new --out clerk.pub
    """


@keys.command("create")
@click.option(
    "--holder", required=True, callback=holder_option, help="The actor the key belongs to."
)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Register this public key file (from the actor's 'keys new'); without it, a new key "
    "is made and written to this keystore.",
)
@click.option("--valid-from", default=None, help="ISO date-time with zone (default: now).")
@click.option("--valid-until", default=None, help="ISO date-time with zone (default: open).")
@json_option
@with_ledger
def keys_create(
    holder: str,
    role: str,
    public_key_file: Path | None,
    valid_from: str | None,
    valid_until: str | None,
    as_json: bool,
    ledger: Ledger,
) -> None:
    """Register an actor's key, signed by the root key (run by the root's holder).

    Example: offerledger --keys /media/root-keys keys create --holder "Jane Roe" --role clerk
    --public-key clerk.pub
    """
    from offerledger.key_admin import read_public_key_file

    public_key = read_public_key_file(public_key_file) if public_key_file else None
    passphrase = _passphrase()
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=passphrase)
    kid = ledger.register_key(
        root=root,
        holder=holder,
        role=role,  # type: ignore[arg-type]
        public_key=public_key,
        valid_from=_when(valid_from, "--valid-from"),
        valid_until=_when(valid_until, "--valid-until"),
        passphrase=passphrase,
    )
    if as_json:
        emit_json({"key_id": kid, "holder": holder, "role": role})
        return
    click.echo(kid)


@keys.command("new")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the public key file here (to give to the root's holder).",
)
@json_option
def keys_new(out: Path | None, as_json: bool) -> None:
    """Make a key in this keystore (not registered yet) and print its public key file.

    Example: offerledger --keys ~/clerk-keys keys new --out clerk.pub
    """
    from offerledger.key_admin import public_key_text
    from offerledger.signing.keys import generate_signing_key

    key = generate_signing_key()
    _refuse_existing(out)
    path = _keystore().save(key=key, passphrase=_passphrase())
    _public_key_out(key.key_id, public_key_text(key.public_key), out, as_json, key_file=str(path))
    if not as_json:
        err_console.print(f"key file {path}", markup=False, highlight=False)


@keys.command("export-public")
@click.argument("key")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write it here."
)
@json_option
def keys_export_public(key: str, out: Path | None, as_json: bool) -> None:
    """Print the public key file of a key in this keystore (key id or 8+ hex digits).

    For the root key, that file is what verify --root-key and witnesses take.

    Example: offerledger --keys /media/root-keys keys export-public 3f2a9c1d --out root.pub
    """
    from offerledger.key_admin import public_key_text

    _refuse_existing(out)
    loaded = _keystore().load(key_id=key, passphrase=_passphrase())
    _public_key_out(loaded.key_id, public_key_text(loaded.public_key), out, as_json)


def _refuse_existing(out: Path | None) -> None:
    if out is not None and out.exists():
        raise InputError("a file is already there; refusing to overwrite it", file=out)


def _public_key_out(key_id: str, text: str, out: Path | None, as_json: bool, **extra: str) -> None:
    """Write a public key file to ``out`` (when given) and print it, or its JSON."""
    if out is not None:
        out.write_text(text, encoding="utf-8")
    if as_json:
        emit_json(
            {
                "key_id": key_id,
                **extra,
                "public_key_file": text,
                "out": None if out is None else str(out),
            }
        )
        return
    click.echo(text, nl=False)


@keys.command("list")
@json_option
@with_ledger
def keys_list(as_json: bool, ledger: Ledger) -> None:
    """The registered keys (id, holder, role, validity, revocation) and this keystore's files.

    Key ids are printed in full, on a terminal as in a pipe.

    Example: offerledger keys list --json
    """
    from offerledger.key_admin import keystore_files

    files: dict[str, KeyFileInfo] = {f.key_id: f for f in keystore_files(ledger.keystore)}
    rows: list[dict[str, Any]] = []
    for k in ledger.registry().keys.values():
        file = files.get(k.key_id)
        rows.append(
            {
                "key_id": k.key_id,
                "public_key": k.public_key.hex(),
                "holder": k.holder,
                "role": k.role,
                "valid_from": k.valid_from.isoformat(),
                "valid_until": k.valid_until.isoformat() if k.valid_until else None,
                "revoked": k.revoked,
                "compromised_since": k.compromised_since.isoformat()
                if k.compromised_since
                else None,
                "private_key_here": file is not None,
                "key_file_kdf": file.kdf.describe() if file and file.kdf else None,
                "key_file_weak": file.weak if file else None,
            }
        )
    if as_json:
        emit_json(rows)
        return
    table = []
    for r in rows:
        here = (r["key_file_kdf"] or "unreadable") if r["private_key_here"] else ""
        here += " (weak: run keys rewrap)" if r["key_file_weak"] else ""
        revoked = "yes" if r["revoked"] else ""
        table.append((r["key_id"], r["holder"], r["role"], r["valid_from"], revoked, here))
    show(columns(("key id", "holder", "role", "valid from", "revoked", "key file here"), table))


@keys.command("revoke")
@click.argument("key")
@click.option("--reason", required=True)
@click.option("--compromised-since", default=None, help="Flag events recorded after this time.")
@json_option
@with_ledger
def keys_revoke(
    key: str, reason: str, compromised_since: str | None, as_json: bool, ledger: Ledger
) -> None:
    """Revoke a key (by id, prefix or holder); signed by the root key.

    Example: offerledger keys revoke 3f2a9c1d --reason "left the company"
    """
    passphrase = _passphrase()
    root = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=passphrase)
    revoked = ledger.revoke_key(
        root=root,
        key_id=key,
        reason=reason,
        compromised_since=_when(compromised_since, "--compromised-since"),
    )
    if as_json:
        emit_json({"revoked": revoked, "reason": reason})
        return
    click.echo(f"revoked {revoked}")


@keys.command("rewrap")
@click.argument("key_ids", nargs=-1)
@click.option("--force", is_flag=True, help="Rewrite key files that are already strong too.")
@json_option
def keys_rewrap(key_ids: tuple[str, ...], force: bool, as_json: bool) -> None:
    """Re-encrypt this keystore's weak key files (old PBKDF2 ones) with scrypt n=2^17.

    Each file is replaced atomically; the passphrase stays the same.

    Example: offerledger --keys ~/clerk-keys keys rewrap
    """
    from offerledger.key_admin import rewrap_keystore

    keystore = _keystore()
    done = rewrap_keystore(
        keystore, passphrase=_passphrase(), key_ids=list(key_ids) or None, force=force
    )
    if as_json:
        emit_json(
            [
                {
                    "key_id": info.key_id,
                    "before": info.kdf.describe() if info.kdf else None,
                    "after": after.describe() if after else None,
                    "rewritten": after is not None,
                }
                for info, after in done
            ]
        )
        return
    for info, after in done:
        before = info.kdf.describe() if info.kdf else "unreadable"
        what = f"{before} -> {after.describe()}" if after else f"{before}: already strong, kept"
        click.echo(f"{info.key_id}: {what}")
    if not done:
        click.echo(f"no key files in {keystore.folder}")


@keys.command("rotate-root")
@click.option(
    "--new",
    "new_key",
    default=None,
    help="The new root key in this keystore (key id or 8+ hex digits, from 'keys new'); "
    "default: make one here.",
)
@click.option(
    "--holder",
    default=None,
    callback=holder_option,
    help="Who holds the new root key (default: the same).",
)
@json_option
@with_ledger
def keys_rotate_root(
    new_key: str | None, holder: str | None, as_json: bool, ledger: Ledger
) -> None:
    """Hand the ledger over to a new root key, recorded as an event both roots sign.

    The old root signs nothing after it. Give verifiers the new root's public key file.

    Example: offerledger --keys /media/root-keys keys rotate-root --holder "General Counsel"
    """
    from offerledger.key_admin import rotate_root
    from offerledger.signing.keys import generate_signing_key

    passphrase = _passphrase()
    old = ledger.keystore.load(key_id=ledger.root_key_info().key_id, passphrase=passphrase)
    if new_key is not None:
        new = ledger.keystore.load(key_id=new_key, passphrase=passphrase)
    else:
        new = generate_signing_key()
        ledger.keystore.save(key=new, passphrase=passphrase)
    event = rotate_root(ledger, old=old, new=new, holder=holder)
    if as_json:
        emit_json(
            {
                "old_root_key_id": old.key_id,
                "new_root_key_id": event.new_root_key_id,
                "holder": event.holder,
            }
        )
    else:
        click.echo(f"root key rotated: {old.key_id} -> {event.new_root_key_id} ({event.holder})")
    err_console.print(
        f"the old root key ({ledger.keystore.path_for(old.key_id)}) signs nothing more here; "
        f"give verifiers the new one: offerledger keys export-public {new.key_id[:16]}",
        markup=False,
        highlight=False,
    )
