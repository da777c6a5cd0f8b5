"""The userdb commands as an administrator runs them: real processes, pipes and a terminal."""

from __future__ import annotations

import os
import pty
import stat
import subprocess
import time
from pathlib import Path

import pytest

from courier.userdb.cryptgen import crypt
from courier.userdb.dat import UserdbDat
from tests.conftest import REPO, child_env

BIN = REPO / ".venv" / "bin"
COMMANDS = ["userdb", "userdbpw", "makeuserdb", "pw2userdb", "vchkpw2userdb"]


def run(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], env=child_env(), input=stdin, capture_output=True, timeout=30
    )


def run_tty(argv: list[str], typed: list[bytes]) -> tuple[int, bytes]:
    """Run with a terminal on stdin/stdout; type each answer after its prompt appears."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(str(BIN / argv[0]), [argv[0], *argv[1:]], child_env())
    out = b""
    for answer in typed:
        deadline = time.monotonic() + 10
        while b": " not in out.split(b"\n")[-1] and time.monotonic() < deadline:
            try:
                out += os.read(fd, 1024)
            except OSError:
                break
        out += b"\n"  # keep prompts apart
        os.write(fd, answer + b"\n")
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_and_man_page(cmd: str) -> None:
    r = run(cmd, "--help")
    assert r.returncode == 0 and cmd.encode() in r.stdout
    page = (REPO / "man" / f"{cmd}.8").read_text()
    assert page.startswith(f".TH {cmd.upper()} 8")
    assert (REPO / "bin" / cmd).read_text().startswith("#!/usr/bin/python3 -I\n")


def test_module_entry_points() -> None:
    r = subprocess.run(
        [str(BIN / "python"), "-m", "courier.cli.userdbpw", "-hmac-md5"],
        input=b"secret\n",
        capture_output=True,
        env=child_env(),
    )
    assert r.stdout == b"cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56\n"


def test_userdbpw_pipe_reads_one_line_default_is_yescrypt() -> None:
    r = run("userdbpw", stdin=b"first\nsecond\n")
    h = r.stdout.strip()
    assert r.returncode == 0 and h.startswith(b"$y$")
    assert crypt(b"first", h) == h


@pytest.mark.parametrize(("opt", "prefix"), [("-sha512", b"$6$"), ("-sha256", b"$5$"), ("-md5", b"$1$")])
def test_userdbpw_crypt_schemes(opt: str, prefix: bytes) -> None:
    h = run("userdbpw", opt, stdin=b"pw").stdout.strip()
    assert h.startswith(prefix) and crypt(b"pw", h) == h


def test_userdbpw_des_on_request() -> None:
    h = run("userdbpw", "-des", stdin=b"pw\n").stdout.strip()
    assert len(h) == 13 and crypt(b"pw", h) == h


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["-bogus"], b"x\n", b"invalid argument"),
        (["-md5", "-sha512"], b"x\n", b"invalid argument"),
        ([], b"", b"no password"),
        ([], b"\n", b"empty password"),
    ],
)
def test_userdbpw_refusals(argv: list[str], stdin: bytes, message: bytes) -> None:
    r = run("userdbpw", *argv, stdin=stdin)
    assert r.returncode == 1 and r.stdout == b"" and message in r.stderr


def test_userdbpw_terminal_asks_twice() -> None:
    rc, out = run_tty(["userdbpw", "-hmac-md5"], [b"secret", b"secret"])
    assert rc == 0
    assert b"Password: " in out and b"Reenter password: " in out
    assert b"cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56" in out
    assert b"secret" not in out.replace(b"Password", b"")  # no echo
    rc, out = run_tty(["userdbpw"], [b"one", b"two"])
    assert rc == 1 and b"Passwords don't match." in out and b"$y$" not in out


def test_userdb_prompts_on_terminal(tmp_path: Path) -> None:
    rc, out = run_tty(
        ["userdb", "-f", str(tmp_path / "u"), "john", "set", "home", "systempw"], [b"/home/j", b"pw1"]
    )
    assert rc == 0, out
    assert b"john.home: " in out and b"john.systempw: " in out
    assert (tmp_path / "u").read_text() == "john\thome=/home/j|systempw=pw1\n"


def test_userdb_pipe_and_errors(tmp_path: Path) -> None:
    etc = tmp_path
    f = etc / "userdb"
    assert (
        run(
            "userdb", "--config-dir", str(etc), "a@x", "set", "home=/h", "systempw", stdin=b"$1$x$y\n"
        ).returncode
        == 0
    )
    assert f.read_text() == "a@x\thome=/h|systempw=$1$x$y\n"
    for argv, stdin, msg in (
        (["a@x", "set", "systempw"], b"", b"no value for systempw"),
        (["a@x", "set", "systempw"], b"a|b\n", b"Invalid value"),
        (["a@x", "set", "home=/x|y"], b"", b"Invalid field or value"),
        (["a@x", "frob"], b"", b"Usage:"),
        (["a@x"], b"", b"Usage:"),
        (["a@x", "del", "extra"], b"", b"Usage:"),
        (["sub/a@x", "set", "uid=1"], b"", b".lock.sub"),
    ):
        r = run("userdb", "--config-dir", str(etc), *argv, stdin=stdin)
        assert r.returncode == 1 and msg in r.stderr, (argv, r.stderr)
    assert f.read_text() == "a@x\thome=/h|systempw=$1$x$y\n"
    r = run("userdb", "--config-dir", str(etc), "nobody", "del")
    assert r.returncode == 0 and b"no such account" in r.stderr
    assert run("userdb", "--config-dir", str(etc), "-show", "a@x").stdout == b"home=/h\nsystempw=$1$x$y\n"
    assert run("userdb", "-show", "-f", str(f)).stdout == b"a@x\n"
    f.chmod(0o644)
    r = run("userdb", "-f", str(f), "a@x", "set", "uid=1")
    assert r.returncode == 0 and b"makeuserdb will refuse it" in r.stderr
    assert stat.S_IMODE(f.stat().st_mode) == 0o644


def test_userdb_refuses_symlinked_default(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("")
    (tmp_path / "userdb").symlink_to(tmp_path / "elsewhere")
    r = run("userdb", "--config-dir", str(tmp_path), "a", "set", "uid=1")
    assert r.returncode == 1 and b"is a symbolic link" in r.stderr


def test_makeuserdb_cli_errors_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "userdb").write_text("good\tuid=1\nbad line\n")
    (tmp_path / "userdb").chmod(0o600)
    r = run("makeuserdb", "--config-dir", str(tmp_path))
    assert r.returncode == 1
    assert f"{tmp_path}/userdb:2: no TAB".encode() in r.stderr and b"nothing was changed" in r.stderr
    assert not (tmp_path / "userdb.dat").exists()
    r = run("makeuserdb", "-f", str(tmp_path / "missing"))
    assert r.returncode == 1 and b"missing: not found." in r.stderr


def test_pw2userdb_cli(tmp_path: Path) -> None:
    (tmp_path / "passwd").write_text("john:x:1000:1000:John:/home/john:/bin/bash\n")
    (tmp_path / "shadow").write_text("john:$y$j9T$s$h:1::::::\n")
    base = ["pw2userdb", f"--passwd={tmp_path}/passwd", f"--shadow={tmp_path}/shadow"]
    assert run(*base).stdout == (
        b"john\tuid=1000|gid=1000|home=/home/john|shell=/bin/bash|systempw=$y$j9T$s$h|gecos=John\n1000=\tjohn\n"
    )
    assert run(*base, "--nouid", "--noshadow", "--domain=example.com").stdout == (
        b"john@example.com\tuid=1000|gid=1000|home=/home/john|shell=/bin/bash|gecos=John\n"
    )
    (tmp_path / "passwd").write_text("john:x:1000:1000:John:/home/john:/bin/bash\nbroken\n")
    r = run(*base)
    assert (
        r.returncode == 1
        and r.stdout == b""
        and f"{tmp_path}/passwd:2: not a passwd line".encode() in r.stderr
    )


def test_vchkpw2userdb_tree(tmp_path: Path) -> None:
    home = tmp_path / "vpopmail"
    (home / "users").mkdir(parents=True)
    (home / "domains" / "example.com").mkdir(parents=True)
    (home / "domains" / "empty.org").mkdir()
    (home / "users" / "vpasswd").write_text("postmaster:$1$a$b:1:0:Post:/vp/users/postmaster:NOQUOTA\n")
    (home / "domains" / "example.com" / "vpasswd").write_text(
        "john:$1$c$d:1:0:John:/vp/domains/example.com/john:NOQUOTA:clear\n"
    )
    common = ["vchkpw2userdb", f"--vpopmailhome={home}", "--uid=89", "--gid=89"]
    r = run(*common)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [
        "postmaster\tuid=89|gid=89|home=/vp/users/postmaster|shell=NOQUOTA|systempw=$1$a$b|gecos=Post",
        "john@example.com\tuid=89|gid=89|home=/vp/domains/example.com/john|shell=NOQUOTA|systempw=$1$c$d|gecos=John",
    ]
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "userdb").mkdir(mode=0o700)
    assert run(*common, f"--todir={etc}/userdb/vpopmail").returncode == 0
    out = etc / "userdb" / "vpopmail"
    assert sorted(p.name for p in out.iterdir()) == ["example.com", "users-vpasswd"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "example.com").stat().st_mode) == 0o600
    assert run("makeuserdb", "--config-dir", str(etc)).returncode == 0
    with UserdbDat(etc / "userdb.dat") as db:
        assert db.lookup("john@example.com") == {
            "uid": "89",
            "gid": "89",
            "home": "/vp/domains/example.com/john",
            "shell": "NOQUOTA",
            "gecos": "John",
            "_": "vpopmail/example.com/",
        }
    # a malformed vpasswd: reported, and no file written
    (home / "domains" / "example.com" / "vpasswd").write_text("john:$1$c$d\n")
    r = run(*common, f"--todir={tmp_path}/new")
    assert r.returncode == 1 and b"example.com/vpasswd:1: not a passwd line" in r.stderr
    assert not (tmp_path / "new").exists()
