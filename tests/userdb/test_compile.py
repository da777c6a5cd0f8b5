"""makeuserdb: Courier's keys and values, refusals, and nothing half-written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from courier.userdb.compile import MakeuserdbError, Paths, compile_source, is_shadow_field, makeuserdb
from courier.userdb.dat import UserdbDat
from courier.userdb.record import RecordError


def src(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def items(path: Path) -> dict[str, str]:
    with UserdbDat(path) as db:
        return dict(db.items())


def test_shadow_field_rule() -> None:
    assert is_shadow_field("systempw=x") and is_shadow_field("hmac-md5pw=ab") and is_shadow_field("imappw=")
    assert not is_shadow_field("home=/pw=x") and not is_shadow_field("pw") and not is_shadow_field("pwd=1")


@pytest.mark.parametrize("use_ctypes", [False, True], ids=["dbm.gnu", "ctypes"])
def test_split_into_two_databases(tmp_path: Path, use_ctypes: bool) -> None:
    s = src(
        tmp_path / "userdb",
        "# comment\n\njohn\thome=/h|systempw=$1$a$b|uid=1|hmac-md5pw=ff|gid=2\n"
        "nopw\thome=/n|uid=3|gid=3\n1=\tjohn\nbare\n",
    )
    res = makeuserdb(str(s), use_ctypes=use_ctypes)
    assert (res.accounts, res.shadow_entries) == (4, 2)
    assert items(tmp_path / "userdb.dat") == {
        "john": "home=/h|uid=1|gid=2|_=",
        "nopw": "home=/n|uid=3|gid=3|_=",
        "1=": "john|_=",
        "bare": "1",
    }
    assert items(tmp_path / "userdbshadow.dat") == {"john": "systempw=$1$a$b|hmac-md5pw=ff", "bare": "1"}
    assert stat.S_IMODE((tmp_path / "userdb.dat").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "userdbshadow.dat").stat().st_mode) == 0o600
    assert UserdbDat(tmp_path / "userdb.dat").reverse(1) == "john"


def test_directory_locations_and_dot_files(tmp_path: Path) -> None:
    d = tmp_path / "userdb"
    d.mkdir(mode=0o700)
    (d / "sub").mkdir()
    src(d / "example-com", "john@example.com\thome=/j\n")
    src(d / "sub" / "deep", "x@y\thome=/x\n")
    src(d / ".tmp.example-com", "ignored\thome=/i\n")
    makeuserdb(str(d) + "/")
    assert items(tmp_path / "userdb.dat") == {
        "john@example.com": "home=/j|_=example-com/",
        "x@y": "home=/x|_=sub/deep/",
    }


@pytest.mark.parametrize(
    ("text", "lineno", "reason"),
    [
        ("a\tuid=1\nb uid=2\n", 2, "no TAB"),
        ("a\tuid=1\n\tuid=2\n", 2, "empty account name"),
        ("a\tuid=1\r\n", 1, "carriage return"),
        ("a\tuid=1\n  \n", 2, "white space"),
        ("a\tuid=1\nb\tuid=2\na\tuid=3\n", 3, "duplicate account 'a'"),
    ],
)
def test_bad_line_named_and_old_databases_kept(tmp_path: Path, text: str, lineno: int, reason: str) -> None:
    s = src(tmp_path / "userdb", "old\tuid=9|systempw=x\n")
    makeuserdb(str(s))
    before = sorted(p.name for p in tmp_path.iterdir())
    src(s, text)
    with pytest.raises(RecordError) as info:
        makeuserdb(str(s))
    assert str(info.value).startswith(f"{s}:{lineno}: ")
    assert reason in str(info.value)
    assert items(tmp_path / "userdb.dat") == {"old": "uid=9|_="}
    assert items(tmp_path / "userdbshadow.dat") == {"old": "systempw=x"}
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_duplicate_across_files_names_both(tmp_path: Path) -> None:
    d = tmp_path / "userdb"
    d.mkdir(mode=0o700)
    src(d / "a", "x\tuid=1\n")
    src(d / "b", "# c\nx\tuid=2\n")
    with pytest.raises(RecordError, match=rf"{d}/b:2: duplicate account 'x' \(first defined at {d}/a:1\)"):
        compile_source(str(d))


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o700 | 0o004])
def test_refuses_group_or_world_permissions(tmp_path: Path, mode: int) -> None:
    s = src(tmp_path / "userdb", "a\tuid=1\n", mode)
    with pytest.raises(MakeuserdbError, match="MAY NOT HAVE GROUP OR WORLD PERMISSIONS"):
        makeuserdb(str(s))
    assert not (tmp_path / "userdb.dat").exists()


def test_refuses_missing_and_symlinks(tmp_path: Path) -> None:
    with pytest.raises(MakeuserdbError, match="not found"):
        makeuserdb(str(tmp_path / "userdb"))
    s = src(tmp_path / "userdb", "a\tuid=1\n")
    (tmp_path / "userdb.dat").symlink_to("/etc/passwd")
    with pytest.raises(MakeuserdbError, match="symbolic link"):
        makeuserdb(str(s))


def test_paths() -> None:
    p = Paths.for_source("/etc/courier/userdb/")
    assert (p.dat, p.shadow, p.lock, p.tmp, p.shadow_tmp) == (
        "/etc/courier/userdb.dat",
        "/etc/courier/userdbshadow.dat",
        "/etc/courier/userdb.lock",
        "/etc/courier/userdb.tmp",
        "/etc/courier/userdbshadow.tmp",
    )
