"""Ed25519 edge cases: the project's accept/reject decision does not depend on the library.

``fixtures/ed25519-speccheck-cases.json`` is ``cases.json`` of novifinancial/ed25519-speccheck
(commit 65519336fda78a3d016e947df6d82848aca0c9da, Apache-2.0), copied unchanged: twelve
(message, public key, signature) triples probing small-order points, non-canonical encodings,
S out of range and cofactored versus cofactorless verification.

DESIGN §4 lets verification use libsodium (faster) only if the project's decision — key
registration check *and* signature verification — is the same with pyca. Raw, the two libraries
disagree on four of the twelve cases (pyca accepts 0, 1, 2 and 11, libsodium does not).
The project closes the gap twice over:

* ``check_public_key`` (libsodium's ``crypto_core_ed25519_is_valid_point``) refuses every
  small-order key (cases 0, 1, 10, 11) and every key with a small-order component (2, 3, 4, 5,
  8, 9), so no case passes registration except 6 and 7, whose S is out of range (both
  libraries reject those signatures);
* ``verify_signature_pyca`` applies libsodium's pre-checks (S < L, R and A not of small order,
  A canonical), so even without the key check both verify functions agree on every case.

Recorded decisions (V accept, X reject):

    case  key check                      libsodium  pyca raw  pyca+prechecks  project
       0  small-order A (and R)              X         V           X             X
       1  small-order A                      X         V           X             X
       2  mixed-order A (R small)            X         V           X             X
       3  mixed-order A                      V         V           V             X
       4  mixed-order A (cofactored only)    X         X           X             X
       5  mixed-order A (cofactored only)    X         X           X             X
       6  ok (S > L)                         X         X           X             X
       7  ok (S >> L)                        X         X           X             X
       8  mixed-order A, non-canonical R     X         X           X             X
       9  mixed-order A, non-canonical R     X         X           X             X
      10  small-order A, non-canonical       X         X           X             X
      11  small-order A, non-canonical       X         V           X             X
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import nacl.bindings
import nacl.exceptions
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from offerledger.errors import PublicKeyRejected, SignatureInvalid
from offerledger.signing.keys import (
    SigningKey,
    check_public_key,
    verify_signature,
    verify_signature_pyca,
)

CASES_FILE = Path(__file__).parent / "fixtures" / "ed25519-speccheck-cases.json"
L = 2**252 + 27742317777372353535851937790883648493  # the order of the prime-order subgroup
Case = tuple[bytes, bytes, bytes]  # message, public key, signature
Verifier = Callable[..., None]


def _load_cases() -> list[Case]:
    raw = json.loads(CASES_FILE.read_text())
    return [
        (bytes.fromhex(c["message"]), bytes.fromhex(c["pub_key"]), bytes.fromhex(c["signature"]))
        for c in raw
    ]


CASES = _load_cases()
SMALL_ORDER_KEY_CASES = [0, 1, 10, 11]
ACCEPTED_BY = {  # the sets of case numbers each verifier accepts (key check not applied)
    "libsodium": {3},
    "pyca raw": {0, 1, 2, 3, 11},
    "project verify_signature": {3},
    "project verify_signature_pyca": {3},
}


def _key_ok(public_key: bytes) -> bool:
    try:
        check_public_key(public_key=public_key)
    except PublicKeyRejected:
        return False
    return True


def _accepts(verify: Verifier, case: Case) -> bool:
    message, public_key, signature = case
    try:
        verify(public_key=public_key, message=message, signature=signature)
    except SignatureInvalid:
        return False
    return True


def _raw_pyca(*, public_key: bytes, message: bytes, signature: bytes) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        raise SignatureInvalid("pyca rejects") from None


def _raw_libsodium(*, public_key: bytes, message: bytes, signature: bytes) -> None:
    try:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except nacl.exceptions.BadSignatureError:
        raise SignatureInvalid("libsodium rejects") from None


VERIFIERS: dict[str, Verifier] = {
    "libsodium": _raw_libsodium,
    "pyca raw": _raw_pyca,
    "project verify_signature": verify_signature,
    "project verify_signature_pyca": verify_signature_pyca,
}


def test_fixture_is_the_twelve_published_cases() -> None:
    assert len(CASES) == 12
    assert hashlib.sha256(CASES_FILE.read_bytes()).hexdigest() == (
        "08e47a36d9aead288664930505584f353fff113ab854f2800db1e4f5b3540450"
    )


@pytest.mark.parametrize("index", range(12))
def test_project_decision_is_the_same_with_either_library(index: int) -> None:
    case = CASES[index]
    key_ok = _key_ok(case[1])
    with_libsodium = key_ok and _accepts(verify_signature, case)
    with_pyca = key_ok and _accepts(verify_signature_pyca, case)
    assert with_libsodium == with_pyca
    assert with_libsodium is False  # recorded: the project rejects every speccheck case


@pytest.mark.parametrize("index", range(12))
def test_verify_functions_agree_even_without_the_key_check(index: int) -> None:
    case = CASES[index]
    assert _accepts(verify_signature, case) == _accepts(verify_signature_pyca, case)


@pytest.mark.parametrize("name", sorted(VERIFIERS))
def test_recorded_acceptance_per_verifier(name: str) -> None:
    accepted = {i for i, case in enumerate(CASES) if _accepts(VERIFIERS[name], case)}
    assert accepted == ACCEPTED_BY[name]


def test_registration_passes_only_the_prime_order_key() -> None:
    assert [i for i, case in enumerate(CASES) if _key_ok(case[1])] == [6, 7]


KEY_CHECK = {  # the table above, "key check" column: why registration refuses each key
    **dict.fromkeys([0, 1, 10, 11], "small-order point"),
    **dict.fromkeys([2, 3, 4, 5, 8, 9], "not in the prime-order subgroup"),
}


@pytest.mark.parametrize("index", range(12))
def test_registration_is_libsodiums_decision_and_names_the_reason(index: int) -> None:
    public_key = CASES[index][1]
    assert _key_ok(public_key) == nacl.bindings.crypto_core_ed25519_is_valid_point(public_key)
    if index in KEY_CHECK:
        with pytest.raises(PublicKeyRejected, match=KEY_CHECK[index]):
            check_public_key(public_key=public_key)


@pytest.mark.parametrize("index", SMALL_ORDER_KEY_CASES)
def test_small_order_key_cases_are_rejected(index: int) -> None:
    message, public_key, signature = CASES[index]
    assert not nacl.bindings.crypto_core_ed25519_is_valid_point(public_key)
    with pytest.raises(PublicKeyRejected, match="small-order point"):
        check_public_key(public_key=public_key)
    with pytest.raises(SignatureInvalid):
        verify_signature(public_key=public_key, message=message, signature=signature)
    with pytest.raises(SignatureInvalid):
        verify_signature_pyca(public_key=public_key, message=message, signature=signature)


def test_identity_r_from_an_honest_key_is_rejected_by_both() -> None:
    # A key holder can make a signature whose R is the identity (a small-order point):
    # R = 0100…00, S = k·a with k = H(R ‖ A ‖ M). Raw pyca accepts it, libsodium does not; the
    # R pre-check keeps verify_signature_pyca in line. The key itself passes registration.
    seed = bytes(range(32))
    key = SigningKey.from_seed(seed=seed)
    digest = hashlib.sha512(seed).digest()
    a = int.from_bytes(digest[:32], "little") & ((1 << 254) - 8) | (1 << 254)
    r = (1).to_bytes(32, "little")
    message = b"identity R"
    k = int.from_bytes(hashlib.sha512(r + key.public_key + message).digest(), "little")
    s = (k * a) % L
    case = (message, key.public_key, r + s.to_bytes(32, "little"))
    check_public_key(public_key=key.public_key)
    assert _accepts(_raw_pyca, case)
    assert not _accepts(_raw_libsodium, case)
    assert not _accepts(verify_signature, case)
    assert not _accepts(verify_signature_pyca, case)
