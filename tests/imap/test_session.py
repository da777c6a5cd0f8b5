"""Session behaviour seen by a client of imapd on a pipe pair (PREAUTH and not)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from courier.maildir.create import make_maildir
from courier.maildir.deliver import deliver
from tests.conftest import PYTHON, child_env
from tests.imap.conftest import ImapServer
from tests.imap.transcript import SIMPLE, Server, lf

DEBIAN = (
    'IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT '
    'THREAD=REFERENCES SORT QUOTA IDLE"\n'
    'IMAP_CAPABILITY_TLS="$IMAP_CAPABILITY AUTH=PLAIN"\n'
)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    for _ in range(3):
        deliver(str(md), lf(SIMPLE))
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "imapd").write_text(DEBIAN + "IMAP_ID_FIELDS=1\nIMAPDSTARTTLS=YES\n")
    return md, etc


def talk(srv: Server, *commands: str) -> list[str]:
    out: list[str] = []
    for i, c in enumerate(commands):
        srv.send(f"t{i} {c}\r\n".encode())
        out += srv.response(f"t{i}")
    return out


def test_greeting_capability_and_login_without_authdaemond(setup: tuple[Path, Path]) -> None:
    _, etc = setup
    (etc / "authdaemonrc").write_text(f"authdaemonvar={etc / 'nowhere'}\n")
    p = subprocess.run(
        [PYTHON, "-m", "courier.cli.imapd", "--config-dir", str(etc)],
        input=b"a CAPABILITY\r\nb LOGIN x y\r\nc NOOP\r\n",
        capture_output=True,
        env=child_env(),
        timeout=30,
    )
    lines = p.stdout.decode().split("\r\n")
    caps = "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"
    # STARTTLS is configured but not offered: no TLS engine is attached
    assert lines[0] == (
        f"* OK [CAPABILITY {caps} ENABLE UTF8=ACCEPT ID] Courier-IMAP ready. "
        "Copyright 1998-2019 Double Precision, Inc.  See COPYING for distribution information."
    )
    assert lines[1] == f"* CAPABILITY {caps} ENABLE UTF8=ACCEPT ID"
    # authdaemond is down: the client may retry on this connection (differences.md)
    assert lines[3] == "b NO [UNAVAILABLE] Temporary problem, please try again later"
    assert lines[4] == "c OK NOOP completed"


def test_tls_capability_and_preauth(setup: tuple[Path, Path]) -> None:
    md, etc = setup
    srv = Server(md, etc)
    try:
        assert srv.greeting == "* PREAUTH Ready."
        assert talk(srv, "CAPABILITY")[0].endswith("SORT QUOTA IDLE ENABLE UTF8=ACCEPT ID")
        got = talk(srv, "ID NIL", "LOGIN a b", "SELECT INBOX")
        assert got[0] == '* ID ("name" "Courier-IMAP" "version" "5.0.13")'
        assert got[2] == "t1 BAD Error in IMAP command received by server."
    finally:
        srv.close()
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.imapd", "--tls", "--config-dir", str(etc), str(md)],
        input=b"a CAPABILITY\r\n",
        capture_output=True,
        env=child_env(AUTHENTICATED="x"),
        timeout=30,
    )
    assert b"SORT QUOTA IDLE AUTH=PLAIN ENABLE UTF8=ACCEPT ID\r\n" in r.stdout


def test_utf8_accept_changes_mailbox_names(setup: tuple[Path, Path]) -> None:
    md, etc = setup
    srv = Server(md, etc)
    try:
        got = talk(
            srv, "CREATE INBOX.&AOQ-ml&AOQ-ut", 'LIST "" INBOX.*', "ENABLE UTF8=ACCEPT", 'LIST "" INBOX.*'
        )
        assert '* LIST (\\HasNoChildren) "." "INBOX.&AOQ-ml&AOQ-ut"' in got
        assert "* ENABLED UTF8=ACCEPT" in got
        assert '* LIST (\\HasNoChildren) "." "INBOX.ämläut"' in got
        assert (md / ".ämläut" / "cur").is_dir()  # UTF-8 on disk, as Courier 5
        got = talk(srv, 'STATUS "INBOX.ämläut" (MESSAGES)')
        assert got[0] == '* STATUS "INBOX.ämläut" (MESSAGES 0)'
    finally:
        srv.close()


def test_ten_errors_in_a_row_end_the_session(setup: tuple[Path, Path]) -> None:
    md, etc = setup
    srv = Server(md, etc)
    try:
        srv.send(b"".join(b"e%d FROBNICATE\r\n" % i for i in range(12)))
        lines = [srv.readline() for _ in range(10)]
        assert lines[:9] == [f"e{i} BAD Error in IMAP command received by server." for i in range(9)]
        assert lines[9] == "* BYE [ALERT] Fatal error: TOO MANY CONSECUTIVE PROTOCOL VIOLATIONS"
        assert srv.proc.wait(timeout=5) == 0
    finally:
        srv.close()


def test_no_expunge_during_fetch_store_search(setup: tuple[Path, Path]) -> None:
    md, etc = setup
    a, b = Server(md, etc), Server(md, etc)
    try:
        talk(a, "SELECT INBOX")
        talk(b, "SELECT INBOX", "STORE 2 +FLAGS.SILENT (\\Deleted)", "EXPUNGE")
        for cmd in ("FETCH 1:* (FLAGS)", "STORE 1 +FLAGS (\\Seen)", "SEARCH ALL", "UID FETCH 1:* FLAGS"):
            got = talk(a, cmd)
            assert not any("EXPUNGE" in x for x in got), (cmd, got)
        got = talk(a, "SEARCH ALL")
        assert "* SEARCH 1 2 3" in got  # the numbers the client still holds
        got = talk(a, "NOOP")
        assert got[:3] == ["* 2 EXPUNGE", "* 2 EXISTS", "* 2 RECENT"]
        deliver(str(md), lf(SIMPLE))
        got = talk(a, "NOOP")
        assert got[0] == "* 3 EXISTS"
    finally:
        a.close()
        b.close()


def test_append_streams_large_messages(setup: tuple[Path, Path]) -> None:
    md, etc = setup
    srv = Server(md, etc)
    try:
        body = b"x" * 76 + b"\r\n"
        size = len(SIMPLE) + 25 * 1024 * 1024 // len(body) * len(body)
        srv.send(b"a APPEND INBOX {%d}\r\n" % size)
        assert srv.readline() == "+ OK"
        srv.send(SIMPLE)
        chunk = body * 1000
        left = size - len(SIMPLE)
        while left:
            part = chunk[:left]
            srv.send(part)
            left -= len(part)
        srv.send(b"\r\n")
        got = srv.response("a", timeout=60)
        assert re.match(r"a OK \[APPENDUID \d+ 4\] APPEND Ok\.", got[-1]), got
        hwm = int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{srv.proc.pid}/status").read_text()).group(1))  # type: ignore[union-attr]
        assert hwm < 60_000, f"{hwm} kB for a 25 MB APPEND"
        got = talk(srv, "SELECT INBOX", "FETCH 4 RFC822.SIZE")
        assert f"* 4 FETCH (RFC822.SIZE {size})" in got
    finally:
        srv.close()


def test_help() -> None:
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.imapd", "--help"], capture_output=True, text=True, env=child_env()
    )
    assert r.returncode == 0 and "PREAUTH" in r.stdout
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.imapd", "--bogus"], capture_output=True, text=True, env=child_env()
    )
    assert r.returncode == 2 and "--bogus" in r.stderr


def test_disk_trouble_is_a_no_not_a_crash(setup: tuple[Path, Path]) -> None:
    md, etc = setup
    srv = Server(md, etc)
    try:
        # tests run as root, so break the maildir instead of its permissions
        (md / "tmp").rmdir()
        (md / "tmp").write_bytes(b"")
        srv.send(b"a APPEND INBOX {5}\r\n")
        first = srv.readline()
        if first == "+ OK":
            srv.send(b"hello\r\n")
            first = srv.response("a")[-1]
        assert first is not None and first.startswith("a NO "), first
        assert talk(srv, "NOOP")[-1] == "t0 OK NOOP completed"
    finally:
        srv.close()


def test_short_session_imports_only_what_it_uses(imap_server: ImapServer, tmp_path: Path) -> None:
    """LOGIN, SELECT, LOGOUT: no FETCH/SEARCH/IDLE machinery, no dataclasses, typing or re."""
    env = child_env()
    env.pop("COVERAGE_PROCESS_START", None)  # (-S: no site, so no .pth hooks importing things either)
    p = subprocess.run(
        [PYTHON, "-S", "-X", "importtime", "-m", "courier.cli.imapd", "--config-dir", str(tmp_path / "etc")],
        input=b'a LOGIN user@example.com "secret pass"\r\nb SELECT INBOX\r\nc LOGOUT\r\n',
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert b"\r\nb OK [READ-WRITE]" in p.stdout and b"\r\nc OK LOGOUT" in p.stdout
    imported = {
        line.split("|")[2].strip()
        for line in p.stderr.decode().splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "courier.maildir.folder" in imported  # the session did open the folder
    unwanted = {
        "courier.imap.commands.fetch",
        "courier.imap.commands.search",
        "courier.imap.commands.idle",
        "courier.imap.commands.append",
        "courier.mime.cache",
        "dataclasses",
        "typing",
        "re",
        "pathlib",
        "shutil",
        "ctypes",
        "calendar",
        "base64",
    }
    assert not imported & unwanted, sorted(imported & unwanted)
