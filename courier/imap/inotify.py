"""Linux inotify through ctypes: tells IDLE at once when a folder's new/ or cur/ changes."""

from __future__ import annotations

import ctypes
import errno
import os

IN_ATTRIB = 0x004
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
MASK = IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE

_libc: ctypes.CDLL | None = None


def _lib() -> ctypes.CDLL | None:
    global _libc
    if _libc is None:
        try:
            lib = ctypes.CDLL(None, use_errno=True)
            lib.inotify_init1  # noqa: B018  (raises AttributeError where there is no inotify)
        except (OSError, AttributeError):
            return None
        _libc = lib
    return _libc


class Watcher:
    """An inotify descriptor watching some directories; ``fd`` is for select()."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def open(cls, paths: list[str]) -> Watcher | None:
        """None when inotify is unavailable (the caller polls instead)."""
        lib = _lib()
        if lib is None:
            return None
        fd = lib.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        ok = False
        for p in paths:
            if lib.inotify_add_watch(fd, os.fsencode(p), MASK) >= 0:
                ok = True
        if not ok:
            os.close(fd)
            return None
        return cls(fd)

    def drain(self) -> None:
        while True:
            try:
                if not os.read(self.fd, 65536):
                    return
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return
                raise

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
