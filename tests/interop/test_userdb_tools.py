"""Our userdb tools against Debian's real ones: same commands, same files.

Real Courier's scripts have /etc/courier compiled in, so they run in a private
mount namespace where /etc/courier is a test directory; ours get the other
directory through --config-dir.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from courier.userdb.cryptgen import crypt
from courier.userdb.dat import UserdbDat
from tests import realcourier
from tests.conftest import REPO, child_env

pytestmark = pytest.mark.slow

BIN = REPO / ".venv" / "bin"


def real(etc: Path, *argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    prog = argv[0]
    where = "usr/lib/courier/courier-authlib" if prog == "makedatprog" else "usr/sbin"
    cmd = realcourier.namespace_command(
        [realcourier.binary(f"{where}/{prog}"), *argv[1:]], {"/etc/courier": etc}
    )
    return subprocess.run(cmd, env=realcourier.env(), input=stdin, capture_output=True, timeout=60)


def ours(etc: Path, *argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    cmd = [str(BIN / argv[0]), "--config-dir", str(etc), *argv[1:]]
    return subprocess.run(cmd, env=child_env(), input=stdin, capture_output=True, timeout=60)


def both(etcs: tuple[Path, Path], *argv: str, stdin: bytes = b"") -> None:
    r = real(etcs[0], *argv, stdin=stdin)
    o = ours(etcs[1], *argv, stdin=stdin)
    assert r.returncode == 0, (argv, r.stderr)
    assert o.returncode == 0, (argv, o.stderr)
    assert o.stdout == r.stdout, argv


def dat(path: Path) -> dict[str, str]:
    with UserdbDat(path) as db:
        return dict(db.items())


def dat_fields(path: Path) -> dict[str, frozenset[str]]:
    return {k: frozenset(v.split("|")) for k, v in dat(path).items()}


def normalized(path: Path) -> list[tuple[str, frozenset[str]] | str]:
    """Lines with the fields of records as a set (Courier rewrites an edited record in hash order)."""
    out: list[tuple[str, frozenset[str]] | str] = []
    for line in path.read_text().split("\n"):
        name, tab, text = line.partition("\t")
        out.append((name, frozenset(text.split("|"))) if tab and not line.startswith("#") else line)
    return out


@pytest.fixture
def etcs(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "real", tmp_path / "ours"
    for d in (a, b):
        d.mkdir()
        d.chmod(0o755)
    return a, b


def run_sequence(etcs: tuple[Path, Path], steps: Sequence[tuple[Sequence[str], bytes]]) -> None:
    for argv, stdin in steps:
        both(etcs, *argv, stdin=stdin)


NEW_RECORDS: list[tuple[Sequence[str], bytes]] = [
    (["userdb", "john@example.com", "set", "home=/srv/vmail/john", "mail=/srv/vmail/john/Maildir", "uid=990",
      "gid=990"], b""),
    (["userdb", "jane@example.com", "set", "home=/srv/vmail/jane", "uid=990", "gid=990", "imappw",
      "hmac-md5pw=7450dd04", "quota=10000000S", "options=disablepop3=1"], b"$1$abcdefgh$0123456789\n"),
    (["userdb", "bare", "set"], b""),
    (["userdb", "odd", "set", "flag", "x=a=b", "gecos=John Q. Public"], b"one\n"),
]  # fmt: skip


def test_new_records_and_dat_identical(etcs: tuple[Path, Path]) -> None:
    run_sequence(etcs, NEW_RECORDS)
    real_src, our_src = etcs[0] / "userdb", etcs[1] / "userdb"
    assert our_src.read_bytes() == real_src.read_bytes()
    assert stat.S_IMODE(our_src.stat().st_mode) == stat.S_IMODE(real_src.stat().st_mode) == 0o600
    both(etcs, "userdb", "-show")
    both(etcs, "userdb", "-show", "jane@example.com")
    both(etcs, "makeuserdb")
    for name, mode in (("userdb.dat", 0o644), ("userdbshadow.dat", 0o600)):
        assert dat(etcs[1] / name) == dat(etcs[0] / name), name
        assert (
            stat.S_IMODE((etcs[1] / name).stat().st_mode)
            == stat.S_IMODE((etcs[0] / name).stat().st_mode)
            == mode
        )
    main = dat(etcs[1] / "userdb.dat")
    assert main["john@example.com"] == "home=/srv/vmail/john|mail=/srv/vmail/john/Maildir|uid=990|gid=990|_="
    assert "imappw" not in main["jane@example.com"] and "hmac-md5pw" not in main["jane@example.com"]
    assert dat(etcs[1] / "userdbshadow.dat")["jane@example.com"] == (
        "imappw=$1$abcdefgh$0123456789|hmac-md5pw=7450dd04"
    )


def test_edits_comments_and_mode(etcs: tuple[Path, Path]) -> None:
    run_sequence(etcs, NEW_RECORDS)
    for etc in etcs:  # an administrator's comment and a foreign line, hand-edited
        with open(etc / "userdb", "a") as f:
            f.write("# staff\n\nlast@example.com\thome=/l|uid=1|gid=1\n")
        (etc / "userdb").chmod(0o640)
    run_sequence(
        etcs,
        [
            (["userdb", "john@example.com", "set", "systempw", "uid=991"], b"$6$salt$hash\n"),
            (["userdb", "jane@example.com", "unset", "quota", "options", "nosuch"], b""),
            (["userdb", "odd", "del"], b""),
            (["userdb", "nosuch", "del"], b""),
            (["userdb", "new@example.com", "set", "home=/n"], b""),
        ],
    )
    real_src, our_src = etcs[0] / "userdb", etcs[1] / "userdb"
    assert normalized(our_src) == normalized(real_src)
    assert stat.S_IMODE(our_src.stat().st_mode) == stat.S_IMODE(real_src.stat().st_mode) == 0o640
    # both makeuserdbs refuse a group-readable source, and write nothing
    r, o = real(etcs[0], "makeuserdb"), ours(etcs[1], "makeuserdb")
    assert r.returncode != 0 and o.returncode != 0
    assert b"MAY NOT HAVE GROUP OR WORLD PERMISSIONS" in r.stderr + r.stdout
    assert b"MAY NOT HAVE GROUP OR WORLD PERMISSIONS" in o.stderr
    assert not (etcs[1] / "userdb.dat").exists() and not (etcs[0] / "userdb.dat").exists()
    for etc in etcs:
        (etc / "userdb").chmod(0o600)
    both(etcs, "makeuserdb")
    for name in ("userdb.dat", "userdbshadow.dat"):
        assert dat_fields(etcs[1] / name) == dat_fields(etcs[0] / name)
    assert sorted(os.listdir(etcs[1])) == sorted(os.listdir(etcs[0]))
    # compiled from the very same text, the databases are identical value for value
    (etcs[1] / "userdb").write_bytes((etcs[0] / "userdb").read_bytes())
    assert ours(etcs[1], "makeuserdb").returncode == 0
    for name in ("userdb.dat", "userdbshadow.dat"):
        assert dat(etcs[1] / name) == dat(etcs[0] / name)


def test_directory_of_domain_files(etcs: tuple[Path, Path]) -> None:
    for etc in etcs:
        (etc / "userdb").mkdir(mode=0o700)
    run_sequence(
        etcs,
        [
            (["userdb", "example-com/john@example.com", "set", "home=/v/john", "uid=990", "gid=990"], b""),
            (["userdb", "example-com/john@example.com", "set", "systempw"], b"$5$x$y\n"),
            (["userdb", "example-org/jane@example.org", "set", "home=/v/jane", "uid=990", "gid=990"], b""),
        ],
    )
    shows = [
        f(e, "userdb", "-show", "example-com/john@example.com")
        for f, e in zip((real, ours), etcs, strict=True)
    ]
    assert sorted(shows[1].stdout.splitlines()) == sorted(shows[0].stdout.splitlines())
    # "-show dir/" lists that file's accounts (Courier prints nothing: docs/differences.md)
    assert ours(etcs[1], "userdb", "-show", "example-com/").stdout == b"john@example.com\n"
    for name in ("example-com", "example-org"):
        assert normalized(etcs[1] / "userdb" / name) == normalized(etcs[0] / "userdb" / name)
        assert stat.S_IMODE((etcs[1] / "userdb" / name).stat().st_mode) == 0o600
    both(etcs, "makeuserdb")
    assert dat_fields(etcs[1] / "userdb.dat") == dat_fields(etcs[0] / "userdb.dat")
    assert dat(etcs[1] / "userdb.dat")["john@example.com"].endswith("|_=example-com/")
    assert (
        dat(etcs[1] / "userdbshadow.dat")
        == dat(etcs[0] / "userdbshadow.dat")
        == {"john@example.com": "systempw=$5$x$y"}
    )


def test_show_on_missing_file_and_bad_value(etcs: tuple[Path, Path]) -> None:
    both(etcs, "userdb", "-show")
    r = real(etcs[0], "userdb", "a", "set", "home=/x|y")
    o = ours(etcs[1], "userdb", "a", "set", "home=/x|y")
    assert r.returncode != 0 and o.returncode != 0
    assert b"Invalid field or value" in o.stderr
    assert not (etcs[1] / "userdb").exists() and not (etcs[0] / "userdb").exists()


def test_pw2userdb_same_lines(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    shadow = tmp_path / "shadow"
    passwd.write_text(
        "root:x:0:0:root:/root:/bin/bash\n"
        "irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin\n"
        "# comment\n"
        "john:x:1000:1000:John Doe,,,|x:/home/john:/bin/bash\n"
        "nosh:*:1001:1001::/home/nosh:\n"
    )
    shadow.write_text(
        "root:*:19000:0:99999:7:::\nirc:*:19000::::::\njohn:$y$j9T$abc$def:19000:0:99999:7:::\n"
    )
    args = ["--passwd", str(passwd), "--shadow", str(shadow)]
    r = subprocess.run(
        [
            realcourier.binary("usr/sbin/pw2userdb"),
            *[f"{a}={b}" for a, b in zip(args[::2], args[1::2], strict=True)],
        ],
        env=realcourier.env(),
        capture_output=True,
        check=True,
    )
    o = subprocess.run([str(BIN / "pw2userdb"), *args], env=child_env(), capture_output=True, check=True)
    assert sorted(o.stdout.splitlines()) == sorted(r.stdout.splitlines())
    assert b"39=\tirc" in o.stdout.splitlines()
    assert o.stdout.splitlines()[:2] == [
        b"root\tuid=0|gid=0|home=/root|shell=/bin/bash|systempw=*|gecos=root",
        b"0=\troot",
    ]


@pytest.mark.parametrize("option", ["-hmac-md5", "-hmac-sha1", "-hmac-sha256"])
@pytest.mark.parametrize("password", ["secret", "x" * 100, "pässwörd with spaces"])
def test_userdbpw_hmac_identical(option: str, password: str) -> None:
    stdin = password.encode() + b"\n"
    r = subprocess.run(
        [realcourier.binary("usr/sbin/userdbpw"), option],
        env=realcourier.env(),
        input=stdin,
        capture_output=True,
    )
    o = subprocess.run([str(BIN / "userdbpw"), option], env=child_env(), input=stdin, capture_output=True)
    assert r.returncode == o.returncode == 0
    assert o.stdout == r.stdout


def test_userdbpw_md5_crypt_both_ways() -> None:
    r = subprocess.run(
        [realcourier.binary("usr/sbin/userdbpw"), "-md5"],
        env=realcourier.env(),
        input=b"pw\n",
        capture_output=True,
    )
    o = subprocess.run([str(BIN / "userdbpw"), "-md5"], env=child_env(), input=b"pw\n", capture_output=True)
    for out in (r.stdout, o.stdout):
        h = out.strip()
        assert h.startswith(b"$1$") and len(h.split(b"$")[2]) == 8
        assert crypt(b"pw", h) == h
        assert crypt(b"other", h) != h


def test_real_makeuserdb_reports_duplicates_we_name_both_lines(etcs: tuple[Path, Path]) -> None:
    for etc in etcs:
        (etc / "userdb").write_text("a\tuid=1\nb\tuid=2\na\tuid=3\n")
        (etc / "userdb").chmod(0o600)
    r, o = real(etcs[0], "makeuserdb"), ours(etcs[1], "makeuserdb")
    assert r.returncode != 0 and o.returncode != 0
    assert b"duplicate" in (r.stdout + r.stderr).lower()
    assert (
        f"{etcs[1]}/userdb:3: duplicate account 'a' (first defined at {etcs[1]}/userdb:1)".encode()
        in o.stderr
    )
    assert not (etcs[1] / "userdb.dat").exists()
