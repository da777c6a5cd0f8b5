"""POP3 test helpers: maildirs, deliveries, and pop3d served over real TCP sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import PYTHON, child_env

TRANSCRIPTS = Path(__file__).parent / "transcripts"
SIMPLE = (TRANSCRIPTS / "simple.eml").read_bytes()
MULTI = (TRANSCRIPTS / "multi.eml").read_bytes()


def make_maildir(path: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


_counter = 0


def deliver(maildir: Path, data: bytes, name: str | None = None) -> Path:
    """Write a message as an MDA does: into tmp/, then renamed into new/."""
    global _counter
    _counter += 1
    name = name or f"{int(time.time())}.M{_counter}P{os.getpid()}.test"
    tmp = maildir / "tmp" / name
    tmp.write_bytes(data)
    final = maildir / "new" / name
    os.rename(tmp, final)
    return final


class Pop3Server:
    """Accepts TCP connections and runs one pop3d per connection on the socket (inetd style)."""

    def __init__(self, env: Mapping[str, str], args: list[str]) -> None:
        self.env = dict(env)
        self.args = args
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.stderr: list[bytes] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, (ip, port) = self.listener.accept()
            except OSError:
                return
            env = dict(self.env, TCPREMOTEIP=ip, TCPREMOTEPORT=str(port))
            proc = subprocess.Popen(
                [PYTHON, "-m", "courier.cli.pop3d", *self.args],
                stdin=conn,
                stdout=conn,
                stderr=subprocess.PIPE,
                env=env,
            )
            conn.close()
            self.procs.append(proc)

    def log(self) -> str:
        """What the finished pop3d processes wrote to stderr (their log)."""
        out = []
        for p in self.procs:
            try:
                _, err = p.communicate(timeout=10)
            except ValueError:  # already collected
                err = b""
            out.append(err)
        self.stderr += out
        return b"".join(self.stderr).decode()

    def close(self) -> None:
        self.listener.close()
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.communicate()


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return make_maildir(tmp_path / "Maildir")


@pytest.fixture
def preauth_server(maildir: Path, config_dir: Path) -> Iterator[Pop3Server]:
    """pop3d started already logged in on ``maildir`` (as courierpop3d after login)."""
    server = Pop3Server(
        child_env(AUTHENTICATED="bench@example.com", MAILDIR=str(maildir), HOME=str(maildir.parent)),
        ["--config-dir", str(config_dir)],
    )
    yield server
    server.close()
