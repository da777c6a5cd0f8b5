"""The single serialiser: quoting, literals, NIL, lists, mailbox names in mUTF-7 or UTF-8."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courier.imap.response import Atom, Code, Literal, Mailbox, Spaced, Wire, Writer, serialise, wire


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (None, b"NIL"),
        (0, b"0"),
        (4294967295, b"4294967295"),
        ("plain", b'"plain"'),
        ("", b'""'),
        ('say "hi" \\ bye', b'"say \\"hi\\" \\\\ bye"'),
        ("two\r\nlines", b"{10}\r\ntwo\r\nlines"),
        ("nul\x00", b"{4}\r\nnul\x00"),
        ("Grüße", b"{7}\r\nGr\xc3\xbc\xc3\x9fe"),
        (b"raw", b"{3}\r\nraw"),
        (Atom("\\Seen"), b"\\Seen"),
        ([Atom("A"), [None, 1], "x"], b'(A (NIL 1) "x")'),
        ([], b"()"),
        (Mailbox("INBOX.ämläut"), b'"INBOX.&AOQ-ml&AOQ-ut"'),
        (Mailbox("INBOX.a&b"), b'"INBOX.a&-b"'),
        (Literal(5, [b"he", b"llo"]), b"{5}\r\nhello"),
        (Code("APPENDUID", (5, 1)), b"[APPENDUID 5 1]"),
    ],
)
def test_values(value: object, wire: bytes) -> None:
    assert serialise(value) == b"* " + wire + b"\r\n"


_LEAVES = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=2**40),
    st.text(st.sampled_from('ab "\\\r\n\x00é&\udcff'), max_size=6),
    st.text(max_size=1100).filter(lambda x: len(x) > 1020),
    st.sampled_from([Atom("\\Seen"), Mailbox("INBOX.Entwürfe"), Wire(b"(cached)"), b"raw", Code("X", (1,))]),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4),
        st.lists(kids, max_size=4).map(Spaced),
        st.lists(kids, max_size=3).map(tuple),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.booleans())
def test_wire_writes_what_the_writer_writes(value: object, utf8: bool) -> None:
    """FETCH lines joined from kept bytes (ENVELOPE, BODYSTRUCTURE) equal the serialiser's."""
    w = Writer()
    w.utf8 = utf8
    w.value(value)
    assert wire(value, utf8) == b"".join(w.take())


def test_utf8_accept_sends_names_and_strings_as_utf8() -> None:
    assert serialise(Mailbox("INBOX.ämläut"), utf8=True) == b'* "INBOX.\xc3\xa4ml\xc3\xa4ut"\r\n'
    assert serialise("Grüße", utf8=True) == b'* "Gr\xc3\xbc\xc3\x9fe"\r\n'


def test_long_strings_become_literals() -> None:
    assert serialise("x" * 2000).startswith(b"* {2000}\r\n")


def test_literal_must_produce_what_it_announced() -> None:
    with pytest.raises(ValueError):
        serialise(Literal(10, [b"short"]))


def test_bool_is_refused() -> None:
    with pytest.raises(TypeError):
        serialise(True)


def test_status_lines_and_streaming_flush() -> None:
    sent: list[bytes] = []
    w = Writer(sink=sent.append, flush_at=16)
    w.status("a1", "OK", "Ok", Code("READ-WRITE"))
    w.status("*", "OK", "Limited", Code("PERMANENTFLAGS", ([Atom("\\*"), Atom("\\Seen")],)))
    w.continuation("entering idle mode")
    w.untagged(1, Atom("FETCH"), [Atom("BODY[]"), Literal(40000, iter([b"y" * 20000, b"y" * 20000]))])
    w.flush()
    data = b"".join(sent)
    assert data.startswith(b"a1 OK [READ-WRITE] Ok\r\n* OK [PERMANENTFLAGS (\\* \\Seen)] Limited\r\n")
    assert b"+ entering idle mode\r\n" in data
    assert data.endswith(b"y)\r\n")
    assert len(sent) > 2  # written out as it was produced, not held back
