"""Socket activation as systemd does it (Accept=no: the listening socket on fd 3) and sd_notify."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from courier.authdaemon.client import AuthClient
from tests.authfixtures import Account, write_userdb
from tests.conftest import PYTHON, REPO

pytestmark = pytest.mark.skipif(shutil.which("systemd-socket-activate") is None, reason="needs systemd")


def test_socket_activated_daemon_reports_ready_reload_stopping(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    write_userdb(etc, [Account("a@x", "pw", "/home/a", uid=10, gid=20)])
    (etc / "authdaemonrc").write_text(
        f'authmodulelist="authuserdb"\ndaemons=2\nauthdaemonvar={tmp_path}/unused\n'
    )
    notify_path = str(tmp_path / "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(20)
    sock = str(tmp_path / "auth.sock")
    proc = subprocess.Popen(
        [
            "systemd-socket-activate",
            "-l",
            sock,
            "-E",
            f"NOTIFY_SOCKET={notify_path}",
            "-E",
            f"PYTHONPATH={REPO}",
            PYTHON,
            "-m",
            "courier.cli.authdaemond",
            "--config-dir",
            str(etc),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # systemd-socket-activate listens first and starts us on the first connection.
        deadline = time.monotonic() + 10
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.02)
        first = AuthClient(sock, timeout=20).login("imap", "a@x", "pw")
        assert first is not None and first.uid == 10
        assert notify.recv(256) == b"READY=1"
        assert not (tmp_path / "unused").exists()  # it used systemd's socket, never bound its own
        os.kill(proc.pid, signal.SIGHUP)
        assert notify.recv(256) == b"RELOADING=1"
        assert notify.recv(256) == b"READY=1"
        assert AuthClient(sock, timeout=20).login("imap", "a@x", "wrong") is None
        os.kill(proc.pid, signal.SIGTERM)
        assert notify.recv(256) == b"STOPPING=1"
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        notify.close()
