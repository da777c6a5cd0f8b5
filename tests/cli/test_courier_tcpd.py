"""The courier-tcpd command: options, config files, errors, --help, bin/ script."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON, REPO, child_env, free_port
from tests.net.test_tcpd import GREETER, greeting, readline, wait_until


def test_limits_and_address_from_config(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    port = free_port()
    (etc / "pop3d").write_text(f"MAXDAEMONS=7\nMAXPERIP=1\nADDRESS=0\nPORT=127.0.0.1.{port}\n")
    pidfile = tmp_path / "p.pid"
    argv = [PYTHON, "-m", "courier.cli.courier_tcpd", "--config-dir", str(etc), "--config", "pop3d"]
    proc = subprocess.Popen([*argv, "--pidfile", str(pidfile), "--", *GREETER], env=child_env())
    try:
        wait_until(pidfile.exists)
        a = socket.create_connection(("127.0.0.1", port), timeout=10)
        greeting(a)
        b = socket.create_connection(("127.0.0.1", port), timeout=10)
        assert readline(b).startswith("Too many connections")  # the protocol-neutral default
        a.close()
        b.close()
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "localhost:143", "--", "/bin/true"], "is not an IP address"),
        (["--listen", "::1:143", "--", "/bin/true"], "write IPv6 as [ADDRESS]:PORT"),
        (["--listen", "127.0.0.1:0", "--", "/bin/true"], "port must be a number"),
        (["--listen", "127.0.0.1:1143"], "no program given"),
        (["--listen", "127.0.0.1:1143", "--", "/nonexistent/imapd"], "not an executable file"),
        (["--", "/bin/true"], "nothing to listen on"),
    ],
)
def test_bad_arguments_are_named(args: list[str], message: str) -> None:
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.courier_tcpd", *args], env=child_env(), capture_output=True, text=True
    )
    assert r.returncode == 2
    assert message in r.stderr


def test_port_already_in_use_is_reported() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run(
            [PYTHON, "-m", "courier.cli.courier_tcpd", "--listen", f"127.0.0.1:{port}", "--", "/bin/true"],
            env=child_env(),
            capture_output=True,
            text=True,
        )
    assert r.returncode == 2 and f"cannot listen on 127.0.0.1:{port}: Address already in use" in r.stderr


def test_help_and_bin_script() -> None:
    # bin/ runs Debian's python3 -I (the installed package); the console script is its twin here.
    assert "from courier.cli.courier_tcpd import main" in (REPO / "bin/courier-tcpd").read_text()
    script = Path(PYTHON).parent / "courier-tcpd"
    r = subprocess.run([str(script), "--help"], env=child_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "--maxperip" in r.stdout and "--refuse-message" in r.stdout
    assert (REPO / "man/courier-tcpd.8").read_text().startswith(".TH COURIER-TCPD 8")
