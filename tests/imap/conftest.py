"""A whole server for end-to-end tests: authdaemond, courier-tcpd and imapd on loopback,
with a real (non-root) system account whose maildir holds a few messages."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PYTHON, child_env, free_port

CAPABILITY = (
    'IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT '
    'THREAD=REFERENCES SORT QUOTA IDLE"\n'
    'IMAP_CAPABILITY_TLS="$IMAP_CAPABILITY AUTH=PLAIN"\n'
)


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str
    uid: int
    gid: int
    maildir: Path
    tcpd: subprocess.Popen[bytes]

    def children(self) -> list[int]:
        """imapd processes the launcher started."""
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.tcpd.pid:
                out.append(int(entry))
        return out


@pytest.fixture
def system_user() -> Iterator[tuple[str, int, int]]:
    """A throwaway system account (unique name), removed afterwards."""
    name = "cimap" + uuid.uuid4().hex[:8]
    subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "-s", "/usr/sbin/nologin", name],
        check=True,
    )
    try:
        pw = pwd.getpwnam(name)
        yield name, pw.pw_uid, pw.pw_gid
    finally:
        subprocess.run(["userdel", name], check=False)


def start_imapd(
    config_dir: Path, host: str = "127.0.0.1", extra_args: list[str] | None = None, preload: bool = False
) -> tuple[subprocess.Popen[bytes], int]:
    """courier-tcpd running imapd per connection (exec'd, or forked from the launcher with ``preload``)."""
    port = free_port(host)
    imapd = ["--", PYTHON, "-m", "courier.cli.imapd"]
    program = ["--preload", "courier.cli.imapd", "--", "imapd"] if preload else imapd
    proc = subprocess.Popen(
        [
            PYTHON, "-m", "courier.cli.courier_tcpd", "--listen", f"{host}:{port}",
            *program, "--config-dir", str(config_dir), *(extra_args or []),
        ],
        env=child_env(),
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("courier-tcpd exited") from None
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("courier-tcpd did not listen")


@pytest.fixture
def imap_server(tmp_path: Path, system_user: tuple[str, int, int]) -> Iterator[ImapServer]:
    with serve_account(tmp_path, system_user) as server:
        yield server


@contextmanager
def serve_account(
    tmp_path: Path,
    system_user: tuple[str, int, int],
    imapd_config: str = "",
    userdb: dict[str, str] | None = None,
    others: dict[str, str] | None = None,
    preload: bool = False,
) -> Iterator[ImapServer]:
    """The whole server; ``imapd_config`` is appended to ``imapd``, ``userdb`` adds fields
    (e.g. ``{"quota": "5000S"}``) to user@example.com's userdb entry; ``others`` are more
    logins (address -> OPTIONS) with the same password and the same maildir."""
    from courier.maildir.create import make_maildir
    from tests.authfixtures import Account, start_authdaemond
    from tests.imap.transcript import SIMPLE, THIRD, lf

    _, uid, gid = system_user
    # the account's home must be reachable once the process is the account
    top = Path(tempfile.mkdtemp(prefix="cimap-", dir="/var/tmp"))
    try:
        os.chmod(top, 0o755)
        home = top / "home"
        home.mkdir()
        maildir = home / "Maildir"
        make_maildir(str(maildir))
        # as an MTA would, with names that fix the order (UIDs 1 and 2)
        (maildir / "new" / "1700000000.M1P1.test").write_bytes(lf(SIMPLE))
        (maildir / "new" / "1700000001.M2P2.test").write_bytes(lf(THIRD))
        for dirpath, dirnames, filenames in os.walk(home):
            for n in [dirpath, *(os.path.join(dirpath, f) for f in dirnames + filenames)]:
                os.chown(n, uid, gid)
        pw = "secret pass"
        more = [Account(a, pw, str(home), uid=uid, gid=gid, options=o) for a, o in (others or {}).items()]
        sock = start_authdaemond(
            tmp_path,
            [Account("user@example.com", "secret pass", str(home), uid=uid, gid=gid, extra=userdb or {}),
             Account("noimap@example.com", "pw", str(home), uid=uid, gid=gid, options="disableimap=1"),
             *more],
        )  # fmt: skip
        etc = tmp_path / "etc"
        etc.mkdir()
        (etc / "imapd").write_text(CAPABILITY + "IMAP_LOGIN_DELAY=0.3\nIMAP_IDLE_TIMEOUT=5\n" + imapd_config)
        (etc / "authdaemonrc").write_text(f"authdaemonvar={os.path.dirname(sock)}\n")
        tcpd, port = start_imapd(etc, preload=preload)
        try:
            yield ImapServer("127.0.0.1", port, "user@example.com", "secret pass", uid, gid, maildir, tcpd)
        finally:
            tcpd.terminate()
            tcpd.wait(timeout=15)
    finally:
        shutil.rmtree(top, ignore_errors=True)
