"""authmysql and authpgsql against private MariaDB and PostgreSQL servers.

The same behaviour is asked of both: Courier's default query, custom clauses,
bound substitutions, hostile names, password changes, and outages.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from courier.auth.module import BadPassword, TempFail
from courier.auth.modules import mysql, pgsql
from courier.auth.modules.sql import MYSQL, PGSQL, Query, SqlModule, compile_clause
from courier.config import ConfigError
from tests.dbfixtures import Mariadb, Postgres, sha512_crypt, ssha

INJECTIONS = [
    "' OR '1'='1",
    "x' --",
    "admin' --",
    "admin'#",
    "admin' /*",
    "\\' OR 1=1 -- ",
    "carol@example.com' OR '1'='1",
    "*)(uid=*",
    "admin)(|(uid=*",
    "%",
    "$(local_part)",
    "'; DROP TABLE passwd; --",
]


@dataclass
class Backend:
    name: str
    prefix: str
    server: Mariadb | Postgres
    connection: dict[str, str]
    concat: Callable[..., str]

    def module(self, tmp_path: Path, **over: str | None) -> SqlModule:
        p = self.prefix
        values: dict[str, str | None] = {
            **self.connection,
            f"{p}_USER_TABLE": "passwd",
            f"{p}_CRYPT_PWFIELD": "crypt",
            f"{p}_CLEAR_PWFIELD": "clear",
            f"{p}_UID_FIELD": "uid",
            f"{p}_GID_FIELD": "gid",
            f"{p}_LOGIN_FIELD": "id",
            f"{p}_HOME_FIELD": "home",
            f"{p}_NAME_FIELD": "name",
            f"{p}_MAILDIR_FIELD": "maildir",
            f"{p}_QUOTA_FIELD": "quota",
            f"{p}_AUXOPTIONS_FIELD": "options",
        }
        values.update({(k if k == "DEFAULT_DOMAIN" else f"{p}_{k}"): v for k, v in over.items()})
        rc = tmp_path / f"auth{self.name}rc"
        body = [f"##NAME: auth{self.name}rc:0", "#", "# test file"]
        for k, v in values.items():
            if v is None:
                continue
            # Long values use backslash continuation, as Courier's samples do.
            words = v.split(" ")
            if len(words) > 6:
                v = " ".join(words[:6]) + " \\\n\t\t" + " ".join(words[6:])
            body.append(f"{k}\t{v}")
        rc.write_text("\n".join(body) + "\n")
        factory = mysql.create if self.name == "mysql" else pgsql.create

        class Ctx:
            def __init__(self) -> None:
                self.config_dir = tmp_path
                self.values: dict[str, str] = {}

        return factory(Ctx())


def _mysql_concat(*parts: str) -> str:
    return "CONCAT(" + ", ".join(parts) + ")"


def _pgsql_concat(*parts: str) -> str:
    return "(" + " || ".join(parts) + ")"


@pytest.fixture(params=["mysql", "pgsql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "mysql":
        server: Mariadb | Postgres = request.getfixturevalue("mariadb")
        conn = {
            "MYSQL_SERVER": "127.0.0.1",
            "MYSQL_PORT": str(server.port),
            "MYSQL_OPT": "0",
            "MYSQL_USERNAME": "courier",
            "MYSQL_PASSWORD": "courierpw",
            "MYSQL_DATABASE": "courierdb",
        }
        return Backend("mysql", "MYSQL", server, conn, _mysql_concat)
    server = request.getfixturevalue("postgres")
    assert isinstance(server, Postgres)
    return Backend("pgsql", "PGSQL", server, {"PGSQL_CONNECTION": server.conninfo}, _pgsql_concat)


def cram(password: str, challenge: bytes, digest: str = "md5") -> str:
    return hmac.new(password.encode(), challenge, digest).hexdigest()


# -- the default query -----------------------------------------------------------------------


def test_default_query_hashes_and_clear(tmp_path: Path, backend: Backend) -> None:
    m = backend.module(tmp_path)
    info = m.login("imap", "alice@example.com", "alicepw")  # {SSHA}
    assert info is not None
    assert (info.address, info.uid, info.gid, info.home) == (
        "alice@example.com",
        10001,
        10002,
        "/srv/mail/alice",
    )
    assert (info.maildir, info.quota, info.fullname) == (
        "/srv/mail/alice/Maildir",
        "1000000S",
        "Alice Example",
    )
    assert info.options == {"disablepop3": "0"}
    assert m.login("imap", "bob@example.com", "bobpw") is not None  # $6$ crypt
    carol = m.login("pop3", "carol@example.com", "carolpw")  # clear only
    assert carol is not None and carol.maildir is None and carol.options == {"disablepop3": "1"}
    for user, wrong in (
        ("alice@example.com", "alicepW"),
        ("bob@example.com", ""),
        ("carol@example.com", "x"),
    ):
        with pytest.raises(BadPassword):
            m.login("imap", user, wrong)
    assert m.login("imap", "nobody@example.com", "x") is None
    assert m.pre("imap", "bob@example.com").uid == 10003  # type: ignore[union-attr]


def test_cram_needs_a_clear_password(tmp_path: Path, backend: Backend) -> None:
    m = backend.module(tmp_path)
    challenge = b"<12345.1@mail.example.com>"
    for authtype, digest in (("cram-md5", "md5"), ("cram-sha1", "sha1"), ("cram-sha256", "sha256")):
        assert m.cram("imap", authtype, "carol@example.com", challenge, cram("carolpw", challenge, digest))
        with pytest.raises(BadPassword):
            m.cram("imap", authtype, "carol@example.com", challenge, cram("carolpx", challenge, digest))
    with pytest.raises(BadPassword):  # only a hash stored
        m.cram("imap", "cram-md5", "alice@example.com", challenge, cram("alicepw", challenge))
    assert m.cram("imap", "cram-md5", "ghost@example.com", challenge, cram("x", challenge)) is None


def test_default_domain(tmp_path: Path, backend: Backend) -> None:
    m = backend.module(tmp_path, DEFAULT_DOMAIN="example.com")
    info = m.login("imap", "alice", "alicepw")
    assert info is not None and info.address == "alice@example.com"  # the row's id
    assert m.login("imap", "admin", "adminuserpw") is None  # looked up as admin@example.com


def test_where_clause_with_percent(tmp_path: Path, backend: Backend) -> None:
    m = backend.module(tmp_path, WHERE_CLAUSE="options NOT LIKE '%disablepop3=1%'")
    assert m.login("imap", "alice@example.com", "alicepw") is not None
    assert m.login("imap", "carol@example.com", "carolpw") is None


def test_zero_uid_is_tempfail(tmp_path: Path, backend: Backend) -> None:
    with pytest.raises(TempFail):
        backend.module(tmp_path).login("imap", "root@example.com", "rootpw")


def test_case_is_the_backends(tmp_path: Path, backend: Backend) -> None:
    info = backend.module(tmp_path).login("imap", "ALICE@example.com", "alicepw")
    if backend.name == "mysql":  # MariaDB's default collation ignores case
        assert info is not None and info.address == "alice@example.com"
    else:
        assert info is None


# -- custom clauses ------------------------------------------------------------------------------


def custom(backend: Backend) -> dict[str, str]:
    c = backend.concat
    address = c("local_part", "'@'", "domain_name")
    home = c("'/srv/mail/'", "domain_name", "'/'", "mbox")
    flat_home = c("'/srv/mail/'", "mbox")
    return {
        "SELECT_CLAUSE": (
            f"SELECT {address}, cryptpw, clearpw, 10011, 10012, {home},"
            " '', '1000S', 'Pop Box', 'service=$(service),disableimap=0' FROM popbox"
            " WHERE local_part = '$(local_part)' AND domain_name = '$(domain)'"
            " AND active = 1 AND mbox NOT LIKE '%tmp%'"
        ),
        "ENUMERATE_CLAUSE": f"SELECT {address}, 10011, 10012, {flat_home}, '', '' FROM popbox"
        " WHERE active = 1",
        "CHPASS_CLAUSE": (
            "UPDATE popbox SET clearpw = '$(newpass)', cryptpw = '$(newpass_crypt)',"
            f" last_service = '$(service)' WHERE {address} = '$(local_part)@$(domain)'"
        ),
    }


def test_custom_select_clause(tmp_path: Path, backend: Backend) -> None:
    m = backend.module(tmp_path, **custom(backend))
    info = m.login("pop3", "erin@example.net", "erinpw")
    assert info is not None
    assert (info.address, info.uid, info.gid, info.home) == (
        "erin@example.net",
        10011,
        10012,
        "/srv/mail/example.net/erin",
    )
    assert (info.quota, info.fullname) == ("1000S", "Pop Box")
    assert info.options == {"service": "pop3", "disableimap": "0"}  # $(service) substituted
    with pytest.raises(BadPassword):
        m.login("pop3", "erin@example.net", "frankpw")
    assert m.login("pop3", "gone@example.net", "gonepw") is None  # active = 0
    assert m.login("pop3", "erin@example.com", "erinpw") is None


def test_custom_enumerate_clause(tmp_path: Path, backend: Backend) -> None:
    found = {i.address: i for i in backend.module(tmp_path, **custom(backend)).enumerate()}
    assert {"erin@example.net", "frank@example.net"} <= set(found)
    assert "gone@example.net" not in found
    assert found["frank@example.net"].home == "/srv/mail/frank"


def test_default_enumerate_skips_unusable_rows(tmp_path: Path, backend: Backend) -> None:
    found = {i.address: i for i in backend.module(tmp_path).enumerate()}
    assert {"alice@example.com", "bob@example.com", "carol@example.com", "admin"} <= set(found)
    assert "root@example.com" not in found  # uid 0
    assert found["alice@example.com"].maildir == "/srv/mail/alice/Maildir"


def test_custom_chpass_clause(tmp_path: Path, backend: Backend) -> None:
    local = f"c{os.getpid()}"
    backend.server.execute(
        "INSERT INTO popbox (local_part, domain_name, cryptpw, mbox) "
        f"VALUES ('{local}', 'example.net', '{sha512_crypt('oldpw')}', '{local}')"
    )
    m = backend.module(tmp_path, **custom(backend))
    user = f"{local}@example.net"
    assert m.passwd("imap", user, "nope", "new'pw") is False
    assert m.passwd("imap", "ghost@example.net", "x", "y") is None
    assert m.passwd("imap", user, "oldpw", "new'pw --") is True
    rows = backend.server.query(
        "SELECT clearpw, cryptpw, last_service FROM popbox WHERE local_part = %s", local
    )
    clear, crypted, service = rows[0]
    assert clear == "new'pw --" and crypted.startswith("$6$") and service == "imap"
    assert m.login("imap", user, "new'pw --") is not None
    with pytest.raises(BadPassword):
        m.login("imap", user, "oldpw")


def test_default_chpass(tmp_path: Path, backend: Backend) -> None:
    user = f"d{os.getpid()}@example.com"
    backend.server.execute(
        f"INSERT INTO passwd (id, crypt, uid, gid, home) VALUES ('{user}', '{ssha('oldpw')}', 1, 1, '/h')"
    )
    m = backend.module(tmp_path)
    assert m.passwd("imap", user, "oldpw", "newpw") is True
    clear, crypted = backend.server.query("SELECT clear, crypt FROM passwd WHERE id = %s", user)[0]
    assert clear == "newpw" and crypted.startswith("{SSHA}") and crypted != ssha("oldpw")
    assert m.login("imap", user, "newpw") is not None


# -- hostile names -------------------------------------------------------------------------------


@pytest.mark.parametrize("clauses", [False, True])
def test_injection_names_never_authenticate(tmp_path: Path, backend: Backend, clauses: bool) -> None:
    m = backend.module(tmp_path, **(custom(backend) if clauses else {}))
    for name in INJECTIONS:
        for password in ("carolpw", "adminuserpw", "erinpw", "x", "' OR '1'='1"):
            try:
                result = m.login("imap", name, password)
            except BadPassword:
                result = None
            assert result is None, name
        assert m.pre("imap", name) is None, name
        assert m.passwd("imap", name, "x", "y") in (None, False)
    assert m.login("imap", "a" * 100_000, "x") is None
    assert m.login("imap", "carol@example.com\x00", "carolpw") is None
    assert m.login("imap", "carol@example.com\udcff", "carolpw") is None
    # Nothing was broken: the table and the connection still answer.
    assert m.login(
        "imap", "erin@example.net" if clauses else "carol@example.com", "erinpw" if clauses else "carolpw"
    )


# -- configuration errors and outages ------------------------------------------------------------


def test_bad_table_is_tempfail(tmp_path: Path, backend: Backend) -> None:
    m = backend.module(tmp_path, USER_TABLE="no_such_table")
    with pytest.raises(TempFail):
        m.login("imap", "alice@example.com", "alicepw")


def test_rc_file_reread_when_changed(tmp_path: Path, backend: Backend) -> None:
    m = backend.module(tmp_path)
    assert m.pre("imap", "alice@example.com").fullname == "Alice Example"  # type: ignore[union-attr]
    m2 = backend.module(tmp_path, NAME_FIELD="id")  # rewrites the same file
    assert m2 is not m
    os.utime(tmp_path / f"auth{backend.name}rc", ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    assert m.pre("imap", "alice@example.com").fullname == "alice@example.com"  # type: ignore[union-attr]


def test_server_stopped_mid_test(tmp_path: Path, backend: Backend) -> None:
    m = backend.module(tmp_path)
    assert m.login("imap", "alice@example.com", "alicepw") is not None
    backend.server.stop()
    try:
        started = time.monotonic()
        with pytest.raises(TempFail):
            m.login("imap", "alice@example.com", "alicepw")
        with pytest.raises(TempFail):
            m.pre("imap", "carol@example.com")
        assert time.monotonic() - started < 5
    finally:
        backend.server.start()
    info = m.login("imap", "alice@example.com", "alicepw")  # same module: reconnected
    assert info is not None and info.uid == 10001


def test_persistent_connection_is_reused(tmp_path: Path, backend: Backend) -> None:
    m = backend.module(tmp_path)
    m.pre("imap", "alice@example.com")
    first = m._conn
    for _ in range(5):
        m.pre("imap", "alice@example.com")
    assert m._conn is first and first is not None
    m.close()
    assert m._conn is None


# -- the clause compiler ------------------------------------------------------------------------


def test_compile_clause_binds_every_substitution() -> None:
    q = compile_clause("SELECT a FROM t WHERE l = '$(local_part)' AND d = $(domain) AND x LIKE '%y'", MYSQL)
    assert q == Query("SELECT a FROM t WHERE l = %s AND d = %s AND x LIKE '%%y'", ("local_part", "domain"))
    q = compile_clause("WHERE id = '$(local_part)@$(domain)'", MYSQL)
    assert q == Query("WHERE id = CONCAT(%s, '@', %s)", ("local_part", "domain"))
    q = compile_clause("WHERE id = '$(local_part)@$(domain)'", PGSQL)
    assert q == Query("WHERE id = (CAST(%s AS text) || '@' || CAST(%s AS text))", ("local_part", "domain"))
    q = compile_clause("WHERE id = \"$(local_part)\" AND s = 'it''s $(service)'", MYSQL)
    assert q == Query("WHERE id = %s AND s = CONCAT('it''s ', %s)", ("local_part", "service"))
    q = compile_clause("WHERE s = 'a\\'$(service)'", MYSQL)
    assert q == Query("WHERE s = CONCAT('a\\'', %s)", ("service",))
    assert compile_clause('WHERE "Col" = $(newpass_crypt)', PGSQL).sql == 'WHERE "Col" = %s'
    assert compile_clause("x = '$(unknown)'", MYSQL) == Query("x = '$(unknown)'", ())
    with pytest.raises(ConfigError):
        compile_clause("WHERE a = '$(local_part)", MYSQL)
