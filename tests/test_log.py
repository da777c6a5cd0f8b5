"""courier.log: Courier's wording, to stderr, the journal or syslog; no injection."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from courier import log
from tests.conftest import child_env


@pytest.fixture(autouse=True)
def plain_stderr() -> None:
    log.configure("imapd", environ={})


def test_login_line(capsys: pytest.CaptureFixture[str]) -> None:
    log.login("bench@example.com", "127.0.0.1", 0, "IMAP")
    assert (
        capsys.readouterr().err
        == "INFO: LOGIN, user=bench@example.com, ip=[127.0.0.1], port=[0], protocol=IMAP\n"
    )


def test_logout_line_matches_courier(capsys: pytest.CaptureFixture[str]) -> None:
    counters = [("headers", 0), ("body", 0), ("rcvd", 433), ("sent", 1051), ("time", 0)]
    log.logout("bench@example.com", "127.0.0.1", 0, counters)
    assert capsys.readouterr().err == (
        "INFO: LOGOUT, user=bench@example.com, ip=[127.0.0.1], port=[0], "
        "headers=0, body=0, rcvd=433, sent=1051, time=0\n"
    )


def test_other_lines(capsys: pytest.CaptureFixture[str]) -> None:
    log.login_failed("bob", "::ffff:192.0.2.1")
    log.login_failed(None, "::1", method="CRAM-MD5")
    log.login("bob", "::1", 4242)  # POP3 has no protocol= field
    log.disconnected(
        "bob", "::1", 4242, [("top", 0), ("retr", 1), ("rcvd", 6), ("sent", 30), ("time", 1), ("stls", 1)]
    )
    log.timeout("bob", "::1", 4242, [("rcvd", 1)])
    log.connection("::1")
    log.disconnected_before_login("::1")
    log.limit_reached("192.0.2.7", 4)
    log.limit_reached(None, 40)
    assert capsys.readouterr().err.splitlines() == [
        "ERR: LOGIN FAILED, user=bob, ip=[::ffff:192.0.2.1]",
        "ERR: LOGIN FAILED, method=CRAM-MD5, ip=[::1]",
        "INFO: LOGIN, user=bob, ip=[::1], port=[4242]",
        "INFO: DISCONNECTED, user=bob, ip=[::1], port=[4242], top=0, retr=1, rcvd=6, sent=30, time=1, stls=1",
        "INFO: TIMEOUT, user=bob, ip=[::1], port=[4242], rcvd=1",
        "INFO: Connection, ip=[::1]",
        "INFO: Disconnected, ip=[::1]",
        "ERR: Maximum connection limit reached for 192.0.2.7",
        "ERR: Maximum number of connections reached (40)",
    ]


def test_client_text_cannot_forge_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    log.login_failed("x\r\nINFO: LOGIN, user=root" + "a" * 500, "::1")
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("ERR: LOGIN FAILED, user=x??INFO: LOGIN, user=root")
    assert len(line) < 300


def test_journal_stream_gets_priority_prefix() -> None:
    # stderr is a file whose dev:ino is announced in JOURNAL_STREAM, as systemd does.
    code = (
        "import os,sys; from courier import log; st=os.fstat(2); "
        "log.configure('imapd', environ={'JOURNAL_STREAM': f'{st.st_dev}:{st.st_ino}'}); "
        "log.login_failed('bob','::1'); log.info('hello')"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, check=True
    )
    assert r.stderr == "<3>LOGIN FAILED, user=bob, ip=[::1]\n<6>hello\n"


def test_syslog_mode_writes_to_dev_log(tmp_path: os.PathLike[str]) -> None:
    import socket

    path = os.path.join(str(tmp_path), "log.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(path)
        s.settimeout(5)
        # syslog(3) talks to /dev/log; run the writer in a mount namespace where that is our socket.
        code = "from courier import log; log.configure('pop3d', use_syslog=True); log.login('bob','::1',7)"
        script = f"touch /dev/log 2>/dev/null || true; mount --bind {path} /dev/log && "
        script += f'exec {sys.executable} -c "{code}"'
        r = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
            env=child_env(),
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            pytest.skip(f"cannot bind /dev/log here: {r.stderr.strip()}")
        data = s.recv(4096).decode()
    assert data.startswith("<22>")  # mail.info
    assert "pop3d[" in data and data.endswith("LOGIN, user=bob, ip=[::1], port=[7]")


def test_import_is_cheap() -> None:
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import courier.log"],
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "logging" not in {ln.rsplit("|", 1)[-1].strip() for ln in r.stderr.splitlines()}
