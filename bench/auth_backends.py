"""Login round trip per authentication backend: persistent connection vs a fresh one per request.

Starts private slapd, MariaDB and PostgreSQL instances (as the tests do), then
times a login for one account in each backend, twice:

* in-process: ``module.login()`` directly;
* authdaemond: an AUTH request over the socket to our authdaemond (one worker,
  that backend alone in authmodulelist), as imapd and pop3d send it.

and in two modes:

* persistent: the connection a worker keeps between requests;
* fresh: a new connection per request (in-process: ``close()`` first; through
  authdaemond: the rc file's mtime is bumped, which makes the worker re-read
  it and reconnect, as after an edit).

Run:  .venv/bin/python -m bench.auth_backends [--requests N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from courier.auth.module import AuthModule
from courier.auth.modules import ldap, mysql, pgsql
from courier.authdaemon.client import AuthClient
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


def _wait_for(client: AuthClient, user: str, password: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            if client.login("imap", user, password) is not None:
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


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

        print("# through authdaemond (one worker, AUTH login over the socket)")
        for name, _make in cases:
            config_dir = etc / name
            rcfile = next(config_dir.glob("auth*rc"))
            module = {"authldaprc": "authldap", "authmysqlrc": "authmysql", "authpgsqlrc": "authpgsql"}[
                rcfile.name
            ]
            var = base / "var" / name.replace(" ", "-")
            (config_dir / "authdaemonrc").write_text(
                f'authmodulelist="{module}"\ndaemons=1\nauthdaemonvar={var}\n'
            )
            proc = subprocess.Popen(
                [sys.executable, "-m", "courier.cli.authdaemond", "--config-dir", str(config_dir)],
                stdin=subprocess.DEVNULL,
            )
            try:
                client = AuthClient(str(var / "socket"), timeout=10)
                _wait_for(client, user, password)
                _report(name, "persistent", _time(lambda c=client: c.login("imap", user, password), requests))

                def fresh_daemon(c: AuthClient = client, rc: Path = rcfile) -> object:
                    now = time.time_ns()
                    os.utime(rc, ns=(now, now))
                    return c.login("imap", user, password)

                _report(name, "fresh", _time(fresh_daemon, requests))
            finally:
                proc.terminate()
                proc.wait(timeout=10)
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
