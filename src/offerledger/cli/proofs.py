"""``prove inclusion|consistency`` (RFC 9162 proofs) and ``witness keygen|cosign``."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import click

from offerledger.cli.common import cli, emit_json, json_option, with_ledger
from offerledger.errors import InputError

if TYPE_CHECKING:  # imported when a command runs, not for --help
    from offerledger.ledger import Ledger


@cli.group()
def prove() -> None:
    """RFC 9162 proofs from the persisted log: an event's inclusion, the log's consistency.

    Example: offerledger prove inclusion 42 --checkpoint head.checkpoint --json
    """


def _event(ledger: Ledger, spec: str) -> int:
    """A log position from ``POSITION`` or ``STREAM:VERSION``."""
    if spec.isdigit():
        return int(spec)
    stream, _, version = spec.rpartition(":")
    try:
        sid, number = uuid.UUID(stream), int(version)
    except ValueError:
        raise InputError(
            f"{spec!r} is neither a log position nor STREAM:VERSION", field="EVENT"
        ) from None
    position = ledger.position_of(sid, number)
    if position is None:
        raise InputError(f"no event {spec} in this ledger", field="EVENT")
    return position


@prove.command("inclusion")
@click.argument("event", metavar="POSITION|STREAM:VERSION")
@click.option(
    "--checkpoint",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="Prove against this checkpoint's tree (else the current head).",
)
@click.option("--root-key", default=None, metavar="FILE|FINGERPRINT", help="Trusted root key.")
@json_option
@with_ledger
def inclusion(
    event: str, checkpoint: Path | None, root_key: str | None, as_json: bool, ledger: Ledger
) -> None:
    """Prove that an event is in the log: its leaf hash and the RFC 9162 audit path.

    The leaf hash is SHA-256(0x00 ‖ the stored envelope); indexes are 0-based log positions;
    hashes are hex. The proof is checked before it is printed.

    Example: offerledger prove inclusion 42 --checkpoint head.checkpoint --json
    """
    from offerledger.integrity.proofs import inclusion_of

    result = inclusion_of(
        ledger, position=_event(ledger, event), checkpoint=checkpoint, root_key=root_key
    )
    if as_json:
        emit_json(result)
        return
    click.echo(f"event at position {result['index']} is in the log of {result['tree_size']}")
    click.echo(f"leaf hash {result['leaf_hash']}")
    click.echo(f"root      {result['root']}")
    for i, node in enumerate(result["proof"]):
        click.echo(f"proof[{i}]  {node}")


@prove.command("consistency")
@click.argument("old_size", type=int)
@click.argument("new_size", type=int, required=False)
@json_option
@with_ledger
def consistency(old_size: int, new_size: int | None, as_json: bool, ledger: Ledger) -> None:
    """Prove that the log of OLD_SIZE events is a prefix of the log of NEW_SIZE (default: now).

    Example: offerledger prove consistency 500 579 --json
    """
    from offerledger.integrity.proofs import consistency_of

    result = consistency_of(ledger, old_size=old_size, new_size=new_size)
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"the log of {result['old_size']} events (root {result['old_root']}) is a prefix of "
        f"the log of {result['new_size']} (root {result['new_root']})"
    )
    for i, node in enumerate(result["proof"]):
        click.echo(f"proof[{i}]  {node}")


@cli.group()
def witness() -> None:
    """A second key (e.g. outside counsel's) that cosigns checkpoints kept outside the database.

    Example: offerledger witness cosign checkpoints --key counsel.key --name counsel
    """


@witness.command("keygen")
@click.option("--name", required=True, help="The witness's key name (no spaces or '+').")
@click.option(
    "--out", type=click.Path(path_type=Path), required=True, help="The encrypted key file."
)
@json_option
def witness_keygen(name: str, out: Path, as_json: bool) -> None:
    """Make a witness key (encrypted PKCS#8, mode 0600) and print its verifier key.

    The passphrase comes from OFFERLEDGER_KEY_PASSPHRASE or a prompt. Give the printed
    verifier key to whoever runs 'verify --witness'.

    Example: offerledger witness keygen --name counsel --out counsel.key
    """
    from offerledger.integrity.checkpoint import vkey_string
    from offerledger.signing.keys import (
        generate_signing_key,
        passphrase_from_env_or_prompt,
        write_key_file,
    )

    if out.exists():
        raise InputError("a file is already there; refusing to overwrite a key", file=out)
    key = generate_signing_key()
    vkey = vkey_string(name=name, public_key=key.public_key)
    write_key_file(path=out, key=key, passphrase=passphrase_from_env_or_prompt(prompt=True))
    if as_json:
        emit_json({"name": name, "verifier_key": vkey, "key_file": str(out)})
        return
    click.echo(vkey)


@witness.command("cosign")
@click.argument("checkpoints", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--key", "key_file", type=click.Path(path_type=Path, exists=True), required=True)
@click.option("--name", required=True, help="The witness's key name, as in its verifier key.")
@click.option(
    "--root-key",
    required=True,
    metavar="FILE|FINGERPRINT",
    help="The ledger's root public key (hex file, or key id with --db).",
)
@json_option
def witness_cosign(
    checkpoints: Path, key_file: Path, name: str, root_key: str, as_json: bool
) -> None:
    """Cosign the last checkpoint of a checkpoints file, after checking it.

    The witness checks that the ledger's root key signed it and that it does not shrink the
    log of the checkpoint before it, then adds its own signature line. No database needed.

    Example: offerledger witness cosign checkpoints --key w.key --name counsel --root-key root.pub
    """
    from offerledger.integrity.checkpoints import cosign_last
    from offerledger.signing.keys import load_key_file, passphrase_from_env_or_prompt

    key = load_key_file(path=key_file, passphrase=passphrase_from_env_or_prompt(prompt=True))
    size = cosign_last(path=checkpoints, key=key, name=name, root_key=root_key)
    if as_json:
        emit_json({"checkpoints": str(checkpoints), "size": size, "witness": name})
        return
    click.echo(f"cosigned the checkpoint of {size} events in {checkpoints} as {name}")
