"""SEARCH key grammar: every RFC 3501 key, CHARSET, nesting limits."""

from __future__ import annotations

import pytest

from courier.imap.args import Args, Bad, No
from courier.imap.parser import Command, Parser
from courier.imap.searchkeys import parse_search


def tree(text: bytes) -> tuple[str, object]:
    p = Parser()
    p.feed(b"t SEARCH " + text + b"\r\n")
    ev = p.next_event()
    assert isinstance(ev, Command), ev
    return parse_search(Args(ev.args))


def test_every_key_parses() -> None:
    keys = (
        b'ALL ANSWERED BCC x BEFORE 1-Jan-2000 BODY y CC z DELETED DRAFT FLAGGED FROM "a b" '
        b"HEADER X-Foo bar KEYWORD $Forwarded LARGER 10 NEW NOT SEEN OLD ON 7-Feb-1994 "
        b"OR SEEN FLAGGED RECENT SEEN SENTBEFORE 1-Mar-2022 SENTON 1-Mar-2022 SENTSINCE 1-Mar-2022 "
        b"SINCE 1-Jan-2000 SMALLER 500 SUBJECT hello TEXT zebra TO bob UID 1:* UNANSWERED "
        b"UNDELETED UNDRAFT UNFLAGGED UNKEYWORD k UNSEEN 2:4,7 (SEEN DELETED)"
    )
    charset, node = tree(keys)
    assert charset == "utf-8"
    assert node[0] == "AND" and len(node[1]) == 37  # type: ignore[index,arg-type]


def test_charset_and_decoding() -> None:
    charset, node = tree(b'CHARSET ISO-8859-1 SUBJECT "M\xfcnchen"')
    assert charset == "iso8859-1"
    assert node == ("HEADER", "subject", "München")


def test_unknown_charset_is_badcharset() -> None:
    with pytest.raises(No) as info:
        tree(b"CHARSET BOGUS-1 SUBJECT foo")
    assert "BADCHARSET" in repr(info.value.code)


@pytest.mark.parametrize(
    "bad",
    [
        b"BOGUSKEY",
        b"",
        b"SINCE 32-Jan-2000",
        b"SINCE yesterday",
        b"LARGER x",
        b"UID x",
        b"OR SEEN",
        b"NOT " * 100 + b"SEEN",
        b"(" * 30 + b"NOT " * 40 + b"SEEN" + b")" * 30,
        b'HEADER "a b" x',
        b"RETURN (MIN) ALL",
    ],
)
def test_bad_keys(bad: bytes) -> None:
    with pytest.raises(Bad):
        tree(bad)
