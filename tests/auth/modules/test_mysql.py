"""authmysql specifics: Unix socket vs TCP, MYSQL_PORT/MYSQL_OPT parsing, character set."""

from __future__ import annotations

from pathlib import Path

import pytest

from courier.auth.module import TempFail
from courier.auth.modules import mysql
from tests.dbfixtures import Mariadb


def make(tmp_path: Path, lines: dict[str, str]) -> mysql.SqlModule:
    cols = {"MYSQL_CLEAR_PWFIELD": "clear", "MYSQL_USERNAME": "courier", "MYSQL_PASSWORD": "courierpw"}
    cols["MYSQL_DATABASE"] = "courierdb"
    body = "".join(f"{k} {v}\n" for k, v in {**cols, **lines}.items())
    (tmp_path / "authmysqlrc").write_text("##NAME: MYSQL_SERVER:0\n" + body)

    class Ctx:
        def __init__(self) -> None:
            self.config_dir = tmp_path
            self.values: dict[str, str] = {}

    return mysql.create(Ctx())


def test_localhost_means_the_unix_socket(tmp_path: Path, mariadb: Mariadb) -> None:
    m = make(tmp_path, {"MYSQL_SERVER": "localhost", "MYSQL_SOCKET": mariadb.socket, "MYSQL_PORT": "1"})
    info = m.login("imap", "carol@example.com", "carolpw")
    assert info is not None and info.uid == 10005


def test_tcp_with_port(tmp_path: Path, mariadb: Mariadb) -> None:
    m = make(tmp_path, {"MYSQL_SERVER": "127.0.0.1", "MYSQL_PORT": str(mariadb.port), "MYSQL_OPT": "0"})
    assert m.login("imap", "carol@example.com", "carolpw") is not None


def test_unicode_login_and_charset(tmp_path: Path, mariadb: Mariadb) -> None:
    mariadb.execute(
        "INSERT IGNORE INTO passwd (id, clear, name, uid, gid, home) "
        "VALUES ('jörg@example.com', 'pässword', 'Jörg Ünicode', 10020, 10020, '/srv/mail/jörg')"
    )
    m = make(
        tmp_path, {"MYSQL_SERVER": "127.0.0.1", "MYSQL_PORT": str(mariadb.port), "MYSQL_NAME_FIELD": "name"}
    )
    info = m.login("imap", "jörg@example.com", "pässword")
    assert info is not None and info.fullname == "Jörg Ünicode" and info.home == "/srv/mail/jörg"


@pytest.mark.parametrize("bad", [{"MYSQL_PORT": "three"}, {"MYSQL_OPT": "x"}])
def test_non_numeric_port_or_opt_is_tempfail(tmp_path: Path, mariadb: Mariadb, bad: dict[str, str]) -> None:
    m = make(tmp_path, {"MYSQL_SERVER": "127.0.0.1", "MYSQL_PORT": str(mariadb.port), **bad})
    with pytest.raises(TempFail):
        m.login("imap", "carol@example.com", "carolpw")


def test_wrong_database_password_is_tempfail(tmp_path: Path, mariadb: Mariadb) -> None:
    m = make(
        tmp_path, {"MYSQL_SERVER": "127.0.0.1", "MYSQL_PORT": str(mariadb.port), "MYSQL_PASSWORD": "nope"}
    )
    with pytest.raises(TempFail):
        m.login("imap", "carol@example.com", "carolpw")
