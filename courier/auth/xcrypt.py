"""crypt(3) through libxcrypt (ctypes): every ``$id$`` scheme the system knows.

Debian writes yescrypt (``$y$``) to /etc/shadow, and the stdlib ``crypt`` module
is gone in Python 3.13, so we call libcrypt.so.1 directly.  ``crypt_rn`` with our
own ``struct crypt_data`` buffer is reentrant (no shared static result).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hmac
import threading

_CRYPT_DATA_SIZE = 32768  # sizeof(struct crypt_data) in libxcrypt
_OUTPUT_SIZE = 384  # CRYPT_OUTPUT_SIZE
_lock = threading.Lock()
_DES_SALT = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_lib: ctypes.CDLL | None = None


class CryptUnavailable(RuntimeError):
    """libcrypt.so.1 cannot be loaded."""


def _load() -> ctypes.CDLL:
    global _lib
    with _lock:
        if _lib is None:
            name = ctypes.util.find_library("crypt") or "libcrypt.so.1"
            try:
                lib = ctypes.CDLL(name, use_errno=True)
            except OSError as exc:
                raise CryptUnavailable(f"cannot load {name}: {exc}; install libxcrypt (libcrypt1)") from None
            lib.crypt_rn.restype = ctypes.c_char_p
            lib.crypt_rn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
            lib.crypt_gensalt_rn.restype = ctypes.c_char_p
            lib.crypt_gensalt_rn.argtypes = [
                ctypes.c_char_p,
                ctypes.c_ulong,
                ctypes.c_char_p,
                ctypes.c_int,
                ctypes.c_char_p,
                ctypes.c_int,
            ]
            _lib = lib
        return _lib


def crypt(password: bytes, setting: bytes) -> bytes | None:
    """crypt(3): the hash of ``password`` under ``setting``; None if the setting is invalid."""
    if b"\x00" in password or b"\x00" in setting:
        return None
    lib = _load()
    data = ctypes.create_string_buffer(_CRYPT_DATA_SIZE)
    out = lib.crypt_rn(password, setting, data, _CRYPT_DATA_SIZE)
    if out is None or out.startswith(b"*"):
        return None
    return bytes(out)


def verify(password: str, hashed: str) -> bool:
    """Constant-time check of a clear password against a crypt(3) string."""
    stored = hashed.encode("utf-8", "surrogateescape")
    out = crypt(password.encode("utf-8", "surrogateescape"), stored)
    return out is not None and hmac.compare_digest(out, stored)


def gensalt(prefix: str, rounds: int = 0) -> str:
    """A fresh setting string for ``prefix`` (``$y$``, ``$6$``, ``$1$``, ``""`` = DES ...)."""
    if prefix == "":
        import secrets

        return "".join(secrets.choice(_DES_SALT) for _ in range(2))
    lib = _load()
    out = ctypes.create_string_buffer(_OUTPUT_SIZE)
    res = lib.crypt_gensalt_rn(prefix.encode(), rounds, None, 0, out, _OUTPUT_SIZE)
    if res is None:
        raise ValueError(f"crypt scheme {prefix!r} is not supported by this libxcrypt")
    return bytes(res).decode()


def hash_password(password: str, prefix: str = "$y$", rounds: int = 0) -> str:
    out = crypt(password.encode("utf-8", "surrogateescape"), gensalt(prefix, rounds).encode())
    if out is None:
        raise ValueError(f"crypt scheme {prefix!r} failed")
    return out.decode()
