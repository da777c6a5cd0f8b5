"""authdaemond with authldap, authmysql and authpgsql in authmodulelist, over its socket.

One account lives in each backend (private slapd, MariaDB, PostgreSQL).  The
modules are asked in order; a backend stopped while the daemon runs gives the
client a temporary failure, and logins work again when it returns, without
restarting authdaemond.
"""

from __future__ import annotations

import base64
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from courier.auth.module import TempFail
from courier.authdaemon.client import AuthClient
from tests.authfixtures import start_authdaemond
from tests.dbfixtures import ADMIN_DN, ADMIN_PW, SUFFIX, Mariadb, Postgres, Slapd

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


@pytest.mark.parametrize("backend", ["slapd", "mariadb", "postgres"])
def test_stopped_backend_is_tempfail_then_recovers(daemon: Daemon, backend: str) -> None:
    c = daemon.client()
    user, password, _uid = {"slapd": LDAP_USER, "mariadb": MYSQL_USER, "postgres": PGSQL_USER}[backend]
    for _ in range(4):  # every worker has its connection open
        assert c.login("imap", user, password) is not None
    server = getattr(daemon, backend)
    server.stop()
    try:
        for _ in range(4):
            with pytest.raises(TempFail):
                c.login("imap", user, password)
    finally:
        server.start()
    for _ in range(4):  # the same daemon and workers, reconnected
        assert c.login("imap", user, password) is not None
