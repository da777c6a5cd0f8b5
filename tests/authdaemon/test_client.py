"""The client's failure modes: an absent, slow or broken daemon is TempFail, never FAIL."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from courier.auth.module import TempFail
from courier.authdaemon.client import AuthClient


@pytest.fixture
def fake_daemon(tmp_path: Path) -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    """A one-shot Unix socket server whose behaviour the test chooses."""
    threads: list[threading.Thread] = []
    socks: list[socket.socket] = []

    def start(behave: Callable[[socket.socket], None]) -> str:
        path = str(tmp_path / f"sock{len(socks)}")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(5)
        socks.append(srv)

        def run() -> None:
            conn, _ = srv.accept()
            with conn:
                conn.recv(4096)
                behave(conn)

        t = threading.Thread(target=run, daemon=True)
        t.start()
        threads.append(t)
        return path

    yield start
    for s in socks:
        s.close()


def test_missing_socket_is_tempfail(tmp_path: Path) -> None:
    with pytest.raises(TempFail, match="cannot reach"):
        AuthClient(str(tmp_path / "nothing"), timeout=1).pre("imap", "u")


def test_silent_daemon_times_out(fake_daemon: Callable[..., str]) -> None:
    done = threading.Event()
    path = fake_daemon(lambda c: done.wait(5))
    with pytest.raises(TempFail, match="in time"):
        AuthClient(path, timeout=0.3).login("imap", "u", "p")
    done.set()


def test_close_without_reply_is_tempfail(fake_daemon: Callable[..., str]) -> None:
    path = fake_daemon(lambda c: None)
    with pytest.raises(TempFail, match="temporary failure"):
        AuthClient(path, timeout=2).login("imap", "u", "p")


def test_garbage_reply_is_tempfail(fake_daemon: Callable[..., str]) -> None:
    path = fake_daemon(lambda c: c.sendall(b"HELLO\n.\n"))
    with pytest.raises(TempFail, match="malformed"):
        AuthClient(path, timeout=2).pre("imap", "u")


def test_fail_is_none_and_account_is_parsed(fake_daemon: Callable[..., str]) -> None:
    assert AuthClient(fake_daemon(lambda c: c.sendall(b"FAIL\n")), timeout=2).login("imap", "u", "p") is None
    reply = b"UID=5\nGID=6\nHOME=/h\nADDRESS=u@x\nPASSWD2=p\n.\n"
    info = AuthClient(fake_daemon(lambda c: c.sendall(reply[:10]) or c.sendall(reply[10:])), timeout=2).login(
        "imap", "u@x", "p"
    )
    assert info is not None and (info.uid, info.gid, info.home, info.clearpw) == (5, 6, "/h", "p")


def test_names_that_cannot_be_sent_fail_without_asking(tmp_path: Path) -> None:
    client = AuthClient(str(tmp_path / "nothing"), timeout=1)
    assert client.pre("imap", "a b") is None
    assert client.login("imap", "a\nUID=0", "p") is None
    assert client.passwd("imap", "u", "o\tx", "n") is False


def test_client_imports_stay_light(repo: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, courier.authdaemon.client, courier.login\n"
        "heavy = [m for m in ('passlib', 'ctypes', 'email', 'ssl', 'logging', 'courier.auth.chain') "
        "if m in sys.modules]\nprint(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=repo, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
