"""courierimapkeywords/ read and written the way Courier's maildirkeywords does."""

from __future__ import annotations

import os
import time
from pathlib import Path

from courier.maildir import keywords as kw


def _folder(tmp_path: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    return tmp_path


def test_list_format_roundtrip(tmp_path: Path) -> None:
    f = _folder(tmp_path)
    (f / kw.KWDIR).mkdir()
    (f / kw.KWDIR / ":list").write_text("$Forwarded\nMyKeyword\n\nmsg1:0 1\nmsg2:1\ngone:0\n")
    state = kw.read(str(f), {"msg1", "msg2"})
    assert state == {"msg1": {"$Forwarded", "MyKeyword"}, "msg2": {"MyKeyword"}}
    # The stale line for a vanished message was dropped by the rewrite.
    text = (f / kw.KWDIR / ":list").read_text()
    assert "gone" not in text
    assert text.startswith("$Forwarded\nMyKeyword\n\n")


def test_pending_update_is_folded_and_retired(tmp_path: Path) -> None:
    f = _folder(tmp_path)
    (f / kw.KWDIR).mkdir()
    (f / kw.KWDIR / ":list").write_text("Old\n\nmsg1:0\n")
    (f / kw.KWDIR / "msg1").write_text("New\nOther\n")  # written by a session (Courier or us)
    now = time.time()
    state = kw.read(str(f), {"msg1"}, now=now)
    assert state == {"msg1": {"New", "Other"}}
    names = os.listdir(f / kw.KWDIR)
    assert f".{int(now) // 300 + 1}.msg1" in names and "msg1" not in names
    assert "msg1:" in (f / kw.KWDIR / ":list").read_text()


def test_newest_numbered_update_wins(tmp_path: Path) -> None:
    f = _folder(tmp_path)
    (f / kw.KWDIR).mkdir()
    now = time.time()
    tn = int(now) // 300
    (f / kw.KWDIR / f".{tn - 5}.msg1").write_text("Older\n")
    (f / kw.KWDIR / f".{tn - 2}.msg1").write_text("Newer\n")
    assert kw.read(str(f), {"msg1"}, now=now) == {"msg1": {"Newer"}}
    assert not (f / kw.KWDIR / f".{tn - 5}.msg1").exists()


def test_empty_update_clears_and_list_disappears(tmp_path: Path) -> None:
    f = _folder(tmp_path)
    (f / kw.KWDIR).mkdir()
    (f / kw.KWDIR / ":list").write_text("Kw\n\nmsg1:0\n")
    (f / kw.KWDIR / "msg1").write_text("")
    assert kw.read(str(f), {"msg1"}) == {}
    assert not (f / kw.KWDIR / ":list").exists()


def test_atomic_save_refuses_while_update_pending(tmp_path: Path) -> None:
    f = _folder(tmp_path)
    assert kw.save(str(f), "msg1", {"A"}, atomic=True)
    assert not kw.save(str(f), "msg1", {"B"}, atomic=True)  # the first is not folded yet
    assert kw.read(str(f), {"msg1"}) == {"msg1": {"A"}}
    assert kw.save(str(f), "msg1", {"B"}, atomic=True)
    assert kw.read(str(f), {"msg1"}) == {"msg1": {"B"}}
    assert [n for n in os.listdir(f / "tmp")] == []
    assert not [n for n in os.listdir(f / kw.KWDIR) if n.startswith(".tmp.")]


def test_old_junk_is_cleaned(tmp_path: Path) -> None:
    f = _folder(tmp_path)
    (f / kw.KWDIR).mkdir()
    junk = f / kw.KWDIR / ".123.vanished-message"
    junk.write_text("X\n")
    scratch = f / kw.KWDIR / ".tmp.1000000000whatever"
    scratch.write_text("X\n")
    old = time.time() - 3600
    os.utime(junk, (old, old))
    kw.read(str(f), set())
    assert not junk.exists() and not scratch.exists()
