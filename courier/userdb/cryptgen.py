"""Password hashes *generated* for userdb (what userdbpw prints).

* crypt(3) strings through libxcrypt (``$y$`` yescrypt, ``$6$``, ``$5$``, ``$1$``, DES),
  with salts from libxcrypt's own ``crypt_gensalt`` (which reads the kernel's random source);
* Courier's ``hmac-*pw`` values: not a hash of the password but the two
  precomputed HMAC states (the hash's chaining value after one block of
  ``key XOR opad``, then of ``key XOR ipad``), printed as hex.  authlib resumes
  from these states to check a CRAM-MD5/SHA1/SHA256 response without knowing
  the password.

Verifying hashes is the auth package's job; nothing here is on a login path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import math
import struct
import threading
from collections.abc import Callable

# scheme name -> crypt_gensalt prefix
CRYPT_PREFIXES: dict[str, bytes] = {
    "yescrypt": b"$y$",
    "sha512": b"$6$",
    "sha256": b"$5$",
    "md5": b"$1$",
    "des": b"",
}

_CRYPT_DATA_SIZE = 32768  # sizeof(struct crypt_data) in libxcrypt
_lock = threading.Lock()
_lib: ctypes.CDLL | None = None


class CryptError(RuntimeError):
    pass


def _libcrypt() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        name = ctypes.util.find_library("crypt") or "libcrypt.so.1"
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            raise CryptError(f"cannot load libcrypt ({name}): {e}") from None
        lib.crypt_gensalt_rn.restype = ctypes.c_char_p
        lib.crypt_gensalt_rn.argtypes = [
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        lib.crypt_rn.restype = ctypes.c_char_p
        lib.crypt_rn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
        _lib = lib
    return _lib


def crypt(password: bytes, setting: bytes) -> bytes:
    """crypt(3) of ``password`` with ``setting`` (a salt string or a full hash)."""
    lib = _libcrypt()
    data = ctypes.create_string_buffer(_CRYPT_DATA_SIZE)
    with _lock:
        out = lib.crypt_rn(password, setting, data, _CRYPT_DATA_SIZE)
    if out is None or out.startswith(b"*"):
        raise CryptError(f"libcrypt rejected the setting {setting[:12]!r}")
    return bytes(out)


def gensalt(scheme: str) -> bytes:
    try:
        prefix = CRYPT_PREFIXES[scheme]
    except KeyError:
        raise CryptError(f"unknown crypt scheme {scheme!r}") from None
    if not prefix:  # traditional DES: two salt characters from crypt's alphabet
        return gensalt("md5")[3:5]
    lib = _libcrypt()
    buf = ctypes.create_string_buffer(256)
    out = lib.crypt_gensalt_rn(prefix, 0, None, 0, buf, len(buf))
    if out is None:
        raise CryptError(f"libcrypt cannot make a salt for {scheme}")
    return bytes(out)


def crypt_hash(password: str, scheme: str = "yescrypt") -> str:
    """A new crypt(3) string for ``password`` (``yescrypt``, ``sha512``, ``sha256``, ``md5``, ``des``)."""
    return crypt(password.encode(), gensalt(scheme)).decode("ascii")


# --- HMAC precomputed states ------------------------------------------------------------------


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


_MD5_S = [7, 12, 17, 22] * 4 + [5, 9, 14, 20] * 4 + [4, 11, 16, 23] * 4 + [6, 10, 15, 21] * 4
_MD5_K = [int(abs(math.sin(i + 1)) * 2**32) & 0xFFFFFFFF for i in range(64)]


def _md5_block(block: bytes) -> bytes:
    a0, b0, c0, d0 = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    m = struct.unpack("<16I", block)
    a, b, c, d = a0, b0, c0, d0
    for i in range(64):
        if i < 16:
            f, g = (b & c) | (~b & d), i
        elif i < 32:
            f, g = (d & b) | (~d & c), (5 * i + 1) % 16
        elif i < 48:
            f, g = b ^ c ^ d, (3 * i + 5) % 16
        else:
            f, g = c ^ (b | (~d & 0xFFFFFFFF)), (7 * i) % 16
        f = (f + a + _MD5_K[i] + m[g]) & 0xFFFFFFFF
        a, d, c = d, c, b
        b = (b + _rotl(f, _MD5_S[i])) & 0xFFFFFFFF
    return struct.pack(
        "<4I", (a0 + a) & 0xFFFFFFFF, (b0 + b) & 0xFFFFFFFF, (c0 + c) & 0xFFFFFFFF, (d0 + d) & 0xFFFFFFFF
    )


def _sha1_block(block: bytes) -> bytes:
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    w = list(struct.unpack(">16I", block))
    for i in range(16, 80):
        w.append(_rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1))
    a, b, c, d, e = h
    for i in range(80):
        if i < 20:
            f, k = (b & c) | (~b & d), 0x5A827999
        elif i < 40:
            f, k = b ^ c ^ d, 0x6ED9EBA1
        elif i < 60:
            f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
        else:
            f, k = b ^ c ^ d, 0xCA62C1D6
        t = (_rotl(a, 5) + (f & 0xFFFFFFFF) + e + k + w[i]) & 0xFFFFFFFF
        a, b, c, d, e = t, a, _rotl(b, 30), c, d
    return struct.pack(">5I", *((x + y) & 0xFFFFFFFF for x, y in zip(h, (a, b, c, d, e), strict=True)))


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


def _rotr(x: int, n: int) -> int:
    return ((x >> n) | (x << (32 - n))) & 0xFFFFFFFF


def _sha256_block(block: bytes) -> bytes:
    h = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19]
    w = list(struct.unpack(">16I", block))
    for i in range(16, 64):
        s0 = _rotr(w[i - 15], 7) ^ _rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        s1 = _rotr(w[i - 2], 17) ^ _rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w.append((w[i - 16] + s0 + w[i - 7] + s1) & 0xFFFFFFFF)
    a, b, c, d, e, f, g, hh = h
    for i in range(64):
        t1 = (
            hh + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g)) + _SHA256_K[i] + w[i]
        ) & 0xFFFFFFFF
        t2 = ((_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) & 0xFFFFFFFF
        a, b, c, d, e, f, g, hh = (t1 + t2) & 0xFFFFFFFF, a, b, c, (d + t1) & 0xFFFFFFFF, e, f, g
    return struct.pack(
        ">8I", *((x + y) & 0xFFFFFFFF for x, y in zip(h, (a, b, c, d, e, f, g, hh), strict=True))
    )


_HMAC: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
    "md5": (_md5_block, lambda k: hashlib.md5(k).digest()),
    "sha1": (_sha1_block, lambda k: hashlib.sha1(k).digest()),
    "sha256": (_sha256_block, lambda k: hashlib.sha256(k).digest()),
}


def hmac_states(password: str, digest: str) -> str:
    """Courier's ``hmac-<digest>pw`` value: hex(state(key^opad) || state(key^ipad))."""
    try:
        block_fn, full = _HMAC[digest]
    except KeyError:
        raise ValueError(f"unknown HMAC digest {digest!r}") from None
    key = password.encode()
    if len(key) > 64:
        key = full(key)
    key = key.ljust(64, b"\0")
    outer = block_fn(bytes(b ^ 0x5C for b in key))
    inner = block_fn(bytes(b ^ 0x36 for b in key))
    return (outer + inner).hex()
