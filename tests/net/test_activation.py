"""Activation under the real systemd-socket-activate: inetd (fd 0/1), LISTEN_FDS (fd 3), Accept=no."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest

from courier.net.activation import ActivationError, client_socket
from tests.conftest import PYTHON, REPO, child_env, free_port
from tests.net.test_tcpd import greeting, readline

TOOL = shutil.which("systemd-socket-activate") or "/usr/bin/systemd-socket-activate"


@pytest.fixture
def activate() -> Iterator[object]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(*mode: str) -> int:
        port = free_port()
        argv = [TOOL, *mode, "-l", f"127.0.0.1:{port}", "-E", f"PYTHONPATH={REPO}"]
        # The tool scrubs the environment: only what -E names reaches the program.
        proc = subprocess.Popen([*argv, PYTHON, "-m", "tests.net.greeter"], stderr=subprocess.PIPE)
        procs.append(proc)
        # The tool prints "Listening on ..." once the socket is bound.
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()
        assert "Listening on" in line, line
        return port

    if not shutil.which("systemd-socket-activate"):
        pytest.skip("systemd-socket-activate is not installed")
    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=10)
        if p.stderr:
            p.stderr.close()


@pytest.mark.parametrize(("mode", "fd0sock"), [(("--inetd", "-a"), "1"), (("-a",), "0")])
def test_per_connection_modes(activate: object, mode: tuple[str, ...], fd0sock: str) -> None:
    port = activate(*mode)  # type: ignore[operator]
    pids = set()
    for _ in range(2):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            g = greeting(s)
            assert g["ip"] == "127.0.0.1" and g["port"] == str(s.getsockname()[1])
            assert g["local"] == f"127.0.0.1:{port}"
            assert g["nodelay"] == "1"
            assert g["fd0sock"] == fd0sock  # LISTEN_FDS mode: the connection is fd 3, fd 0 is /dev/null
            assert "LISTEN_" not in g["env"]  # consumed, so that programs we start don't take them
            s.sendall(b"ping\r\n")
            assert readline(s) == "ECHO ping\r\n"
            pids.add(g["pid"])
    assert len(pids) == 2  # one process per connection


def test_listening_socket_is_accepted_once(activate: object) -> None:
    port = activate()  # type: ignore[operator]  # Accept=no: the program gets the listening socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        assert greeting(s)["ip"] == "127.0.0.1"


def test_no_socket_is_a_clear_error() -> None:
    r = subprocess.run(
        [PYTHON, "-m", "tests.net.greeter"],
        stdin=subprocess.DEVNULL,
        env=child_env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0
    assert "fd 0 is not a socket" in r.stderr


def test_environment_address_wins_over_getpeername() -> None:
    a, b = socket.socketpair(socket.AF_UNIX)
    env = {"REMOTE_ADDR": "192.0.2.9", "REMOTE_PORT": "4711", "LISTEN_FDS": "1", "LISTEN_PID": "1"}
    # LISTEN_PID names another process, so fd 0 is used: make fd 0 our socketpair end for a moment.
    import os

    saved = os.dup(0)
    try:
        os.dup2(a.fileno(), 0)
        sock, ip, port = client_socket(env)
        assert (ip, port) == ("192.0.2.9", 4711)
        assert "LISTEN_FDS" not in env
        sock.detach()
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        a.close()
        b.close()
    with pytest.raises(ActivationError, match="LISTEN_FDS='x'"):
        client_socket({"LISTEN_FDS": "x"})
