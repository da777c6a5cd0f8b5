"""FETCH item and section grammar."""

from __future__ import annotations

import pytest

from courier.imap.args import Bad
from courier.imap.fetchitems import Section, parse_items
from courier.imap.parser import Atom


def names(tok: object) -> list[str]:
    return [i.response_name() for i in parse_items(tok)]


def test_macros_and_simple_items() -> None:
    assert names(Atom("fast")) == ["FLAGS", "INTERNALDATE", "RFC822.SIZE"]
    assert names([Atom("FULL")])[-1] == "BODY"
    assert names([Atom("uid"), Atom("rfc822.size")]) == ["UID", "RFC822.SIZE"]


def test_sections_echo_as_courier_does() -> None:
    items = parse_items(Atom("BODY.PEEK[HEADER.FIELDS (From Subject Date)]"))
    assert items[0].peek and not items[0].sets_seen
    assert items[0].response_name() == 'BODY[HEADER.FIELDS ("From" "Subject" "Date")]'
    assert names(Atom("BODY[1]<0.10>")) == ["BODY[1]<0>"]
    assert names(Atom("body[2.mime]")) == ["BODY[2.MIME]"]
    assert parse_items(Atom("BODY[1.2.TEXT]"))[0].section == Section((1, 2), "TEXT")
    assert parse_items(Atom("BODY[]"))[0].sets_seen


@pytest.mark.parametrize(
    "bad",
    [
        "BINARY[1]",
        "BINARY.SIZE[2]",
        "MODSEQ",
        "BOGUS",
        "BODY[MIME]",
        "BODY[0]",
        "BODY[1.]",
        "BODY[HEADER.FIELDS ()]",
        "BODY[]<0.0>",
        "BODY[TEXT]<1>",
        "BODY[HEADER.FIELDS (a:b)]",
        "BODY[XYZ]",
    ],
)
def test_rejected(bad: str) -> None:
    with pytest.raises(Bad):
        parse_items(Atom(bad))


def test_non_atoms_rejected() -> None:
    with pytest.raises(Bad):
        parse_items([b"FLAGS"])
    with pytest.raises(Bad):
        parse_items([])
