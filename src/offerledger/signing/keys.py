"""Ed25519 keys, signatures, key files and the keystore: the one place to import them from.

* :mod:`offerledger.signing.ed25519` — :class:`SigningKey`, key ids, signing, verification
  (libsodium, and pyca under the same contract) and the registration check of public keys
  (libsodium's ``crypto_core_ed25519_is_valid_point``);
* :mod:`offerledger.signing.keyfile` — the key file format: PKCS#8 encrypted with scrypt
  (n = 2^17, r = 8, p = 1) and AES-256-CBC, and the parameters read back from a file;
* :mod:`offerledger.signing.keystore` — key files on disk (mode 0600, never overwritten,
  ``keys rewrap``), the keystore folder (nobody else may write it) and the passphrase.

pyca ``cryptography`` is normative for key generation, key files and signing (DESIGN §4).
"""

from __future__ import annotations

from offerledger.signing.ed25519 import (
    PUBLIC_KEY_SIZE,
    SIGNATURE_SIZE,
    KeyId,
    SigningKey,
    check_public_key,
    generate_signing_key,
    key_id_for,
    rotation_message,
    verify_signature,
    verify_signature_pyca,
)
from offerledger.signing.keyfile import KDF, KdfParams, kdf_of, read_kdf
from offerledger.signing.keystore import (
    PASSPHRASE_ENV,
    Keystore,
    WeakKeyFileWarning,
    check_keystore_folder,
    load_key_file,
    passphrase_from_env_or_prompt,
    rewrap_key_file,
    write_key_file,
)

__all__ = [
    "KDF",
    "PASSPHRASE_ENV",
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
    "KdfParams",
    "KeyId",
    "Keystore",
    "SigningKey",
    "WeakKeyFileWarning",
    "check_keystore_folder",
    "check_public_key",
    "generate_signing_key",
    "kdf_of",
    "key_id_for",
    "load_key_file",
    "passphrase_from_env_or_prompt",
    "read_kdf",
    "rewrap_key_file",
    "rotation_message",
    "verify_signature",
    "verify_signature_pyca",
    "write_key_file",
]
