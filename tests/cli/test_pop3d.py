"""pop3d as a program: help, greeting before heavy imports, pre-authenticated start."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import PYTHON, REPO, child_env
from tests.pop3.conftest import SIMPLE, deliver, make_maildir


def run(args: list[str], stdin: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [PYTHON, *args], input=stdin, capture_output=True, env=child_env(**env), timeout=30, check=False
    )


def test_help() -> None:
    r = run(["-m", "courier.cli.pop3d", "--help"], b"")
    assert r.returncode == 0
    assert b"usage: pop3d" in r.stdout and b"--config-dir" in r.stdout
    r = run(["-m", "courier.cli.pop3d", "--bogus"], b"")
    assert r.returncode == 2 and b"unrecognized arguments: --bogus" in r.stderr
    assert (REPO / "man/pop3d.8").read_text().startswith(".TH POP3D 8")
    assert (REPO / "bin/pop3d").read_text().startswith("#!/usr/bin/python3 -IS\n")


def test_greeting_comes_before_heavy_imports(tmp_path: Path) -> None:
    r = subprocess.run(
        [PYTHON, "-X", "importtime", "-m", "courier.cli.pop3d", "--config-dir", str(tmp_path)],
        input=b"QUIT\r\n",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=child_env(),
        timeout=30,
        check=True,
    )
    out = r.stdout
    greeting = out.index(b"+OK Hello there.\r\n")
    for heavy in (b"courier.config", b"courier.pop3.session", b"dataclasses", b"courier.maildir"):
        assert heavy not in out[:greeting], heavy
    assert b"courier.pop3.session" in out[greeting:]
    for never in (b" email", b" ssl", b" logging", b" argparse"):
        assert never + b"\n" not in out
    assert out.endswith(b"+OK Bye-bye.\r\n")


def test_preauth_on_maildir_argument(tmp_path: Path) -> None:
    md = make_maildir(tmp_path / "Mail")
    deliver(md, SIMPLE, "1.a")
    r = run(
        ["-m", "courier.cli.pop3d", "--config-dir", str(tmp_path), "Mail"],
        b"STAT\r\nQUIT\r\n",
        AUTHENTICATED="u",
        HOME=str(tmp_path),
        TCPREMOTEIP="192.0.2.1",
    )
    assert r.stdout == b"+OK logged in.\r\n+OK 1 256\r\n+OK Bye-bye.\r\n"
    assert b"INFO: LOGIN, user=u, ip=[192.0.2.1], port=[], protocol=POP3\n" in r.stderr


def test_preauth_errors(tmp_path: Path) -> None:
    r = run(
        ["-m", "courier.cli.pop3d", "--config-dir", str(tmp_path)],
        b"",
        AUTHENTICATED="u",
        MAILDIR=str(tmp_path / "missing"),
    )
    assert r.stdout == b"-ERR Maildir invalid (no 'cur' directory)\r\n" and r.returncode == 1
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o1755)
    make_maildir(home / "Maildir")
    r = run(
        ["-m", "courier.cli.pop3d", "--config-dir", str(tmp_path)], b"", AUTHENTICATED="u", HOME=str(home)
    )
    assert r.stdout.startswith(b"-ERR Your account is temporarily unavailable (+t bit set")


def test_bad_config_is_reported(tmp_path: Path) -> None:
    (tmp_path / "pop3d").write_text("POP3AUTH=a b\n")
    r = run(["-m", "courier.cli.pop3d", "--config-dir", str(tmp_path)], b"QUIT\r\n")
    assert r.stdout == b"+OK Hello there.\r\n-ERR [SYS/TEMP] Server configuration error.\r\n"
    assert str(tmp_path / "pop3d").encode() + b":1" in r.stderr
