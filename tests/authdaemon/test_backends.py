"""authdaemond with authldap, authmysql and authpgsql in authmodulelist, over its socket.

One account lives in each backend (private slapd, MariaDB, PostgreSQL).  The
modules are asked in order; a backend stopped while the daemon runs gives the
client a temporary failure, and logins work again when it returns, without
restarting authdaemond.
"""

from __future__ import annotations

import base64
import hmac
import imaplib
import os
import poplib
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from courier.auth.module import TempFail
from courier.authdaemon.client import AuthClient
from tests.authfixtures import start_authdaemond
from tests.conftest import PYTHON, child_env, free_port
from tests.dbfixtures import ADMIN_DN, ADMIN_PW, SUFFIX, Mariadb, Postgres, Slapd, sha512_crypt, ssha

# The account each backend holds (and the others do not).
LDAP_USER = ("alice@example.com", "alicepw", 10001)
MYSQL_USER = ("myonly@example.com", "mysqlpw", 10031)
PGSQL_USER = ("pgonly@example.com", "pgsqlpw", 10041)


@dataclass
class Daemon:
    socket: str
    config_dir: Path
    slapd: Slapd
    mariadb: Mariadb
    postgres: Postgres

    def client(self) -> AuthClient:
        return AuthClient(self.socket, timeout=10)


def write_backend_rcs(config_dir: Path, slapd: Slapd, mariadb: Mariadb, postgres: Postgres) -> None:
    config_dir.mkdir(exist_ok=True)
    ldap = {
        "LDAP_URI": slapd.uri,
        "LDAP_BASEDN": f"ou=people,{SUFFIX}",
        "LDAP_BINDDN": ADMIN_DN,
        "LDAP_BINDPW": ADMIN_PW,
        "LDAP_UID": "uidNumber",
        "LDAP_GID": "gidNumber",
        "LDAP_MAILDIR": "mailbox",
        "LDAP_CRYPTPW": "userPassword",
        "LDAP_CLEARPW": "clearPassword",
    }
    columns = {
        "USER_TABLE": "passwd",
        "CRYPT_PWFIELD": "crypt",
        "CLEAR_PWFIELD": "clear",
        "MAILDIR_FIELD": "maildir",
    }
    mysql = {"MYSQL_SERVER": "127.0.0.1", "MYSQL_PORT": str(mariadb.port), "MYSQL_USERNAME": "courier"}
    mysql |= {"MYSQL_PASSWORD": "courierpw", "MYSQL_DATABASE": "courierdb"}
    mysql |= {f"MYSQL_{k}": v for k, v in columns.items()}
    mysql["MYSQL_WHERE_CLAUSE"] = "id LIKE 'myonly%'"
    pgsql = {"PGSQL_CONNECTION": postgres.conninfo, **{f"PGSQL_{k}": v for k, v in columns.items()}}
    pgsql["PGSQL_WHERE_CLAUSE"] = "id LIKE 'pgonly%'"
    for name, values in (("authldaprc", ldap), ("authmysqlrc", mysql), ("authpgsqlrc", pgsql)):
        body = "".join(f"{k}\t{v}\n" for k, v in values.items())
        path = config_dir / name
        path.write_text(f"##NAME: {name}:0\n{body}")
        path.chmod(0o600)


@pytest.fixture
def daemon(tmp_path: Path, slapd: Slapd, mariadb: Mariadb, postgres: Postgres) -> Daemon:
    user, password, uid = MYSQL_USER
    mariadb.execute(
        "INSERT IGNORE INTO passwd (id, clear, uid, gid, home)"
        f" VALUES ('{user}', '{password}', {uid}, {uid}, '/m')"
    )
    user, password, uid = PGSQL_USER
    postgres.execute(
        f"INSERT INTO passwd (id, clear, uid, gid, home) VALUES ('{user}', '{password}', {uid}, {uid}, '/p')"
        " ON CONFLICT DO NOTHING"
    )
    config_dir = tmp_path / "authetc"  # where start_authdaemond writes authdaemonrc
    write_backend_rcs(config_dir, slapd, mariadb, postgres)
    sock = start_authdaemond(tmp_path, [], modules="authldap authmysql authpgsql", daemons=2)
    return Daemon(sock, config_dir, slapd, mariadb, postgres)


def test_each_backend_answers_through_authdaemond(daemon: Daemon) -> None:
    c = daemon.client()
    for user, password, uid in (LDAP_USER, MYSQL_USER, PGSQL_USER):
        info = c.login("imap", user, password)
        assert info is not None and info.uid == uid, user
        assert c.login("imap", user, password + "x") is None
        pre = c.pre("pop3", user)
        assert pre is not None and pre.uid == uid
    assert c.login("imap", "nobody@example.com", "x") is None


def test_cram_md5_through_authdaemond(daemon: Daemon) -> None:
    c = daemon.client()
    challenge = b"<4711.1@mail.example.com>"
    for user, password, uid in (("carol@example.com", "carolpw", 10005), MYSQL_USER, PGSQL_USER):
        digest = hmac.new(password.encode(), challenge, "md5").hexdigest()
        authdata = base64.b64encode(challenge) + b"\n" + base64.b64encode(f"{user} {digest}".encode()) + b"\n"
        info = c.auth("imap", "cram-md5", authdata)
        assert info is not None and info.uid == uid, user


def test_injection_names_fail_cleanly(daemon: Daemon) -> None:
    c = daemon.client()
    for name in ("' OR '1'='1", "x' --", "*)(uid=*", "admin)(|(uid=*", "myonly@example.com' --"):
        for password in ("alicepw", "mysqlpw", "pgsqlpw", "x"):
            assert c.login("imap", name, password) is None  # FAIL, never TEMPFAIL
    assert c.login("imap", *LDAP_USER[:2]) is not None


def test_passwd_and_enumerate(daemon: Daemon) -> None:
    c = daemon.client()
    user = f"pgonly-pw{os.getpid()}@example.com"  # matches PGSQL_WHERE_CLAUSE
    daemon.postgres.execute(
        f"INSERT INTO passwd (id, clear, uid, gid, home) VALUES ('{user}', 'old', 5, 5, '/p')"
    )
    assert c.passwd("imap", user, "wrong", "new") is False
    assert c.passwd("imap", user, "old", "new") is True
    assert c.login("imap", user, "new") is not None
    listed = dict(c.enumerate())
    assert {"authldap", "authmysql", "authpgsql"} <= set(listed)
    assert LDAP_USER[0] in {row[0] for row in listed["authldap"]}
    assert MYSQL_USER[0] in {row[0] for row in listed["authmysql"]}
    assert PGSQL_USER[0] in {row[0] for row in listed["authpgsql"]}


# -- end to end: IMAP and POP3 logins for an account in each backend ----------------------------


@dataclass
class Mailbox:
    address: str
    password: str
    home: Path
    subject: str


@pytest.fixture
def system_account() -> Iterator[tuple[int, int]]:
    """A throwaway system account: the uid/gid the backend accounts run as."""
    name = "csql" + uuid.uuid4().hex[:8]
    subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "-s", "/usr/sbin/nologin", name],
        check=True,
    )
    try:
        pw = pwd.getpwnam(name)
        yield pw.pw_uid, pw.pw_gid
    finally:
        subprocess.run(["userdel", name], check=False)


@pytest.fixture
def mailboxes(daemon: Daemon, system_account: tuple[int, int]) -> Iterator[dict[str, Mailbox]]:
    """One account with a real maildir in each backend, run as ``system_account``."""
    from courier.maildir.create import make_maildir
    from courier.maildir.deliver import deliver

    uid, gid = system_account
    tag = uuid.uuid4().hex[:8]
    top = Path(tempfile.mkdtemp(prefix="csql-", dir="/var/tmp"))
    os.chmod(top, 0o755)
    boxes: dict[str, Mailbox] = {}
    for backend, address in (
        ("ldap", f"e2e-{tag}@example.com"),
        ("mysql", f"myonly-{tag}@example.com"),
        ("pgsql", f"pgonly-{tag}@example.com"),
    ):
        home = top / backend
        home.mkdir()
        make_maildir(str(home / "Maildir"))
        subject = f"in {backend}"
        deliver(str(home / "Maildir"), f"From: a@example.com\nSubject: {subject}\n\nhello\n".encode())
        for dirpath, dirnames, filenames in os.walk(home):
            for n in [dirpath, *(os.path.join(dirpath, f) for f in dirnames + filenames)]:
                os.chown(n, uid, gid)
        boxes[backend] = Mailbox(address, f"{backend} pw {tag}", home, subject)
    b = boxes["ldap"]
    daemon.slapd.add(
        f"dn: uid=e2e-{tag},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n"
        f"objectClass: CourierMailAccount\nuid: e2e-{tag}\ncn: e2e\nsn: e2e\nmail: {b.address}\n"
        f"uidNumber: {uid}\ngidNumber: {gid}\nhomeDirectory: {b.home}\nmailbox: {b.home}/Maildir\n"
        f"userPassword: {ssha(b.password)}\n"
    )
    for backend, server in (("mysql", daemon.mariadb), ("pgsql", daemon.postgres)):
        b = boxes[backend]
        server.execute(
            "INSERT INTO passwd (id, crypt, uid, gid, home, maildir) VALUES "
            f"('{b.address}', '{sha512_crypt(b.password)}', {uid}, {gid}, '{b.home}', '{b.home}/Maildir')"
        )
    try:
        yield boxes
    finally:
        shutil.rmtree(top, ignore_errors=True)


def start_server(daemon: Daemon, tmp_path: Path, program: str) -> tuple[subprocess.Popen[bytes], int]:
    """courier-tcpd running ``program`` (imapd or pop3d) against the daemon's socket."""
    etc = tmp_path / f"{program}-etc"
    etc.mkdir()
    (etc / "imapd").write_text("IMAP_LOGIN_DELAY=0.2\n")
    (etc / "pop3d").write_text("POP3_LOGIN_DELAY=0.2\n")
    (etc / "authdaemonrc").write_text(f"authdaemonvar={os.path.dirname(daemon.socket)}\n")
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "courier.cli.courier_tcpd", "--listen", f"127.0.0.1:{port}", "--",
         PYTHON, "-m", f"courier.cli.{program}", "--config-dir", str(etc)],
        env=child_env(), stdin=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"courier-tcpd for {program} did not listen") from None
            time.sleep(0.05)


@pytest.fixture
def imapd(daemon: Daemon, tmp_path: Path) -> Iterator[int]:
    proc, port = start_server(daemon, tmp_path, "imapd")
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def imap_login(port: int, box: Mailbox) -> tuple[str, list[bytes]]:
    with imaplib.IMAP4("127.0.0.1", port, timeout=20) as m:
        try:
            m.login(box.address, box.password)
        except imaplib.IMAP4.error as exc:
            return str(exc), []
        typ, data = m.select("INBOX", readonly=True)
        assert typ == "OK" and data == [b"1"]
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK"
        return "OK", [d[1] for d in data if isinstance(d, tuple)]


def test_imap_login_for_an_account_in_each_backend(
    daemon: Daemon, mailboxes: dict[str, Mailbox], imapd: int
) -> None:
    for box in mailboxes.values():
        status, headers = imap_login(imapd, box)
        assert status == "OK", box.address
        assert headers == [f"Subject: {box.subject}\r\n\r\n".encode()]  # the account's own maildir
        wrong = Mailbox(box.address, box.password + "x", box.home, box.subject)
        assert "Login failed" in imap_login(imapd, wrong)[0]


@pytest.fixture
def pop3d(daemon: Daemon, tmp_path: Path) -> Iterator[int]:
    proc, port = start_server(daemon, tmp_path, "pop3d")
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def pop3_login(port: int, box: Mailbox) -> str:
    p = poplib.POP3("127.0.0.1", port, timeout=20)
    try:
        p.user(box.address)
        p.pass_(box.password)
        assert p.stat()[0] == 1
        assert f"Subject: {box.subject}".encode() in p.top(1, 0)[1]  # the account's own maildir
        p.quit()
        return "OK"
    except poplib.error_proto as exc:
        p.close()
        return bytes(exc.args[0]).decode()


def test_pop3_login_for_an_account_in_each_backend(
    daemon: Daemon, mailboxes: dict[str, Mailbox], pop3d: int
) -> None:
    for box in mailboxes.values():
        assert pop3_login(pop3d, box) == "OK", box.address
        wrong = Mailbox(box.address, box.password + "x", box.home, box.subject)
        assert pop3_login(pop3d, wrong).startswith("-ERR [AUTH]")


@pytest.mark.parametrize("backend", ["ldap", "mysql", "pgsql"])
def test_stopped_backend_is_a_temporary_failure_then_recovers(
    daemon: Daemon, mailboxes: dict[str, Mailbox], imapd: int, pop3d: int, backend: str
) -> None:
    box = mailboxes[backend]
    c = daemon.client()
    for _ in range(4):  # every worker has its connection open
        assert c.login("imap", box.address, box.password) is not None
    server = {"ldap": daemon.slapd, "mysql": daemon.mariadb, "pgsql": daemon.postgres}[backend]
    server.stop()
    try:
        for _ in range(4):
            with pytest.raises(TempFail):
                c.login("imap", box.address, box.password)
        with (
            imaplib.IMAP4("127.0.0.1", imapd, timeout=20) as m,
            pytest.raises(imaplib.IMAP4.error, match=r"\[UNAVAILABLE\]"),
        ):
            m.login(box.address, box.password)
        assert pop3_login(pop3d, box).startswith("-ERR [SYS/TEMP]")
    finally:
        server.start()
    # The same authdaemond and workers, reconnected.
    for _ in range(4):
        assert c.login("imap", box.address, box.password) is not None
    assert imap_login(imapd, box)[0] == "OK"
    assert pop3_login(pop3d, box) == "OK"
