"""Login round trip per authentication backend: persistent connection vs a fresh one per request.

Starts private slapd, MariaDB and PostgreSQL instances (as the tests do), then
times ``module.login()`` for one account in each backend:

* persistent: the connection an authdaemond worker keeps between requests;
* fresh: the connection is closed before every request (connect + bind/auth + query).

Run:  .venv/bin/python -m bench.auth_backends [--requests N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from courier.auth.module import AuthModule
from courier.auth.modules import ldap, mysql, pgsql
from tests.dbfixtures import (
    ADMIN_DN,
    ADMIN_PW,
    SQL_TABLES,
    SUFFIX,
    Mariadb,
    Postgres,
    Slapd,
    ldap_accounts,
    sql_rows,
)


class _Ctx:
    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.values: dict[str, str] = {}


def _rc(path: Path, values: dict[str, str]) -> None:
    path.write_text("##NAME: bench:0\n" + "".join(f"{k}\t{v}\n" for k, v in values.items()))


def _sql_columns(prefix: str) -> dict[str, str]:
    cols = {"USER_TABLE": "passwd", "CRYPT_PWFIELD": "crypt", "CLEAR_PWFIELD": "clear", "LOGIN_FIELD": "id"}
    cols |= {"UID_FIELD": "uid", "GID_FIELD": "gid", "HOME_FIELD": "home", "MAILDIR_FIELD": "maildir"}
    return {f"{prefix}_{k}": v for k, v in cols.items()}


def _time(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        if fn() is None:
            raise SystemExit("bench: a login failed")
        out.append((time.perf_counter() - t) * 1000)
    return out


def _report(name: str, mode: str, ms: list[float]) -> None:
    ms.sort()
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name:<22} {mode:<11} n={len(ms):<5} p50={statistics.median(ms):7.2f} ms  p99={p99:7.2f} ms")


def run(requests: int) -> None:
    base = Path(tempfile.mkdtemp(prefix="courier-bench-auth-"))
    base.chmod(0o711)  # the PostgreSQL cluster runs as the postgres account
    servers: list[Slapd | Mariadb | Postgres] = []
    try:

        def sub(name: str) -> Path:
            (base / name).mkdir()
            return base / name

        slapd = Slapd(sub("ldap"))
        slapd.start()
        servers.append(slapd)
        slapd.add(ldap_accounts())
        maria = Mariadb(sub("my"))
        maria.start()
        servers.append(maria)
        maria.execute("CREATE DATABASE courierdb", database="")
        maria.execute("CREATE USER 'courier'@'127.0.0.1' IDENTIFIED BY 'pw'", database="")
        maria.execute("GRANT ALL ON courierdb.* TO 'courier'@'127.0.0.1'", database="")
        maria.execute(*SQL_TABLES, *sql_rows())
        pg = Postgres(sub("pg"))
        pg.start()
        servers.append(pg)
        pg.execute("CREATE DATABASE courierdb", database="postgres")
        pg.execute(*SQL_TABLES, *sql_rows())

        etc = base / "etc"
        etc.mkdir()
        ldap_common = {"LDAP_URI": slapd.uri, "LDAP_BASEDN": f"ou=people,{SUFFIX}", "LDAP_UID": "uidNumber"}
        ldap_common |= {
            "LDAP_GID": "gidNumber",
            "LDAP_CRYPTPW": "userPassword",
            "LDAP_CLEARPW": "clearPassword",
        }
        cases: list[tuple[str, Callable[[], AuthModule]]] = []

        def add_ldap(name: str, extra: dict[str, str]) -> None:
            d = etc / name
            d.mkdir()
            _rc(d / "authldaprc", {**ldap_common, **extra})
            cases.append((name, lambda: ldap.create(_Ctx(d))))

        add_ldap("ldap search-bind", {"LDAP_BINDDN": ADMIN_DN, "LDAP_BINDPW": ADMIN_PW})
        add_ldap("ldap authbind", {"LDAP_AUTHBIND": "1"})
        d = etc / "mysql"
        d.mkdir()
        mysql_rc = {"MYSQL_SERVER": "127.0.0.1", "MYSQL_PORT": str(maria.port), "MYSQL_USERNAME": "courier"}
        mysql_rc |= {"MYSQL_PASSWORD": "pw", "MYSQL_DATABASE": "courierdb", **_sql_columns("MYSQL")}
        _rc(d / "authmysqlrc", mysql_rc)
        cases.append(("mysql", lambda: mysql.create(_Ctx(etc / "mysql"))))
        d = etc / "pgsql"
        d.mkdir()
        _rc(d / "authpgsqlrc", {"PGSQL_CONNECTION": pg.conninfo, **_sql_columns("PGSQL")})
        cases.append(("pgsql", lambda: pgsql.create(_Ctx(etc / "pgsql"))))

        print(f"# courier-imap auth backends, {requests} logins each (clear password stored)")
        user, password = "carol@example.com", "carolpw"
        for name, make in cases:
            m = make()
            m.login("imap", user, password)  # warm: driver imported, connection open
            _report(name, "persistent", _time(lambda m=m: m.login("imap", user, password), requests))

            def fresh(m: AuthModule = m) -> object:
                m.close()
                return m.login("imap", user, password)

            _report(name, "fresh", _time(fresh, requests))
            m.close()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="logins per backend and mode (default 300)")
    args = parser.parse_args(argv)
    run(args.requests)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
