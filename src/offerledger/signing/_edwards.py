"""Edwards25519 point checks for public-key registration (RFC 8032 §5.1.3 decoding).

Pure Python and not constant time: it only ever sees public keys and signatures, and runs when
a key is registered, never per event. Verification itself is libsodium's (or pyca's).
"""

from __future__ import annotations

from enum import Enum

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # order of the prime-order subgroup
D = (-121665 * pow(121666, -1, P)) % P
_SQRT_M1 = pow(2, (P - 1) // 4, P)

_Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z
_IDENTITY: _Point = (0, 1, 1, 0)

# libsodium's ge25519_has_small_order() list: the y-coordinates of the eight small-order
# points (order 1, 2, 4, 8) and the non-canonical encodings y + p of those below 19. The sign
# bit (bit 255) is ignored, as libsodium does, so both signs of each match.
_SMALL_ORDER_Y = frozenset(
    {
        0,  # (±sqrt(-1), 0), order 4
        1,  # the identity, order 1
        P - 1,  # (0, -1), order 2
        0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826,  # order 8
        0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7,  # order 8
        P,  # non-canonical 0
        P + 1,  # non-canonical 1
    }
)


class PointProblem(Enum):
    """Why 32 bytes are not an acceptable Ed25519 public key."""

    NON_CANONICAL = "non-canonical encoding (y >= p, or x = 0 with the sign bit set)"
    NOT_ON_CURVE = "not a point on the Ed25519 curve"
    SMALL_ORDER = "a small-order point (order 1, 2, 4 or 8)"
    TORSION = "not in the prime-order subgroup (it has a small-order component)"


def encoded_y(data: bytes) -> int:
    """The 255-bit y field of a 32-byte point encoding (possibly >= p)."""
    return int.from_bytes(data, "little") & ((1 << 255) - 1)


def is_small_order_encoding(data: bytes) -> bool:
    """libsodium's blocklist test: is this (any encoding of) one of the eight small-order points?"""
    return len(data) == 32 and encoded_y(data) in _SMALL_ORDER_Y


def is_canonical_y(data: bytes) -> bool:
    """libsodium's ge25519_is_canonical(): the y field is below p."""
    return encoded_y(data) < P


def _decode(data: bytes) -> _Point | PointProblem:
    y = encoded_y(data)
    sign = data[31] >> 7
    if y >= P:
        return PointProblem.NON_CANONICAL
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x = (u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P)) % P
    vxx = (v * x * x) % P
    if vxx == (-u) % P:
        x = (x * _SQRT_M1) % P
    elif vxx != u:
        return PointProblem.NOT_ON_CURVE
    if x == 0 and sign == 1:
        return PointProblem.NON_CANONICAL
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, (x * y) % P)


def _add(p: _Point, q: _Point) -> _Point:
    a = ((p[1] - p[0]) * (q[1] - q[0])) % P
    b = ((p[1] + p[0]) * (q[1] + q[0])) % P
    c = (2 * p[3] * q[3] * D) % P
    d = (2 * p[2] * q[2]) % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return ((e * f) % P, (g * h) % P, (f * g) % P, (e * h) % P)


def _multiply(scalar: int, point: _Point) -> _Point:
    result = _IDENTITY
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _is_identity(point: _Point) -> bool:
    x, y, z, _ = point
    return x % P == 0 and (y - z) % P == 0


def point_problem(data: bytes) -> PointProblem | None:
    """None for a canonical point of prime order L; otherwise what is wrong with it.

    The caller checks the length (32 bytes) first.
    """
    point = _decode(data)
    if isinstance(point, PointProblem):
        return point
    if _is_identity(_multiply(8, point)):
        return PointProblem.SMALL_ORDER
    if not _is_identity(_multiply(L, point)):
        return PointProblem.TORSION
    return None
