"""The administrator's walkthroughs for virtual mailboxes, step by step, as shell commands.

1. One file: a ``vmail`` account, ``maildirmake``, ``userdb ... set``,
   ``userdbpw | userdb ... set imappw``, ``makeuserdb``, then a login.
2. A large farm: ``/etc/courier/userdb/`` as a directory, one file per domain.

Our commands run with ``--config-dir`` pointing at the test's /etc/courier; the
real authdaemond/authtest read the result at their compiled-in /etc/courier.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from courier.userdb.dat import UserdbDat
from tests import realcourier
from tests.conftest import REPO, child_env
from tests.interop.realauth import RealAuth, real_auth_fixture  # noqa: F401 (fixture)

pytestmark = [pytest.mark.slow, pytest.mark.root]

BIN = REPO / ".venv" / "bin"


@pytest.fixture
def vmail(tmp_path: Path) -> Iterator[pwd.struct_passwd]:
    """Step 0: a system account that owns every virtual mailbox."""
    name = f"vm{uuid.uuid4().hex[:10]}"
    home = tmp_path / "vmail"
    subprocess.run(
        ["useradd", "--system", "--user-group", "--home-dir", str(home), "--create-home", "--shell",
         "/usr/sbin/nologin", name],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True)
        subprocess.run(["groupdel", name], capture_output=True)


def sh(script: str, etc: Path, stdin: bytes = b"") -> str:
    """Run administrator commands; `userdb`/`makeuserdb` get --config-dir like a site wrapper would."""
    maildirmake = realcourier.binary("usr/bin/maildirmake.courier")
    prelude = (
        f'userdb() {{ {BIN}/userdb --config-dir {etc} "$@"; }}\n'
        f'makeuserdb() {{ {BIN}/makeuserdb --config-dir {etc} "$@"; }}\n'
        f'userdbpw() {{ {BIN}/userdbpw "$@"; }}\n'
        f'maildirmake() {{ {maildirmake} "$@"; }}\n'
    )
    env = child_env(LD_LIBRARY_PATH=realcourier.env()["LD_LIBRARY_PATH"])
    r = subprocess.run(["sh", "-ec", prelude + script], env=env, input=stdin, capture_output=True, timeout=60)
    assert r.returncode == 0, (script, r.stdout, r.stderr)
    return r.stdout.decode()


def test_single_file_walkthrough(real_auth: RealAuth, vmail: pwd.struct_passwd) -> None:
    etc, home, uid, gid = real_auth.etc, vmail.pw_dir, vmail.pw_uid, vmail.pw_gid
    sh(f"maildirmake {home}/john && chown -R {uid}:{gid} {home}/john", etc)
    assert (Path(home) / "john" / "cur").is_dir()
    sh(f'userdb "john@example.com" set home={home}/john mail={home}/john uid={uid} gid={gid}', etc)
    src = etc / "userdb"
    assert stat.S_IMODE(src.stat().st_mode) == 0o600
    assert src.read_text() == f"john@example.com\thome={home}/john|mail={home}/john|uid={uid}|gid={gid}\n"
    sh('userdbpw | userdb "john@example.com" set imappw', etc, b"imap-secret\n")
    sh('userdbpw -md5 | userdb "john@example.com" set systempw', etc, b"sys-secret\n")
    sh('userdbpw -hmac-md5 | userdb "john@example.com" set hmac-md5pw', etc, b"imap-secret\n")
    assert sh('userdb -show "john@example.com"', etc).splitlines()[:4] == [
        f"home={home}/john",
        f"mail={home}/john",
        f"uid={uid}",
        f"gid={gid}",
    ]
    sh("makeuserdb", etc)
    assert stat.S_IMODE((etc / "userdb.dat").stat().st_mode) == 0o644
    assert stat.S_IMODE((etc / "userdbshadow.dat").stat().st_mode) == 0o600
    assert "pw" not in (UserdbDat(etc / "userdb.dat").lookup_raw("john@example.com") or "pw")

    r = real_auth.authtest("-s", "imap", "john@example.com", "imap-secret")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Authenticated: john@example.com  (uid {uid}, gid {gid})" in r.stdout
    assert f"Maildir: {home}/john" in r.stdout
    assert real_auth.authtest("-s", "pop3", "john@example.com", "sys-secret").returncode == 0
    assert real_auth.authtest("-s", "imap", "john@example.com", "sys-secret").returncode == 1

    # the administrator removes the account again
    sh('userdb "john@example.com" del && makeuserdb', etc)
    assert real_auth.authtest("-s", "imap", "john@example.com", "imap-secret").returncode == 1


def test_domain_directory_walkthrough(real_auth: RealAuth, vmail: pwd.struct_passwd) -> None:
    etc, home, uid, gid = real_auth.etc, vmail.pw_dir, vmail.pw_uid, vmail.pw_gid
    sh(f"mkdir {etc}/userdb && chmod 700 {etc}/userdb", etc)
    users = [
        ("example-com", "john@example.com"),
        ("example-com", "mary@example.com"),
        ("example-org", "bob@example.org"),
    ]
    for domain, user in users:
        local, _, dom = user.partition("@")
        md = f"{home}/{dom}/{local}"
        sh(f"mkdir -p {home}/{dom} && maildirmake {md} && chown -R {uid}:{gid} {home}/{dom}", etc)
        sh(f'userdb "{domain}/{user}" set home={md} mail={md} uid={uid} gid={gid}', etc)
        sh(f'userdbpw | userdb "{domain}/{user}" set systempw', etc, f"pw-{local}\n".encode())
    assert sorted(os.listdir(etc / "userdb")) == [
        ".lock.example-com",
        ".lock.example-org",
        "example-com",
        "example-org",
    ]
    assert sh("userdb -show example-com/", etc).split() == ["john@example.com", "mary@example.com"]
    sh("makeuserdb", etc)
    with UserdbDat(etc / "userdb.dat") as db:
        assert db.lookup("bob@example.org") == {
            "home": f"{home}/example.org/bob",
            "mail": f"{home}/example.org/bob",
            "uid": str(uid),
            "gid": str(gid),
            "_": "example-org/",
        }
    for _, user in users:
        r = real_auth.authtest(user, f"pw-{user.partition('@')[0]}")
        assert r.returncode == 0, (user, r.stdout, r.stderr)
    # a typo in one domain file stops makeuserdb with file and line, and the old database stays
    with open(etc / "userdb" / "example-org", "a") as f:
        f.write("eve@example.org home=/x\n")
    r = subprocess.run(
        [str(BIN / "makeuserdb"), "--config-dir", str(etc)], capture_output=True, env=child_env()
    )
    assert r.returncode == 1 and f"{etc}/userdb/example-org:2: no TAB".encode() in r.stderr
    assert real_auth.authtest("bob@example.org", "pw-bob").returncode == 0
