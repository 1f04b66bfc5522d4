"""README.txt of an evidence bundle: for a recipient who has never heard of offerledger."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from offerledger.offerledger_verify import REASONS

__all__ = ["ReadmeFacts", "render_readme"]


@dataclass(frozen=True, slots=True)
class ReadmeFacts:
    offer: str
    employee: str | None
    as_of: str | None
    origin: str
    size: int
    root: str
    root_key_id: str
    events: int
    documents: int
    withheld: Sequence[str]
    entries: int


def _para(text: str, indent: str = "") -> str:
    return textwrap.fill(text, 78, initial_indent=indent, subsequent_indent=indent)


def render_readme(f: ReadmeFacts) -> str:
    who = f"employee {f.employee}" if f.employee else "the whole offer, every employee included"
    blocks = [
        "OFFERLEDGER EVIDENCE BUNDLE",
        _para(
            f"Evidence from an offerledger ledger, a signed, append-only record of an issuer "
            f"tender offer (Schedule TO, Rule 13e-4): offer {f.offer}, for {who}. It holds "
            f"{f.events} events exactly as the ledger stores them, each signed by the key of "
            f"whoever recorded it, and a checkpoint: the ledger's log of {f.size} events "
            f"({f.origin}, RFC 9162 root {f.root}), signed at export by the ledger's root key "
            f"{f.root_key_id}. Every event is proven to be in that log."
        ),
        _para(
            "Nothing in this bundle proves who made it: a forger can make a whole ledger with "
            "a root key of their own. Obtain the root key id from the issuer through another "
            "channel (a letter, a filing, a call) and pass it to the verifier."
        ),
        "HOW TO CHECK IT",
        _para(
            "You need Python 3.11 or later and the 'cryptography' package (pip install "
            "cryptography). Unzip offerledger_verify.py (or better, use a copy you obtained "
            "and read yourself: one file of under 520 lines, standard library and cryptography "
            "only) and run:",
        ),
        "    python offerledger_verify.py THIS_BUNDLE.zip --trust ROOT_KEY_ID",
        _para(
            "Add --witness VKEY for each co-signer (a C2SP verifier key) whose signature the "
            "checkpoint must carry. Exit status 0: every check passed. 1: problems, one line "
            "each, 'FILE: reason: detail'. 2: the file is not a bundle it can read, or is "
            "over a limit (1 GiB on disk or unpacked, 1,000,000 events: --max-bytes N and "
            "--max-events N raise them). With "
            "offerledger installed, 'offerledger verify-bundle THIS_BUNDLE.zip --trust "
            "ROOT_KEY_ID' runs the same checks and also rebuilds every projection from the "
            "events, byte for byte."
        ),
        "WHAT IS IN IT",
        *(
            _para(line, "  ")
            for line in (
                "index.json: what the bundle holds; each event's position in the log and its "
                "row (stream, version, topic).",
                "events/NNNNNNNNNN.json: each event as stored, named by its 0-based log position.",
                "proofs/NNNNNNNNNN.json: its RFC 9162 inclusion proof against the checkpoint.",
                "checkpoint: the C2SP signed note of the log; its extension line signs the "
                "SHA-256 of manifest.json.",
                "manifest.json: the SHA-256 of every other file.",
                f"documents/SHA256: {f.documents} source documents the events cite, named by "
                "the SHA-256 of their bytes.",
                f"entries/: {f.entries} entries of the lists that name many employees, each "
                "with its Merkle audit path to the commitment in the signed event (the lists "
                "themselves would name other employees).",
                "projections/: what offerledger computes from these events alone: election "
                "status, results letter(s), the offer document's text"
                + (f" as of {f.as_of} (end of day, US Eastern)." if f.as_of else "."),
                "offerledger_verify.py: the standalone verifier.",
            )
        ),
        "WHAT EACH PROBLEM MEANS",
        *(_para(f"{reason}: {meaning}.", "  ") for reason, meaning in REASONS.items()),
    ]
    if f.withheld:
        blocks += [
            "WITHHELD",
            _para(
                "The events cite these source documents, which are not included because they "
                "name other employees: " + ", ".join(f.withheld) + "."
            ),
        ]
    return "\n\n".join(blocks) + "\n"
