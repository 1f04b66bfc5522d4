"""The one error tree of offerledger.

Every error the library raises on purpose derives from :class:`OfferLedgerError`; third-party
errors (pydantic ``ValidationError``, eventsourcing ``IntegrityError``, pyca
``InvalidSignature``, psycopg errors) are wrapped where they enter. The CLI catches the root once
and exits with the error's ``exit_code``::

    OfferLedgerError                      exit 2 unless stated
    ├── InputError                        bad input: file, line, field
    │   ├── InputTooLarge                 a file over an input limit (offerledger.limits)
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
"""

from __future__ import annotations

from pathlib import Path


class OfferLedgerError(Exception):
    """Root of every error offerledger raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The message and, when there is one, what to do about it."""
        if self.hint:
            return f"{self.message}\nHint: {self.hint}"
        return self.message


class InputError(OfferLedgerError):
    """Input that does not parse or validate; names the file, line and field where known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = []
        if file is not None:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        if field is not None:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message, hint=hint)
        self.file = file
        self.line = line
        self.column = column
        self.field = field


class InputTooLarge(InputError):
    """A file (or a part of one) over an input limit (:mod:`offerledger.limits`); refused before
    it is read whole, nothing written. ``limit`` and ``actual`` are in the limit's unit."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path,
        limit: int,
        actual: int | str,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, file=file, line=line, field=field, hint=hint)
        self.limit = limit
        self.actual = actual


class NonCanonicalValue(InputError):
    """A value that RFC 8785 canonical JSON cannot represent exactly (the project bans floats)."""


class PublicKeyRejected(InputError):
    """A public key that is small-order, non-canonical or the wrong length."""


class RuleViolation(OfferLedgerError):
    """An action the offer's rules refuse; nothing was written."""

    def __init__(self, message: str, *, rule: str, hint: str | None = None) -> None:
        super().__init__(f"refused ({rule}): {message}", hint=hint)
        self.rule = rule


class UnknownEntity(OfferLedgerError):
    """An offer, employee, grant, event or key the ledger does not hold."""

    def __init__(self, message: str, *, name: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.name = name


class ConcurrentWrite(OfferLedgerError):
    """The stream version was written by someone else first; nothing of this save was written."""

    def __init__(self, message: str, *, stream: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.stream = stream


class SignatureInvalid(OfferLedgerError):
    """A signature that does not verify against the body and key it names."""

    exit_code = 1


class ProofInvalid(OfferLedgerError):
    """A Merkle inclusion or consistency proof that does not prove what it claims."""

    exit_code = 1


class DisclosureInvalid(OfferLedgerError):
    """A committed list (docs/disclosure.md) whose document or entry proof does not match the
    commitment the signed event holds: missing, altered, reordered, or not canonical."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        document_sha256: str | None = None,
        index: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.document_sha256 = document_sha256
        self.index = index


class DocumentAltered(OfferLedgerError):
    """A stored source document whose bytes no longer hash to the SHA-256 it is stored under."""

    exit_code = 1

    def __init__(self, message: str, *, sha256: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.sha256 = sha256


class CheckpointError(OfferLedgerError):
    """A checkpoint file that is malformed or does not belong to this ledger."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = ", ".join(
            part for part in (str(path) if path else "", f"line {line}" if line else "") if part
        )
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.path = path
        self.line = line


class KeyFileError(OfferLedgerError):
    """A private key file that cannot be read, decrypted or trusted."""

    exit_code = 3

    def __init__(
        self, message: str, *, path: str | Path | None = None, hint: str | None = None
    ) -> None:
        super().__init__(f"{path}: {message}" if path else message, hint=hint)
        self.path = path


class KeyNotFound(KeyFileError):
    """No key file (or no registered key) for the key id asked for."""


class StorageError(OfferLedgerError):
    """The database cannot be reached, opened or is not an offerledger ledger."""

    exit_code = 3


class EnvelopeUndecodable(StorageError):
    """Stored bytes that are not an offerledger envelope (``verify`` names the row)."""


class WeakKeyFileWarning(UserWarning):
    """A key file opened under a weak key derivation (an old PBKDF2 file): run keys rewrap.

    Defined here, not in :mod:`offerledger.signing.keystore` (which re-exports it), so that the
    command line can show it without importing the crypto libraries first."""
