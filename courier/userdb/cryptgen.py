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
import threading

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


def hmac_states(password: str, digest: str) -> str:
    """Courier's ``hmac-<digest>pw`` value: hex(state(key^opad) || state(key^ipad))."""
    from courier.userdb.hmacstate import ALGORITHMS, precompute

    if digest not in ALGORITHMS:
        raise ValueError(f"unknown HMAC digest {digest!r}")
    return precompute(digest, password)
