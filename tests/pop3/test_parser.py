"""The line reader and command splitter: limits and hostile input."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from courier.pop3.parser import TOO_LONG, LineReader, parse


def test_lines_across_feeds_and_line_ends() -> None:
    r = LineReader(100)
    assert r.feed(b"ST") == []
    assert r.pending
    assert r.feed(b"AT\r\nLIST 1\nNO") == [b"STAT", b"LIST 1"]
    assert r.feed(b"OP\r\n\r\n") == [b"NOOP", b""]
    assert not r.pending


def test_over_long_line_is_reported_once_and_skipped() -> None:
    r = LineReader(10)
    assert r.feed(b"x" * 8) == []
    assert r.feed(b"y" * 50) == [TOO_LONG]
    assert r.feed(b"z" * 5000) == []
    assert not r.pending  # nothing of it is kept
    assert r.feed(b"zz\r\nNOOP\r\n") == [b"NOOP"]
    assert r.feed(b"a" * 11 + b"\nSTAT\n") == [TOO_LONG, b"STAT"]
    assert r.feed(b"a" * 10 + b"\n") == [b"a" * 10]


def test_parse_splits_like_courier() -> None:
    c = parse(b"  dele\t 2  ")
    assert (c.name, c.args) == ("DELE", ("2",))
    assert parse(b"").name == ""
    assert parse(b"PASS a b").args == ("a", "b")
    assert parse(b"USER j\xc3\xbcrgen").args == ("jürgen",)
    assert parse(b"USER \xff").args == ("\udcff",)


@given(st.lists(st.binary(max_size=40), max_size=20))
def test_reader_never_holds_more_than_the_limit(chunks: list[bytes]) -> None:
    r = LineReader(16)
    for chunk in chunks:
        for line in r.feed(chunk):
            assert line is None or (len(line) <= 16 and b"\n" not in line)
        assert len(r._buf) <= 16
