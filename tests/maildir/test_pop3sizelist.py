"""courierpop3dsizelist: Courier's file format, its merge rules and CRLF sizes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from courier.maildir import pop3sizelist as sl

COURIER_FILE = (
    b"/3 6 1795611357\n"
    b"1700000000.M1P1.lab:2,S 256 1:1795611357:0\n"
    b"1700000002.M3P3.lab:2, 300 3:1795611357:0\n"
    b"1700000003.M4P4.lab:2, 301 4:1795611357:1\n"
)


def test_parse_courier_file() -> None:
    parsed = sl.parse(COURIER_FILE, now=5)
    assert parsed is not None
    assert (parsed.nextuid, parsed.stamp, parsed.version) == (6, 1795611357, 3)
    assert [e.uidl for e in parsed.entries] == ["UID1-1795611357", "UID3-1795611357", "UID4-1795611357"]
    assert [e.size for e in parsed.entries] == [256, 300, 301]
    assert parsed.entries[2].utf8 and not parsed.entries[0].utf8
    assert parsed.format() == COURIER_FILE  # written back byte for byte


def test_version_2_lines_are_read_and_upgraded() -> None:
    parsed = sl.parse(b"/2 3 77\n1.a:2,S 10 1:77\n2.b 20 2:77\n", now=5)
    assert parsed is not None and parsed.version == 2
    assert [(e.filename, e.size, e.uid) for e in parsed.entries] == [("1.a:2,S", 10, 1), ("2.b", 20, 2)]
    merged = sl.merge(parsed, ["1.a:2,S", "2.b:2,"], lambda n: (0, False), now=5)
    assert merged.changed  # rewritten in version 3
    assert sl.SizeList(merged.nextuid, merged.stamp, merged.entries).format() == (
        b"/3 3 77\n1.a:2,S 10 1:77:0\n2.b:2, 20 2:77:0\n"
    )


def test_bad_headers_start_afresh() -> None:
    for data in (b"", b"garbage\n", b"/9 3 4\nx 1 1:4:0\n", b"/3\n", b"/3 5 6"):
        assert sl.parse(data, now=5) is None


def test_bad_lines_and_unterminated_last_line_are_skipped() -> None:
    data = b"/3 9 7\nnospace\nname notanumber 1:7:0\nname 5 x:y\n1.ok 5 2:7:0\n2.cut 5 3:7"
    parsed = sl.parse(data, now=1)
    assert parsed is not None
    assert [e.filename for e in parsed.entries] == ["1.ok"]


def test_file_names_with_spaces_split_from_the_right() -> None:
    parsed = sl.parse(b"/3 2 7\n1.a b c:2, 5 1:7:0\n", now=1)
    assert parsed is not None and parsed.entries[0].filename == "1.a b c:2,"


def test_uidl_forms() -> None:
    assert sl.Entry("x", 1, 5, 0).uidl == "UID5"
    assert sl.Entry("12.a'b+c d:2,S", 1, 0, 0).uidl == "12.a+27b+2Bc+20d"


def test_sort_key_is_courier_order() -> None:
    names = ["20.a:2,", "3.z:2,S", "100.b", "3.y"]
    assert sorted(names, key=sl.sort_key) == ["3.y", "3.z:2,S", "20.a:2,", "100.b"]
    assert sl.sort_key("5.x:2,S") == sl.sort_key("5.x:2,")
    assert sl.sort_key("5.x") == sl.sort_key("5.x:2,")  # an added info suffix keeps the UIDL
    assert sl.sort_key("5.x") != sl.sort_key("5.y:2,")


def test_merge_keeps_uids_numbers_new_ones_and_forgets_gone_ones() -> None:
    prev = sl.parse(COURIER_FILE, now=1)
    measured: list[str] = []

    def measure(name: str) -> tuple[int, bool]:
        measured.append(name)
        return 42, False

    names = ["1700000003.M4P4.lab:2,S", "1700000000.M1P1.lab:2,S", "1800000000.M9P9.x:2,", "1700000001.N:2,"]
    merged = sl.merge(prev, names, measure, now=999)
    got = [(e.filename, e.uid, e.size) for e in merged.entries]
    assert got == [
        ("1700000000.M1P1.lab:2,S", 1, 256),
        ("1700000001.N:2,", 6, 42),
        ("1700000003.M4P4.lab:2,S", 4, 301),  # new flags, same UID, cached size
        ("1800000000.M9P9.x:2,", 7, 42),
    ]
    assert merged.nextuid == 8 and merged.stamp == 1795611357 and merged.changed
    assert sorted(measured) == ["1700000001.N:2,", "1800000000.M9P9.x:2,"]


def test_merge_unchanged_needs_no_write() -> None:
    prev = sl.parse(COURIER_FILE, now=1)
    assert prev is not None
    merged = sl.merge(prev, [e.filename for e in prev.entries], lambda n: (0, False), now=1)
    assert not merged.changed
    # Only a flag changed: still the same messages, no rewrite (as Courier).
    merged = sl.merge(
        prev, ["1700000000.M1P1.lab:2,", *[e.filename for e in prev.entries[1:]]], lambda n: (0, False), 1
    )
    assert not merged.changed
    assert merged.entries[0].filename == "1700000000.M1P1.lab:2," and merged.entries[0].uid == 1
    # one message gone and one new, same count: not mistaken for "nothing changed"
    names = ["1700000009.M9P9.lab", *[e.filename for e in prev.entries[1:]]]
    merged = sl.merge(prev, names, lambda n: (5, False), 1)
    assert merged.changed and merged.new == {"1700000009.M9P9.lab"}
    assert [e.uid for e in merged.entries] == [3, 4, 6]


def test_first_use_stamps_with_now() -> None:
    merged = sl.merge(None, ["2.b", "1.a"], lambda n: (7, False), now=1234)
    assert [e.uidl for e in merged.entries] == ["UID1-1234", "UID2-1234"]
    assert merged.nextuid == 3 and merged.changed


def test_write_is_atomic_and_readable(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    lst = sl.SizeList(3, 77, (sl.Entry("1.a:2,", 5, 1, 77), sl.Entry("2.b:2,S", 6, 2, 77, True)))
    sl.write(str(tmp_path), lst)
    assert (tmp_path / sl.FILENAME).read_bytes() == b"/3 3 77\n1.a:2, 5 1:77:0\n2.b:2,S 6 2:77:1\n"
    assert list((tmp_path / "tmp").iterdir()) == []
    assert sl.read(str(tmp_path)) == sl.SizeList(3, 77, lst.entries)
    assert sl.read(str(tmp_path / "nowhere")) is None


def test_measure_counts_crlf_and_8bit_headers(tmp_path: Path) -> None:
    cases = {
        b"From: a\n\nbody\n": (17, False),  # 14 bytes, 3 LFs
        b"From: a\r\n\r\nbody\r\n": (17, False),  # already CRLF: sent as is
        b"From: a\n\nno newline": (23, False),  # 19 bytes, 2 LFs, and the CRLF we add
        "Subject: Grüße\n\nx\n".encode(): (23, True),
        "Subject: x\n\nGrüße\n".encode(): (23, False),
        b"": (0, False),
    }
    for data, expected in cases.items():
        p = tmp_path / "m"
        p.write_bytes(data)
        assert sl.measure_file(str(p)) == expected, data


@given(st.binary(max_size=300))
def test_parse_never_crashes(data: bytes) -> None:
    result = sl.parse(data, now=1)
    if result is not None:
        again = sl.parse(result.format(), now=1)
        assert again is not None and again.entries == result.entries


def _line_by_line(line: bytes) -> sl.Entry | None:
    """The reading rule spelled out for one line (split from the right), to check parse() against."""
    rest, sep, tail = line.rpartition(b" ")
    name, sep2, size = rest.rpartition(b" ")
    if not sep or not sep2 or not name or not size.isdigit():
        return None
    uid, colon, more = tail.partition(b":")
    stamp = b""
    while more[:1].isdigit():
        stamp, more = stamp + more[:1], more[1:]
    if not uid.isdigit() or not colon or not stamp:
        return None
    utf8 = False
    if more.startswith(b":"):
        digits = more[2:] if more[1:2] == b"-" else more[1:]
        n = len(digits) - len(digits.lstrip(b"0123456789"))
        utf8 = n > 0 and int(digits[:n]) != 0
    return sl.Entry(name.decode("utf-8", "surrogateescape"), int(size), int(uid), int(stamp), utf8)


NOISE = st.lists(st.sampled_from([b" ", b":", b"1", b"0", b"-", b"a", b"\r", b"\xe9"]), max_size=8)


@given(NOISE.map(b"".join))
def test_parse_splits_every_line_as_the_line_rule_does(noise: bytes) -> None:
    lines = [b"n 1 2:3", b"a b 10 4:5:1" + noise, noise, b"x " + noise, noise + b" 7 8:9:0", b"y 5 " + noise]
    data = b"/3 10 1\n" + b"".join(line + b"\n" for line in lines)
    parsed = sl.parse(data, now=1)
    assert parsed is not None
    expected = [e for e in map(_line_by_line, lines) if e is not None]
    assert sorted(parsed.entries, key=lambda e: e.filename) == sorted(expected, key=lambda e: e.filename)
