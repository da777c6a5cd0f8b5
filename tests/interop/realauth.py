"""Debian's real authdaemond in a private mount namespace, for userdb interop tests.

authdaemond and authtest have /etc/courier and /run/courier/authdaemon compiled
in: each runs in a private mount namespace where those are test directories
(the socket is reached through the same bind-mounted directory).
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import realcourier


class RealAuth:
    def __init__(self, etc: Path, run: Path) -> None:
        self.etc, self.run = etc, run
        self.binds = {
            "/etc/courier": etc,
            "/run/courier/authdaemon": run,
            "/usr/lib/courier-authlib": realcourier.root() / "usr/lib/courier-authlib",
        }

    def authtest(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = realcourier.namespace_command([realcourier.binary("usr/sbin/authtest"), *args], self.binds)
        return subprocess.run(cmd, env=realcourier.env(), capture_output=True, text=True, timeout=30)

    def request(self, data: bytes) -> bytes:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(self.run / "socket"))
            s.sendall(data)
            out = b""
            while chunk := s.recv(4096):
                out += chunk
        return out


@pytest.fixture(name="real_auth")
def real_auth_fixture(tmp_path: Path) -> Iterator[RealAuth]:
    """A running real authdaemond (authuserdb only) reading userdb.dat from ``real_auth.etc``."""
    etc, run = tmp_path / "etc", tmp_path / "run"
    etc.mkdir(mode=0o755)
    run.mkdir(mode=0o750)
    (etc / "authdaemonrc").write_text(
        'authmodulelist="authuserdb"\ndaemons=1\nauthdaemonvar=/run/courier/authdaemon\n'
        'DEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n'
    )
    auth = RealAuth(etc, run)
    proc = subprocess.Popen(
        realcourier.namespace_command(
            [realcourier.binary("usr/lib/courier/courier-authlib/authdaemond")], auth.binds
        ),
        env=realcourier.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while not (run / "socket").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read() if proc.stderr else b""
                pytest.fail(f"real authdaemond did not start: {err!r}")
            time.sleep(0.05)
        yield auth
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
