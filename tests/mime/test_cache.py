"""The per-folder summary file: records survive a reload, stale or foreign data is never used."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

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


def test_damaged_or_other_version_files_count_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "cache"
    for junk in [b"", b"\x00garbage", b"\xff" * 100, __import__("marshal").dumps(("x", VERSION, {}))]:
        path.write_bytes(junk)
        os.chmod(path, 0o600)
        assert SummaryCache(str(path)).load() == 0
    import marshal

    path.write_bytes(marshal.dumps((cache_mod.MAGIC, VERSION + 1, {"k": ((1,), [], {})})))
    assert SummaryCache(str(path)).load() == 0
    path.write_bytes(marshal.dumps((cache_mod.MAGIC, VERSION, {"k": ((1,), [])})))
    assert SummaryCache(str(path)).load() == 0
    assert Summary.from_data([VERSION + 1]) is None
    assert Summary.from_data("nonsense") is None
    good = summarize(fixtures.SIMPLE).to_data()
    assert Summary.from_data(good) is not None
    assert Summary.from_data([*good[:1], "not a size", *good[2:]]) is None


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


def test_extras_travel_with_their_record(tmp_path: Path) -> None:
    p = _files(tmp_path)[0]
    c = SummaryCache(str(tmp_path / "cache"))
    c.summary(p.name, _stamp(p), str(p))
    c.set_extra(p.name, _stamp(p), "envelope-wire", b'("Mon, 07 Feb 1994" ...)')
    c.set_extra("unknown", (1,), "x", b"ignored")
    c.save()
    again = SummaryCache(str(tmp_path / "cache"))
    again.load()
    assert again.extra(p.name, _stamp(p), "envelope-wire") == b'("Mon, 07 Feb 1994" ...)'
    assert again.extra(p.name, (0, 0), "envelope-wire") is None  # stale
    assert again.extra("unknown", (1,), "x") is None
    again.put(p.name, _stamp(p), summarize(p.read_bytes()))  # a new record drops old extras
    assert again.extra(p.name, _stamp(p), "envelope-wire") is None
