"""offerledger: a signed, event-sourced audit ledger of issuer tender offers (Schedule TO).

The library the ``offerledger`` command is a skin over (docs/api.md)::

    import offerledger

    with offerledger.Ledger.open("demo.db") as ledger:
        report = offerledger.verify(ledger)       # problems are data: report.ok
        view = offerledger.read(ledger)           # the read commands' data, typed
        print(view.text(section="7"))
        summary = view.election_summary()

``Ledger`` opens, writes and reads one ledger database (a context manager that closes it);
``read`` returns a ``LedgerView`` (offer text and its provenance, elections, findings, the
final amendment, and the verification state of the rows they rest on); ``verify``,
``write_checkpoint`` and ``append_checkpoint`` are the integrity operations; ``events`` is the
event schema, the one contract between the write side and the read side.

Every error offerledger raises on purpose derives from ``OfferLedgerError``::

    OfferLedgerError                      exit 2 unless stated
    ├── InputError                        bad input: file, line, field
    │   ├── NonCanonicalValue             a value RFC 8785 cannot encode (floats)
    │   └── PublicKeyRejected             small-order or non-canonical public key
    ├── RuleViolation                     a refused action (rule named)
    ├── UnknownEntity                     offer, employee, event or key not in the ledger
    ├── ConcurrentWrite                   someone else wrote the same stream version first
    ├── SignatureInvalid                  exit 1
    ├── ProofInvalid                      exit 1: Merkle inclusion/consistency proof fails
    ├── DisclosureInvalid                 exit 1: a committed list or one entry's proof fails
    ├── DocumentAltered                   exit 1: stored document bytes do not hash to its name
    ├── CheckpointError                   malformed checkpoint file, or an overwrite refused
    ├── KeyFileError                      exit 3: key file unreadable, wrong passphrase
    │   └── KeyNotFound                   exit 3
    └── StorageError                      exit 3: database unreachable or misconfigured
        └── EnvelopeUndecodable           exit 3: a stored row that does not decode

Names are imported on first use (``import offerledger`` loads no storage, crypto or event
models), so that the command line starts fast; ``__all__`` is the public API, and a test pins
it (tests/test_package.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from offerledger.errors import (
    CheckpointError,
    ConcurrentWrite,
    DisclosureInvalid,
    DocumentAltered,
    EnvelopeUndecodable,
    InputError,
    KeyFileError,
    KeyNotFound,
    NonCanonicalValue,
    OfferLedgerError,
    ProofInvalid,
    PublicKeyRejected,
    RuleViolation,
    SignatureInvalid,
    StorageError,
    UnknownEntity,
)

if TYPE_CHECKING:
    from offerledger import events as events
    from offerledger.integrity.problems import Problem as Problem
    from offerledger.integrity.problems import VerifyReport as VerifyReport
    from offerledger.integrity.service import append_checkpoint as append_checkpoint
    from offerledger.integrity.service import write_checkpoint as write_checkpoint
    from offerledger.ledger import Ledger as Ledger
    from offerledger.ledger import LogEntry as LogEntry
    from offerledger.projections.elections import ElectionSummary as ElectionSummary
    from offerledger.projections.elections import EmployeeStatus as EmployeeStatus
    from offerledger.projections.findings import Finding as Finding
    from offerledger.projections.text import DocumentView as DocumentView
    from offerledger.projections.verification import Standing as Standing
    from offerledger.reading import LedgerView as LedgerView
    from offerledger.reading import Undecodable as Undecodable
    from offerledger.reading import read as read
    from offerledger.verifying import verify as verify

    __version__: str

# name -> the module that defines it (imported on first use)
_LAZY = {
    "DocumentView": "offerledger.projections.text",
    "ElectionSummary": "offerledger.projections.elections",
    "EmployeeStatus": "offerledger.projections.elections",
    "Finding": "offerledger.projections.findings",
    "Ledger": "offerledger.ledger",
    "LedgerView": "offerledger.reading",
    "LogEntry": "offerledger.ledger",
    "Problem": "offerledger.integrity.problems",
    "Standing": "offerledger.projections.verification",
    "Undecodable": "offerledger.reading",
    "VerifyReport": "offerledger.integrity.problems",
    "append_checkpoint": "offerledger.integrity.service",
    "read": "offerledger.reading",
    "verify": "offerledger.verifying",
    "write_checkpoint": "offerledger.integrity.service",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name == "events":
        value = importlib.import_module("offerledger.events")
    elif name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("offerledger")
        except PackageNotFoundError:  # a source tree that was never installed
            value = "0+unknown"
    else:
        raise AttributeError(f"module 'offerledger' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "CheckpointError",
    "ConcurrentWrite",
    "DisclosureInvalid",
    "DocumentAltered",
    "DocumentView",
    "ElectionSummary",
    "EmployeeStatus",
    "EnvelopeUndecodable",
    "Finding",
    "InputError",
    "KeyFileError",
    "KeyNotFound",
    "Ledger",
    "LedgerView",
    "LogEntry",
    "NonCanonicalValue",
    "OfferLedgerError",
    "Problem",
    "ProofInvalid",
    "PublicKeyRejected",
    "RuleViolation",
    "SignatureInvalid",
    "Standing",
    "StorageError",
    "Undecodable",
    "UnknownEntity",
    "VerifyReport",
    "__version__",
    "append_checkpoint",
    "events",
    "read",
    "verify",
    "write_checkpoint",
]
