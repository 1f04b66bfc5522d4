"""Ed25519 keys: RFC 8032 vectors, pyca/libsodium agreement, key checks, key files, keystore.

Key files here use the test suite's scrypt n = 2^10 (``OFFERLEDGER_INSECURE_TEST_KDF=1``, set by
conftest.py); the tests that need the real parameters unset it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import subprocess
import time
import warnings
from pathlib import Path

import nacl.bindings
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from offerledger.errors import KeyFileError, KeyNotFound, PublicKeyRejected, SignatureInvalid
from offerledger.signing import keyfile
from offerledger.signing.keyfile import KDF, TEST_KDF, KdfParams, kdf_of, read_kdf
from offerledger.signing.keys import (
    Keystore,
    SigningKey,
    WeakKeyFileWarning,
    check_keystore_folder,
    check_public_key,
    generate_signing_key,
    key_id_for,
    load_key_file,
    passphrase_from_env_or_prompt,
    rewrap_key_file,
    verify_signature,
    verify_signature_pyca,
    write_key_file,
)

VERIFIERS = [verify_signature, verify_signature_pyca]

# RFC 8032 §7.1: (name, secret key, public key, message, signature), all hex.
RFC8032 = [
    (
        "TEST 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "TEST 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "TEST 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    (
        "TEST SHA(abc)",
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
]


@pytest.mark.parametrize(("name", "secret", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(name: str, secret: str, public: str, message: str, signature: str) -> None:
    key = SigningKey.from_seed(seed=bytes.fromhex(secret))
    msg, sig, pub = bytes.fromhex(message), bytes.fromhex(signature), bytes.fromhex(public)
    assert key.public_key == pub
    assert key.key_id == hashlib.sha256(pub).hexdigest() == key_id_for(public_key=pub)
    assert key.sign(message=msg) == sig  # pyca, the normative signer
    assert key.sign_libsodium(message=msg) == sig
    check_public_key(public_key=pub)
    for verify in VERIFIERS:
        verify(public_key=pub, message=msg, signature=sig)


@pytest.mark.parametrize("verify", VERIFIERS)
@pytest.mark.parametrize(("name", "secret", "public", "message", "signature"), RFC8032)
def test_rfc8032_tampering_is_detected(
    verify: object, name: str, secret: str, public: str, message: str, signature: str
) -> None:
    assert callable(verify)
    pub, sig = bytes.fromhex(public), bytes.fromhex(signature)
    expected = f"does not verify under key {key_id_for(public_key=pub)}"
    with pytest.raises(SignatureInvalid, match=expected):
        verify(public_key=pub, message=bytes.fromhex(message) + b"x", signature=sig)
    for position in (0, 31, 32, 63):
        bad = bytearray(sig)
        bad[position] ^= 0x01
        with pytest.raises(SignatureInvalid):
            verify(public_key=pub, message=bytes.fromhex(message), signature=bytes(bad))
    with pytest.raises(SignatureInvalid, match="got 63 and 32"):
        verify(public_key=pub, message=b"", signature=sig[:63])


@settings(max_examples=60, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=300))
def test_libsodium_and_pyca_signatures_are_identical(seed: bytes, message: bytes) -> None:
    key = SigningKey.from_seed(seed=seed)
    signature = key.sign(message=message)
    assert signature == key.sign_libsodium(message=message)
    verify_signature(public_key=key.public_key, message=message, signature=signature)
    verify_signature_pyca(public_key=key.public_key, message=message, signature=signature)


def test_generated_keys_are_distinct_and_never_printed() -> None:
    first, second = generate_signing_key(), generate_signing_key()
    assert first.key_id != second.key_id
    assert len(first.key_id) == 64
    seed_hex = first.private_key.private_bytes_raw().hex()
    assert seed_hex not in repr(first)
    assert repr(first) == f"SigningKey(key_id={first.key_id!r})"
    check_public_key(public_key=first.public_key)


# --- public-key registration checks ----------------------------------------------------------


P = 2**255 - 19
IDENTITY = (1).to_bytes(32, "little")


def _encode(y: int, sign: int = 0) -> bytes:
    return (y | (sign << 255)).to_bytes(32, "little")


_SMALL_ORDER_CANONICAL = [
    _encode(1),  # identity
    _encode(P - 1),  # (0, -1), order 2
    _encode(0, 0),  # (sqrt(-1), 0), order 4
    _encode(0, 1),  # (-sqrt(-1), 0), order 4
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),  # order 8
    bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),  # order 8
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),  # order 8
    bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),  # order 8
]
_SMALL_ORDER_OTHER_ENCODINGS = [
    _encode(1, 1),  # identity, x = 0 with the sign bit set
    _encode(P - 1, 1),
    _encode(P, 0),  # y = p ≡ 0
    _encode(P, 1),
    _encode(P + 1, 0),  # y = p + 1 ≡ 1
    _encode(P + 1, 1),
]
# libsodium's ge25519_has_small_order() list (ed25519_ref10.c), the sign bit ignored.
_LIBSODIUM_BLOCKLIST_Y = [
    0,
    1,
    0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826,
    0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7,
    P - 1,
    P,
    P + 1,
]


def _times_8(point: bytes) -> bytes:
    for _ in range(3):
        point = nacl.bindings.crypto_core_ed25519_add(point, point)
    return point


def test_the_small_order_list_is_the_eight_torsion_points() -> None:
    # libsodium's arithmetic: eight distinct points (their canonical encodings differ), each
    # of them 8·P = identity; together with the other encodings, the blocklist's y values.
    assert len(set(_SMALL_ORDER_CANONICAL)) == 8
    for encoding in _SMALL_ORDER_CANONICAL + _SMALL_ORDER_OTHER_ENCODINGS:
        assert _times_8(encoding) == IDENTITY
        assert not nacl.bindings.crypto_core_ed25519_is_valid_point(encoding)
    found = {int.from_bytes(e, "little") & ((1 << 255) - 1) for e in _SMALL_ORDER_CANONICAL}
    assert found | {P, P + 1} == set(_LIBSODIUM_BLOCKLIST_Y)


@pytest.mark.parametrize("y", _LIBSODIUM_BLOCKLIST_Y)
@pytest.mark.parametrize("sign", [0, 1])
def test_small_order_is_libsodiums_blocklist(y: int, sign: int) -> None:
    from offerledger.signing.ed25519 import _has_small_order

    assert _has_small_order(_encode(y, sign))
    assert not _has_small_order(_encode(y + 2 if y < P - 1 else 2, sign))


@pytest.mark.parametrize("encoding", _SMALL_ORDER_CANONICAL + _SMALL_ORDER_OTHER_ENCODINGS)
def test_small_order_keys_are_refused_in_every_encoding(encoding: bytes) -> None:
    with pytest.raises(PublicKeyRejected, match="small-order point"):
        check_public_key(public_key=encoding)


@pytest.mark.parametrize("y", range(P + 2, 2**255))
@pytest.mark.parametrize("sign", [0, 1])
def test_non_canonical_keys_are_refused(y: int, sign: int) -> None:
    with pytest.raises(PublicKeyRejected, match=r"non-canonical encoding \(y >= p"):
        check_public_key(public_key=_encode(y, sign))


@settings(max_examples=200, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32))
def test_every_generated_key_passes_and_any_torsion_added_is_refused(seed: bytes) -> None:
    public_key = SigningKey.from_seed(seed=seed).public_key
    check_public_key(public_key=public_key)
    for torsion in _SMALL_ORDER_CANONICAL[1:]:
        mixed = nacl.bindings.crypto_core_ed25519_add(public_key, torsion)
        with pytest.raises(PublicKeyRejected, match="not in the prime-order subgroup"):
            check_public_key(public_key=mixed)


def test_off_curve_and_mixed_order_keys_are_refused() -> None:
    with pytest.raises(PublicKeyRejected, match="not a point on the Ed25519 curve"):
        check_public_key(public_key=_encode(2))
    # A point of order 8·L (speccheck's "mixed" key): prime-order part plus a torsion part.
    mixed = bytes.fromhex("cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d")
    with pytest.raises(PublicKeyRejected, match="not in the prime-order subgroup"):
        check_public_key(public_key=mixed)


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_wrong_length_keys_are_refused(size: int) -> None:
    with pytest.raises(PublicKeyRejected, match=f"has 32 bytes, not {size}"):
        check_public_key(public_key=b"\x01" * size)


# --- key files -------------------------------------------------------------------------------

PASS = b"correct horse battery staple"


def test_key_file_round_trip_mode_0600(tmp_path: Path) -> None:
    key = generate_signing_key()
    path = tmp_path / "k.pem"
    write_key_file(path=path, key=key, passphrase=PASS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert [p.name for p in tmp_path.iterdir()] == ["k.pem"]  # no temporary left behind
    loaded = load_key_file(path=path, passphrase=PASS)
    assert loaded.key_id == key.key_id
    assert loaded.sign(message=b"m") == key.sign(message=b"m")


def test_wrong_passphrase_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    write_key_file(path=path, key=generate_signing_key(), passphrase=PASS)
    with pytest.raises(KeyFileError) as caught:
        load_key_file(path=path, passphrase=b"wrong")
    assert str(caught.value) == (
        f"{path}: cannot decrypt the key file: wrong passphrase, or not an encrypted PKCS#8 PEM key"
    )
    assert caught.value.path == path
    assert caught.value.exit_code == 3


def test_overwrite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    first = generate_signing_key()
    write_key_file(path=path, key=first, passphrase=PASS)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists; refusing to overwrite"):
        write_key_file(path=path, key=generate_signing_key(), passphrase=PASS)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["k.pem"]


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="passphrase is empty"):
        write_key_file(path=tmp_path / "k.pem", key=generate_signing_key(), passphrase=b"")
    assert not (tmp_path / "k.pem").exists()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o644])
def test_key_file_open_to_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "k.pem"
    write_key_file(path=path, key=generate_signing_key(), passphrase=PASS)
    os.chmod(path, mode)
    with pytest.raises(KeyFileError, match=f"accessible by group or others \\(mode {mode:04o}\\)"):
        load_key_file(path=path, passphrase=PASS)


def _write_0600(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    os.chmod(path, 0o600)
    return path


def test_garbage_unencrypted_and_foreign_key_files(tmp_path: Path) -> None:
    garbage = _write_0600(tmp_path / "garbage.pem", b"not a key\n")
    with pytest.raises(KeyFileError, match="garbage.pem: cannot decrypt the key file"):
        load_key_file(path=garbage, passphrase=PASS)
    plain_pem = generate_signing_key().private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    plain = _write_0600(tmp_path / "plain.pem", plain_pem)
    with pytest.raises(KeyFileError, match="plain.pem: the key file is not encrypted"):
        load_key_file(path=plain, passphrase=PASS)
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASS),
    )
    foreign = _write_0600(tmp_path / "ec.pem", ec_pem)
    with pytest.raises(KeyFileError, match="ec.pem: the key file holds a .*, not an Ed25519 key"):
        load_key_file(path=foreign, passphrase=PASS)
    with pytest.raises(KeyFileError, match="missing.pem: no such key file"):
        load_key_file(path=tmp_path / "missing.pem", passphrase=PASS)


# --- the key derivation: scrypt, read back from the file --------------------------------------


def _legacy_file(path: Path, key: SigningKey) -> Path:
    """A key file as offerledger wrote them before: pyca's BestAvailableEncryption (PBKDF2)."""
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASS),
    )
    return _write_0600(path, pem)


def test_a_new_key_file_states_scrypt_n_2_17_and_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(keyfile.TEST_KDF_ENV)  # the real parameters, as outside the tests
    key = generate_signing_key()
    path = tmp_path / "k.pem"
    write_key_file(path=path, key=key, passphrase=PASS)
    params = kdf_of(path.read_bytes())
    assert params == KdfParams("scrypt", n=2**17, r=8, p=1, cipher="aes-256-cbc") == KDF
    assert params.strong() and params.n is not None and params.r is not None
    assert 128 * params.n * params.r == 128 * 2**20  # scrypt's memory: 128 MiB
    started = time.perf_counter()
    assert load_key_file(path=path, passphrase=PASS).key_id == key.key_id
    assert time.perf_counter() - started > 0.05  # it costs (about 0.8 s where measured)


def test_the_test_kdf_is_honoured_only_when_set_to_1(monkeypatch: pytest.MonkeyPatch) -> None:
    assert keyfile.write_kdf() == TEST_KDF  # conftest.py sets it for the test suite
    assert not TEST_KDF.strong()
    for value in ("", "0", "yes", "true"):
        monkeypatch.setenv(keyfile.TEST_KDF_ENV, value)
        assert keyfile.write_kdf() == KDF
    monkeypatch.delenv(keyfile.TEST_KDF_ENV)
    assert keyfile.write_kdf() == KDF


def test_old_pbkdf2_files_open_with_a_warning_and_rewrap_upgrades_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_signing_key()
    path = _legacy_file(tmp_path / "old.pem", key)
    old = kdf_of(path.read_bytes())
    assert old == KdfParams("pbkdf2", iterations=2048, prf="hmac-sha256", cipher="aes-256-cbc")
    assert not old.strong()
    with pytest.warns(WeakKeyFileWarning, match="pbkdf2 hmac-sha256 2048 iterations") as caught:
        assert load_key_file(path=path, passphrase=PASS).key_id == key.key_id
    assert "run 'offerledger keys rewrap'" in str(caught[0].message)
    monkeypatch.delenv(keyfile.TEST_KDF_ENV)
    before, after = rewrap_key_file(path=path, passphrase=PASS)
    assert (before, after) == (old, KDF)
    assert read_kdf(path) == KDF
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["old.pem"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_key_file(path=path, passphrase=PASS).key_id == key.key_id


def test_rewrap_can_change_the_passphrase_and_keeps_the_file_on_a_wrong_one(
    tmp_path: Path,
) -> None:
    key = generate_signing_key()
    path = tmp_path / "k.pem"
    write_key_file(path=path, key=key, passphrase=PASS)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="cannot decrypt the key file"):
        rewrap_key_file(path=path, passphrase=b"wrong", new_passphrase=b"new")
    assert path.read_bytes() == before
    rewrap_key_file(path=path, passphrase=PASS, new_passphrase=b"new")
    assert load_key_file(path=path, passphrase=b"new").key_id == key.key_id
    with pytest.raises(KeyFileError, match="cannot decrypt"):
        load_key_file(path=path, passphrase=PASS)


def test_kdf_of_refuses_what_is_not_an_encrypted_pkcs8_pem(tmp_path: Path) -> None:
    plain = generate_signing_key().private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for data in (plain, b"garbage", b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n!!\n"):
        with pytest.raises(keyfile.KeyFileFormatError):
            kdf_of(data)
    assert read_kdf(tmp_path / "missing.pem") is None


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command here")
def test_openssl_reads_the_key_files(tmp_path: Path) -> None:
    # OpenSSL's own PKCS#8 reader decrypts the file (at the test parameters: openssl's command
    # line caps scrypt at 32 MiB, below the 128 MiB of n = 2^17, r = 8).
    key = generate_signing_key()
    path = tmp_path / "k.pem"
    write_key_file(path=path, key=key, passphrase=PASS)
    der = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-passin", "env:PW", "-pubout", "-outform", "DER"],
        env={**os.environ, "PW": PASS.decode()},
        capture_output=True,
        check=True,
    ).stdout
    assert der[-32:] == key.public_key


# --- keystore --------------------------------------------------------------------------------


def test_keystore_save_list_load(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "keys")
    assert store.key_ids() == []
    keys = [generate_signing_key() for _ in range(3)]
    for key in keys:
        path = store.save(key=key, passphrase=PASS)
        assert path.name == f"{key.key_id}.pem"
        assert read_kdf(path) == TEST_KDF
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    (tmp_path / "keys" / "README.txt").write_text("not a key")
    assert store.key_ids() == sorted(k.key_id for k in keys)
    for key in keys:
        assert store.load(key_id=key.key_id, passphrase=PASS).key_id == key.key_id
        assert store.load(key_id=key.key_id[:8].upper(), passphrase=PASS).key_id == key.key_id


def test_keystore_unknown_short_and_ambiguous_ids(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    store = Keystore(folder)
    key = generate_signing_key()
    store.save(key=key, passphrase=PASS)
    unknown = "0" * 64 if not key.key_id.startswith("0") else "f" * 64
    with pytest.raises(KeyNotFound, match=f"{folder}: no key {unknown} in this keystore"):
        store.load(key_id=unknown, passphrase=PASS)
    with pytest.raises(KeyNotFound, match="not a key id or a prefix of at least 8 hex digits"):
        store.load(key_id=key.key_id[:7], passphrase=PASS)
    # A second file whose name shares the first 8 digits (and holds the wrong key).
    twin_id = key.key_id[:8] + ("0" if key.key_id[8] != "0" else "1") + key.key_id[9:]
    (folder / f"{twin_id}.pem").write_bytes((folder / f"{key.key_id}.pem").read_bytes())
    os.chmod(folder / f"{twin_id}.pem", 0o600)
    with pytest.raises(KeyNotFound, match=f"key id prefix {key.key_id[:8]} is ambiguous"):
        store.load(key_id=key.key_id[:8], passphrase=PASS)
    with pytest.raises(KeyFileError, match=f"the file holds key {key.key_id}, not {twin_id}"):
        store.load(key_id=twin_id, passphrase=PASS)


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o730, 0o702])
def test_a_keystore_others_can_write_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    folder = tmp_path / "keys"
    store = Keystore(folder)
    key = generate_signing_key()
    store.save(key=key, passphrase=PASS)
    os.chmod(folder, mode)
    message = (
        f"{folder}: the keystore folder is writable by group or others (mode {mode:04o}), so "
        "they could plant or swap key files; refusing to use it"
    )
    for use in (
        store.key_ids,
        lambda: store.load(key_id=key.key_id, passphrase=PASS),
        lambda: store.save(key=generate_signing_key(), passphrase=PASS),
    ):
        with pytest.raises(KeyFileError) as caught:
            use()
        assert str(caught.value) == message
        assert caught.value.hint == f"run: chmod 700 {folder}"
        assert caught.value.exit_code == 3
    os.chmod(folder, 0o750)  # others may read (list key ids), not write: accepted
    assert store.key_ids() == [key.key_id]


def test_a_keystore_or_key_file_of_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Keystore(tmp_path / "keys")
    key = generate_signing_key()
    path = store.save(key=key, passphrase=PASS)
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(path).st_uid + 1)
    with pytest.raises(KeyFileError, match=r"keys: it belongs to another user \(uid \d+\)"):
        check_keystore_folder(tmp_path / "keys")
    with pytest.raises(KeyFileError, match="belongs to another user .*refusing to use the key"):
        load_key_file(path=path, passphrase=PASS)


def test_a_missing_keystore_is_empty_and_a_file_is_not_a_keystore(tmp_path: Path) -> None:
    assert not check_keystore_folder(tmp_path / "nowhere")
    assert Keystore(tmp_path / "nowhere").key_ids() == []
    (tmp_path / "file").write_text("")
    with pytest.raises(KeyFileError, match="file: the keystore is not a folder"):
        Keystore(tmp_path / "file").key_ids()


# --- passphrase ------------------------------------------------------------------------------


class _FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_passphrase_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFERLEDGER_KEY_PASSPHRASE", "sésame")
    assert passphrase_from_env_or_prompt(prompt=False) == "sésame".encode()


def test_passphrase_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OFFERLEDGER_KEY_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(KeyFileError, match="^no key passphrase: set OFFERLEDGER_KEY_PASSPHRASE$"):
        passphrase_from_env_or_prompt(prompt=False)
    with pytest.raises(KeyFileError, match="set OFFERLEDGER_KEY_PASSPHRASE or run in a terminal"):
        passphrase_from_env_or_prompt(prompt=True)  # stdin is not a terminal


def test_passphrase_prompt_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OFFERLEDGER_KEY_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", _FakeTty())
    monkeypatch.setattr("getpass.getpass", lambda prompt: "typed")
    assert passphrase_from_env_or_prompt(prompt=True) == b"typed"
