"""The keystore: encrypted key files in a folder nobody else may write.

Private keys live in encrypted PKCS#8 PEM files (scrypt n = 2^17, r = 8, p = 1 and AES-256-CBC;
:mod:`offerledger.signing.keyfile`), mode 0600 and owned by the user, one per key, named
``<key id>.pem`` in a keystore folder that group and others may not write (mode 0700). A
folder or file that others could write or read is refused with its path and the ``chmod`` that
fixes it. The passphrase comes from ``OFFERLEDGER_KEY_PASSPHRASE`` or a terminal prompt.
"""

from __future__ import annotations

import getpass
import os
import secrets
import stat
import sys
import warnings
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from offerledger.errors import KeyFileError, KeyNotFound, WeakKeyFileWarning
from offerledger.signing import keyfile
from offerledger.signing.ed25519 import KeyId, SigningKey
from offerledger.signing.keyfile import KdfParams

__all__ = [
    "PASSPHRASE_ENV",
    "Keystore",
    "WeakKeyFileWarning",
    "check_keystore_folder",
    "load_key_file",
    "passphrase_from_env_or_prompt",
    "rewrap_key_file",
    "write_key_file",
]

PASSPHRASE_ENV = "OFFERLEDGER_KEY_PASSPHRASE"
_MIN_PREFIX = 8


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0600), complete or not at all, never over a file.

    The bytes go to a fresh temporary file (``O_CREAT | O_EXCL``, mode 0600) which is then
    hard-linked to ``path`` (the link fails if ``path`` exists) and unlinked.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(temporary, flags, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(temporary, path)
    except FileExistsError:
        raise KeyFileError(
            "the key file already exists; refusing to overwrite it", path=path
        ) from None
    except OSError as exc:
        raise KeyFileError(f"cannot write the key file: {exc.strerror}", path=path) from exc
    finally:
        temporary.unlink(missing_ok=True)


def write_key_file(
    *, path: Path, key: SigningKey, passphrase: bytes, kdf: KdfParams | None = None
) -> None:
    """Write ``key`` as passphrase-encrypted PKCS#8 PEM, mode 0600; never overwrite a file.

    ``kdf``: scrypt parameters, by default :func:`offerledger.signing.keyfile.write_kdf`
    (n = 2^17, r = 8, p = 1).
    """
    if not passphrase:
        raise KeyFileError(
            "refusing to write an unencrypted key: the passphrase is empty", path=path
        )
    pem = keyfile.encrypt_pkcs8(
        key=key.private_key, passphrase=passphrase, kdf=kdf or keyfile.write_kdf()
    )
    _write_new(path, pem)


def _owner_problem(st: os.stat_result) -> str | None:
    uid = getattr(os, "geteuid", lambda: st.st_uid)()
    return None if st.st_uid == uid else f"it belongs to another user (uid {st.st_uid})"


def load_key_file(*, path: Path, passphrase: bytes) -> SigningKey:
    """Read and decrypt an Ed25519 key file written by :func:`write_key_file`, or raise.

    Refuses a file that group or others may read or write, or that another user owns, an
    unencrypted file, a wrong passphrase, garbage and keys of another type; every error names
    the file. pyca decrypts (scrypt files and the older PBKDF2 ones alike); a file under a weak
    key derivation opens with a :class:`WeakKeyFileWarning` naming ``keys rewrap``.
    """
    try:
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())
            if st.st_mode & 0o077:
                raise KeyFileError(
                    f"the key file is accessible by group or others (mode "
                    f"{stat.S_IMODE(st.st_mode):04o}); refusing to use it",
                    path=path,
                    hint=f"run: chmod 600 {path}",
                )
            if (owner := _owner_problem(st)) is not None:
                raise KeyFileError(
                    f"{owner}; refusing to use the key file",
                    path=path,
                    hint="keep each actor's keys in a keystore of their own (--keys DIR)",
                )
            data = handle.read()
    except FileNotFoundError:
        raise KeyFileError("no such key file", path=path) from None
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file: {exc.strerror}", path=path) from exc
    try:
        loaded = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as exc:  # pyca: the file is not encrypted (or needs no password)
        raise KeyFileError(
            "the key file is not encrypted; offerledger only uses passphrase-encrypted keys",
            path=path,
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFileError(
            "cannot decrypt the key file: wrong passphrase, or not an encrypted PKCS#8 PEM key",
            path=path,
            hint=f"check {PASSPHRASE_ENV}",
        ) from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyFileError(
            f"the key file holds a {type(loaded).__name__}, not an Ed25519 key", path=path
        )
    params = keyfile.read_kdf(path)
    if params is not None and params.kdf != "scrypt" and not params.strong():
        warnings.warn(
            WeakKeyFileWarning(
                f"{path}: the key file is encrypted with {params.describe()}, which a "
                f"guessing attack breaks cheaply; run 'offerledger keys rewrap' "
                f"(scrypt n={keyfile.KDF.n})"
            ),
            stacklevel=2,
        )
    return SigningKey(loaded)


def rewrap_key_file(
    *,
    path: Path,
    passphrase: bytes,
    new_passphrase: bytes | None = None,
    kdf: KdfParams | None = None,
) -> tuple[KdfParams | None, KdfParams]:
    """Re-encrypt a key file in place with ``kdf`` (default: the current parameters).

    Opens it first (every check of :func:`load_key_file`), writes the new file beside it and
    renames it over the old one, so the file is old or new, never half of either. Returns the
    parameters before and after.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeakKeyFileWarning)
        key = load_key_file(path=path, passphrase=passphrase)
    before = keyfile.read_kdf(path)
    after = kdf or keyfile.write_kdf()
    staged = path.with_name(f".{path.name}.rewrap-{secrets.token_hex(8)}")
    write_key_file(path=staged, key=key, passphrase=new_passphrase or passphrase, kdf=after)
    try:
        os.replace(staged, path)
    except OSError as exc:
        staged.unlink(missing_ok=True)
        raise KeyFileError(f"cannot replace the key file: {exc.strerror}", path=path) from exc
    return before, after


# --- the keystore ----------------------------------------------------------------------------


def check_keystore_folder(folder: Path) -> bool:
    """Whether the keystore folder exists; raise if someone else could write or own it.

    A folder that group or others may write lets them plant a key file (``verify`` trusts the
    root key file it finds there) or swap one; refused with its path and the ``chmod`` fix.
    """
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise KeyFileError(f"cannot read the keystore folder: {exc.strerror}", path=folder) from exc
    if not stat.S_ISDIR(st.st_mode):
        raise KeyFileError("the keystore is not a folder", path=folder)
    if st.st_mode & 0o022:
        raise KeyFileError(
            f"the keystore folder is writable by group or others (mode "
            f"{stat.S_IMODE(st.st_mode):04o}), so they could plant or swap key files; "
            f"refusing to use it",
            path=folder,
            hint=f"run: chmod 700 {folder}",
        )
    if (owner := _owner_problem(st)) is not None:
        raise KeyFileError(
            f"{owner}; refusing to use the keystore folder",
            path=folder,
            hint="use a keystore folder of your own (--keys DIR)",
        )
    return True


class Keystore:
    """A folder of encrypted key files, one per key, named ``<key id>.pem`` (folder mode 0700).

    Every use checks the folder first (:func:`check_keystore_folder`).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, key_id: KeyId) -> Path:
        """Where the key file of ``key_id`` lives (whether or not it exists)."""
        return self.folder / f"{key_id}.pem"

    def save(self, *, key: SigningKey, passphrase: bytes, kdf: KdfParams | None = None) -> Path:
        """Write ``key`` to its file (creating the folder, mode 0700); return the path."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=False)
        except FileExistsError:
            pass
        except OSError as exc:
            raise KeyFileError(
                f"cannot create the keystore: {exc.strerror}", path=self.folder
            ) from exc
        check_keystore_folder(self.folder)
        path = self.path_for(key.key_id)
        write_key_file(path=path, key=key, passphrase=passphrase, kdf=kdf)
        return path

    def key_ids(self) -> list[KeyId]:
        """The key ids with a key file here, sorted; empty if the folder does not exist."""
        if not check_keystore_folder(self.folder):
            return []
        return sorted(
            KeyId(entry.stem)
            for entry in self.folder.iterdir()
            if entry.suffix == ".pem" and _is_key_id(entry.stem)
        )

    def resolve(self, key_id: str) -> KeyId:
        """The full key id for ``key_id`` or an unambiguous prefix of at least 8 hex digits."""
        wanted = key_id.lower()
        if len(wanted) < _MIN_PREFIX or not _is_hex(wanted):
            raise KeyNotFound(
                f"{key_id!r} is not a key id or a prefix of at least {_MIN_PREFIX} hex digits",
                path=self.folder,
            )
        matches = [known for known in self.key_ids() if known.startswith(wanted)]
        if not matches:
            raise KeyNotFound(
                f"no key {key_id} in this keystore",
                path=self.folder,
                hint=f"keys here: {', '.join(k[:12] for k in self.key_ids()) or 'none'}",
            )
        if len(matches) > 1:
            raise KeyNotFound(
                f"key id prefix {key_id} is ambiguous: {', '.join(matches)}",
                path=self.folder,
                hint="give more digits of the key id",
            )
        return matches[0]

    def load(self, *, key_id: str, passphrase: bytes) -> SigningKey:
        """Load the key ``key_id`` (or prefix); its file must hold exactly that key."""
        full = self.resolve(key_id)
        path = self.path_for(full)
        key = load_key_file(path=path, passphrase=passphrase)
        if key.key_id != full:
            raise KeyFileError(f"the file holds key {key.key_id}, not {full}", path=path)
        return key


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdef" for ch in text)


def _is_key_id(text: str) -> bool:
    return len(text) == 64 and _is_hex(text)


def passphrase_from_env_or_prompt(*, prompt: bool) -> bytes:
    """The key passphrase from ``OFFERLEDGER_KEY_PASSPHRASE``, else a terminal prompt if allowed."""
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env.encode("utf-8")
    if prompt and sys.stdin is not None and sys.stdin.isatty():
        entered = getpass.getpass("Key passphrase: ")
        if entered:
            return entered.encode("utf-8")
    raise KeyFileError(
        f"no key passphrase: set {PASSPHRASE_ENV}"
        + (" or run in a terminal to be prompted" if prompt else ""),
        hint=f"export {PASSPHRASE_ENV}=... (it decrypts the key files in the keystore)",
    )
