"""Our authdaemond, live on a private socket, answering the way Courier's does."""

from __future__ import annotations

import base64
import hmac
import os
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from courier.auth.module import TempFail
from courier.authdaemon.client import AuthClient
from tests.authfixtures import Account, start_authdaemond, wait_for_socket, write_userdb
from tests.conftest import PYTHON, child_env

BENCH = Account("bench@example.com", "benchpass", "/srv/bench", "/srv/bench/Maildir", 999, 995)


def raw(sock: str, data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(sock)
        s.sendall(data)
        out = b""
        while chunk := s.recv(4096):
            out += chunk
        return out


def test_pre_and_auth_replies(tmp_path: Path) -> None:
    sock = start_authdaemond(tmp_path, [BENCH])
    pre = raw(sock, b"PRE . imap bench@example.com\n")
    assert pre.startswith(
        b"UID=999\nGID=995\nHOME=/srv/bench\nADDRESS=bench@example.com\nMAILDIR=/srv/bench/Maildir\nPASSWD=$1$"
    )
    assert pre.endswith(b"\n.\n") and b"PASSWD2" not in pre
    good = raw(sock, b"AUTH 39\nimap\nlogin\nbench@example.com\nbenchpass\n")
    assert good.endswith(b"PASSWD2=benchpass\n.\n")
    assert raw(sock, b"AUTH 35\nimap\nlogin\nbench@example.com\nwrong\n") == b"FAIL\n"
    assert raw(sock, b"AUTH 32\nimap\nlogin\nnosuch@example.com\nx\n") == b"FAIL\n"
    assert raw(sock, b"PRE . imap nosuch@example.com\n") == b"FAIL\n"
    assert raw(sock, b"BOGUS\n") == b""  # Courier closes without a word
    assert raw(sock, b"PASSWD imap\tbench@example.com\twrong\tnewpass\n") == b"FAIL\n"
    assert raw(sock, b"ENUMERATE\n") == (
        b"# authuserdb\n\nbench@example.com\t999\t995\t/srv/bench\t/srv/bench/Maildir\t\n.\n"
    )


def test_cram_md5_live_exchange(tmp_path: Path) -> None:
    sock = start_authdaemond(tmp_path, [BENCH])
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    for algo in ("md5", "sha1", "sha256"):
        digest = hmac.new(b"benchpass", challenge, algo).hexdigest()
        data = (
            base64.b64encode(challenge)
            + b"\n"
            + base64.b64encode(f"bench@example.com {digest}".encode())
            + b"\n"
        )
        info = AuthClient(sock).auth("imap", f"cram-{algo}", data)
        assert info is not None and info.uid == 999
        assert info.passwd is None and info.clearpw is None  # as authlib: no PASSWD lines for CRAM
        bad = (
            base64.b64encode(challenge) + b"\n" + base64.b64encode(b"bench@example.com " + b"0" * 32) + b"\n"
        )
        assert AuthClient(sock).auth("imap", f"cram-{algo}", bad) is None


def test_service_password_before_systempw(tmp_path: Path) -> None:
    from courier.auth import xcrypt

    acct = Account(
        "s@x", "systempass", "/h", uid=5, gid=5, extra={"imappw": xcrypt.hash_password("imappass", "$6$")}
    )
    sock = start_authdaemond(tmp_path, [acct])
    c = AuthClient(sock)
    assert c.login("imap", "s@x", "imappass") is not None
    assert c.login("imap", "s@x", "systempass") is None
    assert c.login("pop3", "s@x", "systempass") is not None
    assert c.login("pop3", "s@x", "imappass") is None


def test_rebuilt_userdb_is_seen_without_restart(tmp_path: Path) -> None:
    sock = start_authdaemond(tmp_path, [BENCH], daemons=1)
    c = AuthClient(sock)
    assert c.login("imap", "bench@example.com", "benchpass") is not None
    write_userdb(
        tmp_path / "authetc", [Account("bench@example.com", "changed", "/srv/bench", uid=999, gid=995)]
    )
    assert c.login("imap", "bench@example.com", "benchpass") is None
    assert c.login("imap", "bench@example.com", "changed") is not None


def test_default_options_apply_unless_the_account_sets_them(tmp_path: Path) -> None:
    accounts = [
        Account("a@x", "pw", "/h", uid=5, gid=5),
        Account("b@x", "pw", "/h", uid=5, gid=5, options="disableimap=0"),
    ]
    sock = start_authdaemond(tmp_path, accounts, extra_config='DEFAULTOPTIONS="disableimap=1,wbnodsn=1"\n')
    a = AuthClient(sock).pre("imap", "a@x")
    b = AuthClient(sock).pre("imap", "b@x")
    assert a is not None and a.flag("disableimap") and a.option("wbnodsn") == "1"
    assert b is not None and not b.flag("disableimap") and b.option("wbnodsn") == "1"


def test_200_concurrent_requests_over_5_workers(tmp_path: Path) -> None:
    accounts = [Account(f"u{i}@x", f"pw{i}", f"/home/u{i}", uid=1000 + i, gid=100) for i in range(20)]
    sock = start_authdaemond(tmp_path, accounts, daemons=5)

    def one(i: int) -> tuple[int, object]:
        n = i % 20
        good = i % 3 != 0
        info = AuthClient(sock, timeout=30).login("imap", f"u{n}@x", f"pw{n}" if good else "bad")
        return i, (info.uid if info is not None else None)

    with ThreadPoolExecutor(200) as pool:
        results = list(pool.map(one, range(200)))
    for i, uid in results:
        assert uid == (1000 + i % 20 if i % 3 != 0 else None), i


def test_corrupt_userdb_is_tempfail_not_fail(tmp_path: Path) -> None:
    sock = start_authdaemond(tmp_path, [BENCH])
    (tmp_path / "authetc" / "userdb.dat").write_bytes(b"this is not a gdbm file" * 100)
    with pytest.raises(TempFail):
        AuthClient(sock).login("imap", "bench@example.com", "benchpass")


def _workers(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_dead_worker_is_replaced_and_sighup_reloads(tmp_path: Path) -> None:
    from tests import authfixtures

    sock = start_authdaemond(tmp_path, [BENCH], daemons=3)
    master = authfixtures._RUNNING[-1].pid
    deadline = time.monotonic() + 5
    while len(_workers(master)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    before = _workers(master)
    assert len(before) == 3
    os.kill(before[0], 9)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        now = _workers(master)
        if len(now) == 3 and before[0] not in now:
            break
        time.sleep(0.05)
    assert len(now) == 3 and before[0] not in now
    assert AuthClient(sock).login("imap", "bench@example.com", "benchpass") is not None

    # SIGHUP: a new module list and worker count take effect without a restart.
    rc = tmp_path / "authetc" / "authdaemonrc"
    rc.write_text(rc.read_text().replace("daemons=3", "daemons=2") + 'DEFAULTOPTIONS="reloaded=1"\n')
    os.kill(master, 1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        info = AuthClient(sock).pre("imap", "bench@example.com")
        if info is not None and info.option("reloaded") == "1" and len(_workers(master)) == 2:
            break
        time.sleep(0.1)
    assert info is not None and info.option("reloaded") == "1"
    assert len(_workers(master)) == 2


SLOW_HOOK = """
import os, time
from pathlib import Path

def lookup(service, username):
    if username == "slow@x":
        Path(__file__).with_name("slow.pid").write_text(str(os.getpid()))
        time.sleep(float(os.environ.get("SLOW", "30")))
        return None
    if username == "asked@x":
        Path(__file__).with_name("asked").write_text("yes")
    return None
"""


def test_sigkill_of_a_busy_worker_loses_no_other_request(tmp_path: Path) -> None:
    accounts = [Account(f"u{i}@x", f"pw{i}", f"/home/u{i}", uid=1000 + i, gid=100) for i in range(10)]
    sock = start_authdaemond(
        tmp_path, accounts, modules="authuserdb authcustom", daemons=5, files={"authcustom.py": SLOW_HOOK}
    )
    pidfile = tmp_path / "authetc" / "slow.pid"
    with ThreadPoolExecutor(101) as pool:
        slow = pool.submit(AuthClient(sock, timeout=60).login, "imap", "slow@x", "x")
        deadline = time.monotonic() + 10
        while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        victim = int(pidfile.read_text())

        def one(i: int) -> int | None:
            info = AuthClient(sock, timeout=30).login("imap", f"u{i % 10}@x", f"pw{i % 10}")
            return None if info is None else info.uid

        futures = [pool.submit(one, i) for i in range(100)]
        os.kill(victim, 9)
        results = [f.result() for f in futures]
        with pytest.raises(TempFail):
            slow.result()  # only the killed worker's own request is lost, as a temporary failure
    assert results == [1000 + i % 10 for i in range(100)]


def test_request_timeout_is_tempfail_and_worker_survives(tmp_path: Path) -> None:
    sock = start_authdaemond(
        tmp_path,
        [BENCH],
        modules="authcustom authuserdb",
        daemons=1,
        extra_config="AUTHDAEMON_TIMEOUT=1\n",
        files={"authcustom.py": SLOW_HOOK},
    )
    t = time.monotonic()
    with pytest.raises(TempFail):
        AuthClient(sock, timeout=20).login("imap", "slow@x", "x")
    assert time.monotonic() - t < 5
    assert AuthClient(sock).login("imap", "bench@example.com", "benchpass") is not None


def test_backend_down_is_tempfail_and_later_modules_are_not_asked(tmp_path: Path) -> None:
    sock = start_authdaemond(
        tmp_path, [BENCH], modules="authuserdb authcustom", files={"authcustom.py": SLOW_HOOK}
    )
    c = AuthClient(sock)
    assert c.login("imap", "asked@x", "x") is None  # userdb does not know it: authcustom is asked
    marker = tmp_path / "authetc" / "asked"
    assert marker.exists()
    marker.unlink()
    (tmp_path / "authetc" / "userdb.dat").write_bytes(b"\x00garbage" * 512)  # backend now broken
    with pytest.raises(TempFail):
        c.login("imap", "asked@x", "x")
    with pytest.raises(TempFail):
        c.pre("imap", "asked@x")
    assert not marker.exists()


def test_passwd_rewrites_userdb_and_rebuilds(tmp_path: Path) -> None:
    from courier.auth import xcrypt

    etc = tmp_path / "authetc"
    etc.mkdir()
    src = etc / "userdb"
    src.write_text("")
    os.chmod(src, 0o600)
    tools = Path(PYTHON).parent
    old = xcrypt.hash_password("old", "$1$")
    fields = ["home=/h", "uid=7", "gid=8", f"systempw={old}"]
    subprocess.run([str(tools / "userdb"), "--config-dir", str(etc), "p@x", "set", *fields], check=True)
    subprocess.run([str(tools / "makeuserdb"), "--config-dir", str(etc)], check=True)
    var = tmp_path / "var"
    (etc / "authdaemonrc").write_text(f'authmodulelist="authuserdb"\ndaemons=1\nauthdaemonvar={var}\n')
    proc = subprocess.Popen(
        [PYTHON, "-m", "courier.cli.authdaemond", "--config-dir", str(etc)], env=child_env()
    )
    try:
        wait_for_socket(str(var / "socket"), proc)
        c = AuthClient(str(var / "socket"))
        assert c.login("imap", "p@x", "old") is not None
        assert c.passwd("imap", "p@x", "wrong", "new") is False
        assert c.passwd("imap", "nobody@x", "old", "new") is False
        assert c.passwd("imap", "p@x", "old", "new") is True
        assert c.login("imap", "p@x", "old") is None
        assert c.login("imap", "p@x", "new") is not None
        assert "systempw=$" in src.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
