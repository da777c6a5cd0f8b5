"""SEARCH matching equals what real Courier answered for the same messages and keys."""

from __future__ import annotations

import pytest

from courier.mime.dates import parse_date
from courier.mime.message import Message
from courier.mime.search import body_matches, header_matches, text_matches
from courier.mime.summary import summarize
from tests.mime import fixtures


def _search(messages: list[bytes], key: str, arg: str) -> list[int]:
    found = []
    for i, data in enumerate(messages, 1):
        m = Message(data)
        if key == "BODY":
            hit = body_matches(m.buf, m.root, arg)
        elif key == "TEXT":
            hit = text_matches(m.buf, m.root, arg)
        else:
            name = arg.split(" ", 1)[0] if key == "HEADER" else key
            needle = arg.split(" ", 1)[1] if key == "HEADER" else arg
            hit = header_matches(m.root.fields, name, needle)
        if hit:
            found.append(i)
    return found


# (key, argument, message numbers real Courier found) on the reference mailbox.
REFERENCE = [
    ("FROM", "alice", [1]),
    ("FROM", "jurgen", [2]),
    ("SUBJECT", "hello", [1, 3]),
    ("SUBJECT", "re:", [3]),
    ("TEXT", "zebra", [1]),
    ("BODY", "zebra", [1]),
    ("BODY", "alice", []),
    ("TEXT", "alice", [1]),
    ("FROM", "bob", [3]),
    ("HEADER", "Message-ID multi1", [2]),
    ("HEADER", "X-Missing ", []),
    ("SUBJECT", "Grüße", [2]),
    ("BODY", "schöne", [2]),
    ("SUBJECT", "München", [2]),
    ("FROM", "Müller", [2]),
]

# The same for fixtures.SEARCH_RULES.
RULES = [
    ("FROM", "example.org", [1]),
    ("FROM", "jürgen", [1]),
    ("TO", "team", [1]),
    ("TO", "a@x.org", [1]),
    ("SUBJECT", "café", [1]),
    ("HEADER", "X-Thing äöü", [1]),
    ("HEADER", "X-Thing ", [1]),
    ("BODY", "geräusch", [1]),  # base64 UTF-8 part
    ("BODY", "straße", [1]),  # quoted-printable ISO-8859-1 HTML part; raw Latin-1 in 2 is not UTF-8
    ("BODY", "STRASSE", []),  # case folding is per character
    ("BODY", "finished", [1]),  # soft line break joined
    ("BODY", "secret", []),  # application/octet-stream is not searched
    ("BODY", "innerbody", [1]),  # text of an encapsulated message
    ("BODY", "inner subj", []),  # ... but not its header
    ("TEXT", "inner subj", [1]),
    ("TEXT", "x-thing", [1]),  # field names are text too
    ("BODY", "<b>", [1]),  # HTML is searched as it is
    ("TEXT", "Team", [1]),
    ("BODY", "café", [2]),  # undeclared 8-bit UTF-8
    ("SUBJECT", "caf time", []),
    ("BODY", "fin=", []),
    ("TEXT", "Content-Type", [1]),
    ("BODY", "Content-Type", []),
    ("TEXT", "hidden", []),
    ("FROM", "J=FC", []),  # the encoded form does not match
    ("SUBJECT", "=?iso", []),
    ("TEXT", "GERÄUSCH", [1]),
    ("TEXT", "Garten", [1]),
]


@pytest.mark.parametrize(("key", "arg", "expected"), REFERENCE)
def test_reference_mailbox(key: str, arg: str, expected: list[int]) -> None:
    assert _search(fixtures.SEARCH_MAILBOX, key, arg) == expected


@pytest.mark.parametrize(("key", "arg", "expected"), RULES)
def test_matching_rules(key: str, arg: str, expected: list[int]) -> None:
    assert _search(fixtures.SEARCH_RULES, key, arg) == expected


def test_body_search_streams_big_base64_and_matches_across_chunks() -> None:
    import base64

    text = ("abc " * 100_000 + "needle in the haystack " + "xyz " * 100_000).encode()
    b64 = base64.encodebytes(text)
    data = (
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n"
        b"Content-Transfer-Encoding: base64\n\n" + b64
    )
    m = Message(data)
    assert body_matches(m.buf, m.root, "NEEDLE IN THE HAYSTACK")
    assert not body_matches(m.buf, m.root, "needle in the hay stack")


def test_sent_dates_from_reference_mailbox() -> None:
    days = [summarize(m).sent_day for m in fixtures.SEARCH_MAILBOX]
    assert days == [(1994, 2, 7), (2022, 3, 1), (2022, 3, 2)]
    # SENTSINCE 1-Mar-2022 -> 2 3; SENTBEFORE 1-Mar-2022 -> 1 (the transcript's answers)
    assert [i for i, d in enumerate(days, 1) if d and d >= (2022, 3, 1)] == [2, 3]
    assert [i for i, d in enumerate(days, 1) if d and d < (2022, 3, 1)] == [1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 01 Mar 2022 10:00:00 +0100", (2022, 3, 1, 1646125200.0)),
        ("Mon, 07 Feb 1994 21:52:25 -0800", (1994, 2, 7, 760686745.0)),
        ("1 Jan 70 00:00 GMT", (1970, 1, 1, 0.0)),
        ("2 Mar 2022 12:00 EST", (2022, 3, 2, 1646240400.0)),
        ("Wed, 2 Mar 22 12:00:00 +0000 (UTC)", (2022, 3, 2, 1646222400.0)),
        ("garbage", None),
        ("32 Jan 2022", None),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: tuple[int, int, int, float] | None) -> None:
    assert parse_date(value) == expected
