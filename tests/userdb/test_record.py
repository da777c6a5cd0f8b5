"""userdb record syntax: what Courier's tools and authlib read from a line."""

from __future__ import annotations

import pytest

from courier.userdb.record import (
    Record,
    RecordError,
    check_field,
    check_name,
    fields_dict,
    format_record,
    parse_assignment,
    parse_line,
    parse_lines,
    split_fields,
)


def test_split_keeps_order_duplicates_and_bare_names() -> None:
    assert split_fields("home=/h|uid=5|flag|uid=6") == [
        ("home", "/h"),
        ("uid", "5"),
        ("flag", None),
        ("uid", "6"),
    ]


def test_trailing_empty_fields_vanish_like_perl_split() -> None:
    assert split_fields("a=1||") == [("a", "1")]
    assert split_fields("|a=1") == [("", None), ("a", "1")]
    assert split_fields("") == []


def test_lookup_takes_first_occurrence_and_ignores_bare_names() -> None:
    assert fields_dict("uid=5|flag|uid=6|x=a=b|_=") == {"uid": "5", "x": "a=b", "_": ""}


def test_format_round_trip_and_bare_name_line() -> None:
    fields = [("home", "/h"), ("systempw", "$1$ab$cd"), ("flag", None)]
    line = format_record("john@example.com", fields)
    assert line == "john@example.com\thome=/h|systempw=$1$ab$cd|flag"
    assert parse_line(line) == Record("john@example.com", tuple(fields))
    assert format_record("x", []) == "x"


def test_tabs_after_the_first_belong_to_the_fields() -> None:
    rec = parse_line("a\tgecos=x\ty|uid=1")
    assert rec is not None and rec.get("gecos") == "x\ty" and rec.get("uid") == "1"


def test_reverse_uid_record() -> None:
    rec = parse_line("39=\tirc")
    assert rec is not None and rec.is_reverse and rec.line() == "39=\tirc"
    assert not Record("irc", ()).is_reverse


def test_bare_name_is_an_account_without_fields() -> None:
    assert parse_line("john") == Record("john", (), bare=True)
    assert Record("john", (), bare=True).line() == "john"


def test_comments_and_blank_lines() -> None:
    assert parse_line("") is None
    assert parse_line("# a comment\twith tab") is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("john@example.com home=/h", "no TAB"),
        ("\thome=/h", "empty account name"),
        ("   ", "white space"),
        ("a\thome=/h\r", "carriage return"),
    ],
)
def test_malformed_lines_say_why(line: str, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        parse_line(line)


def test_parse_lines_names_file_and_line() -> None:
    with pytest.raises(RecordError) as info:
        parse_lines(["# c\n", "a\tuid=1\n", "\n", "broken line\n"], "/etc/courier/userdb")
    assert str(info.value).startswith("/etc/courier/userdb:4: no TAB")
    assert info.value.lineno == 4
    assert [n for n, _ in parse_lines(["# c\n", "a\tuid=1\n", "b\t\n"], "f")] == [2, 3]


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("home", "/a|b", "contains '|'"),
        ("home", "/a\nb", "newline"),
        ("", "x", "empty name"),
        ("ho|me", None, "field name 'ho|me'"),
    ],
)
def test_field_validation(name: str, value: str | None, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        check_field(name, value)


def test_assignment_and_names() -> None:
    assert parse_assignment("home=/x=y") == ("home", "/x=y")
    assert parse_assignment("imappw") == ("imappw", None)
    with pytest.raises(RecordError, match="TAB"):
        check_name("a\tb")
    with pytest.raises(RecordError, match="comment"):
        check_name("#x")
    check_name("john@example.com")
