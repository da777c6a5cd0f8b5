"""userdb edits: Courier's lock/tmp files, modes, and lines kept byte for byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from courier.userdb.edit import EditError, Target, delete, resolve, set_fields, show, unset_fields


def test_new_file_is_0600_with_courier_lock_and_no_tmp(tmp_path: Path) -> None:
    f = tmp_path / "userdb"
    old = os.umask(0)
    try:
        set_fields(Target(str(f), "a@x"), [("home", "/h"), ("uid", "1")])
    finally:
        os.umask(old)
    assert f.read_text() == "a@x\thome=/h|uid=1\n"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock.userdb", "userdb"]


def test_update_keeps_other_lines_and_field_positions(tmp_path: Path) -> None:
    f = tmp_path / "userdb"
    f.write_text("# head\ta comment\n\na@x\thome=/h|uid=1|gid=1\nb@x\tuid=2\n")
    f.chmod(0o640)
    set_fields(Target(str(f), "a@x"), [("uid", "5"), ("systempw", "$1$s$h")])
    assert f.read_text() == "# head\ta comment\n\na@x\thome=/h|uid=5|gid=1|systempw=$1$s$h\nb@x\tuid=2\n"
    assert stat.S_IMODE(f.stat().st_mode) == 0o640  # the old mode is kept, as Courier does


def test_unset_all_fields_leaves_bare_name_and_del_removes(tmp_path: Path) -> None:
    f = tmp_path / "userdb"
    f.write_text("a@x\thome=/h|uid=1\nb@x\tuid=2")  # no final newline
    assert unset_fields(Target(str(f), "a@x"), ["home", "uid"])
    assert f.read_text() == "a@x\nb@x\tuid=2"  # the rest is copied verbatim
    assert delete(Target(str(f), "b@x"))
    assert f.read_text() == "a@x\n"
    assert not delete(Target(str(f), "nobody"))
    assert not unset_fields(Target(str(f), "nobody"), ["uid"])


def test_duplicate_fields_collapse_last_value_wins(tmp_path: Path) -> None:
    f = tmp_path / "userdb"
    f.write_text("a\tuid=1|home=/h|uid=2|flag\n")
    set_fields(Target(str(f), "a"), [("gid", "3")])
    assert f.read_text() == "a\tuid=2|home=/h|flag|gid=3\n"


def test_show(tmp_path: Path) -> None:
    f = tmp_path / "userdb"
    f.write_text("#c\ta\na\thome=/h|uid=1\n\tnoname\nb\n")
    assert show(Target(str(f), None)) == ["a", "b"]
    assert show(Target(str(f), "a")) == ["home=/h", "uid=1"]
    assert show(Target(str(f), "zz")) == []
    assert show(Target(str(tmp_path / "missing"), None)) == []


def test_resolve_directory_and_symlink(tmp_path: Path) -> None:
    base = tmp_path / "userdb"
    base.mkdir()
    (base / "real-file").write_text("")
    (base / "example-com").symlink_to("real-file")
    t = resolve(str(base), "example-com/john@example.com", None)
    assert t == Target(str(base / "real-file"), "john@example.com")
    assert resolve(str(base), "x", "/other/file") == Target("/other/file", "x")
    assert resolve(str(base), "a/b/c", None) == Target(f"{base}/a/b", "c")


def test_directory_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "userdb").mkdir()
    with pytest.raises(EditError, match="not a file"):
        set_fields(Target(str(tmp_path / "userdb"), "a"), [("uid", "1")])


def test_missing_directory_names_lock_file(tmp_path: Path) -> None:
    with pytest.raises(EditError, match=r"\.lock\.example-com"):
        set_fields(Target(str(tmp_path / "nodir" / "example-com"), "a"), [("uid", "1")])


def test_bad_name_refused_file_untouched(tmp_path: Path) -> None:
    f = tmp_path / "userdb"
    f.write_text("a\tuid=1\n")
    with pytest.raises(EditError, match="TAB"):
        set_fields(Target(str(f), "b\tc"), [("uid", "1")])
    assert f.read_text() == "a\tuid=1\n"


def test_write_failure_leaves_file_and_no_tmp(tmp_path: Path) -> None:
    f = tmp_path / "userdb"
    f.write_text("a\tuid=1\n")
    (tmp_path / ".tmp.userdb").mkdir()  # the temp file cannot be created
    with pytest.raises(EditError):
        set_fields(Target(str(f), "b"), [("uid", "2")])
    assert f.read_text() == "a\tuid=1\n"
