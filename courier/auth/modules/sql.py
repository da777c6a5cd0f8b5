"""What authmysql and authpgsql share: the column variables, the queries, the checks.

authlib builds its SQL by pasting the (escaped) login into the text.  We never
do: every value that comes from a client (``$(local_part)``, ``$(domain)``,
``$(service)``, ``$(newpass)``, ``$(newpass_crypt)`` and the login itself) is a
bound parameter.  Courier's sample clauses put the substitutions inside quotes
(``WHERE id = '$(local_part)@$(domain)'``), so a quoted string holding
substitutions is rewritten into a concatenation of literals and parameters,
which means the same thing and keeps existing rc files working.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from courier.auth.info import AuthInfo, parse_options
from courier.auth.module import BadPassword, TempFail
from courier.auth.modules.common import (
    check_cram,
    check_password,
    hash_new_password,
    log,
    split_login,
    usable_login,
    with_domain,
)
from courier.auth.rcfile import RcFile, RcWatch
from courier.config import ConfigError

SUBSTITUTIONS = ("local_part", "domain", "service", "newpass", "newpass_crypt")
_VAR = re.compile(r"\$\((" + "|".join(SUBSTITUTIONS) + r")\)")


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str
    double_quoted_strings: bool  # MySQL: "..." is a string; PostgreSQL: an identifier
    backslash_escapes: bool  # MySQL: \' inside a string

    def concat(self, parts: Sequence[str]) -> str:
        if self.name == "mysql":
            return "CONCAT(" + ", ".join(parts) + ")"
        return "(" + " || ".join(parts) + ")"

    def param(self, alone: bool) -> str:
        # PostgreSQL needs a type to concatenate an untyped parameter.
        return "%s" if alone or self.name == "mysql" else "CAST(%s AS text)"


MYSQL = Dialect("mysql", double_quoted_strings=True, backslash_escapes=True)
PGSQL = Dialect("pgsql", double_quoted_strings=False, backslash_escapes=False)


@dataclass(frozen=True, slots=True)
class Query:
    """SQL text with ``%s`` placeholders and the names of the values to bind, in order."""

    sql: str
    names: tuple[str, ...]

    def params(self, values: dict[str, str]) -> tuple[str, ...]:
        return tuple(values.get(n, "") for n in self.names)

    def __add__(self, other: Query) -> Query:
        return Query(self.sql + other.sql, self.names + other.names)


def compile_clause(text: str, dialect: Dialect, where: str = "clause") -> Query:
    """Turn a clause with ``$(name)`` substitutions into a parameterised query."""
    out: list[str] = []
    names: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "'" or (c == '"' and dialect.double_quoted_strings):
            pieces: list[tuple[bool, str]] = []  # (is_variable, text)
            buf: list[str] = []
            j = i + 1
            while True:
                if j >= n:
                    raise ConfigError(f"{where}: unterminated {c} string; close the quote")
                ch = text[j]
                if ch == "\\" and dialect.backslash_escapes and j + 1 < n:
                    buf.append(text[j : j + 2])
                    j += 2
                    continue
                if ch == c:
                    if j + 1 < n and text[j + 1] == c:
                        buf.append(c + c)
                        j += 2
                        continue
                    break
                m = _VAR.match(text, j)
                if m:
                    pieces.append((False, "".join(buf)))
                    pieces.append((True, m.group(1)))
                    buf = []
                    j = m.end()
                    continue
                buf.append(ch)
                j += 1
            pieces.append((False, "".join(buf)))
            i = j + 1
            variables = [p for is_var, p in pieces if is_var]
            if not variables:
                out.append(c + pieces[0][1].replace("%", "%%") + c)
                continue
            parts = [p for p in pieces if p[0] or p[1]]
            alone = len(parts) == 1
            sql_parts = []
            for is_var, piece in parts:
                if is_var:
                    sql_parts.append(dialect.param(alone))
                    names.append(piece)
                else:
                    sql_parts.append(c + piece.replace("%", "%%") + c)
            out.append(sql_parts[0] if alone else dialect.concat(sql_parts))
            continue
        m = _VAR.match(text, i)
        if m:
            out.append("%s")
            names.append(m.group(1))
            i = m.end()
            continue
        out.append("%%" if c == "%" else c)
        i += 1
    return Query("".join(out), tuple(names))


@dataclass(frozen=True, slots=True)
class SqlSettings:
    """The table and column variables common to authmysqlrc and authpgsqlrc."""

    user_table: str = "passwd"
    login_field: str = "id"
    crypt_field: str = "crypt"
    clear_field: str = ""
    uid_field: str = "uid"
    gid_field: str = "gid"
    home_field: str = "home"
    name_field: str = ""
    maildir_field: str = ""
    quota_field: str = ""
    options_field: str = ""
    where_clause: str = ""
    select_clause: str = ""
    enumerate_clause: str = ""
    chpass_clause: str = ""
    default_domain: str = ""

    @classmethod
    def from_rc(cls, rc: RcFile, prefix: str) -> SqlSettings:
        def g(name: str, default: str = "") -> str:
            return rc.get(f"{prefix}_{name}", default).strip()

        return cls(
            user_table=g("USER_TABLE", "passwd") or "passwd",
            login_field=g("LOGIN_FIELD", "id") or "id",
            crypt_field=g("CRYPT_PWFIELD", "crypt"),
            clear_field=g("CLEAR_PWFIELD"),
            uid_field=g("UID_FIELD", "uid") or "uid",
            gid_field=g("GID_FIELD", "gid") or "gid",
            home_field=g("HOME_FIELD", "home") or "home",
            name_field=g("NAME_FIELD"),
            maildir_field=g("MAILDIR_FIELD"),
            quota_field=g("QUOTA_FIELD"),
            # authpgsqlrc's sample spells it PGSQL_AUXOPTIONS; the field variable is the documented one.
            options_field=g("AUXOPTIONS_FIELD") or g("AUXOPTIONS"),
            where_clause=g("WHERE_CLAUSE"),
            select_clause=g("SELECT_CLAUSE"),
            enumerate_clause=g("ENUMERATE_CLAUSE"),
            chpass_clause=g("CHPASS_CLAUSE"),
            # authlib reads DEFAULT_DOMAIN; the samples also show <PREFIX>_DEFAULT_DOMAIN.
            default_domain=rc.get("DEFAULT_DOMAIN").strip() or g("DEFAULT_DOMAIN"),
        )


@dataclass(frozen=True, slots=True)
class Queries:
    select: Query
    enumerate: Query
    chpass: Query | None  # None: no password column to change


def build_queries(s: SqlSettings, dialect: Dialect, where: str) -> Queries:
    def col(expr: str) -> str:
        return expr or "''"

    cond = compile_clause(f" AND ({s.where_clause or '1=1'})", dialect, f"{where} WHERE_CLAUSE")
    by_login = Query(f" WHERE {s.login_field} = %s", ("login",)) + cond
    if s.select_clause:
        select = compile_clause(s.select_clause, dialect, f"{where} SELECT_CLAUSE")
    else:
        cols = [
            s.login_field,
            col(s.crypt_field),
            col(s.clear_field),
            s.uid_field,
            s.gid_field,
            s.home_field,
            col(s.maildir_field),
            col(s.quota_field),
            col(s.name_field),
            col(s.options_field),
        ]
        select = compile_clause(f"SELECT {', '.join(cols)} FROM {s.user_table}", dialect, where) + by_login
    if s.enumerate_clause:
        enum = compile_clause(s.enumerate_clause, dialect, f"{where} ENUMERATE_CLAUSE")
    else:
        cols = [s.login_field, s.uid_field, s.gid_field, s.home_field]
        cols += [col(s.maildir_field), col(s.options_field)]
        enum = compile_clause(
            f"SELECT {', '.join(cols)} FROM {s.user_table} WHERE ({s.where_clause or '1=1'})", dialect, where
        )
    chpass: Query | None
    if s.chpass_clause:
        chpass = compile_clause(s.chpass_clause, dialect, f"{where} CHPASS_CLAUSE")
    else:
        sets = []
        if s.clear_field:
            sets.append(f"{s.clear_field} = $(newpass)")
        if s.crypt_field:
            sets.append(f"{s.crypt_field} = $(newpass_crypt)")
        chpass = (
            compile_clause(f"UPDATE {s.user_table} SET {', '.join(sets)}", dialect, where) + by_login
            if sets
            else None
        )
    return Queries(select, enum, chpass)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "surrogateescape")
    return str(value)


@dataclass(frozen=True, slots=True)
class Row:
    """One account row in authlib's fixed column order."""

    username: str
    crypt: str
    clear: str
    uid: str
    gid: str
    home: str
    maildir: str
    quota: str
    fullname: str
    options: str

    @classmethod
    def from_db(cls, values: Sequence[object]) -> Row:
        cells = [_text(v) for v in values[:10]]
        cells += [""] * (10 - len(cells))
        return cls(*cells)


class Driver(Protocol):
    """The database-specific part: how to connect and which errors mean "server gone"."""

    def connection_settings(self, rc: RcFile) -> Any: ...

    def open(self, conn_settings: Any) -> Any: ...

    def errors(self) -> tuple[tuple[type[BaseException], ...], type[BaseException]]:
        """(errors meaning the server is gone or unreachable, the driver's base error)."""
        ...

    def describe(self, conn_settings: Any) -> str: ...


class SqlModule:
    """authmysql / authpgsql: a persistent connection per worker, reconnected when lost."""

    def __init__(self, name: str, prefix: str, dialect: Dialect, driver: Driver, rcpath: Path | str) -> None:
        self.name = name
        self.prefix = prefix
        self.dialect = dialect
        self._driver = driver
        self._watch = RcWatch(rcpath)
        self._conn: Any = None
        self._pid = 0
        self._loaded: tuple[SqlSettings, Queries, Any] | None = None

    # -- settings and the connection ------------------------------------------------------

    def _settings(self) -> tuple[SqlSettings, Queries, Any]:
        try:
            rc, changed = self._watch.current()
            if changed or self._loaded is None:
                s = SqlSettings.from_rc(rc, self.prefix)
                queries = build_queries(s, self.dialect, str(rc.path))
                self._loaded = (s, queries, self._driver.connection_settings(rc))
                self.close()
        except ConfigError as exc:
            log(self.name, str(exc))
            raise TempFail(str(exc)) from exc
        return self._loaded

    def _execute(self, query: Query, values: dict[str, str]) -> list[tuple[object, ...]]:
        _s, _q, conn_settings = self._settings()
        gone, base = self._driver.errors()
        params = query.params(values)
        for attempt in (1, 2):
            if self._pid != os.getpid():  # forked: the parent's socket is not ours
                self._conn = None
                self._pid = os.getpid()
            try:
                if self._conn is None:
                    self._conn = self._driver.open(conn_settings)
                with self._conn.cursor() as cur:
                    cur.execute(query.sql, params)
                    return list(cur.fetchall()) if cur.description else []
            except gone as exc:
                self._drop()
                if attempt == 2:
                    log(self.name, f"{self._driver.describe(conn_settings)}: {exc}")
                    raise TempFail(f"{self.name}: database unavailable") from exc
            except base as exc:
                self._drop()
                log(self.name, f"query failed ({exc}); check the rc file's table, columns and clauses")
                raise TempFail(f"{self.name}: query failed") from exc
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail too
                conn.close()

    def close(self) -> None:
        if self._pid == os.getpid():
            self._drop()
        self._conn = None

    # -- lookups ------------------------------------------------------------------------------

    def _values(self, s: SqlSettings, service: str, username: str) -> dict[str, str]:
        login = with_domain(username, s.default_domain)
        local, domain = split_login(login)
        return {"login": login, "local_part": local, "domain": domain, "service": service}

    def _row(self, service: str, username: str) -> tuple[Row, dict[str, str]] | None:
        s, q, _c = self._settings()
        if not usable_login(username) or not usable_login(service):
            return None
        values = self._values(s, service, username)
        rows = self._execute(q.select, values)
        if not rows:
            return None
        return Row.from_db(rows[0]), values

    def _info(self, row: Row, clearpw: str | None = None) -> AuthInfo:
        uid, gid = _number(row.uid), _number(row.gid)
        if not uid or not gid:
            log(self.name, f"{row.username}: zero or missing uid/gid not permitted")
            raise TempFail("zero uid or gid not permitted")
        if not row.home:
            log(self.name, f"{row.username}: empty home directory")
            raise TempFail("account has no home directory")
        return AuthInfo(
            address=row.username,
            home=row.home,
            uid=uid,
            gid=gid,
            maildir=row.maildir or None,
            fullname=row.fullname or None,
            quota=row.quota or None,
            options=parse_options(row.options),
            passwd=row.crypt or None,
            clearpw=clearpw,
        )

    # -- the module contract ------------------------------------------------------------------

    def pre(self, service: str, username: str) -> AuthInfo | None:
        found = self._row(service, username)
        return None if found is None else self._info(found[0])

    def _verify(self, row: Row, password: str) -> bool:
        return bool(password) and check_password(password, row.crypt, row.clear)

    def login(self, service: str, username: str, password: str) -> AuthInfo | None:
        found = self._row(service, username)
        if found is None:
            return None
        row = found[0]
        if not self._verify(row, password):
            raise BadPassword()
        return self._info(row, clearpw=password)

    def cram(
        self, service: str, authtype: str, username: str, challenge: bytes, response_hex: str
    ) -> AuthInfo | None:
        found = self._row(service, username)
        if found is None:
            return None
        row = found[0]
        if not check_cram(authtype, challenge, response_hex, row.clear):
            raise BadPassword()
        return self._info(row)

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool | None:
        found = self._row(service, username)
        if found is None:
            return None
        row, values = found
        if not self._verify(row, oldpass) or not newpass or not newpass.isprintable():
            return False
        _s, q, _c = self._settings()
        if q.chpass is None:
            log(self.name, "no password column configured; cannot change passwords")
            return False
        values = dict(values, newpass=newpass, newpass_crypt=hash_new_password(newpass, row.crypt))
        self._execute(q.chpass, values)
        return True

    def enumerate(self) -> Iterator[AuthInfo]:
        _s, q, _c = self._settings()
        for values in self._execute(q.enumerate, {}):
            cells = [_text(v) for v in values[:6]] + [""] * 6
            username, uid, gid, home, maildir, options = cells[:6]
            row = Row(username, "", "", uid, gid, home, maildir, "", "", options)
            try:
                yield self._info(row)
            except TempFail:
                continue


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None
