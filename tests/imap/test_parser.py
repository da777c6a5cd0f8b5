"""The sans-IO parser: commands, literals with resume, limits, and garbage."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from courier.imap.parser import (
    Atom,
    Command,
    Limits,
    MemorySink,
    NeedLiteral,
    ParseError,
    Parser,
)


def events(p: Parser, data: bytes = b"", accept: bool = True) -> list[object]:
    p.feed(data)
    out: list[object] = []
    for _ in range(100000):
        ev = p.next_event()
        if ev is None:
            return out
        out.append(ev)
        if isinstance(ev, NeedLiteral):
            if accept and ev.size <= p.limits.literal:
                p.accept_literal(MemorySink())
            else:
                p.reject_literal()
    raise AssertionError("parser does not stop")


def one(data: bytes) -> Command:
    evs = events(Parser(), data)
    cmds = [e for e in evs if isinstance(e, Command)]
    assert len(cmds) == 1, evs
    return cmds[0]


def test_simple_command() -> None:
    c = one(b"a1 noop\r\n")
    assert (c.tag, c.name, c.args) == ("a1", "NOOP", [])


def test_atoms_quoted_lists_and_nil() -> None:
    c = one(b'a2 STORE 1:3,5 +FLAGS (\\Seen $Label1) "q\\"x" NIL\r\n')
    assert c.args == ["1:3,5", "+FLAGS", ["\\Seen", "$Label1"], b'q"x', "NIL"]
    assert isinstance(c.args[0], Atom) and isinstance(c.args[3], bytes)


def test_bracketed_fetch_item_is_one_atom() -> None:
    c = one(b'a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From "Subject")]<0.10> FLAGS)\r\n')
    assert c.args[1] == ['BODY.PEEK[HEADER.FIELDS (From "Subject")]<0.10>', "FLAGS"]


def test_literal_needs_bytes_and_resumes() -> None:
    p = Parser()
    evs = events(p, b"a LOGIN {4}\r\n", accept=False) if False else []
    p.feed(b"a LOGIN {4}\r\n")
    ev = p.next_event()
    assert isinstance(ev, NeedLiteral) and ev.size == 4 and ev.sync and ev.args == []
    p.accept_literal(MemorySink())
    assert p.next_event() is None
    p.feed(b"us")
    assert p.next_event() is None
    p.feed(b"er {2}\r\n")
    ev = p.next_event()
    assert isinstance(ev, NeedLiteral) and ev.args == [b"user"]
    p.accept_literal()
    p.feed(b"pw\r\n")
    ev = p.next_event()
    assert isinstance(ev, Command) and ev.args == [b"user", b"pw"]
    assert evs == []


def test_byte_by_byte_equals_all_at_once() -> None:
    data = b'x1 APPEND INBOX (\\Seen) "07-Feb-1994 21:52:25 -0800" {5}\r\nhello\r\nx2 NOOP\r\n'
    whole = events(Parser(), data)
    p = Parser()
    piecewise: list[object] = []
    for b in data:
        piecewise += events(p, bytes([b]))
    assert repr(whole) == repr(piecewise)
    assert [type(e).__name__ for e in whole] == ["NeedLiteral", "Command", "Command"]


def test_non_synchronising_literal() -> None:
    p = Parser()
    p.feed(b"a SEARCH TEXT {3+}\r\nabc\r\n")
    ev = p.next_event()
    assert isinstance(ev, NeedLiteral) and not ev.sync
    p.accept_literal()
    ev = p.next_event()
    assert isinstance(ev, Command) and ev.args == ["TEXT", b"abc"]


def test_rejected_sync_literal_next_line_is_a_command() -> None:
    p = Parser()
    evs = events(p, b"a APPEND INBOX {99999999}\r\nb NOOP\r\n", accept=False)
    assert isinstance(evs[0], NeedLiteral)
    assert isinstance(evs[1], Command) and evs[1].tag == "b"


def test_rejected_non_sync_literal_is_skipped() -> None:
    p = Parser()
    evs = events(p, b"a APPEND INBOX {9999999+}\r\n", accept=False)
    assert isinstance(evs[0], NeedLiteral)
    p.feed(b"x" * 9999999 + b"\r\nb NOOP\r\n")
    evs = events(p)
    assert len(evs) == 1 and isinstance(evs[0], Command) and evs[0].tag == "b"
    assert p.buffered == 0


def test_literal_inside_a_list_reports_depth() -> None:
    p = Parser()
    p.feed(b"a STATUS INBOX ({3}\r\n")
    ev = p.next_event()
    assert isinstance(ev, NeedLiteral) and ev.depth == 1


def test_errors_carry_the_tag() -> None:
    (ev,) = events(Parser(), b'a4 NOOP "unterminated\r\n')
    assert isinstance(ev, ParseError) and ev.tag == "a4" and not ev.fatal
    (ev,) = events(Parser(), b"\r\n")
    assert isinstance(ev, ParseError) and ev.tag == "*"
    (ev,) = events(Parser(), b"nospace\r\n")
    assert isinstance(ev, ParseError) and ev.tag == "nospace"


def test_over_long_atom_is_fatal_like_courier() -> None:
    ok = one(b"a1 NOOP " + b"x" * 16384 + b"\r\n")
    assert len(ok.args[0]) == 16384  # type: ignore[arg-type]
    (ev,) = events(Parser(), b"a1 NOOP " + b"x" * 16385 + b"\r\n")
    assert isinstance(ev, ParseError) and ev.fatal


def test_line_limit_without_newline_is_bounded() -> None:
    p = Parser(Limits(line=1000))
    evs = events(p, b"a NOOP " + b"y" * 5000)
    assert isinstance(evs[0], ParseError) and evs[0].fatal
    assert p.buffered == 0


def test_depth_limit() -> None:
    (ev,) = events(Parser(), b"a X " + b"(" * 10000 + b")" * 10000 + b"\r\n")
    assert isinstance(ev, ParseError)


def test_item_limit() -> None:
    (ev,) = events(Parser(Limits(items=100)), b"a X " + b"a " * 200 + b"\r\n")
    assert isinstance(ev, ParseError)


def test_pipelined_commands() -> None:
    evs = events(Parser(), b"a NOOP\r\nb NOOP\nc CAPABILITY\r\n")
    assert [e.tag for e in evs if isinstance(e, Command)] == ["a", "b", "c"]


def test_read_line_for_idle_and_sasl() -> None:
    p = Parser()
    p.feed(b"DONE\r\nx NOOP\r\n")
    assert p.read_line() == b"DONE"
    ev = p.next_event()
    assert isinstance(ev, Command) and ev.tag == "x"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_never_crash_or_hang(data: bytes) -> None:
    p = Parser(Limits(line=256, literal=64))
    evs = events(p, data)
    for ev in evs:
        assert isinstance(ev, Command | NeedLiteral | ParseError)
    assert p.buffered <= 256 + 64 + len(data)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"a", b" ", b"(", b")", b'"', b"\\", b"{1}\r\n", b"[", b"]", b"\r\n", b"\x00", b"\xff", b"*"]
        ),
        max_size=80,
    )
)
def test_imap_shaped_garbage(parts: list[bytes]) -> None:
    data = b"".join(parts)
    whole = events(Parser(), data)
    p = Parser()
    piecewise: list[object] = []
    for i in range(0, len(data), 3):
        piecewise += events(p, data[i : i + 3])
    assert repr(whole) == repr(piecewise)
