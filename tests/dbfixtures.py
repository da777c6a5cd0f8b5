"""Private directory and database servers for the authldap/authmysql/authpgsql tests.

Each is a throwaway instance in its own temporary directory on a free loopback
port, started once per test session (per xdist worker), so the tests never
depend on (or disturb) servers the machine itself may run.  Each can be
stopped and started again on the same port and data, to show what the modules
do when their backend goes away and comes back.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port

SUFFIX = "dc=example,dc=com"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PW = "adminpw"


def wait_port(port: int, up: bool, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.02)
    raise TimeoutError(f"port {port} did not go {'up' if up else 'down'} in {timeout} s")


def ssha(password: str, salt: bytes = b"s4lt") -> str:
    """``{SSHA}`` as slappasswd writes it (4-byte salt)."""
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def sha512_crypt(password: str, salt: str = "courierTest") -> str:
    out = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
        input=password,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


# --------------------------------------------------------------------------- slapd

# The attributes of Courier's authldap schema that the tests use (OIDs as in Courier's file).
COURIER_SCHEMA = """
attributetype ( 1.3.6.1.4.1.10018.1.1.1 NAME 'mailbox'
    EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{256} SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.10018.1.1.2 NAME 'quota'
    EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{256} SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.10018.1.1.3 NAME 'clearPassword'
    EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40{128} )
attributetype ( 1.3.6.1.4.1.10018.1.1.5 NAME 'disableimap'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.10018.1.1.6 NAME 'disablepop3'
    EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.10018.1.2.1 NAME 'CourierMailAccount' SUP top AUXILIARY
    MUST ( mail $ homeDirectory )
    MAY ( uidNumber $ gidNumber $ mailbox $ uid $ cn $ quota $ userPassword $ clearPassword $
          disableimap $ disablepop3 ) )
"""

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
include {dir}/courier.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
TLSCertificateFile {dir}/cert.pem
TLSCertificateKeyFile {dir}/key.pem
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{admin}"
rootpw {adminpw}
directory {dir}/db
access to attrs=userPassword,clearPassword
    by self write
    by anonymous auth
    by * none
access to * by * read
"""


def make_cert(directory: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (the CA file for LDAPTLS_CACERT)."""
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return directory / "cert.pem"


class Slapd:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}/"
        (directory / "db").mkdir()
        (directory / "courier.schema").write_text(COURIER_SCHEMA)
        self.cacert = make_cert(directory)
        conf = SLAPD_CONF.format(dir=directory, suffix=SUFFIX, admin=ADMIN_DN, adminpw=ADMIN_PW)
        (directory / "slapd.conf").write_text(conf)

    def start(self) -> None:
        subprocess.run(
            ["slapd", "-f", str(self.dir / "slapd.conf"), "-h", self.uri, "-s", "0"],
            check=True,
            capture_output=True,
        )
        wait_port(self.port, up=True)

    def stop(self) -> None:
        pidfile = self.dir / "slapd.pid"
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        wait_port(self.port, up=False)

    def add(self, ldif: str) -> None:
        subprocess.run(
            ["ldapadd", "-x", "-H", self.uri, "-D", ADMIN_DN, "-w", ADMIN_PW],
            input=ldif,
            text=True,
            check=True,
            capture_output=True,
        )

    def modify(self, ldif: str) -> None:
        subprocess.run(
            ["ldapmodify", "-x", "-H", self.uri, "-D", ADMIN_DN, "-w", ADMIN_PW],
            input=ldif,
            text=True,
            check=True,
            capture_output=True,
        )

    def read_attr(self, dn: str, attr: str) -> list[str]:
        out = subprocess.run(
            ["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", self.uri, "-D", ADMIN_DN, "-w", ADMIN_PW,
             "-b", dn, "-s", "base", attr],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        values = []
        for line in out.splitlines():
            name, sep, value = line.partition(": ")
            if sep and name.rstrip(":").lower() == attr.lower():
                if name.endswith(":"):
                    value = base64.b64decode(value.strip()).decode()
                values.append(value)
        return values


def ldap_accounts() -> str:
    """The directory every LDAP test sees (passwords: <name>pw)."""
    return f"""\
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=maps,{SUFFIX}
objectClass: organizationalUnit
ou: maps

dn: uid=alice,ou=people,{SUFFIX}
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: CourierMailAccount
uid: alice
cn: Alice Example
sn: Example
mail: alice@example.com
uidNumber: 10001
gidNumber: 10002
homeDirectory: /srv/mail/alice
mailbox: /srv/mail/alice/Maildir
quota: 1000000S
userPassword: {ssha("alicepw")}

dn: uid=bob,ou=people,{SUFFIX}
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: CourierMailAccount
uid: bob
cn: Bob Example
sn: Example
mail: bob@example.com
uidNumber: 10003
gidNumber: 10004
homeDirectory: bob
userPassword: {{CRYPT}}{sha512_crypt("bobpw")}

dn: uid=carol,ou=people,{SUFFIX}
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: CourierMailAccount
uid: carol
cn: Carol Example
sn: Example
mail: carol@example.com
uidNumber: 10005
gidNumber: 10006
homeDirectory: /srv/mail/carol
clearPassword: carolpw
userPassword: carolpw
disablepop3: 1

dn: uid=admin,ou=people,{SUFFIX}
objectClass: inetOrgPerson
objectClass: posixAccount
objectClass: CourierMailAccount
uid: admin
cn: Administrator
sn: Admin
mail: admin
uidNumber: 10007
gidNumber: 10008
homeDirectory: /srv/mail/admin
userPassword: {ssha("adminuserpw")}

dn: ou=staff,{SUFFIX}
objectClass: organizationalUnit
ou: staff

dn: uid=henry,ou=staff,{SUFFIX}
objectClass: inetOrgPerson
objectClass: posixAccount
uid: henry
cn: Henry Example
sn: Example
mail: henry@example.com
uidNumber: 10009
gidNumber: 10010
homeDirectory: /srv/mail/henry
userPassword: {ssha("henrypw")}

dn: uid=henry,ou=people,{SUFFIX}
objectClass: alias
objectClass: extensibleObject
uid: henry
aliasedObjectName: uid=henry,ou=staff,{SUFFIX}

dn: cn=dave-map,ou=maps,{SUFFIX}
objectClass: inetOrgPerson
cn: dave-map
sn: Map
uid: dave
o: example.org
displayName: alice
"""


@pytest.fixture(scope="session")
def slapd() -> Iterator[Slapd]:
    if not shutil.which("slapd"):
        pytest.fail("slapd is not installed; run scripts/bootstrap.sh (apt package slapd)")
    directory = Path(tempfile.mkdtemp(prefix="courier-slapd-"))
    server = Slapd(directory)
    server.start()
    try:
        server.add(ldap_accounts())
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------- MariaDB


class Mariadb:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.socket = str(directory / "my.sock")
        self.proc: subprocess.Popen[bytes] | None = None
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", "--user=root", f"--datadir={directory}/data",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--user=root", f"--datadir={self.dir}/data",
             f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1",
             f"--pid-file={self.dir}/my.pid", f"--log-error={self.dir}/my.err", "--skip-log-bin",
             "--innodb-flush-log-at-trx-commit=0", "--skip-name-resolve"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(self.port, up=True)

    def stop(self, kill: bool = False) -> None:
        if self.proc is not None:
            if kill:  # a throwaway instance: no need to flush anything
                self.proc.kill()
            else:
                self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None
        wait_port(self.port, up=False)

    def execute(self, *statements: str, database: str = "courierdb") -> None:
        import pymysql

        conn = pymysql.connect(
            unix_socket=self.socket, user="root", database=database or None, autocommit=True
        )
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import pymysql

        conn = pymysql.connect(unix_socket=self.socket, user="root", database="courierdb")
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        finally:
            conn.close()


# The schema both SQL servers get: Courier's default column names, plus a table shaped
# differently for the custom-clause tests.
SQL_TABLES = (
    """CREATE TABLE passwd (
        id VARCHAR(128) PRIMARY KEY, crypt VARCHAR(128) NOT NULL DEFAULT '',
        clear VARCHAR(128) NOT NULL DEFAULT '', name VARCHAR(128) NOT NULL DEFAULT '',
        uid INT NOT NULL, gid INT NOT NULL, home VARCHAR(255) NOT NULL,
        maildir VARCHAR(255) NOT NULL DEFAULT '', quota VARCHAR(255) NOT NULL DEFAULT '',
        options VARCHAR(255) NOT NULL DEFAULT '')""",
    """CREATE TABLE popbox (
        local_part VARCHAR(64) NOT NULL, domain_name VARCHAR(128) NOT NULL,
        cryptpw VARCHAR(128) NOT NULL DEFAULT '', clearpw VARCHAR(128) NOT NULL DEFAULT '',
        mbox VARCHAR(255) NOT NULL, active INT NOT NULL DEFAULT 1,
        last_service VARCHAR(16) NOT NULL DEFAULT '',
        PRIMARY KEY (local_part, domain_name))""",
)


def sql_rows() -> tuple[str, ...]:
    crypt6 = sha512_crypt("bobpw")
    return (
        "INSERT INTO passwd (id, crypt, clear, name, uid, gid, home, maildir, quota, options) VALUES "
        f"('alice@example.com', '{ssha('alicepw')}', '', 'Alice Example', 10001, 10002, '/srv/mail/alice', "
        "'/srv/mail/alice/Maildir', '1000000S', 'disablepop3=0')",
        "INSERT INTO passwd (id, crypt, uid, gid, home) VALUES "
        f"('bob@example.com', '{crypt6}', 10003, 10004, '/srv/mail/bob')",
        "INSERT INTO passwd (id, clear, uid, gid, home, options) VALUES "
        "('carol@example.com', 'carolpw', 10005, 10006, '/srv/mail/carol', 'disablepop3=1')",
        "INSERT INTO passwd (id, clear, uid, gid, home) VALUES "
        "('admin', 'adminuserpw', 10007, 10008, '/srv/mail/a')",
        "INSERT INTO passwd (id, clear, uid, gid, home) VALUES ('root@example.com', 'rootpw', 0, 0, '/root')",
        "INSERT INTO popbox (local_part, domain_name, clearpw, mbox) VALUES "
        "('erin', 'example.net', 'erinpw', 'erin'), ('frank', 'example.net', 'frankpw', 'frank')",
        "INSERT INTO popbox (local_part, domain_name, clearpw, mbox, active) VALUES "
        "('gone', 'example.net', 'gonepw', 'gone', 0)",
    )


@pytest.fixture(scope="session")
def mariadb() -> Iterator[Mariadb]:
    if not shutil.which("mariadbd"):
        pytest.fail("mariadbd is not installed; run scripts/bootstrap.sh (apt package mariadb-server)")
    directory = Path(tempfile.mkdtemp(prefix="courier-mariadb-"))
    server = Mariadb(directory)
    server.start()
    try:
        server.execute(
            *(
                "CREATE DATABASE courierdb",
                "CREATE USER 'courier'@'127.0.0.1' IDENTIFIED BY 'courierpw'",
                "CREATE USER 'courier'@'localhost' IDENTIFIED BY 'courierpw'",
                "GRANT ALL ON courierdb.* TO 'courier'@'127.0.0.1'",
                "GRANT ALL ON courierdb.* TO 'courier'@'localhost'",
            ),
            database="",
        )
        server.execute(*SQL_TABLES, *sql_rows(), database="courierdb")
        yield server
    finally:
        server.stop(kill=True)
        shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------- PostgreSQL


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL server binaries not found; run scripts/bootstrap.sh (apt package postgresql)")
    return found[-1]


class Postgres:
    """A cluster run by the ``postgres`` account (initdb refuses root) in a world-readable temp dir."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.conninfo = f"host=127.0.0.1 port={self.port} user=test dbname=courierdb"
        directory.chmod(0o777)
        self._as_postgres(
            [
                _pg_bin("initdb"),
                "-D",
                f"{directory}/pg",
                "-A",
                "trust",
                "-U",
                "test",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        )

    def _as_postgres(self, argv: list[str]) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            [_pg_bin("pg_ctl"), "-D", f"{self.dir}/pg", "-l", f"{self.dir}/pg.log", "-w", "-o", opts, "start"]
        )
        wait_port(self.port, up=True)

    def stop(self) -> None:
        self._as_postgres([_pg_bin("pg_ctl"), "-D", f"{self.dir}/pg", "-m", "immediate", "-w", "stop"])
        wait_port(self.port, up=False)

    def execute(self, *statements: str, database: str = "courierdb") -> None:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=test dbname={database}", autocommit=True
        ) as c:
            for statement in statements:
                c.execute(statement)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as c:
            return list(c.execute(sql, params).fetchall())


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    if not shutil.which("runuser"):
        pytest.fail("runuser (util-linux) is needed to run initdb as the postgres account")
    directory = Path(tempfile.mkdtemp(prefix="courier-pgsql-"))
    server = Postgres(directory)
    server.start()
    try:
        server.execute("CREATE DATABASE courierdb", database="postgres")
        server.execute(*SQL_TABLES, *sql_rows())
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
