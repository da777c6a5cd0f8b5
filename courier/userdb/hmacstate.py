"""Courier's precomputed HMAC states (userdb ``hmac-md5pw``, ``hmac-sha1pw``, ``hmac-sha256pw``).

Such a field holds no password: it holds the hash's internal state after absorbing the key
XOR opad block, followed by the state after key XOR ipad, in hex (outer first, as
``userdbpw -hmac-md5`` writes it).  Making one (userdbpw) and checking a CRAM response
from one (courier.auth.cram) both need to run the compression function from a given
state, which hashlib cannot do, so the three compression functions are here, once.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

_M32 = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _M32


def _rotr(x: int, n: int) -> int:
    return ((x >> n) | (x << (32 - n))) & _M32


# ---- MD5 (RFC 1321) --------------------------------------------------------
_MD5_K = [int(abs(math.sin(i + 1)) * 2**32) & _M32 for i in range(64)]
_MD5_S = [7, 12, 17, 22] * 4 + [5, 9, 14, 20] * 4 + [4, 11, 16, 23] * 4 + [6, 10, 15, 21] * 4


def _md5_block(state: list[int], block: bytes) -> list[int]:
    x = struct.unpack("<16I", block)
    a, b, c, d = state
    for i in range(64):
        if i < 16:
            f, g = (b & c) | (~b & d), i
        elif i < 32:
            f, g = (d & b) | (~d & c), (5 * i + 1) % 16
        elif i < 48:
            f, g = b ^ c ^ d, (3 * i + 5) % 16
        else:
            f, g = c ^ (b | (~d & _M32)), (7 * i) % 16
        f = (f + a + _MD5_K[i] + x[g]) & _M32
        a, d, c = d, c, b
        b = (b + _rotl(f, _MD5_S[i])) & _M32
    return [(s + v) & _M32 for s, v in zip(state, (a, b, c, d), strict=True)]


# ---- SHA-1 (FIPS 180-4) ----------------------------------------------------
def _sha1_block(state: list[int], block: bytes) -> list[int]:
    w = list(struct.unpack(">16I", block))
    for i in range(16, 80):
        w.append(_rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1))
    a, b, c, d, e = state
    for i in range(80):
        if i < 20:
            f, k = (b & c) | (~b & d), 0x5A827999
        elif i < 40:
            f, k = b ^ c ^ d, 0x6ED9EBA1
        elif i < 60:
            f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
        else:
            f, k = b ^ c ^ d, 0xCA62C1D6
        a, b, c, d, e = (_rotl(a, 5) + (f & _M32) + e + k + w[i]) & _M32, a, _rotl(b, 30), c, d
    return [(s + v) & _M32 for s, v in zip(state, (a, b, c, d, e), strict=True)]


# ---- SHA-256 (FIPS 180-4) --------------------------------------------------
_SHA256_K = [
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
]  # fmt: skip


def _sha256_block(state: list[int], block: bytes) -> list[int]:
    w = list(struct.unpack(">16I", block))
    for i in range(16, 64):
        s0 = _rotr(w[i - 15], 7) ^ _rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        s1 = _rotr(w[i - 2], 17) ^ _rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w.append((w[i - 16] + s0 + w[i - 7] + s1) & _M32)
    a, b, c, d, e, f, g, h = state
    for i in range(64):
        t1 = (
            h + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g)) + _SHA256_K[i] + w[i]
        ) & _M32
        t2 = ((_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) & _M32
        a, b, c, d, e, f, g, h = (t1 + t2) & _M32, a, b, c, (d + t1) & _M32, e, f, g
    return [(s + v) & _M32 for s, v in zip(state, (a, b, c, d, e, f, g, h), strict=True)]


@dataclass(frozen=True, slots=True)
class _Algo:
    name: str  # hashlib name
    words: int
    endian: str  # struct byte order of the state words and the length
    block: Callable[[list[int], bytes], list[int]]
    iv: tuple[int, ...]


ALGORITHMS = {
    "md5": _Algo("md5", 4, "<", _md5_block, (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476)),
    "sha1": _Algo("sha1", 5, ">", _sha1_block, (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)),
    "sha256": _Algo(
        "sha256",
        8,
        ">",
        _sha256_block,
        (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19),
    ),
}


def _resume(algo: _Algo, state: tuple[int, ...], data: bytes) -> bytes:
    """Finish a hash whose first 64-byte block already went into ``state``."""
    total = 64 + len(data)
    msg = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack(algo.endian + "Q", total * 8)
    st = list(state)
    for i in range(0, len(msg), 64):
        st = algo.block(st, msg[i : i + 64])
    return struct.pack(f"{algo.endian}{algo.words}I", *st)


def _first_block(algo: _Algo, block: bytes) -> tuple[int, ...]:
    return tuple(algo.block(list(algo.iv), block))


def precompute(hash_name: str, password: str) -> str:
    """The ``hmac-*pw`` value for a password (what ``userdbpw -hmac-md5`` prints)."""
    algo = ALGORITHMS[hash_name]
    key = password.encode("utf-8", "surrogateescape")
    if len(key) > 64:
        key = hashlib.new(algo.name, key).digest()
    key = key.ljust(64, b"\x00")
    inner = _first_block(algo, bytes(k ^ 0x36 for k in key))
    outer = _first_block(algo, bytes(k ^ 0x5C for k in key))
    return struct.pack(f"{algo.endian}{2 * algo.words}I", *outer, *inner).hex()


def hmac_from_state(hash_name: str, state_hex: str, challenge: bytes) -> bytes | None:
    """HMAC(key, challenge) from a precomputed state; None if the state is malformed."""
    algo = ALGORITHMS[hash_name]
    try:
        raw = bytes.fromhex(state_hex.strip())
    except ValueError:
        return None
    if len(raw) != 8 * algo.words:
        return None
    words = struct.unpack(f"{algo.endian}{2 * algo.words}I", raw)
    inner = _resume(algo, words[algo.words :], challenge)
    return _resume(algo, words[: algo.words], inner)
