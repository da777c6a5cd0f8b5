"""authmysql: accounts in a MySQL or MariaDB table, configured by ``authmysqlrc``.

PyMySQL (pure Python) is imported only when the first connection is made.
MYSQL_SERVER ``localhost`` means the Unix socket (MYSQL_SOCKET, else the
server's default socket), as libmysqlclient does; any other name or address
means TCP to MYSQL_PORT (0 = 3306).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from courier.auth.modules.common import Context
from courier.auth.modules.sql import MYSQL, SqlModule
from courier.auth.rcfile import RcFile, as_number

NAME = "authmysql"
RCFILE = "authmysqlrc"
DEFAULT_SOCKET = "/run/mysqld/mysqld.sock"
CONNECT_TIMEOUT = 5
IO_TIMEOUT = 10


@dataclass(frozen=True, slots=True)
class MysqlConnection:
    server: str = "localhost"
    port: int = 3306
    socket: str = ""
    username: str = ""
    password: str = ""
    database: str = "mysql"
    charset: str = "utf8mb4"
    client_flag: int = 0
    ssl: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_rc(cls, rc: RcFile) -> MysqlConnection:
        g = rc.get
        server = g("MYSQL_SERVER", "localhost").strip() or "localhost"
        ssl: list[tuple[str, str]] = []
        for var, key in (
            ("MYSQL_SSL_KEY", "key"),
            ("MYSQL_SSL_CERT", "cert"),
            ("MYSQL_SSL_CACERT", "ca"),
            ("MYSQL_SSL_CAPATH", "capath"),
            ("MYSQL_SSL_CIPHER", "cipher"),
            ("MYSQL_SSL_CIPHERS", "cipher"),
        ):
            if g(var).strip() and key not in dict(ssl):
                ssl.append((key, g(var).strip()))
        return cls(
            server=server,
            port=as_number(rc, "MYSQL_PORT", 0) or 3306,
            socket=g("MYSQL_SOCKET").strip() or (DEFAULT_SOCKET if server == "localhost" else ""),
            username=g("MYSQL_USERNAME").strip(),
            password=g("MYSQL_PASSWORD"),
            database=g("MYSQL_DATABASE", "mysql").strip() or "mysql",
            charset=g("MYSQL_CHARACTER_SET").strip() or "utf8mb4",
            client_flag=as_number(rc, "MYSQL_OPT", 0),
            ssl=tuple(ssl),
        )


class MysqlDriver:
    def connection_settings(self, rc: RcFile) -> MysqlConnection:
        return MysqlConnection.from_rc(rc)

    def open(self, c: MysqlConnection) -> Any:
        import pymysql

        where: dict[str, Any] = (
            {"unix_socket": c.socket} if c.server == "localhost" else {"host": c.server, "port": c.port}
        )
        return pymysql.connect(
            user=c.username,
            password=c.password,
            database=c.database,
            charset=c.charset,
            client_flag=c.client_flag,
            ssl=dict(c.ssl) or None,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=IO_TIMEOUT,
            write_timeout=IO_TIMEOUT,
            autocommit=True,
            **where,
        )

    def errors(self) -> tuple[tuple[type[BaseException], ...], type[BaseException]]:
        import pymysql

        return (pymysql.err.OperationalError, pymysql.err.InterfaceError, OSError), pymysql.err.Error

    def describe(self, c: MysqlConnection) -> str:
        return f"MySQL {c.socket}" if c.server == "localhost" else f"MySQL {c.server}:{c.port}"


def create(ctx: Context) -> SqlModule:
    """authdaemond's entry point: the module reading ``<config dir>/authmysqlrc``."""
    return SqlModule(NAME, "MYSQL", MYSQL, MysqlDriver(), Path(ctx.config_dir) / RCFILE)
