"""The per-folder MIME summary file: same answers with and without it, never stale."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bench.mime_corpus import messages
from courier.imap.commands.fetch import internaldate
from courier.imap.response import Atom, Spaced, serialise
from courier.imap.view import flag_list
from courier.maildir.create import make_maildir
from courier.maildir.deliver import deliver
from courier.maildir.names import sort_key
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
    cmds = (
        "SELECT INBOX",
        "FETCH 1:* (ENVELOPE RFC822.SIZE)",
        "SEARCH SUBJECT hello",
        "SEARCH SUBJECT replaced",
    )
    before = session(md, etc, cmds)
    seq = before[-4].split()[2]
    assert seq.isdigit() and before[-2] == "* SEARCH"
    assert any(x.startswith(f"* {seq} FETCH") and "Hello world" in x for x in before)
    (path,) = [p for p in (md / "cur").iterdir() if b"Hello world" in p.read_bytes()]
    tmp = md / "tmp" / "swap"
    tmp.write_bytes(lf(SIMPLE).replace(b"Hello world", b"Replaced subject line"))
    os.replace(tmp, path)  # same name, new file
    after = session(md, etc, cmds)
    (line,) = [x for x in after if x.startswith(f"* {seq} FETCH")]
    assert "Replaced subject line" in line and "Hello world" not in line
    assert after[-4] == "* SEARCH" and after[-2] == f"* SEARCH {seq}"


def test_a_foreign_or_unreadable_cache_is_not_fatal(folder: tuple[Path, Path]) -> None:
    md, etc = folder
    first = session(md, etc)
    (md / CACHE).unlink()
    (md / CACHE).mkdir()  # not a file at all
    assert session(md, etc) == first


QUICK = "FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY)"
CORPUS = Path(__file__).resolve().parent.parent / "mime" / "corpus"


def _raw_response(srv: Server, tag: bytes) -> bytes:
    """The server's bytes up to and including the tagged line, literals and all."""
    out = b""
    while True:
        while b"\r\n" not in srv.buf:
            chunk = os.read(srv.fd, 65536)
            assert chunk, out[-300:]
            srv.buf += chunk
        line, srv.buf = srv.buf.split(b"\r\n", 1)
        out += line + b"\r\n"
        m = re.search(rb"\{(\d+)\}$", line)
        if m:
            out += srv.read_literal(int(m.group(1)))
        elif line.startswith(tag + b" "):
            return out


def _expected(raws: list[bytes], flags: dict[int, frozenset[str]], recent: bool) -> bytes:
    """What the serialiser writes for QUICK, from each message parsed afresh."""
    out = b""
    for seq, raw in enumerate(raws, 1):
        m = Message(raw)
        out += serialise(
            seq,
            Atom("FETCH"),
            [
                *(Atom("UID"), seq, Atom("FLAGS"), flag_list(flags.get(seq, frozenset()), recent)),
                *(Atom("INTERNALDATE"), internaldate(DAY0 + 86401 * seq), Atom("RFC822.SIZE"), m.size),
                *(Atom("ENVELOPE"), Spaced(m.envelope()), Atom("BODYSTRUCTURE"), m.bodystructure(True)),
                *(Atom("BODY"), m.bodystructure(False)),
            ],
        )
    return out


DAY0 = 1_600_000_000


def test_quick_fetch_lines_are_the_serialisers_cached_or_not(tmp_path: Path) -> None:
    """FETCH of summary items is joined from cached bytes: byte for byte what serialising the
    parsed message gives, on a mixed corpus (8-bit and encoded headers, literals, nesting)."""
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    raws = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))] + list(messages(12, seed=5))
    raws.append(b"Subject: " + b"long " * 300 + b'\nFrom: "Q \\ \\"x" <q@example.org>\n\nbody\n')
    raws.append(b"Subject: caf\xc3\xa9\nFrom: J\xc3\xbcrgen <j@example.de>\n\n8-bit\n")
    names = [os.path.basename(deliver(str(md), raw)) for raw in raws]
    # UIDs go by the maildir's order of names; dates tell the messages apart
    raws = [raw for _, raw in sorted(zip(names, raws, strict=True), key=lambda x: sort_key(x[0]))]
    for seq, name in enumerate(sorted(names, key=sort_key), 1):
        os.utime(md / "new" / name, (DAY0, DAY0 + 86401 * seq))
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "imapd").write_text("")
    stored = {1: frozenset({"\\Seen", "\\Flagged"}), 4: frozenset({"\\Deleted", "$Junk", "\\Answered"})}
    n = len(raws)
    for attempt, recent in ((1, True), (2, False), (3, False)):
        srv = Server(md, etc)
        try:
            srv.send(b"s SELECT INBOX\r\n")
            _raw_response(srv, b"s")
            if attempt == 1:
                srv.send(b"f1 STORE 1 +FLAGS.SILENT (\\Seen \\Flagged)\r\n")
                srv.send(b"f2 STORE 4 +FLAGS.SILENT (\\Deleted $Junk \\Answered)\r\n")
                _raw_response(srv, b"f1")
                _raw_response(srv, b"f2")
            srv.send(f"q {QUICK}\r\n".encode())
            got = _raw_response(srv, b"q")
            srv.send(b"z LOGOUT\r\n")
            _raw_response(srv, b"z")
        finally:
            srv.close()
        assert got.endswith(b"q OK FETCH completed.\r\n")
        assert got.count(b" FETCH (UID ") == n
        want = _expected(raws, stored, recent)
        assert got[: -len(b"q OK FETCH completed.\r\n")] == want, attempt
        assert (md / CACHE).is_file()
        if attempt == 2:
            (md / CACHE).unlink()  # the third session parses again


def test_expunged_records_leave_the_file_with_the_next_parse(folder: tuple[Path, Path]) -> None:
    from courier.imap.summaries import COLUMNS
    from courier.mime.cache import SummaryCache

    md, etc = folder

    def records() -> int:
        return SummaryCache(str(md / CACHE), COLUMNS, lambda s: ()).load()

    session(md, etc, ("SELECT INBOX", "FETCH 1:* (ENVELOPE)"))
    assert records() == 41
    written = (md / CACHE).stat().st_mtime_ns
    # an expunge alone does not rewrite the file (a big folder's file is megabytes)
    lines = session(
        md, etc, ("SELECT INBOX", "STORE 1:2 +FLAGS (\\Deleted)", "EXPUNGE", "FETCH 1:* (ENVELOPE)")
    )
    assert sum(1 for x in lines if " FETCH (ENVELOPE " in x) == 39
    assert (md / CACHE).stat().st_mtime_ns == written and records() == 41
    deliver(str(md), lf(SIMPLE).replace(b"Hello world", b"Newcomer"))
    lines = session(md, etc, ("SELECT INBOX", "FETCH 1:* (ENVELOPE)", 'SEARCH SUBJECT "newcomer"'))
    assert lines[-2] == "* SEARCH 40"
    assert records() == 40
