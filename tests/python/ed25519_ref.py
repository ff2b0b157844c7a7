"""A compact, pure-Python Ed25519 (RFC 8032) with strict verification.

Written for clarity, not speed (a verification takes a few milliseconds) and
not for secrecy: nothing here is constant-time, so use it only for tests and
for checking other people's signatures, never to guard a valuable key.

Public API (all values are ``bytes``):

    public_key(seed)           -> 32-byte public key
    sign(seed, message)        -> 64-byte signature
    verify(public, message, signature) -> bool   (strict, see below)

``verify`` is strict in the sense of ed25519-dalek's ``verify_strict``:

* ``S`` must be canonical (``S < L``);
* ``A`` and ``R`` must be canonical point encodings (``y < p``, and no
  "negative zero" ``x``), and must decode to points on the curve;
* ``A`` and ``R`` must not be of small order (``[8]P`` is not the identity);
* the cofactorless equation ``[S]B == R + [k]A`` must hold, with
  ``k = SHA-512(R || A || M) mod L``.

One formal difference from dalek: dalek decompresses a public key without
checking that its ``y`` is below ``p``, so the few non-canonical key encodings
(``y - p`` in 3..18 with a valid ``x``) that are not small-order points pass
its decoding and fail here. Nobody knows the discrete logarithm of those
points, so no signature verifies under them in either implementation: the two
accept the same signatures in practice. A non-canonical ``R`` is rejected by
both (dalek compares the recomputed, canonical encoding of ``R`` bytewise).
Neither checks that ``A`` is torsion-free; only small order is refused.

Run ``python3 ed25519_ref.py`` for the self-test (RFC 8032 section 7.1 vectors,
the strictness rules, and a cross-check with the ``cryptography`` package when
it happens to be installed).
"""

from __future__ import annotations

import hashlib

__all__ = ["public_key", "sign", "verify", "decode_point", "encode_point", "L", "P"]

P = 2**255 - 19  # the field prime
L = 2**252 + 27742317777372353535851937790883648493  # order of the base point
D = -121665 * pow(121666, -1, P) % P  # curve constant d of -x^2 + y^2 = 1 + d x^2 y^2
SQRT_M1 = pow(2, (P - 1) // 4, P)  # a square root of -1 mod p

# Points are kept in extended homogeneous coordinates (X, Y, Z, T) with
# x = X/Z, y = Y/Z and x*y = T/Z (RFC 8032 section 5.1.4).
Point = tuple[int, int, int, int]
IDENTITY: Point = (0, 1, 1, 0)


def _add(p: Point, q: Point) -> Point:
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _double(p: Point) -> Point:
    x1, y1, z1, _ = p
    a = x1 * x1 % P
    b = y1 * y1 % P
    c = 2 * z1 * z1 % P
    h = a + b
    e = h - (x1 + y1) * (x1 + y1)
    g = a - b
    f = c + g
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar: int, p: Point) -> Point:
    """[scalar]p by double-and-add, most significant bit first."""
    result = IDENTITY
    for bit in bin(scalar)[2:]:
        result = _double(result)
        if bit == "1":
            result = _add(result, p)
    return result


def _equal(p: Point, q: Point) -> bool:
    x1, y1, z1, _ = p
    x2, y2, z2, _ = q
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _recover_x(y: int, sign: int) -> int | None:
    """The x with the given low bit such that (x, y) is on the curve, if any."""
    x2 = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    if x2 == 0:
        return None if sign else 0  # x = 0 has no "negative" form
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def decode_point(encoded: bytes) -> Point | None:
    """Decode a 32-byte point encoding; None unless it is canonical and on the curve."""
    if len(encoded) != 32:
        return None
    value = int.from_bytes(encoded, "little")
    sign, y = value >> 255, value & ((1 << 255) - 1)
    if y >= P:  # non-canonical y
        return None
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def encode_point(p: Point) -> bytes:
    x, y, z, _ = p
    z_inv = pow(z, -1, P)
    x, y = x * z_inv % P, y * z_inv % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _is_small_order(p: Point) -> bool:
    return _equal(_double(_double(_double(p))), IDENTITY)


_BASE = decode_point(bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666"))
assert _BASE is not None

# [2^i]B for every bit a reduced scalar can have, so [s]B is only additions.
_BASE_POWERS: list[Point] = []
_p = _BASE
for _ in range(253):
    _BASE_POWERS.append(_p)
    _p = _double(_p)
del _p


def _multiply_base(scalar: int) -> Point:
    """[scalar]B for 0 <= scalar < 2^253."""
    result = IDENTITY
    i = 0
    while scalar:
        if scalar & 1:
            result = _add(result, _BASE_POWERS[i])
        scalar >>= 1
        i += 1
    return result


def _sha512_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def _expand_seed(seed: bytes) -> tuple[int, bytes]:
    """The secret scalar a (clamped) and the nonce prefix, from a 32-byte seed."""
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    digest = hashlib.sha512(seed).digest()
    a = int.from_bytes(digest[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, digest[32:]


def public_key(seed: bytes) -> bytes:
    a, _ = _expand_seed(seed)
    return encode_point(_multiply_base(a % L))


def sign(seed: bytes, message: bytes) -> bytes:
    a, prefix = _expand_seed(seed)
    encoded_a = encode_point(_multiply_base(a % L))
    r = _sha512_int(prefix, message) % L
    encoded_r = encode_point(_multiply_base(r))
    k = _sha512_int(encoded_r, encoded_a, message) % L
    s = (r + k * a) % L
    return encoded_r + s.to_bytes(32, "little")


def verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """Strict verification; see the module docstring for the exact rules."""
    if len(public) != 32 or len(signature) != 64:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    a = decode_point(public)
    r = decode_point(signature[:32])
    if a is None or r is None:
        return False
    if _is_small_order(a) or _is_small_order(r):
        return False
    k = _sha512_int(signature[:32], public, message) % L
    return _equal(_multiply_base(s), _add(r, _multiply(k, a)))


# --------------------------------------------------------------------------
# Self-test

# RFC 8032 section 7.1: (name, secret seed, public key, message, signature).
RFC8032_VECTORS = [
    (
        "TEST 1",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "TEST 2",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "TEST 3",
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
        "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
    (
        "TEST SHA(abc)",  # a 64-byte message
        "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
        "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
    ),
]


def _self_test() -> int:
    failures = 0

    def check(condition: bool, name: str) -> None:
        nonlocal failures
        print(("ok - " if condition else "not ok - ") + name)
        failures += not condition

    for name, seed_hex, public_hex, message_hex, signature_hex in RFC8032_VECTORS:
        seed, public = bytes.fromhex(seed_hex), bytes.fromhex(public_hex)
        message, signature = bytes.fromhex(message_hex), bytes.fromhex(signature_hex)
        check(public_key(seed) == public, f"RFC 8032 {name}: public key")
        check(sign(seed, message) == signature, f"RFC 8032 {name}: signature")
        check(verify(public, message, signature), f"RFC 8032 {name}: verifies")
        check(not verify(public, message + b"x", signature), f"RFC 8032 {name}: other message rejected")

    seed, public, message, signature = (bytes.fromhex(x) for x in RFC8032_VECTORS[2][1:])
    r_bytes, s = signature[:32], int.from_bytes(signature[32:], "little")

    # Malleability: S + L satisfies the group equation but is not canonical.
    check(not verify(public, message, r_bytes + (s + L).to_bytes(32, "little")), "S + L rejected")
    check(not verify(public, message, r_bytes + L.to_bytes(32, "little")), "S = L rejected")
    for bit in (0, 100, 255):
        flipped = bytearray(signature)
        flipped[bit // 8] ^= 1 << (bit % 8)
        check(not verify(public, message, bytes(flipped)), f"signature with bit {bit} flipped rejected")

    # Non-canonical encodings of the identity (y = 1): y + p, and x = "-0".
    identity = encode_point(IDENTITY)
    check(decode_point(identity) is not None, "canonical identity decodes")
    check(decode_point((1 + P).to_bytes(32, "little")) is None, "non-canonical y (y >= p) rejected")
    check(decode_point((1 | 1 << 255).to_bytes(32, "little")) is None, "negative zero x rejected")
    check(decode_point((2).to_bytes(32, "little")) is None, "y with no x on the curve rejected")
    # y = 3 has a point of large order, so dalek would decode y + p as a key.
    check(decode_point((3).to_bytes(32, "little")) is not None
          and decode_point((3 + P).to_bytes(32, "little")) is None, "non-canonical encoding of a large-order point rejected")
    for encoded in (public, r_bytes):
        check(encode_point(decode_point(encoded)) == encoded, f"decode/encode round trip {encoded.hex()[:16]}")

    # Small-order key: A = identity, R = identity, S = 0 satisfies [S]B = R + [k]A
    # for every message; a cofactorless check without the small-order rule accepts it.
    forged = identity + bytes(32)
    assert _equal(_multiply_base(0), _add(IDENTITY, _multiply(12345, IDENTITY)))
    check(not verify(identity, b"anything", forged), "small-order public key rejected")
    # Small-order R: R = identity and S = k*a satisfy the equation for a real key.
    a, _ = _expand_seed(seed)
    k = _sha512_int(identity, public, message) % L
    forged = identity + (k * a % L).to_bytes(32, "little")
    assert _equal(_multiply_base(k * a % L), _add(IDENTITY, _multiply(k, decode_point(public))))
    check(not verify(public, message, forged), "small-order R rejected")
    # A point of order 4 as R (y = 0, x = sqrt(-1)).
    order4 = (SQRT_M1, 0, 1, 0)
    check(_is_small_order(order4) and not verify(public, message, encode_point(order4) + signature[32:]),
          "order-4 R rejected")

    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    except ImportError:
        print("# the cryptography package is not installed: cross-check skipped")
    else:
        import os

        agree = True
        for length in range(0, 200, 7):
            seed, message = os.urandom(32), os.urandom(length)
            theirs = Ed25519PrivateKey.from_private_bytes(seed)
            their_public = theirs.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            ours_sig = sign(seed, message)
            agree &= public_key(seed) == their_public
            agree &= ours_sig == theirs.sign(message)
            agree &= verify(their_public, message, theirs.sign(message))
            try:
                Ed25519PublicKey.from_public_bytes(their_public).verify(ours_sig, message)
            except Exception:
                agree = False
        check(agree, "agrees with the cryptography package on 29 random keys and messages")

    print("all ok" if failures == 0 else f"{failures} failed")
    return failures


if __name__ == "__main__":
    raise SystemExit(1 if _self_test() else 0)
