"""authpgsql: accounts in a PostgreSQL table, configured by ``authpgsqlrc``.

As in authlib, the server is named only by PGSQL_CONNECTION, a libpq
connection string (``host=... port=... user=... password=... dbname=...``);
PGSQL_DATABASE from older samples is not read.  psycopg costs a noticeable
time to import, so it is imported only when the first connection is made,
which happens only in authdaemond workers that have authpgsql configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from courier.auth.modules.common import Context
from courier.auth.modules.sql import PGSQL, SqlModule
from courier.auth.rcfile import RcFile

NAME = "authpgsql"
RCFILE = "authpgsqlrc"
CONNECT_TIMEOUT = 5


@dataclass(frozen=True, slots=True)
class PgsqlConnection:
    conninfo: str = ""
    client_encoding: str = ""

    @classmethod
    def from_rc(cls, rc: RcFile) -> PgsqlConnection:
        return cls(
            conninfo=rc.get("PGSQL_CONNECTION").strip(), client_encoding=rc.get("PGSQL_CHARACTER_SET").strip()
        )


class PgsqlDriver:
    def connection_settings(self, rc: RcFile) -> PgsqlConnection:
        return PgsqlConnection.from_rc(rc)

    def open(self, c: PgsqlConnection) -> Any:
        import psycopg

        extra: dict[str, Any] = {}
        if "connect_timeout" not in c.conninfo:
            extra["connect_timeout"] = CONNECT_TIMEOUT
        if c.client_encoding:
            extra["client_encoding"] = c.client_encoding
        # Autocommit: a failed statement must not leave the session in an aborted transaction.
        return psycopg.connect(c.conninfo, autocommit=True, **extra)

    def errors(self) -> tuple[tuple[type[BaseException], ...], type[BaseException]]:
        import psycopg

        return (psycopg.OperationalError, psycopg.InterfaceError, OSError), psycopg.Error

    def describe(self, c: PgsqlConnection) -> str:
        # The connection string may hold a password: name only host, port and database.
        keep = [p for p in c.conninfo.split() if p.split("=", 1)[0] in ("host", "hostaddr", "port", "dbname")]
        return "PostgreSQL " + (" ".join(keep) or "(libpq defaults)")


def create(ctx: Context) -> SqlModule:
    """authdaemond's entry point: the module reading ``<config dir>/authpgsqlrc``."""
    return SqlModule(NAME, "PGSQL", PGSQL, PgsqlDriver(), Path(ctx.config_dir) / RCFILE)
