from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from courier.maildir.lock import DOTLOCK, FolderLock, LockTimeout


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_dotlock_is_courier_shaped(maildir: Path) -> None:
    with FolderLock(str(maildir)):
        text = (maildir / "tmp" / DOTLOCK).read_text()
        assert text == f"{os.getpid()}:{socket.gethostname()}"
    assert not (maildir / "tmp" / DOTLOCK).exists()
    assert os.listdir(maildir / "tmp") == []


def test_stale_lock_of_dead_process_is_broken(maildir: Path) -> None:
    (maildir / "tmp" / DOTLOCK).write_text(f"{_dead_pid()}:{socket.gethostname()}")
    t = time.monotonic()
    with FolderLock(str(maildir), timeout=5):
        pass
    assert time.monotonic() - t < 2


def test_live_holder_blocks_until_timeout(maildir: Path) -> None:
    holder = subprocess.Popen(["sleep", "30"])
    try:
        (maildir / "tmp" / DOTLOCK).write_text(f"{holder.pid}:{socket.gethostname()}")
        with pytest.raises(LockTimeout), FolderLock(str(maildir), timeout=0.3):
            pass
        assert (maildir / "tmp" / DOTLOCK).exists()
    finally:
        holder.kill()
        holder.wait()


def test_unreadable_owner_expires(maildir: Path) -> None:
    lock = maildir / "tmp" / DOTLOCK
    lock.write_text("garbage")
    with pytest.raises(LockTimeout), FolderLock(str(maildir), timeout=0.2, stale_after=60):
        pass
    old = time.time() - 300
    os.utime(lock, (old, old))
    with FolderLock(str(maildir), timeout=2, stale_after=60):
        pass


def test_without_dotlock(maildir: Path) -> None:
    with FolderLock(str(maildir), dotlock=False):
        assert not (maildir / "tmp" / DOTLOCK).exists()
