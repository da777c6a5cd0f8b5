"""Write a message into tmp/, then make it visible in new/ or cur/ with one link(2).

The file is complete and (optionally) fsynced before any reader can see it; a
kill at any moment leaves at worst an invisible file in tmp/ that the stale-tmp
cleaner removes later.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Iterator

from courier.frozen import dataclass

from .names import UniqueName


@dataclass(slots=True)
class TmpMessage:
    folder: str  # the folder directory (holds tmp/ cur/ new/)
    name: UniqueName
    path: str  # tmp/ path
    size: int
    st: os.stat_result

    def base(self) -> str:
        return self.name.final(self.st, self.size)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def _crlf_to_lf(chunks: Iterable[bytes]) -> Iterable[bytes]:
    held = b""
    for chunk in chunks:
        if not chunk:
            continue
        data = held + chunk
        held = b""
        if data.endswith(b"\r"):
            data, held = data[:-1], b"\r"
        yield data.replace(b"\r\n", b"\n")
    if held:
        yield held


class Spool:
    """A message arriving in pieces (an IMAP APPEND literal), written as it comes to a uniquely
    named file in a maildir's tmp/ with CRLF turned into LF.  Iterating gives the stored bytes;
    ``write_tmp`` into any folder on the same file system adopts the file itself instead of
    copying it."""

    def __init__(self, tmpdir: str, host: str | None = None, mode: int = 0o666) -> None:
        for _attempt in range(100):
            self.name = UniqueName.new(host)
            self.path = os.path.join(tmpdir, self.name.tmp())
            try:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
            except FileExistsError:
                continue
            break
        else:  # pragma: no cover - see write_tmp
            raise OSError(errno.EEXIST, "cannot create a unique file", tmpdir)
        self.size = 0  # bytes stored (after CRLF -> LF)
        self._held = b""

    def write(self, data: bytes) -> None:
        if self._held:
            data = self._held + data
            self._held = b""
        if data.endswith(b"\r"):
            data, self._held = data[:-1], b"\r"
        self._write(data.replace(b"\r\n", b"\n"))

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        self.size += len(data)

    def close(self) -> None:
        if self._fd >= 0:
            if self._held:
                self._write(self._held)
                self._held = b""
            os.close(self._fd)
            self._fd = -1

    def __iter__(self) -> Iterator[bytes]:
        with open(self.path, "rb") as f:
            while data := f.read(65536):
                yield data

    def discard(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def _adopt(folder: str, spool: Spool, fsync: bool, mtime: float | None) -> TmpMessage | None:
    """The spool file itself as ``folder``'s next message, if a link can reach it (same file system)."""
    spool.close()
    fd = os.open(spool.path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if st.st_dev != os.stat(os.path.join(folder, "tmp")).st_dev:
            return None
        if fsync:
            os.fsync(fd)
        if mtime is not None:
            os.utime(fd, (mtime, mtime))
            st = os.fstat(fd)
    finally:
        os.close(fd)
    return TmpMessage(folder, spool.name, spool.path, spool.size, st)


def write_tmp(
    folder: str,
    chunks: Iterable[bytes],
    *,
    crlf_to_lf: bool = True,
    host: str | None = None,
    fsync: bool = True,
    mtime: float | None = None,
    mode: int = 0o666,
) -> TmpMessage:
    """Stream ``chunks`` into a new file in ``folder``/tmp/ and return it (not yet visible).

    A :class:`Spool` is taken over as it is (publish links it straight into the folder) when it
    is on the folder's file system, and copied otherwise."""
    if isinstance(chunks, Spool):
        adopted = _adopt(folder, chunks, fsync, mtime)
        if adopted is not None:
            return adopted
        crlf_to_lf = False  # a spool holds LF text already
    tmpdir = os.path.join(folder, "tmp")
    for _attempt in range(100):
        uname = UniqueName.new(host)
        path = os.path.join(tmpdir, uname.tmp())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - a hundred collisions means something else is wrong
        raise OSError(errno.EEXIST, "cannot create a unique file", tmpdir)
    size = 0
    try:
        with os.fdopen(fd, "wb", buffering=65536) as out:
            for data in _crlf_to_lf(chunks) if crlf_to_lf else chunks:
                out.write(data)
                size += len(data)
            out.flush()
            if fsync:
                os.fsync(out.fileno())
            if mtime is not None:
                os.utime(out.fileno(), (mtime, mtime))
            st = os.fstat(out.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return TmpMessage(folder, uname, path, size, st)


def publish(msg: TmpMessage, subdir: str, info: str | None = None) -> str:
    """Link the tmp/ file into ``subdir`` ("new" or "cur") under its final name; returns the file name."""
    name = msg.base()
    if info is not None:
        name += ":" + info
    target = os.path.join(msg.folder, subdir, name)
    try:
        os.link(msg.path, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP):
            raise
        os.rename(msg.path, target)  # file systems without hard links
        return name
    os.unlink(msg.path)
    return name


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
