"""Our authdaemond (authuserdb) logs in against a userdb.dat made by Courier's own tools."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
from pathlib import Path

import pytest

from courier.authdaemon.client import AuthClient
from tests import realcourier
from tests.authfixtures import _RUNNING, wait_for_socket
from tests.conftest import PYTHON, child_env

pytestmark = pytest.mark.slow


def real_sh(etc: Path, script: str, stdin: bytes = b"") -> None:
    """Run Courier's userdb/userdbpw/makeuserdb (from Debian's package) with /etc/courier = etc."""
    sbin = realcourier.root() / "usr/sbin"
    cmd = realcourier.namespace_command(["sh", "-ec", f"PATH={sbin}:$PATH\n{script}"], {"/etc/courier": etc})
    r = subprocess.run(cmd, env=realcourier.env(), input=stdin, capture_output=True, timeout=60)
    assert r.returncode == 0, (script, r.stdout, r.stderr)


def test_our_authuserdb_reads_courier_made_userdb(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    real_sh(etc, "userdb john@example.com set home=/home/john mail=/home/john/Maildir uid=1234 gid=1235")
    real_sh(etc, "userdbpw -md5 | userdb john@example.com set systempw", b"sys-secret\n")
    real_sh(etc, "userdbpw | userdb john@example.com set pop3pw", b"des-pop\n")  # Courier's default: DES
    real_sh(etc, "userdbpw -hmac-md5 | userdb john@example.com set hmac-md5pw", b"cram-secret\n")
    real_sh(etc, "userdb jane@example.com set home=/home/jane uid=99 gid=99 options=disablepop3=1")
    real_sh(etc, "userdbpw -md5 | userdb jane@example.com set systempw", b"jane-pw\n")
    real_sh(etc, "makeuserdb")

    var = tmp_path / "var"
    (etc / "authdaemonrc").write_text(f'authmodulelist="authuserdb"\ndaemons=1\nauthdaemonvar={var}\n')
    proc = subprocess.Popen(
        [PYTHON, "-m", "courier.cli.authdaemond", "--config-dir", str(etc)],
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _RUNNING.append(proc)  # stopped by the shared autouse fixture
    sock = str(var / "socket")
    wait_for_socket(sock, proc)
    client = AuthClient(sock)

    info = client.login("imap", "john@example.com", "sys-secret")
    assert info is not None
    assert (info.uid, info.gid, info.home, info.maildir) == (1234, 1235, "/home/john", "/home/john/Maildir")
    assert client.login("imap", "john@example.com", "wrong") is None
    assert client.login("pop3", "john@example.com", "des-pop") is not None
    assert client.login("pop3", "john@example.com", "sys-secret") is None  # pop3pw overrides systempw
    pre = client.pre("imap", "jane@example.com")
    assert pre is not None and pre.flag("disablepop3")
    assert client.login("imap", "jane@example.com", "jane-pw") is not None

    challenge = b"<1896.697170952@example.com>"
    for pw, ok in ((b"cram-secret", True), (b"sys-secret", False)):
        resp = b"john@example.com " + hmac.new(pw, challenge, hashlib.md5).hexdigest().encode()
        data = base64.b64encode(challenge) + b"\n" + base64.b64encode(resp) + b"\n"
        assert (client.auth("imap", "cram-md5", data) is not None) is ok

    # Courier's userdb and makeuserdb change the account; our daemon sees it without a restart
    real_sh(etc, "userdb john@example.com set home=/srv/john && makeuserdb")
    info = client.login("imap", "john@example.com", "sys-secret")
    assert info is not None and info.home == "/srv/john"
