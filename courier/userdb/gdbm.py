"""GDBM files (the format of Courier's userdb.dat): ``dbm.gnu``, or libgdbm through ctypes.

Interpreters built without ``_gdbm`` (pyenv, some venvs) still read and write
Courier's databases through the ctypes binding to ``libgdbm.so.6``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Iterator
from typing import Protocol

GDBM_READER = 0
GDBM_NEWDB = 3
GDBM_NOLOCK = 0x40
GDBM_INSERT = 0
GDBM_REPLACE = 1


class GdbmError(OSError):
    pass


class Db(Protocol):
    def fetch(self, key: bytes) -> bytes | None: ...
    def insert(self, key: bytes, value: bytes) -> bool: ...
    def store(self, key: bytes, value: bytes) -> None: ...
    def keys(self) -> Iterator[bytes]: ...
    def close(self) -> None: ...


class _Datum(ctypes.Structure):
    _fields_ = [("dptr", ctypes.c_void_p), ("dsize", ctypes.c_int)]


_lib: ctypes.CDLL | None = None
_libc: ctypes.CDLL | None = None


def _load() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    global _lib, _libc
    if _lib is None or _libc is None:
        name = ctypes.util.find_library("gdbm") or "libgdbm.so.6"
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            raise GdbmError(f"neither Python's dbm.gnu nor libgdbm ({name}) is available: {e}") from None
        lib.gdbm_open.restype = ctypes.c_void_p
        lib.gdbm_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
        lib.gdbm_fetch.restype = _Datum
        lib.gdbm_fetch.argtypes = [ctypes.c_void_p, _Datum]
        lib.gdbm_store.restype = ctypes.c_int
        lib.gdbm_store.argtypes = [ctypes.c_void_p, _Datum, _Datum, ctypes.c_int]
        lib.gdbm_firstkey.restype = _Datum
        lib.gdbm_firstkey.argtypes = [ctypes.c_void_p]
        lib.gdbm_nextkey.restype = _Datum
        lib.gdbm_nextkey.argtypes = [ctypes.c_void_p, _Datum]
        lib.gdbm_close.argtypes = [ctypes.c_void_p]
        lib.gdbm_errno_location.restype = ctypes.POINTER(ctypes.c_int)
        lib.gdbm_strerror.restype = ctypes.c_char_p
        lib.gdbm_strerror.argtypes = [ctypes.c_int]
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.free.argtypes = [ctypes.c_void_p]
        _lib, _libc = lib, libc
    return _lib, _libc


class CtypesDb:
    """A GDBM file opened through libgdbm directly."""

    def __init__(self, path: str, flags: int) -> None:
        self._lib, self._libc = _load()
        handle = self._lib.gdbm_open(os.fsencode(path), 0, flags, 0o600, None)
        if not handle:
            raise GdbmError(f"{path}: {self._error()}")
        self._db: int | None = handle

    def _error(self) -> str:
        code = self._lib.gdbm_errno_location().contents.value
        return (self._lib.gdbm_strerror(code) or b"gdbm error").decode(errors="replace")

    def _handle(self) -> int:
        if self._db is None:
            raise GdbmError("database is closed")
        return self._db

    def _take(self, d: _Datum) -> bytes | None:
        if not d.dptr:
            return None
        try:
            return ctypes.string_at(d.dptr, d.dsize)
        finally:
            self._libc.free(d.dptr)

    def fetch(self, key: bytes) -> bytes | None:
        buf = ctypes.create_string_buffer(key, len(key))
        return self._take(
            self._lib.gdbm_fetch(self._handle(), _Datum(ctypes.cast(buf, ctypes.c_void_p), len(key)))
        )

    def insert(self, key: bytes, value: bytes) -> bool:
        return self._store(key, value, GDBM_INSERT) == 0

    def store(self, key: bytes, value: bytes) -> None:
        self._store(key, value, GDBM_REPLACE)

    def _store(self, key: bytes, value: bytes, flag: int) -> int:
        kb = ctypes.create_string_buffer(key, len(key))
        vb = ctypes.create_string_buffer(value, len(value))
        rc: int = self._lib.gdbm_store(
            self._handle(),
            _Datum(ctypes.cast(kb, ctypes.c_void_p), len(key)),
            _Datum(ctypes.cast(vb, ctypes.c_void_p), len(value)),
            flag,
        )
        if rc < 0:
            raise GdbmError(self._error())
        return rc

    def keys(self) -> Iterator[bytes]:
        d = self._lib.gdbm_firstkey(self._handle())
        while d.dptr:
            key = ctypes.string_at(d.dptr, d.dsize)
            nxt = self._lib.gdbm_nextkey(self._handle(), d)
            self._libc.free(d.dptr)
            yield key
            d = nxt

    def close(self) -> None:
        if self._db is not None:
            self._lib.gdbm_close(self._db)
            self._db = None


class StdlibDb:
    """A GDBM file opened through Python's ``dbm.gnu``."""

    def __init__(self, path: str, flag: str) -> None:
        import dbm.gnu

        self._db = dbm.gnu.open(path, flag)  # noqa: SIM115 (closed by close())

    def fetch(self, key: bytes) -> bytes | None:
        return self._db.get(key)

    def insert(self, key: bytes, value: bytes) -> bool:
        if key in self._db:
            return False
        self._db[key] = value
        return True

    def store(self, key: bytes, value: bytes) -> None:
        self._db[key] = value

    def keys(self) -> Iterator[bytes]:
        key = self._db.firstkey()
        while key is not None:
            yield key
            key = self._db.nextkey(key)

    def close(self) -> None:
        self._db.close()


def have_stdlib() -> bool:
    try:
        import dbm.gnu  # noqa: F401
    except ImportError:
        return False
    return True


def open_reader(path: str, *, use_ctypes: bool | None = None) -> Db:
    """Open read-only (as authlib does). Raises OSError if the file is missing or not GDBM."""
    if use_ctypes is None:
        use_ctypes = not have_stdlib()
    if use_ctypes:
        return CtypesDb(path, GDBM_READER | GDBM_NOLOCK)
    try:
        return StdlibDb(path, "ru")
    except Exception as e:  # dbm.gnu.error is not an OSError subclass
        if isinstance(e, OSError):
            raise
        raise GdbmError(f"{path}: {e}") from None


def open_new(path: str, *, use_ctypes: bool | None = None) -> Db:
    """Create (truncate) a database for writing; the file keeps the mode it already has."""
    if use_ctypes is None:
        use_ctypes = not have_stdlib()
    if use_ctypes:
        return CtypesDb(path, GDBM_NEWDB | GDBM_NOLOCK)
    try:
        return StdlibDb(path, "nfu")
    except Exception as e:
        if isinstance(e, OSError):
            raise
        raise GdbmError(f"{path}: {e}") from None
