"""The per-folder summary file: records survive a reload, stale or foreign data is never used."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from courier.mime import cache as cache_mod
from courier.mime.cache import SummaryCache
from courier.mime.message import Message
from courier.mime.summary import VERSION, Summary, summarize
from tests.mime import fixtures


def _files(tmp_path: Path) -> list[Path]:
    out = []
    for i, data in enumerate(fixtures.SEARCH_MAILBOX):
        p = tmp_path / f"m{i}"
        p.write_bytes(data)
        out.append(p)
    return out


def _stamp(p: Path) -> tuple[int, int]:
    st = p.stat()
    return (st.st_size, st.st_mtime_ns)


def test_round_trip_and_equal_to_parsing(tmp_path: Path) -> None:
    files = _files(tmp_path)
    c = SummaryCache(str(tmp_path / "cache"))
    assert c.load() == 0
    for p in files:
        c.summary(p.name, _stamp(p), str(p))
    assert c.save()
    again = SummaryCache(str(tmp_path / "cache"))
    assert again.load() == 3
    for p in files:
        s = again.get(p.name, _stamp(p))
        assert s is not None
        with Message.open(str(p)) as m:
            assert s.envelope == m.envelope()
            assert s.bodystructure == m.bodystructure()
            assert s.body() == m.bodystructure(extensible=False)
            assert s.size == m.size


def test_changed_file_is_parsed_again(tmp_path: Path) -> None:
    p = _files(tmp_path)[0]
    c = SummaryCache(str(tmp_path / "cache"))
    c.summary(p.name, _stamp(p), str(p))
    p.write_bytes(fixtures.MULTI)
    assert c.get(p.name, _stamp(p)) is None
    assert c.summary(p.name, _stamp(p), str(p)).envelope[9] == "<multi1@example.de>"


def test_keep_drops_expunged_records(tmp_path: Path) -> None:
    files = _files(tmp_path)
    c = SummaryCache(str(tmp_path / "cache"))
    for p in files:
        c.summary(p.name, _stamp(p), str(p))
    c.save(keep=[files[0].name])
    again = SummaryCache(str(tmp_path / "cache"))
    assert again.load() == 1


def test_damaged_or_other_version_files_count_as_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache"
    for junk in [b"", b"\x00garbage", b"\xff" * 100, cache_mod.MAGIC + b"\xff" * 12]:
        path.write_bytes(junk)
        os.chmod(path, 0o600)
        assert SummaryCache(str(path)).load() == 0
    p = _files(tmp_path)[0]
    for name, value, records in [
        ("FORMAT", cache_mod.FORMAT, 1),
        ("VERSION", VERSION + 1, 0),
        ("FORMAT", cache_mod.FORMAT + 1, 0),
    ]:
        monkeypatch.setattr(cache_mod, name, value)
        c = SummaryCache(str(path))
        c.summary(p.name, _stamp(p), str(p))
        c.save()
        monkeypatch.undo()
        assert SummaryCache(str(path)).load() == records
    assert Summary.from_data([VERSION + 1]) is None
    assert Summary.from_data("nonsense") is None
    good = summarize(fixtures.SIMPLE).to_data()
    assert Summary.from_data(good) is not None
    assert Summary.from_data([*good[:1], "not a size", *good[2:]]) is None


def test_a_cut_file_or_a_damaged_index_is_refused(tmp_path: Path) -> None:
    files = _files(tmp_path)
    c = SummaryCache(str(tmp_path / "cache"), COLUMNS, derive)
    for p in files:
        c.summary(p.name, _stamp(p), str(p))
    c.save()
    good = (tmp_path / "cache").read_bytes()
    expect = {p.name: [c.column(p.name, _stamp(p), k) for k in range(3)] for p in files}
    damaged = tmp_path / "damaged"
    # cut short anywhere, or one byte changed anywhere in the header, index and offset tables
    data_start = good.index(expect[files[0].name][0])
    cases = [good[:n] for n in range(0, len(good), len(good) // 40)]
    cases += [good[:i] + bytes([good[i] ^ 0x41]) + good[i + 1 :] for i in range(0, data_start, 5)]
    for bad in cases:
        damaged.write_bytes(bad)
        os.chmod(damaged, 0o600)
        assert SummaryCache(str(damaged), COLUMNS, derive).load() == 0
    damaged.write_bytes(good)
    d = SummaryCache(str(damaged), COLUMNS, derive)
    assert d.load() == 3
    assert {p.name: [d.column(p.name, _stamp(p), k) for k in range(3)] for p in files} == expect


COLUMNS = ("upper-subject", "size")


def derive(s: Summary) -> tuple[bytes, ...]:
    return (s.subject.upper().encode(), b"%d" % s.size)


def test_columns_are_kept_with_their_record(tmp_path: Path) -> None:
    files = _files(tmp_path)
    c = SummaryCache(str(tmp_path / "cache"), COLUMNS, derive)
    subject = c.column_of("upper-subject")
    for p in files[:2]:
        assert (
            c.value(p.name, _stamp(p), str(p), subject) == summarize(p.read_bytes()).subject.upper().encode()
        )
    assert c.save()
    again = SummaryCache(str(tmp_path / "cache"), COLUMNS, derive)
    assert again.load() == 2
    p = files[0]
    assert again.column(p.name, _stamp(p), subject) == summarize(p.read_bytes()).subject.upper().encode()
    again.release()  # pages dropped from this process: read again from the file
    assert again.column(p.name, _stamp(p), subject) == summarize(p.read_bytes()).subject.upper().encode()
    assert again.column(p.name, (0, 0), subject) is None  # stale
    assert again.column("unknown", (1,), subject) is None
    # a new record joins the mapped ones; all survive the next save and load
    q = files[2]
    assert (
        again.value(q.name, _stamp(q), str(q), again.column_of("size"))
        == b"%d" % Message(q.read_bytes()).size
    )
    assert again.save()
    third = SummaryCache(str(tmp_path / "cache"), COLUMNS, derive)
    assert third.load() == 3
    for p in files:
        s = third.get(p.name, _stamp(p))
        assert s is not None and s.subject == summarize(p.read_bytes()).subject
    # a program keeping other columns does not read this file
    assert SummaryCache(str(tmp_path / "cache"), COLUMNS[:1], lambda s: derive(s)[:1]).load() == 0
    assert SummaryCache(str(tmp_path / "cache")).load() == 0


def test_a_replaced_file_is_parsed_again_after_a_reload(tmp_path: Path) -> None:
    p = _files(tmp_path)[0]
    c = SummaryCache(str(tmp_path / "cache"), COLUMNS, derive)
    c.summary(p.name, _stamp(p), str(p))
    c.save()
    p.write_bytes(fixtures.MULTI)
    again = SummaryCache(str(tmp_path / "cache"), COLUMNS, derive)
    assert again.load() == 1
    assert again.column(p.name, _stamp(p), 1) is None
    assert again.value(p.name, _stamp(p), str(p), 2) == b"%d" % Message(fixtures.MULTI).size


def test_foreign_or_shared_writable_file_is_ignored(tmp_path: Path) -> None:
    p = _files(tmp_path)[0]
    c = SummaryCache(str(tmp_path / "cache"))
    c.summary(p.name, _stamp(p), str(p))
    c.save()
    os.chmod(tmp_path / "cache", 0o666)
    assert SummaryCache(str(tmp_path / "cache")).load() == 0
    os.chmod(tmp_path / "cache", 0o600)
    if os.geteuid() == 0:
        os.chown(tmp_path / "cache", 54321, 54321)
        assert SummaryCache(str(tmp_path / "cache")).load() == 0


def test_unwritable_directory_is_not_an_error(tmp_path: Path) -> None:
    c = SummaryCache(str(tmp_path / "missing-dir" / "cache"))
    p = _files(tmp_path)[0]
    c.summary(p.name, _stamp(p), str(p))
    assert c.save() is False
    assert not list((tmp_path).glob(".*tmp"))


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    path = str(tmp_path / "cache")
    files = _files(tmp_path)
    summaries = [summarize(p.read_bytes()) for p in files]
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            w = SummaryCache(path)
            for i in range(300):
                w.put(f"k{n}-{i}", (i,), summaries[i % 3])
            w.save()
            n += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        deadline = time.monotonic() + 20
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.01)
        loads = [SummaryCache(path).load() for _ in range(200)]
    finally:
        stop.set()
        t.join()
    assert set(loads) <= {0, 300}
    assert 300 in loads
