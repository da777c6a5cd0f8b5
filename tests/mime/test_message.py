"""The parser: structure and offsets of awkward messages, bounded work on hostile ones."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from courier.mime import message
from courier.mime.message import Entity, Message, find_part, parse, rfc822_size
from courier.mime.sections import section


def _walk(ent: Entity, n: int, lo: int = 0, hi: int | None = None) -> int:
    """Check offsets are ordered and nested; return the number of entities."""
    hi = n if hi is None else hi
    assert lo <= ent.hstart <= ent.bstart <= ent.end <= hi
    count = 1
    for c in ent.children:
        count += _walk(c, n, ent.bstart, ent.end)
    if ent.message is not None:
        count += _walk(ent.message, n, ent.bstart, ent.end)
    return count


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_within_bounds(data: bytes) -> None:
    root = parse(data)
    _walk(root, len(data))
    assert rfc822_size(data) == len(data) + data.count(b"\n")
    for path in [(), (1,), (1, 1), (2,), (1, 2, 1)]:
        for kind in ["", "HEADER", "TEXT", "MIME", "HEADER.FIELDS"]:
            sec = section(data, root, path, kind, ["subject", "content-type"])
            assert len(sec.read()) == sec.size


_PART = st.sampled_from(
    [
        b"--b\n",
        b"--b--\n",
        b"--c\n",
        b"--c--\n",
        b"Content-Type: multipart/mixed; boundary=c\n",
        b"Content-Type: multipart/mixed; boundary=b\n",
        b"Content-Type: message/rfc822\n",
        b"MIME-Version: 1.0\n",
        b"\n",
        b"text\n",
        b"x",
        b"\r\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PART, max_size=60))
def test_mime_shaped_garbage(chunks: list[bytes]) -> None:
    data = b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n" + b"".join(chunks)
    root = parse(data)
    _walk(root, len(data))
    sec = section(data, root, (1,), "")
    assert len(sec.read()) == sec.size
    for ent in [root, *root.children]:
        if not ent.children:  # sizes are reported for leaves and message/rfc822 only
            assert ent.size == (ent.end - ent.bstart) + data.count(b"\n", ent.bstart, ent.end)


def test_deep_nesting_is_bounded() -> None:
    depth = 10_000
    head = b"".join(
        b"--b%d_\nContent-Type: multipart/mixed; boundary=b%d_\n\n" % (i, i + 1) for i in range(depth)
    )
    data = b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0_\n\n" + head + b"x\n"
    t = time.perf_counter()
    root = parse(data)
    assert time.perf_counter() - t < 30  # catches quadratic parsing; coverage + a loaded CI box need slack
    levels = 0
    ent = root
    while ent.children:
        ent = ent.children[0]
        levels += 1
    assert levels == message.MAX_DEPTH
    assert ent.type == "multipart" and not ent.children  # the rest is one opaque leaf


def test_deep_rfc822_nesting_is_bounded() -> None:
    data = b"MIME-Version: 1.0\nContent-Type: message/rfc822\n\n" * 10_000 + b"body\n"
    root = parse(data)
    levels = 0
    ent = root
    while ent.message is not None:
        ent = ent.message
        levels += 1
    assert levels == message.MAX_DEPTH


def test_many_parts_are_bounded() -> None:
    data = b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n" + b"--b\n\nx\n" * 50_000
    root = parse(data)
    assert len(root.children) < message.MAX_PARTS


def test_huge_header() -> None:
    data = b"Subject: " + b"a" * 5_000_000 + b"\n" + b"X-Folded: y\n z\n" * 100_000 + b"\nbody\n"
    t = time.perf_counter()
    m = Message(data)
    assert m.envelope()[1] == "a" * 5_000_000
    assert m.bodystructure()[6] == 6
    assert time.perf_counter() - t < 30  # catches quadratic parsing; coverage + a loaded CI box need slack


def test_nested_structure_and_part_numbers() -> None:
    data = (
        b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=outer\n\npreamble\n"
        b"--outer\nContent-Type: multipart/alternative; boundary=inner\n\n"
        b"--inner\nContent-Type: text/plain\n\nplain\n"
        b"--inner\nContent-Type: text/html\n\n<p>x</p>\n--inner--\n"
        b"--outer\nContent-Type: message/rfc822\n\nSubject: in\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=q\n\n--q\n\nq1\n--q\n\nq2\n--q--\n"
        b"--outer--\nepilogue\n"
    )
    m = Message(data)
    assert m.section((1, 1)).read() == b"plain"
    assert m.section((1, 2)).read() == b"<p>x</p>"
    assert m.section((1, 2), "MIME").read() == b"Content-Type: text/html\r\n\r\n"
    assert m.section((2,), "HEADER.FIELDS", ["SUBJECT"]).read() == b"Subject: in\r\n\r\n"
    assert m.section((2, 1)).read() == b"q1"
    assert m.section((2, 2)).read() == b"q2"
    assert m.section((2, 3)).read() == b""
    assert m.section((1, 1, 1)).read() == b""
    # HEADER of a part that is not message/rfc822: its own header, as Courier answers
    assert m.section((1,), "HEADER").read() == b"Content-Type: multipart/alternative; boundary=inner\r\n\r\n"
    assert m.section((2,), "TEXT").read().startswith(b"--q\r\n")
    assert m.section((2,)).size == len(m.section((2,)).read())
    root = m.root
    assert find_part(root, (2,)) is root.children[1]
    bs = m.bodystructure()
    assert bs[0][-4] == "alternative"
    assert bs[1][:2] == ["message", "rfc822"]
    assert bs[1][6] == m.section((2,)).size


def test_crlf_file_counts_like_courier() -> None:
    data = b"From: a@b\r\nSubject: crlf\r\n\r\nline1\r\nline2\r\n"
    m = Message(data)
    assert m.size == len(data) + 5
    assert m.bodystructure()[6:8] == [16, 2]
    assert m.section(()).read() == data.replace(b"\n", b"\r\n")  # CR is an ordinary octet


def test_open_file_and_mmap(tmp_path: Path, monkeypatch: object) -> None:
    p = tmp_path / "m"
    body = b"0123456789\n" * 200_000
    p.write_bytes(b"Subject: big\n\n" + body)
    with Message.open(str(p)) as m:
        assert not isinstance(m.buf, bytes)
        sec = m.section((), "TEXT")
        assert sec.size == len(body) + body.count(b"\n")
        chunks = list(sec.chunks())
        assert len(chunks) > 10 and max(len(c) for c in chunks) < 200_000
        assert sec.read(sec.size - 13) == b"\n0123456789\r\n"
        assert m.envelope()[1] == "big"
    small = tmp_path / "s"
    small.write_bytes(b"Subject: s\n\nx\n")
    with Message.open(str(small)) as m:
        assert isinstance(m.buf, bytes) and m.bodystructure()[6] == 3


def test_whole_message_and_size_need_no_parse_and_match_it() -> None:
    """BODY[] / RFC822 and RFC822.SIZE are taken without building the MIME tree; they equal the
    parsed answers (and the file with CRLF line ends) on every message of the corpus."""
    from courier.mime.summary import summarize

    corpus = sorted((Path(__file__).parent / "corpus").glob("*.eml"))
    raws = [p.read_bytes() for p in corpus] + [b"", b"\n", b"x", b"Subject: a\n\nb\r\nc", b"\n\nbody"]
    for raw in raws:
        m = Message(raw)
        whole = m.section()
        assert m._root is None  # nothing parsed
        parsed = section(raw, parse(raw))
        assert whole.size == parsed.size == rfc822_size(raw) == summarize(raw).size
        assert whole.read() == parsed.read() == raw.replace(b"\n", b"\r\n")
        assert whole.read(5, 40) == parsed.read(5, 40)
