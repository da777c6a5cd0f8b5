"""etc/auth{ldap,mysql,pgsql}rc.dist: readable by the modules, and naming every variable they read."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from courier.auth.modules import ldap, sql
from courier.auth.modules.mysql import MysqlConnection
from courier.auth.modules.pgsql import PgsqlConnection
from courier.auth.rcfile import parse_rc, read_rc
from tests.conftest import PYTHON, REPO, child_env

ETC = REPO / "etc"
MODULES = REPO / "courier" / "auth" / "modules"


def variables_read(source: Path, prefix: str) -> set[str]:
    text = source.read_text()
    names = set(re.findall(r'"((?:LDAP|MYSQL|PGSQL)_[A-Z_]+)"', text))
    names |= {f"{prefix}_{n}" for n in re.findall(r'\bg\("([A-Z_]+)"', text) if not n.startswith(prefix)}
    return {n for n in names if n.startswith(prefix) or n == "DEFAULT_DOMAIN"}


@pytest.mark.parametrize(
    ("dist", "sources", "prefix"),
    [
        ("authldaprc.dist", ["ldap.py"], "LDAP"),
        ("authmysqlrc.dist", ["mysql.py", "sql.py"], "MYSQL"),
        ("authpgsqlrc.dist", ["pgsql.py", "sql.py"], "PGSQL"),
    ],
)
def test_every_variable_is_documented(dist: str, sources: list[str], prefix: str) -> None:
    text = (ETC / dist).read_text()
    mentioned = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)[ \t]", text, re.M))
    read: set[str] = set()
    for source in sources:
        read |= variables_read(MODULES / source, prefix)
    read.discard(f"{prefix}_DEFAULT_DOMAIN")  # documented as the old spelling of DEFAULT_DOMAIN
    assert read, "the pattern found no variables"
    missing = read - mentioned
    assert not missing, f"{dist} does not show {sorted(missing)}"


def test_ldap_dist_parses_into_settings() -> None:
    rc = read_rc(ETC / "authldaprc.dist")
    s = ldap.LdapSettings.from_rc(rc, {})
    assert (s.uri, s.timeout, s.mail, s.deref, s.tls) == ("ldaps://ldap.example.com", 5, "mail", 0, False)
    assert (s.uid_attr, s.gid_attr, s.homedir, s.cryptpw, s.authbind) == (
        "uidNumber",
        "gidNumber",
        "homeDirectory",
        "userPassword",
        False,
    )


@pytest.mark.parametrize(
    ("dist", "prefix", "dialect"),
    [("authmysqlrc.dist", "MYSQL", sql.MYSQL), ("authpgsqlrc.dist", "PGSQL", sql.PGSQL)],
)
def test_sql_dist_and_its_commented_examples_compile(dist: str, prefix: str, dialect: sql.Dialect) -> None:
    text = (ETC / dist).read_text()
    rc = parse_rc(text, Path(dist))
    s = sql.SqlSettings.from_rc(rc, prefix)
    q = sql.build_queries(s, dialect, dist)
    assert q.select.sql.startswith(
        "SELECT id, crypt, '', uid, gid, home, '', '', name, '' FROM passwd WHERE id = %s"
    )
    assert q.select.names == ("login",)
    # Uncommented, the example clauses are valid input for the clause compiler.
    examples = parse_rc(re.sub(r"^#(?=[A-Z\t])", "", text, flags=re.M), Path(dist))
    q2 = sql.build_queries(sql.SqlSettings.from_rc(examples, prefix), dialect, dist)
    assert q2.select.names == ("local_part", "domain")
    assert q2.chpass is not None and q2.chpass.names == ("newpass_crypt", "local_part", "domain")
    if prefix == "MYSQL":
        c = MysqlConnection.from_rc(rc)
        assert (c.server, c.socket, c.port, c.database) == (
            "localhost",
            "/run/mysqld/mysqld.sock",
            3306,
            "mysql",
        )
    else:
        assert "dbname=mail" in PgsqlConnection.from_rc(rc).conninfo


def test_drivers_are_not_imported_until_used(tmp_path: Path) -> None:
    """Creating the modules (authdaemond start) costs nothing; only a lookup loads the driver."""
    code = f"""
import sys
from pathlib import Path
from courier.auth.modules import ldap, mysql, pgsql
class Ctx:
    config_dir = Path({str(ETC)!r})
    values = {{}}
mods = [ldap.create(Ctx()), mysql.create(Ctx()), pgsql.create(Ctx())]
heavy = sorted(m for m in ("ldap", "pymysql", "psycopg") if m in sys.modules)
print(",".join(heavy) or "none")
"""
    out = subprocess.run([PYTHON, "-c", code], env=child_env(), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "none"
