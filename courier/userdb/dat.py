"""Compiled userdb databases (userdb.dat, userdbshadow.dat): lookups and atomic replacement.

Keys are account names; values are the record's field text (``home=...|uid=...``).
makeuserdb replaces the files by rename, so a reader notices a new file by its
inode/mtime and reopens it: changes are visible without restarting anything.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from courier.userdb.gdbm import Db, GdbmError, open_new, open_reader
from courier.userdb.record import fields_dict

ENCODING = "utf-8"


def _decode(b: bytes) -> str:
    return b.decode(ENCODING, "surrogateescape")


def _encode(s: str) -> bytes:
    return s.encode(ENCODING, "surrogateescape")


class UserdbDat:
    """Read-only view of one .dat file that follows replacements of the file."""

    def __init__(self, path: str | os.PathLike[str], *, use_ctypes: bool | None = None) -> None:
        self.path = os.fspath(path)
        self._use_ctypes = use_ctypes
        self._db: Db | None = None
        self._ident: tuple[int, int, int, int] | None = None

    def _current(self) -> Db | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self.close()
            return None
        ident = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        if self._db is None or ident != self._ident:
            self.close()
            self._db = open_reader(self.path, use_ctypes=self._use_ctypes)
            self._ident = ident
        return self._db

    def lookup_raw(self, name: str) -> str | None:
        """The stored field text for ``name`` (for reverse records ``<uid>=``: the account name)."""
        db = self._current()
        if db is None:
            return None
        value = db.fetch(_encode(name))
        return None if value is None else _decode(value)

    def reverse(self, uid: int) -> str | None:
        """The account name of a reverse uid record ``<uid>=``."""
        raw = self.lookup_raw(f"{uid}=")
        return None if raw is None else raw.split("|", 1)[0]

    def lookup(self, name: str) -> dict[str, str] | None:
        """The account's fields, or None if the account (or the file) does not exist."""
        raw = self.lookup_raw(name)
        return None if raw is None else fields_dict(raw)

    def items(self) -> Iterator[tuple[str, str]]:
        """Every (name, field text) pair, in GDBM order (for enumeration and tests)."""
        db = self._current()
        if db is None:
            return
        for key in list(db.keys()):
            value = db.fetch(key)
            if value is not None:
                yield _decode(key), _decode(value)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
            self._ident = None

    def __enter__(self) -> UserdbDat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"duplicate account name {key!r}")


class DatWriter:
    """A new GDBM file being filled at a temporary path; ``commit`` renames it into place.

    The file has ``mode`` before any data goes in (a shadow file is never
    readable by others, not even briefly).  ``abort`` (or any error in
    ``commit``) removes it again.  The caller keeps keys unique, or passes
    ``check_duplicates`` to get DuplicateKey.
    """

    def __init__(
        self,
        tmp: str | os.PathLike[str],
        *,
        mode: int = 0o644,
        use_ctypes: bool | None = None,
        check_duplicates: bool = False,
    ) -> None:
        self.tmp = Path(tmp)
        self.count = 0
        self._check = check_duplicates
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        try:
            os.fchmod(fd, mode)  # the umask must not change what we were asked for
        finally:
            os.close(fd)
        try:
            self._db: Db | None = open_new(str(self.tmp), use_ctypes=use_ctypes)
        except BaseException:
            self.abort()
            raise

    def add(self, key: str, value: str) -> None:
        assert self._db is not None
        k = _encode(key)
        if self._check:
            if not self._db.insert(k, _encode(value)):
                raise DuplicateKey(key)
        else:
            self._db.store(k, _encode(value))
        self.count += 1

    def finish(self) -> None:
        """Close and flush the temporary file to disk (before any rename)."""
        if self._db is not None:
            self._db.close()
            self._db = None
            fd = os.open(self.tmp, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def commit(self, target: str | os.PathLike[str]) -> None:
        try:
            self.finish()
            os.rename(self.tmp, target)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if self._db is not None:
            with contextlib.suppress(Exception):
                self._db.close()
            self._db = None
        with contextlib.suppress(OSError):
            self.tmp.unlink()


def write_tmp(
    tmp: str | os.PathLike[str],
    items: Iterable[tuple[str, str]],
    *,
    mode: int = 0o644,
    use_ctypes: bool | None = None,
) -> int:
    """Write a complete GDBM file at ``tmp`` and flush it; on any error (DuplicateKey too) remove it."""
    w = DatWriter(tmp, mode=mode, use_ctypes=use_ctypes, check_duplicates=True)
    try:
        for key, value in items:
            w.add(key, value)
        w.finish()
    except BaseException:
        w.abort()
        raise
    return w.count


def write_dat(
    path: str | os.PathLike[str],
    items: Iterable[tuple[str, str]],
    *,
    mode: int = 0o644,
    tmp_path: str | os.PathLike[str] | None = None,
    use_ctypes: bool | None = None,
) -> int:
    """Write a new GDBM file and rename it over ``path`` (readers never see half a file).

    On error the old ``path`` is untouched and no temporary file is left.
    """
    target = Path(path)
    tmp = Path(tmp_path) if tmp_path is not None else target.with_name(f".{target.name}.tmp.{os.getpid()}")
    count = write_tmp(tmp, items, mode=mode, use_ctypes=use_ctypes)
    try:
        os.rename(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return count


__all__ = ["DatWriter", "DuplicateKey", "GdbmError", "UserdbDat", "write_dat", "write_tmp"]
