"""The per-folder MIME summary file: same answers with and without it, never stale."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.mime_corpus import messages
from courier.maildir.create import make_maildir
from courier.maildir.deliver import deliver
from courier.mime.message import Message
from courier.mime.summary import summarize
from tests.imap.transcript import SIMPLE, Server, lf

CACHE = "courierpymime"
COMMANDS = (
    "SELECT INBOX",
    "FETCH 1:* (RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY)",
    "FETCH 2 (ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
    'SEARCH FROM "alice benchmark"',
    "SEARCH OR SUBJECT re SUBJECT fwd",
    'SEARCH TO "," CC example',
    "SEARCH LARGER 20000 NOT SMALLER 3000",
    "SORT (REVERSE DATE SUBJECT) UTF-8 ALL",
    "SORT (FROM SIZE) UTF-8 NOT FROM alice",
    "THREAD REFERENCES UTF-8 ALL",
    "THREAD ORDEREDSUBJECT UTF-8 ALL",
)


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, Path]:
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    deliver(str(md), lf(SIMPLE))
    for raw in messages(40, seed=7):
        deliver(str(md), raw)
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "imapd").write_text(
        'IMAP_CAPABILITY="IMAP4rev1 UIDPLUS SORT THREAD=REFERENCES THREAD=ORDEREDSUBJECT"\n'
    )
    return md, etc


def session(md: Path, etc: Path, commands: tuple[str, ...] = COMMANDS) -> list[str]:
    srv = Server(md, etc)
    out: list[str] = []
    try:
        for i, c in enumerate(commands):
            srv.send(f"t{i} {c}\r\n".encode())
            lines = srv.response(f"t{i}")
            assert lines and lines[-1].startswith(f"t{i} OK"), lines
            out += [x for x in lines if not x.endswith(" RECENT")]  # recent only to the first
        srv.send(b"z LOGOUT\r\n")
        srv.response("z")
    finally:
        srv.proc.wait(timeout=10)
    return out


def test_answers_are_the_same_with_an_empty_a_full_and_a_corrupt_cache(folder: tuple[Path, Path]) -> None:
    md, etc = folder
    first = session(md, etc)  # parses every message and writes the file
    cache = md / CACHE
    assert cache.is_file() and cache.stat().st_mode & 0o777 == 0o600
    written = cache.stat().st_mtime_ns
    assert session(md, etc) == first
    assert cache.stat().st_mtime_ns == written  # nothing new: not rewritten
    cache.write_bytes(b"\xe3garbage" * 100)
    os.chmod(cache, 0o600)
    assert session(md, etc) == first
    assert cache.read_bytes()[:8] != b"\xe3garbage"  # replaced by a good one
    # the folder listing does not mistake the file for anything
    lines = session(md, etc, ('LIST "" "*"', "STATUS INBOX (MESSAGES)"))
    assert lines[0] == '* LIST (\\Unmarked \\HasNoChildren) "." "INBOX"' or lines[0].endswith('"INBOX"')
    assert len([x for x in lines if x.startswith("* LIST")]) == 1
    assert "MESSAGES 41" in lines[-2]


def test_cached_fetch_data_is_what_parsing_gives() -> None:
    for raw in messages(60, seed=3):
        m = Message(raw)
        s = summarize(raw)
        assert (s.size, s.envelope, s.bodystructure, s.body()) == (
            m.size,
            m.envelope(),
            m.bodystructure(True),
            m.bodystructure(False),
        )


def test_a_replaced_message_file_is_parsed_again(folder: tuple[Path, Path]) -> None:
    md, etc = folder
    cmds = ("SELECT INBOX", "FETCH 1 (ENVELOPE RFC822.SIZE)", "SEARCH SUBJECT replaced")
    before = session(md, etc, cmds)
    assert "Hello world" in before[-4] and before[-2] == "* SEARCH"
    (path,) = [p for p in (md / "cur").iterdir() if b"Hello world" in p.read_bytes()]
    tmp = md / "tmp" / "swap"
    tmp.write_bytes(lf(SIMPLE).replace(b"Hello world", b"Replaced subject line"))
    os.replace(tmp, path)  # same name, new file
    after = session(md, etc, cmds)
    assert "Replaced subject line" in after[-4] and "Hello world" not in after[-4]
    assert after[-2] == "* SEARCH 1"


def test_a_foreign_or_unreadable_cache_is_not_fatal(folder: tuple[Path, Path]) -> None:
    md, etc = folder
    first = session(md, etc)
    (md / CACHE).unlink()
    (md / CACHE).mkdir()  # not a file at all
    assert session(md, etc) == first
