"""IDLE without inotify: the folder is polled every IMAP_IDLE_TIMEOUT seconds (in-process session)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from courier.imap.commands import idle as idle_command
from courier.imap.commands import load
from courier.imap.server import Connection, Transport, serve
from courier.imap.session import Session
from courier.imap.settings import ImapSettings
from courier.maildir import open_store
from courier.maildir.create import make_maildir
from courier.maildir.deliver import deliver


def _read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    buf = b""
    os.set_blocking(fd, False)
    while marker not in buf:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {marker!r} within {timeout} s; got {buf!r}")
        try:
            buf += os.read(fd, 65536)
        except BlockingIOError:
            time.sleep(0.01)
    return buf


def test_idle_polls_when_inotify_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idle_command.Watcher, "open", classmethod(lambda cls, paths: None))
    md = str(tmp_path / "Maildir")
    make_maildir(md)
    c_read, s_write = os.pipe()
    s_read, c_write = os.pipe()
    settings = ImapSettings(idle_poll=0.2)
    conn = Connection(Transport(s_read, s_write), settings)
    session = Session(settings, conn.writer, conn)
    session.authenticated(open_store(md), Path(md), "user")
    load()
    worker = threading.Thread(target=serve, args=(session, conn))
    worker.start()
    try:
        os.write(c_write, b"a SELECT INBOX\r\nb IDLE\r\n")
        _read_until(c_read, b"+ entering idle mode\r\n", 10)
        deliver(md, b"Subject: polled\n\nhi\n")
        got = _read_until(c_read, b"* 1 EXISTS\r\n", 2)
        assert b"* 1 RECENT\r\n" in got or b"* 1 RECENT" in _read_until(c_read, b"RECENT", 1)
        os.write(c_write, b"DONE\r\nc LOGOUT\r\n")
        got = _read_until(c_read, b"c OK LOGOUT completed\r\n", 10)
        assert b"b OK IDLE completed\r\n" in got
    finally:
        os.close(c_write)
        worker.join(timeout=10)
        for fd in (c_read, s_read, s_write):
            os.close(fd)
    assert not worker.is_alive()
