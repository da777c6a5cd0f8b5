"""Hostile input against a running imapd: every line gets BAD, NO or BYE, nothing crashes,
nothing is lost, and the process stays small."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from courier.maildir.create import make_maildir
from courier.maildir.deliver import deliver
from tests.imap.transcript import SIMPLE, Server, lf

# (what is sent, what the last response line must look like)
ERR = r"^\S+ (BAD|NO) "
BYE = r"^\* BYE "
HOSTILE: list[tuple[bytes, str]] = [
    (b"a1 APPEND INBOX {4294967295}\r\n", r"^a1 NO \[TOOBIG\]"),
    (b"a1 APPEND INBOX {99999999999}\r\n", ERR),
    (b"a1 SEARCH TEXT {4294967295}\r\n", r"^a1 NO \[TOOBIG\]"),
    (b"a1 LOGIN {100000}\r\n", r"^a1 (BAD|NO) "),
    (b"a1 NOOP " + b"(" * 10000 + b")" * 10000 + b"\r\n", ERR),
    (b"a1 SEARCH " + b"(" * 70 + b"ALL" + b")" * 70 + b"\r\n", ERR),
    (b"a1 SEARCH " + b"NOT " * 3000 + b"ALL\r\n", ERR),
    (b"a1 SEARCH " + b"OR ALL " * 2000 + b"ALL\r\n", ERR),
    (b"a1 FETCH 1:4294967295 FLAGS\r\n", r"^a1 OK"),
    (b"a1 FETCH 4294967296 FLAGS\r\n", ERR),
    (b"a1 FETCH " + b"1," * 8000 + b"1 FLAGS\r\n", r"^a1 OK"),
    (b"a1 UID FETCH 1:* (" + b"FLAGS " * 300 + b")\r\n", ERR),
    (b"a1 FETCH 0 FLAGS\r\n", ERR),
    (b"a1 FETCH -1 FLAGS\r\n", ERR),
    (b"a1 FETCH *:* FLAGS\r\n", r"^a1 OK"),
    (b"a1 FETCH 1 BODY[" + b"1." * 40 + b"1]\r\n", ERR),
    (b"a1 FETCH 1 BODY[99999.99999]\r\n", r"^a1 OK"),
    (b"a1 FETCH 1 BODY[]<4294967295.4294967295>\r\n", r"^a1 OK"),
    (b"a1 FETCH 1 BODY[HEADER.FIELDS (" + b"X " * 500 + b")]\r\n", ERR),
    (b"a1 NOOP\x00\r\n", ERR),
    (b"a1 NO\x00OP\r\n", ERR),
    (b"\x00\x00\x00\r\n", ERR),
    (b"a1 SELECT \xff\xfe\r\n", ERR),
    (b'a1 CREATE "INBOX.\xc3\x28"\r\n', ERR),
    (b"a1 CREATE INBOX.&Jjo-x&-\r\n", r"^a1 (OK|NO)"),
    (b"a1 CREATE INBOX.&AGE-\r\n", r"^a1 NO Invalid mailbox name"),
    (b"a1 CREATE ../../etc\r\n", r"^a1 NO Invalid mailbox name"),
    (b"a1 CREATE INBOX/../../x\r\n", r"^a1 NO Invalid mailbox name"),
    (b"a1 CREATE INBOX..x\r\n", r"^a1 NO Invalid mailbox name"),
    (b'a1 CREATE "INBOX.a\\\\b"\r\n', r"^a1 (OK|NO)"),
    (b"a1 RENAME INBOX.x ../x\r\n", r"^a1 NO"),
    (b"a1 NOOP " + b"x" * 16385 + b"\r\n", BYE),
    (b"a1 NOOP " + b"x" * 100000 + b"\r\n", BYE),
    (b'a1 NOOP "' + b"x" * 20000 + b'"\r\n', ERR),
    (b'a1 NOOP "unterminated\r\n', ERR),
    (b'a1 NOOP "bad \\escape"\r\n', ERR),
    (b"a1 NOOP )\r\n", ERR),
    (b"a1 NOOP [\r\n", ERR),
    (b"a1 NOOP {abc}\r\n", ERR),
    (b"a1 NOOP {-1}\r\n", ERR),
    (b"+ NOOP\r\n", ERR),
    (b"\r\n", ERR),
    (b"a1\r\n", ERR),
    (b"a1 UID\r\n", ERR),
    (b"a1 UID NOOP\r\n", ERR),
    (b"a1 STORE 1 +FLAGS (\\Recent)\r\n", ERR),
    (b"a1 STORE 1 +FLAGS (" + b"k" * 2000 + b")\r\n", r"^a1 (OK|NO|BAD)"),
    (b"a1 STORE 1 FROBNICATE (x)\r\n", ERR),
    (b"a1 SEARCH CHARSET \xff\xfe ALL\r\n", ERR),
    (b"a1 SEARCH SINCE 99-Foo-99999\r\n", ERR),
    (b"a1 SEARCH LARGER 99999999999999999999\r\n", ERR),
    (b"a1 SORT (" + b"REVERSE " * 100 + b"DATE) UTF-8 ALL\r\n", ERR),
    (b"a1 THREAD BOGUS UTF-8 ALL\r\n", ERR),
    (b"a1 STATUS INBOX (" + b"MESSAGES " * 1000 + b")\r\n", r"^a1 OK"),
    (b'a1 LIST "" "' + b"*%" * 2000 + b'"\r\n', r"^a1 OK"),
    (b'a1 COPY 1:* "' + b'\\"' * 100 + b'"\r\n', r"^a1 NO"),
    (b"a1 ENABLE " + b"X " * 1000 + b"\r\n", r"^a1 OK"),
    (b"a1 AUTHENTICATE PLAIN\r\n", ERR),
    (b"a1 LOGIN a b\r\n", ERR),
    (b"DONE\r\n", ERR),
]


def _rss_kb(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"VmHWM:\s+(\d+) kB", text)
    assert m
    return int(m.group(1))


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    deliver(str(md), lf(SIMPLE))
    (tmp_path / "etc").mkdir()
    return md


def test_table_is_big_enough() -> None:
    assert len(HOSTILE) >= 40


def _answer(srv: Server, data: bytes) -> list[str]:
    word = data.split(b"\r\n")[0].split(b" ")[0]
    tag = word.decode() if re.fullmatch(rb"[A-Za-z0-9]+", word) else "*"
    return srv.response(tag, timeout=10)


def test_hostile_input(maildir: Path) -> None:
    """One session takes every input that does not end it; those that do get their own."""
    problems: list[str] = []
    srv = Server(maildir, maildir.parent / "etc")
    try:
        srv.send(b"s0 SELECT INBOX\r\n")
        assert srv.response("s0")[-1].startswith("s0 OK")
        for data, answer in HOSTILE:
            if answer == BYE:
                continue
            srv.send(data)
            lines = _answer(srv, data)
            if not lines or not re.search(answer, lines[-1]):
                problems.append(f"{data[:40]!r}: {lines[-3:]}")
                continue
            srv.send(b"z1 STATUS INBOX (MESSAGES)\r\n")
            got = srv.response("z1")
            if not any("MESSAGES 1" in x for x in got):
                problems.append(f"{data[:40]!r}: then STATUS gave {got}")
        assert _rss_kb(srv.proc.pid) < 80_000
        srv.send(b"z2 LOGOUT\r\n")
        srv.response("z2")
        assert srv.proc.wait(timeout=5) == 0
    finally:
        srv.close()
    assert not problems, "\n".join(problems)
    assert not os.listdir(maildir / "tmp"), "spooled data left behind"


@pytest.mark.parametrize("data", [d for d, a in HOSTILE if a == BYE], ids=lambda d: repr(d[:16]))
def test_hostile_input_that_ends_the_session(maildir: Path, data: bytes) -> None:
    srv = Server(maildir, maildir.parent / "etc")
    try:
        srv.send(data)
        lines = _answer(srv, data)
        assert lines and lines[-1].startswith("* BYE [ALERT] Fatal error: max atom size too small"), lines
        assert srv.proc.wait(timeout=5) == 0
    finally:
        srv.close()


def test_literal_announced_and_never_sent(maildir: Path) -> None:
    srv = Server(maildir, maildir.parent / "etc")
    try:
        srv.send(b"a1 APPEND INBOX {50000}\r\n")
        assert srv.readline() == "+ OK"
        srv.send(b"x" * 1000)
        srv.proc.stdin.close()  # type: ignore[union-attr]
        assert srv.proc.wait(timeout=5) == 0
    finally:
        srv.close()
    assert os.listdir(maildir / "tmp") == []
    assert len(os.listdir(maildir / "cur")) + len(os.listdir(maildir / "new")) == 1
