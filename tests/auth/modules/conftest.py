"""Private slapd, MariaDB and PostgreSQL servers (session-scoped) for the module tests."""

from tests.dbfixtures import mariadb, postgres, slapd

__all__ = ["mariadb", "postgres", "slapd"]
