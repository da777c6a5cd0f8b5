"""Every POP3 command through Python's poplib, against pop3d on a real TCP socket."""

from __future__ import annotations

import os
import poplib
import re
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.pop3.conftest import MULTI, SIMPLE, Pop3Server, deliver


def connect(server: Pop3Server) -> poplib.POP3:
    return poplib.POP3("127.0.0.1", server.port, timeout=20)


@pytest.fixture
def two(maildir: Path) -> Path:
    deliver(maildir, SIMPLE, "1700000000.M1P1.lab")
    deliver(maildir, MULTI, "1700000001.M2P2.lab")
    return maildir


def test_every_command(two: Path, preauth_server: Pop3Server) -> None:
    p = connect(preauth_server)
    assert p.getwelcome() == b"+OK logged in."
    caps = p.capa()
    assert {"TOP", "USER", "PIPELINING", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "UTF8"} <= set(caps)
    assert caps["IMPLEMENTATION"] == ["Courier", "Mail", "Server"]
    assert "STLS" not in caps  # no TLS configured: not offered
    assert p.stat() == (2, 1095)
    assert p.list()[1] == [b"1 256", b"2 839"]
    assert p.list(2) == b"+OK 2 839"
    uidls = p.uidl()[1]
    assert [u.split()[1].split(b"-")[0] for u in uidls] == [b"UID1", b"UID2"]
    assert p.uidl(1) == b"+OK " + uidls[0]
    resp, lines, octets = p.retr(1)
    assert resp == b"+OK 256 octets follow."
    assert b"\n".join(lines) + b"\n" == SIMPLE
    assert octets == 256  # what was announced is what came
    resp, lines, _ = p.top(2, 1)
    assert resp == b"+OK headers follow."
    assert lines[-2:] == [b"", b"This is a multi-part message in MIME format."]
    assert p.noop() == b"+OK Yup."
    assert p.dele(1) == b"+OK Deleted."
    with pytest.raises(poplib.error_proto, match="Invalid message number"):
        p.retr(1)
    assert p.stat() == (1, 839)
    assert p.rset() == b"+OK Resurrected."
    assert p.stat() == (2, 1095)
    assert p.utf8() == b"+OK UTF8 enabled"
    with pytest.raises(poplib.error_proto, match="Invalid command"):
        p.user("someone")
    with pytest.raises(poplib.error_proto, match="Invalid command"):
        p._shortcmd("APOP someone 0123456789abcdef")
    assert p.dele(2) == b"+OK Deleted."
    assert p.quit() == b"+OK Bye-bye."
    names = sorted(os.listdir(two / "cur"))
    assert names == ["1700000000.M1P1.lab:2,S"]
    log = preauth_server.log()
    assert "INFO: LOGIN, user=bench@example.com, ip=[127.0.0.1], port=[" in log
    assert re.search(
        r"INFO: LOGOUT, user=bench@example.com, ip=\[127.0.0.1\], port=\[\d+\], top=\d+, retr=\d+", log
    )


def test_pipelined_commands_answered_in_order(two: Path, preauth_server: Pop3Server) -> None:
    s = socket.create_connection(("127.0.0.1", preauth_server.port), timeout=20)
    f = s.makefile("rb")
    assert f.readline() == b"+OK logged in.\r\n"
    s.sendall(b"STAT\r\nLIST 2\r\nRETR 1\r\nDELE 1\r\nUIDL 1\r\nSTAT\r\nBOGUS\r\nTOP 2 0\r\nQUIT\r\n")
    data = f.read()  # until the server hangs up after QUIT
    text = data.split(b"\r\n")
    assert text[0] == b"+OK 2 1095"
    assert text[1] == b"+OK 2 839"
    assert text[2] == b"+OK 256 octets follow."
    end = text.index(b".", 3)
    assert text[end + 1 : end + 6] == [
        b"+OK Deleted.",
        b"-ERR Invalid message number.",
        b"+OK 1 839",
        b"-ERR Invalid command.",
        b"+OK headers follow.",
    ]
    assert data.endswith(b"\r\n.\r\n+OK Bye-bye.\r\n")
    s.close()
    assert sorted(os.listdir(two / "cur")) == ["1700000001.M2P2.lab:2,"]


def test_bad_input_gets_courier_replies_then_a_hangup(two: Path, preauth_server: Pop3Server) -> None:
    s = socket.create_connection(("127.0.0.1", preauth_server.port), timeout=20)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"NOOP " + b"x" * 100000 + b"\r\nNOOP\r\nRETR\r\nRETR x\r\nTOP 1\r\nLIST 0\r\nLIST -1\r\n")
    assert [f.readline() for _ in range(7)] == [
        b"-ERR Invalid command.\r\n",
        b"+OK Yup.\r\n",
        b"-ERR Invalid message number.\r\n",
        b"-ERR Invalid message number.\r\n",
        b"-ERR Invalid command.\r\n",
        b"-ERR Invalid message number.\r\n",
        b"-ERR Invalid message number.\r\n",
    ]
    s.sendall(b"FOO\r\n" * 20)
    lines = f.read().split(b"\r\n")
    assert lines[-2] == b"-ERR Too many invalid commands."
    assert len(lines) < 12
    s.close()
    assert len(os.listdir(two / "cur")) == 2  # nothing deleted, nothing lost


def test_mail_delivered_during_a_session_is_kept(two: Path, preauth_server: Pop3Server) -> None:
    p = connect(preauth_server)
    late = deliver(two, b"Subject: late\n\nhi\n", "1800000000.M9P9.late")
    assert p.stat() == (2, 1095)  # numbering frozen at login
    p.dele(1)
    p.dele(2)
    p.quit()
    assert late.exists()
    p = connect(preauth_server)
    assert p.stat() == (1, 21)
    assert p.uidl(1).split()[2].startswith(b"UID3-")
    p.quit()


def test_second_session_is_refused_in_use(two: Path, preauth_server: Pop3Server) -> None:
    first = connect(preauth_server)
    with pytest.raises(poplib.error_proto, match=r"^b'-ERR \[IN-USE\] "):
        connect(preauth_server)
    first.quit()
    connect(preauth_server).quit()


def test_killed_session_does_not_keep_the_lock(two: Path, preauth_server: Pop3Server) -> None:
    first = connect(preauth_server)
    first.dele(1)
    (pid,) = preauth_server.children()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while preauth_server.children() and time.monotonic() < deadline:
        time.sleep(0.02)
    start = time.monotonic()
    p = connect(preauth_server)
    assert time.monotonic() - start < 5
    assert p.stat() == (2, 1095)  # the killed session's DELE had no effect
    p.quit()
    first.close()


def test_dropped_connection_deletes_nothing(two: Path, preauth_server: Pop3Server) -> None:
    p = connect(preauth_server)
    p.dele(1)
    p.retr(2)
    p.close()  # no QUIT
    preauth_server.log()
    assert sorted(os.listdir(two / "cur")) == ["1700000000.M1P1.lab:2,", "1700000001.M2P2.lab:2,"]
    assert "INFO: DISCONNECTED, user=bench@example.com" in preauth_server.log()
