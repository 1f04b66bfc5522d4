"""Verification records: ``verify`` and ``nightly`` keep what they found; read commands look
up what was found for the state they read (they never verify).

The records are kept beside the read model (:mod:`offerledger.projections.verification_store`):
``<db>.verifications.sqlite`` beside a SQLite ledger; for PostgreSQL beside the read model, in
the working folder unless ``OFFERLEDGER_READ_MODEL`` (or ``--read-model``) names another, so
set it where ``verify``, ``nightly`` and the read commands all see it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from offerledger.cli.common import err_console
from offerledger.integrity.problems import VerifyReport
from offerledger.ledger import Ledger
from offerledger.projections import verification_store
from offerledger.projections.verification import Head, Standing, VerificationRecord
from offerledger.reading import index_head, read_model_path, verification_of
from offerledger.verifying import record_verification


def records_path(ledger: Ledger, read_model: Path | None = None) -> Path:
    return verification_store.verifications_path(read_model_path(ledger, read_model))


def record(
    ledger: Ledger,
    report: VerifyReport,
    *,
    by: str,
    checkpoint: Path | None = None,
    read_model: Path | None = None,
) -> VerificationRecord:
    """Keep what ``report`` found beside the read model (the library's
    :func:`offerledger.verifying.record_verification`); a record that cannot be written is a
    warning on stderr: outputs then say UNVERIFIED, never more than was found."""
    with warnings_on_stderr():
        return record_verification(
            ledger, report, by=by, checkpoint=checkpoint, read_model=read_model
        )


@contextmanager
def warnings_on_stderr() -> Iterator[None]:
    """The library's ``RuntimeWarning`` (a verification record that cannot be written) as a
    ``Warning:`` line on stderr, once the block is done."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        yield
    for warning in caught:
        err_console.print(f"Warning: {warning.message}", markup=False)


def standing_of(ledger: Ledger, built: Head, read_model: Path | None = None) -> Standing:
    """What the records say about the state ``built`` (the rows a read command folded): the
    library's :func:`offerledger.reading.verification_of`, keys made public included."""
    return verification_of(ledger, built, read_model)


def warn(verification: Standing) -> None:
    """On stderr too, for outputs written to files (letters)."""
    if verification.state != "verified" or verification.keys_public:
        err_console.print(f"Warning: {verification.first_line()}", markup=False)


__all__ = [
    "index_head",
    "read_model_path",
    "record",
    "records_path",
    "standing_of",
    "warn",
    "warnings_on_stderr",
]
