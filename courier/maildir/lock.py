"""Serialise UID assignment in one folder, compatibly with Courier.

Two layers:
* ``flock(2)`` on the folder's tmp/ directory: cheap, and released by the kernel when a
  process dies (SIGKILL included), so our own processes never wait on a dead holder;
* Courier's dot-lock ``tmp/courier.lock`` (content ``<pid>:<host>``, made with link(2)),
  so that real Courier imapd processes with IMAP_USELOCKS=1 and ours exclude each other.
  A dot-lock left by a dead process on this host is removed, as Courier does; one with
  no readable owner is removed after ``stale_after`` seconds.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from types import TracebackType

from courier.storage import StorageError

DOTLOCK = "courier.lock"


class LockTimeout(StorageError):
    pass


def _myid() -> str:
    return f"{os.getpid()}:{os.uname().nodename or 'localhost'}"


def _owner_gone(path: str, myid: str, stale_after: float) -> bool:
    try:
        with open(path, "rb") as fh:
            text = fh.read(512).decode("utf-8", "replace")
            st = os.fstat(fh.fileno())
    except FileNotFoundError:
        return False
    pid_text, sep, host = text.partition(":")
    _, _, myhost = myid.partition(":")
    if sep and host == myhost and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return True  # a recycled pid: it cannot really be ours, we do not hold it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return st.st_mtime < time.time() - stale_after


class FolderLock:
    """``with FolderLock(folder_dir):`` holds the folder's UID lock."""

    def __init__(
        self, folder: str, *, dotlock: bool = True, timeout: float = 120.0, stale_after: float = 120.0
    ) -> None:
        self.folder = folder
        self.dotlock = dotlock
        self.timeout = timeout
        self.stale_after = stale_after
        self._fd = -1
        self._dotlock_path: str | None = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    def acquire(self) -> None:
        tmpdir = os.path.join(self.folder, "tmp")
        deadline = time.monotonic() + self.timeout
        fd = os.open(tmpdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            delay = 0.001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise LockTimeout(f"Folder is locked by another process: {self.folder}") from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.05)
            if self.dotlock:
                self._take_dotlock(tmpdir, deadline)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _take_dotlock(self, tmpdir: str, deadline: float) -> None:
        path = os.path.join(tmpdir, DOTLOCK)
        myid = _myid()
        delay = 0.002
        while True:
            scratch = os.path.join(tmpdir, f"{int(time.time())}.{os.getpid()}.courierlock.{id(self)}")
            try:
                fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                    return  # a folder we may only read: nobody can write it, no dot-lock needed
                raise
            try:
                os.write(fd, myid.encode())
            finally:
                os.close(fd)
            try:
                os.link(scratch, path)
                self._dotlock_path = path
                return
            except FileExistsError:
                pass
            finally:
                os.unlink(scratch)
            if _owner_gone(path, myid, self.stale_after):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                continue
            if time.monotonic() > deadline:
                raise LockTimeout(f"Folder is locked by another process: {path}")
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def release(self) -> None:
        if self._dotlock_path is not None:
            try:
                os.unlink(self._dotlock_path)
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise
            self._dotlock_path = None
        if self._fd >= 0:
            os.close(self._fd)  # drops the flock
            self._fd = -1
