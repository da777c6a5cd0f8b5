"""Real Courier's authdaemond + authtest log in with a userdb.dat our tools made."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, child_env
from tests.interop.realauth import RealAuth, real_auth_fixture  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow

BIN = REPO / ".venv" / "bin"


def ours(etc: Path, *argv: str, stdin: bytes = b"") -> None:
    cmd = [str(BIN / argv[0]), "--config-dir", str(etc), *argv[1:]]
    subprocess.run(cmd, env=child_env(), input=stdin, capture_output=True, check=True, timeout=30)


def shell(cmd: str, stdin: bytes) -> None:
    env = child_env(PATH=f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    subprocess.run(["sh", "-ec", cmd], env=env, input=stdin, check=True, capture_output=True, timeout=30)


def test_real_authtest_accepts_our_makeuserdb(real_auth: RealAuth) -> None:
    etc = real_auth.etc
    ours(
        etc,
        "userdb",
        "john@example.com",
        "set",
        "home=/home/john",
        "mail=/home/john/Maildir",
        "uid=1234",
        "gid=1235",
    )
    for opt, field, pw in (
        ("", "systempw", "sekret"),  # our default, yescrypt
        ("-sha512", "imappw", "imap-only"),
        ("-md5", "pop3pw", "pop-only"),
        ("-hmac-md5", "hmac-md5pw", "cram"),
        ("-hmac-sha256", "hmac-sha256pw", "cram"),
    ):
        shell(f"userdbpw {opt} | userdb --config-dir {etc} john@example.com set {field}", pw.encode() + b"\n")
    ours(etc, "makeuserdb")

    r = real_auth.authtest("john@example.com", "sekret")
    assert r.returncode == 0, r.stderr
    assert "Authenticated: john@example.com  (uid 1234, gid 1235)" in r.stdout
    assert "Home Directory: /home/john" in r.stdout and "Maildir: /home/john/Maildir" in r.stdout
    assert "Encrypted Password: $y$" in r.stdout
    assert real_auth.authtest("john@example.com", "wrong").returncode == 1
    assert real_auth.authtest("John@example.com", "sekret").returncode == 1
    # service passwords override systempw for that service only
    assert real_auth.authtest("-s", "imap", "john@example.com", "imap-only").returncode == 0
    assert real_auth.authtest("-s", "imap", "john@example.com", "sekret").returncode == 1
    assert real_auth.authtest("-s", "pop3", "john@example.com", "pop-only").returncode == 0
    assert real_auth.authtest("-s", "esmtp", "john@example.com", "sekret").returncode == 0

    # CRAM-MD5 and CRAM-SHA256 against our precomputed HMAC states, over the authdaemon socket
    challenge = b"<1896.697170952@example.com>"
    for authtype, digest in (("cram-md5", hashlib.md5), ("cram-sha256", hashlib.sha256)):
        for pw, ok in ((b"cram", True), (b"nope", False)):
            resp = b"john@example.com " + hmac.new(pw, challenge, digest).hexdigest().encode()
            body = b"imap\n" + authtype.encode() + b"\n" + base64.b64encode(challenge) + b"\n"
            body += base64.b64encode(resp) + b"\n"
            reply = real_auth.request(b"AUTH %d\n" % len(body) + body)
            assert (b"UID=1234\n" in reply) is ok, (authtype, pw, reply)
            assert reply.endswith(b".\n") if ok else reply == b"FAIL\n"

    # a change is visible to the running daemon after makeuserdb, without a restart
    ours(etc, "userdb", "john@example.com", "set", "home=/srv/john")
    ours(etc, "makeuserdb")
    assert "Home Directory: /srv/john" in real_auth.authtest("john@example.com", "sekret").stdout
    ours(etc, "userdb", "john@example.com", "del")
    ours(etc, "makeuserdb")
    assert real_auth.authtest("john@example.com", "sekret").returncode == 1


def test_real_authtest_with_directory_source(real_auth: RealAuth) -> None:
    etc = real_auth.etc
    (etc / "userdb").mkdir(mode=0o700)
    for domain, user in (("example-com", "john@example.com"), ("example-org", "jane@example.org")):
        ours(etc, "userdb", f"{domain}/{user}", "set", f"home=/v/{user}", "uid=990", "gid=990")
        shell(
            f"userdbpw | userdb --config-dir {etc} {domain}/{user} set systempw",
            b"pw-" + user.encode() + b"\n",
        )
    ours(etc, "makeuserdb")
    for user in ("john@example.com", "jane@example.org"):
        r = real_auth.authtest(user, f"pw-{user}")
        assert r.returncode == 0, (user, r.stdout, r.stderr)
        assert f"Home Directory: /v/{user}" in r.stdout
    assert real_auth.authtest("john@example.com", "pw-jane@example.org").returncode == 1
