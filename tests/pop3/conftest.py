"""POP3 test helpers: maildirs, deliveries, and pop3d served over real TCP sockets."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import PYTHON, child_env, free_port

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
    """pop3d behind our courier-tcpd launcher on a free loopback port (one process per connection)."""

    def __init__(
        self, env: Mapping[str, str], args: list[str], workdir: Path, program: list[str] | None = None
    ) -> None:
        """``program`` replaces ``PYTHON -m courier.cli.pop3d ARGS`` (e.g. to run it under strace)."""
        self.port = free_port()
        self.errfile = workdir / f"pop3d-{self.port}.log"
        pidfile = workdir / f"tcpd-{self.port}.pid"
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "courier.cli.courier_tcpd", "--listen", f"127.0.0.1:{self.port}",
             "--pidfile", str(pidfile), "--maxperip", "0",
             "--", *(program or [PYTHON, "-m", "courier.cli.pop3d", *args])],
            stdout=subprocess.DEVNULL,
            stderr=self.errfile.open("wb"),
            env=dict(env),
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while not pidfile.exists():
            assert self.proc.poll() is None, self.errfile.read_text()
            assert time.monotonic() < deadline, "courier-tcpd did not start"
            time.sleep(0.02)

    def children(self) -> list[int]:
        """Process ids of the pop3d sessions running now."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except FileNotFoundError:
            return []
        return [int(p) for p in text.split()]

    def log(self, timeout: float = 15) -> str:
        """The sessions' log lines, once every session has ended."""
        deadline = time.monotonic() + timeout
        while self.children() and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.errfile.read_text(errors="replace")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return make_maildir(tmp_path / "Maildir")


@pytest.fixture
def preauth_server(maildir: Path, config_dir: Path) -> Iterator[Pop3Server]:
    """pop3d started already logged in on ``maildir`` (as courierpop3d after login)."""
    server = Pop3Server(
        child_env(AUTHENTICATED="bench@example.com", MAILDIR=str(maildir), HOME=str(maildir.parent)),
        ["--config-dir", str(config_dir)],
        maildir.parent,
    )
    yield server
    server.close()


BENCH = "bench@example.com"
BENCHPASS = "benchpass"


def auth_config(config_dir: Path, socket_path: str, delay: float = 0.2, extra: str = "") -> Path:
    """pop3d's config: a short failed-login delay and the test authdaemond's socket."""
    (config_dir / "pop3d").write_text(f"POP3_LOGIN_DELAY={delay}\n{extra}")
    (config_dir / "authdaemonrc").write_text(f"authdaemonvar={Path(socket_path).parent}\n")
    return config_dir


@pytest.fixture
def bench_home(tmp_path: Path) -> Path:
    home = tmp_path / "bench"
    make_maildir(home / "Maildir")
    return home


@pytest.fixture
def auth_server(tmp_path: Path, bench_home: Path, config_dir: Path) -> Iterator[Pop3Server]:
    """pop3d behind courier-tcpd, logging in through our authdaemond (accounts below)."""
    from courier.auth import xcrypt
    from tests.authfixtures import Account, start_authdaemond

    other = tmp_path / "other"
    make_maildir(other / "Maildir")
    sock = start_authdaemond(
        tmp_path,
        [
            Account(BENCH, BENCHPASS, home=str(bench_home)),
            Account("nopop@example.com", "x", home=str(other), options="disablepop3=1"),
            Account("pop3pw@example.com", "system", home=str(other),
                    extra={"pop3pw": xcrypt.hash_password("pop3only", "$6$")}),
        ],
    )  # fmt: skip
    auth_config(config_dir, sock)
    server = Pop3Server(child_env(), ["--config-dir", str(config_dir)], tmp_path)
    yield server
    server.close()
