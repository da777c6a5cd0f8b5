"""authpgsql specifics: PGSQL_CONNECTION is the only way to name the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from courier.auth.module import TempFail
from courier.auth.modules import pgsql
from tests.conftest import free_port
from tests.dbfixtures import Postgres


def make(tmp_path: Path, lines: dict[str, str]) -> pgsql.SqlModule:
    body = "".join(f"{k}\t{v}\n" for k, v in {"PGSQL_CLEAR_PWFIELD": "clear", **lines}.items())
    (tmp_path / "authpgsqlrc").write_text("##NAME: PGSQL_CONNECTION:0\n" + body)

    class Ctx:
        def __init__(self) -> None:
            self.config_dir = tmp_path
            self.values: dict[str, str] = {}

    return pgsql.create(Ctx())


def test_connection_string_with_continuation(tmp_path: Path, postgres: Postgres) -> None:
    m = make(
        tmp_path,
        {"PGSQL_CONNECTION": f"host=127.0.0.1 \\\n\tport={postgres.port} user=test dbname=courierdb"},
    )
    info = m.login("pop3", "carol@example.com", "carolpw")
    assert info is not None and info.home == "/srv/mail/carol"


def test_unix_socket_directory(tmp_path: Path, postgres: Postgres) -> None:
    m = make(
        tmp_path, {"PGSQL_CONNECTION": f"host={postgres.dir} port={postgres.port} user=test dbname=courierdb"}
    )
    assert m.login("pop3", "carol@example.com", "carolpw") is not None


def test_pgsql_database_is_not_read(tmp_path: Path, postgres: Postgres) -> None:
    # As in authlib: without dbname= libpq uses the user name ("test", which does not exist).
    m = make(
        tmp_path,
        {"PGSQL_CONNECTION": f"host=127.0.0.1 port={postgres.port} user=test", "PGSQL_DATABASE": "courierdb"},
    )
    with pytest.raises(TempFail):
        m.login("pop3", "carol@example.com", "carolpw")


def test_nothing_listening_is_tempfail_quickly(tmp_path: Path) -> None:
    m = make(tmp_path, {"PGSQL_CONNECTION": f"host=127.0.0.1 port={free_port()} user=x dbname=y"})
    with pytest.raises(TempFail):
        m.login("pop3", "carol@example.com", "carolpw")


def test_password_not_logged(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    m = make(
        tmp_path, {"PGSQL_CONNECTION": f"host=127.0.0.1 port={free_port()} user=x password=s3cret dbname=y"}
    )
    with pytest.raises(TempFail):
        m.pre("imap", "carol@example.com")
    err = capfd.readouterr().err
    assert "authpgsql" in err and "s3cret" not in err
