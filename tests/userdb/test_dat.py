"""userdb.dat: GDBM lookups that follow replacement, and atomic writes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from courier.userdb.dat import DuplicateKey, UserdbDat, write_dat
from courier.userdb.gdbm import open_reader
from tests.conftest import child_env

BACKENDS = [pytest.param(False, id="dbm.gnu"), pytest.param(True, id="ctypes")]


@pytest.mark.parametrize("use_ctypes", BACKENDS)
def test_write_then_lookup(tmp_path: Path, use_ctypes: bool) -> None:
    dat = tmp_path / "userdb.dat"
    n = write_dat(
        dat, [("john@example.com", "home=/h|uid=5|_="), ("5=", "john@example.com")], use_ctypes=use_ctypes
    )
    assert n == 2
    assert stat.S_IMODE(dat.stat().st_mode) == 0o644
    db = UserdbDat(dat, use_ctypes=use_ctypes)
    assert db.lookup("john@example.com") == {"home": "/h", "uid": "5", "_": ""}
    assert db.lookup_raw("5=") == "john@example.com"
    assert db.lookup("nobody") is None
    assert db.lookup("John@example.com") is None  # names are case-sensitive
    assert sorted(db.items()) == [("5=", "john@example.com"), ("john@example.com", "home=/h|uid=5|_=")]
    db.close()


def test_readable_by_other_gdbm_implementation(tmp_path: Path) -> None:
    """What one backend writes, the other (and Debian's gdbm tools) read."""
    dat = tmp_path / "x.dat"
    write_dat(dat, [("a", "b")], use_ctypes=True)
    assert open_reader(str(dat), use_ctypes=False).fetch(b"a") == b"b"
    out = subprocess.run(
        ["/usr/bin/python3", "-c", f"import dbm; print(dbm.whichdb({str(dat)!r}))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "dbm.gnu"


def test_lookup_notices_replacement(tmp_path: Path) -> None:
    dat = tmp_path / "userdb.dat"
    write_dat(dat, [("a", "uid=1")])
    db = UserdbDat(dat)
    assert db.lookup("a") == {"uid": "1"}
    write_dat(dat, [("a", "uid=2"), ("b", "uid=3")])
    assert db.lookup("a") == {"uid": "2"}
    assert db.lookup("b") == {"uid": "3"}
    dat.unlink()
    assert db.lookup("a") is None
    write_dat(dat, [("a", "uid=4")])
    assert db.lookup("a") == {"uid": "4"}


def test_missing_file_is_no_account(tmp_path: Path) -> None:
    assert UserdbDat(tmp_path / "none.dat").lookup("a") is None


def test_garbage_file_raises(tmp_path: Path) -> None:
    bad = tmp_path / "userdb.dat"
    bad.write_bytes(b"not a gdbm file at all" * 100)
    with pytest.raises(OSError):
        UserdbDat(bad).lookup("a")


def test_shadow_mode_from_the_start(tmp_path: Path) -> None:
    seen: list[int] = []

    def rows():  # type: ignore[no-untyped-def]
        tmp = [p for p in tmp_path.iterdir() if p.name.startswith(".")]
        seen.extend(stat.S_IMODE(p.stat().st_mode) for p in tmp)
        yield ("a", "systempw=x")

    old = os.umask(0)
    try:
        write_dat(tmp_path / "userdbshadow.dat", rows(), mode=0o600)
    finally:
        os.umask(old)
    assert seen == [0o600]
    assert stat.S_IMODE((tmp_path / "userdbshadow.dat").stat().st_mode) == 0o600


@pytest.mark.parametrize("use_ctypes", BACKENDS)
def test_duplicate_leaves_old_file_and_no_temp(tmp_path: Path, use_ctypes: bool) -> None:
    dat = tmp_path / "userdb.dat"
    write_dat(dat, [("a", "uid=1")])
    with pytest.raises(DuplicateKey, match="'b'"):
        write_dat(dat, [("b", "x"), ("b", "y")], use_ctypes=use_ctypes)
    assert UserdbDat(dat).lookup("a") == {"uid": "1"}
    assert [p.name for p in tmp_path.iterdir()] == ["userdb.dat"]


def test_error_in_source_iterator_leaves_old_file(tmp_path: Path) -> None:
    dat = tmp_path / "userdb.dat"
    write_dat(dat, [("a", "uid=1")])

    def rows():  # type: ignore[no-untyped-def]
        yield ("b", "uid=2")
        raise ValueError("bad line")

    with pytest.raises(ValueError, match="bad line"):
        write_dat(dat, rows())
    assert sorted(UserdbDat(dat).items()) == [("a", "uid=1")]
    assert [p.name for p in tmp_path.iterdir()] == ["userdb.dat"]


def test_interpreter_without_gdbm_module(tmp_path: Path) -> None:
    """Without _gdbm (pyenv builds, some venvs) makeuserdb and lookups go through libgdbm by ctypes."""
    src = tmp_path / "userdb"
    src.write_text("john\thome=/h|systempw=x\n")
    src.chmod(0o600)
    code = f"""
import sys
sys.modules["_gdbm"] = None
sys.modules["dbm.gnu"] = None
from courier.userdb import gdbm
assert not gdbm.have_stdlib()
from courier.userdb.compile import makeuserdb
from courier.userdb.dat import UserdbDat
makeuserdb({str(src)!r})
print(UserdbDat({str(src)!r} + ".dat").lookup("john"), UserdbDat({str(src)!r} + "shadow.dat").lookup("john"))
"""
    cmd = [sys.executable, "-c", code]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=child_env())
    assert out.stdout.strip() == "{'home': '/h', '_': ''} {'systempw': 'x'}"
    with UserdbDat(str(src) + ".dat", use_ctypes=False) as db:  # and the stdlib reads what ctypes wrote
        assert db.lookup("john") == {"home": "/h", "_": ""}
