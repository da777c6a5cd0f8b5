"""Wire compatibility with real Courier, both ways.

* Debian's ``authtest``/``authenumerate`` (socket path compiled in) against OUR
  authdaemond, through a bind mount of our socket directory;
* OUR client against Debian's authdaemond + libauthuserdb, with a userdb made by
  Debian's userdb/userdbpw/makeuserdb tools;
* those same real makeuserdb files read by our authuserdb module.
"""

from __future__ import annotations

import base64
import hmac
import os
import subprocess
from pathlib import Path

import pytest

from courier.auth.chain import ModuleContext
from courier.auth.module import BadPassword, TempFail
from courier.auth.modules import userdb as authuserdb
from courier.authdaemon.client import AuthClient
from tests import realcourier
from tests.authfixtures import Account, start_authdaemond
from tests.interop.realauth import RealAuth, real_auth_fixture  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow

CHALLENGE = b"<1896.697170952@postoffice.reston.mci.net>"


def real_authtest(socket_dir: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = realcourier.namespace_command(
        [realcourier.binary("usr/sbin/authtest"), *args], {"/run/courier/authdaemon": socket_dir}
    )
    return subprocess.run(cmd, env=realcourier.env(), capture_output=True, text=True, timeout=30)


def test_real_authtest_against_our_authdaemond(tmp_path: Path) -> None:
    from courier.auth import xcrypt

    accounts = [
        Account(
            "bench@example.com", "benchpass", "/srv/bench", "/srv/bench/Maildir", 999, 995, "disablepop3=1"
        ),
        Account(
            "svc@example.com", "sys", "/srv/svc", uid=5, gid=6, extra={"imappw": xcrypt.hash_password("imap")}
        ),
    ]
    sock = start_authdaemond(tmp_path, accounts)
    d = str(Path(sock).parent)

    r = real_authtest(d, "bench@example.com", "benchpass")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Authentication succeeded."
    assert "     Authenticated: bench@example.com  (uid 999, gid 995)" in lines
    assert "    Home Directory: /srv/bench" in lines
    assert "           Maildir: /srv/bench/Maildir" in lines
    assert "Cleartext Password: benchpass" in lines
    assert "           Options: disablepop3=1" in lines

    lookup = real_authtest(d, "bench@example.com")
    assert lookup.returncode == 0 and "Cleartext Password: (none)" in lookup.stdout

    for args in (("bench@example.com", "wrong"), ("nosuch@example.com",), ("nosuch@example.com", "x")):
        r = real_authtest(d, *args)
        assert r.returncode == 1 and r.stderr.strip() == "Authentication FAILED: Operation not permitted", (
            args
        )

    assert real_authtest(d, "-s", "imap", "svc@example.com", "imap").returncode == 0
    assert real_authtest(d, "-s", "imap", "svc@example.com", "sys").returncode == 1
    assert real_authtest(d, "-s", "pop3", "svc@example.com", "sys").returncode == 0

    # A backend that cannot answer is a temporary failure for Courier's client too.
    (tmp_path / "authetc" / "userdb.dat").write_bytes(b"not a gdbm file" * 100)
    r = real_authtest(d, "bench@example.com", "benchpass")
    assert r.returncode == 1 and "Input/output error" in r.stderr


def test_real_authenumerate_against_our_authdaemond(tmp_path: Path) -> None:
    sock = start_authdaemond(tmp_path, [Account("a@x", "pw", "/home/a", "/home/a/Maildir", 10, 20)])
    cmd = realcourier.namespace_command(
        [realcourier.binary("usr/sbin/authenumerate")], {"/run/courier/authdaemon": str(Path(sock).parent)}
    )
    out = subprocess.run(cmd, env=realcourier.env(), capture_output=True, text=True, timeout=30)
    assert out.stdout == "a@x\t10\t20\t/home/a\t/home/a/Maildir\n"


def _real_tool(real: RealAuth, *argv: str, stdin: str = "") -> str:
    cmd = realcourier.namespace_command([realcourier.binary(f"usr/sbin/{argv[0]}"), *argv[1:]], real.binds)
    r = subprocess.run(cmd, env=realcourier.env(), input=stdin, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def _make_real_userdb(real: RealAuth) -> None:
    """Accounts written with Debian's own userdb, userdbpw and makeuserdb."""
    userdb = real.etc / "userdb"
    userdb.touch(mode=0o600)
    os.chmod(userdb, 0o600)
    fields = ["home=/srv/bench", "uid=999", "gid=995", "mail=/srv/bench/Maildir", "options=disablepop3=1"]
    _real_tool(real, "userdb", "bench@example.com", "set", *fields)
    md5 = _real_tool(real, "userdbpw", "-md5", stdin="benchpass\nbenchpass\n")
    hmac_md5 = _real_tool(real, "userdbpw", "-hmac-md5", stdin="benchpass\nbenchpass\n")
    imap = _real_tool(real, "userdbpw", "-md5", stdin="imapsecret\nimapsecret\n")
    _real_tool(real, "userdb", "bench@example.com", "set", f"systempw={md5}", f"hmac-md5pw={hmac_md5}")
    _real_tool(real, "userdb", "svc@example.com", "set", "home=/srv/svc", "uid=5", "gid=6")
    _real_tool(real, "userdb", "svc@example.com", "set", f"systempw={md5}", f"imappw={imap}")
    _real_tool(real, "makeuserdb")


def _cram(user: str, password: str, algo: str = "md5") -> bytes:
    digest = hmac.new(password.encode(), CHALLENGE, algo).hexdigest()
    return base64.b64encode(CHALLENGE) + b"\n" + base64.b64encode(f"{user} {digest}".encode()) + b"\n"


def test_our_client_through_real_authdaemond(real_auth: RealAuth) -> None:
    _make_real_userdb(real_auth)
    c = AuthClient(str(real_auth.run / "socket"), timeout=10)
    info = c.login("imap", "bench@example.com", "benchpass")
    assert info is not None
    assert (info.uid, info.gid, info.home, info.maildir) == (999, 995, "/srv/bench", "/srv/bench/Maildir")
    assert info.clearpw == "benchpass" and info.passwd is not None and info.passwd.startswith("$1$")
    assert info.flag("disablepop3")
    assert c.login("imap", "bench@example.com", "wrong") is None
    assert c.login("imap", "nosuch@example.com", "x") is None
    pre = c.pre("imap", "bench@example.com")
    assert pre is not None and pre.clearpw is None and pre.uid == 999
    assert c.pre("imap", "nosuch@example.com") is None
    # CRAM-MD5 from hmac-md5pw, a live exchange with real Courier
    cram = c.auth("imap", "cram-md5", _cram("bench@example.com", "benchpass"))
    assert cram is not None and cram.uid == 999 and cram.passwd is None
    assert c.auth("imap", "cram-md5", _cram("bench@example.com", "wrong")) is None
    assert c.auth("imap", "cram-sha1", _cram("bench@example.com", "benchpass", "sha1")) is None
    # service password before systempw
    assert c.login("imap", "svc@example.com", "imapsecret") is not None
    assert c.login("imap", "svc@example.com", "benchpass") is None
    assert c.login("pop3", "svc@example.com", "benchpass") is not None
    assert c.passwd("imap", "bench@example.com", "wrong", "new") is False
    rows = dict(c.enumerate())["authuserdb"]
    assert ["bench@example.com", "999", "995", "/srv/bench", "/srv/bench/Maildir", "disablepop3=1"] in rows


def test_our_authuserdb_reads_real_makeuserdb_files(real_auth: RealAuth) -> None:
    _make_real_userdb(real_auth)
    mod = authuserdb.create(ModuleContext(real_auth.etc))
    info = mod.login("imap", "bench@example.com", "benchpass")
    assert info is not None and (info.uid, info.gid, info.maildir) == (999, 995, "/srv/bench/Maildir")
    assert info.flag("disablepop3")
    with pytest.raises(BadPassword):
        mod.login("imap", "bench@example.com", "wrong")
    assert mod.login("imap", "nosuch@example.com", "x") is None
    digest = hmac.new(b"benchpass", CHALLENGE, "md5").hexdigest()
    assert mod.cram("imap", "cram-md5", "bench@example.com", CHALLENGE, digest) is not None
    assert mod.login("imap", "svc@example.com", "imapsecret") is not None
    with pytest.raises(BadPassword):
        mod.login("imap", "svc@example.com", "benchpass")
    assert mod.login("pop3", "svc@example.com", "benchpass") is not None
    assert sorted(a.address for a in mod.enumerate()) == ["bench@example.com", "svc@example.com"]

    # Rebuilt by real makeuserdb while we hold the files open: seen at once.
    _real_tool(real_auth, "userdb", "bench@example.com", "set", "uid=1001")
    _real_tool(real_auth, "makeuserdb")
    again = mod.pre("imap", "bench@example.com")
    assert again is not None and again.uid == 1001

    os.chmod(real_auth.etc / "userdbshadow.dat", 0o000)
    (real_auth.etc / "userdb.dat").write_bytes(b"garbage" * 100)
    with pytest.raises(TempFail):
        mod.pre("imap", "bench@example.com")


def test_real_authtest_changes_a_password_through_our_authdaemond(tmp_path: Path) -> None:
    from courier.auth import xcrypt

    sock = start_authdaemond(tmp_path, [])
    etc = tmp_path / "authetc"
    src = etc / "userdb"
    src.write_text(f"p@x\thome=/h|uid=7|gid=8|systempw={xcrypt.hash_password('oldpw', '$1$')}\n")
    os.chmod(src, 0o600)
    from courier.userdb.compile import makeuserdb

    makeuserdb(str(src))
    d = str(Path(sock).parent)
    r = real_authtest(d, "p@x", "wrong", "newpw")
    assert r.returncode == 1 and "Operation not permitted" in r.stderr
    r = real_authtest(d, "p@x", "oldpw", "newpw")
    assert r.returncode == 0 and r.stderr.strip() == "Password change succeeded."
    assert real_authtest(d, "p@x", "newpw").returncode == 0
    assert real_authtest(d, "p@x", "oldpw").returncode == 1
