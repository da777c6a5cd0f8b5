"""authldap: accounts in an LDAP directory, configured by ``authldaprc``.

Two ways to check a password, as in authlib:

* search-bind (default): bind as LDAP_BINDDN (or anonymously), find the entry by
  ``(&LDAP_FILTER(LDAP_MAIL=<login>))``, read LDAP_CRYPTPW / LDAP_CLEARPW and
  compare here;
* LDAP_AUTHBIND 1: find the entry the same way, then bind as its DN with the
  password on a second connection; the directory decides.

python-ldap is imported only when the module is first used, so nothing that
merely imports this file pays for it.  Each authdaemond worker keeps its own
connections and reconnects once when the server went away; a server that
cannot be reached raises TempFail.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from courier.auth.info import AuthInfo
from courier.auth.module import BadPassword, TempFail
from courier.auth.modules.common import (
    Context,
    check_clear,
    check_cram,
    check_password,
    hash_new_password,
    log,
    resolve_gid,
    resolve_uid,
    usable_login,
    with_domain,
)
from courier.auth.rcfile import RcFile, RcWatch, as_flag, as_number
from courier.config import ConfigError

NAME = "authldap"
RCFILE = "authldaprc"

_DEREF = {"never": 0, "searching": 1, "finding": 2, "always": 3}
# The OpenLDAP client's own TLS variables (authlib passes authdaemonrc's to libldap).
_TLS_ENV = ("LDAPTLS_CACERT", "LDAPTLS_CACERTDIR", "LDAPTLS_REQCERT", "LDAPTLS_CERT", "LDAPTLS_KEY")


def escape_filter(value: str) -> str:
    """RFC 4515 escaping of an assertion value: ``\\ * ( )`` and NUL become ``\\XX``."""
    out = []
    for ch in value:
        if ch in "\\*()\x00":
            out.append(f"\\{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class LdapSettings:
    uri: str
    basedn: str
    protocol_version: int = 3
    binddn: str = ""
    bindpw: str = ""
    timeout: int = 5
    authbind: bool = False
    initbind: bool = True
    tls: bool = False
    deref: int = 0
    filter: str = ""
    enumerate_filter: str = ""
    domain: str = ""
    mail: str = "mail"
    glob_uid: int | None = None
    glob_gid: int | None = None
    uid_attr: str = ""
    gid_attr: str = ""
    homedir: str = "homeDirectory"
    mailroot: str = ""
    maildir: str = ""
    quota: str = ""
    fullname: str = ""
    clearpw: str = ""
    cryptpw: str = ""
    auxoptions: tuple[tuple[str, str], ...] = ()
    emailmap: str = ""
    emailmap_basedn: str = ""
    emailmap_attribute: str = "handle"
    emailmap_mail: str = ""
    tls_env: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_rc(cls, rc: RcFile, environ: Mapping[str, str] | None = None) -> LdapSettings:
        g = rc.get
        uri = g("LDAP_URI").strip()
        if not uri and g("LDAP_SERVER").strip():
            # The variables of older authlib releases.
            port = as_number(rc, "LDAP_PORT", 389)
            uri = " ".join(f"ldap://{host}:{port}/" for host in g("LDAP_SERVER").replace(",", " ").split())
        if not uri:
            raise ConfigError(
                f"{rc.path}: LDAP_URI is not set; name the directory server, e.g. ldap://127.0.0.1/"
            )
        basedn = g("LDAP_BASEDN").strip()
        if not basedn:
            raise ConfigError(f"{rc.path}: LDAP_BASEDN is not set; give the base of the account search")
        deref_name = g("LDAP_DEREF", "never").strip().lower() or "never"
        if deref_name not in _DEREF:
            where = rc.where("LDAP_DEREF")
            raise ConfigError(f"{where}: {deref_name!r}; use never, searching, finding or always")
        glob_uid = glob_gid = None
        if g("LDAP_GLOB_UID").strip():
            glob_uid = resolve_uid(g("LDAP_GLOB_UID"), rc.where("LDAP_GLOB_UID"))
        if g("LDAP_GLOB_GID").strip():
            glob_gid = resolve_gid(g("LDAP_GLOB_GID"), rc.where("LDAP_GLOB_GID"))
        uid_attr, gid_attr = g("LDAP_UID").strip(), g("LDAP_GID").strip()
        if (glob_uid is None and not uid_attr) or (glob_gid is None and not gid_attr):
            raise ConfigError(
                f"{rc.path}: set LDAP_UID and LDAP_GID (attributes) or LDAP_GLOB_UID and LDAP_GLOB_GID;"
                " accounts may not run as uid/gid 0"
            )
        aux: list[tuple[str, str]] = []
        for item in g("LDAP_AUXOPTIONS").replace(" ", ",").split(","):
            attr, sep, option = item.strip().partition("=")
            if attr:
                aux.append((attr, option if sep and option else attr))
        env = os.environ if environ is None else environ
        return cls(
            uri=uri,
            basedn=basedn,
            protocol_version=as_number(rc, "LDAP_PROTOCOL_VERSION", 3) or 3,
            binddn=g("LDAP_BINDDN").strip(),
            bindpw=g("LDAP_BINDPW"),
            timeout=max(1, as_number(rc, "LDAP_TIMEOUT", 5)),
            authbind=as_flag(rc, "LDAP_AUTHBIND"),
            initbind=as_flag(rc, "LDAP_INITBIND", True),
            tls=as_flag(rc, "LDAP_TLS"),
            deref=_DEREF[deref_name],
            filter=g("LDAP_FILTER").strip(),
            enumerate_filter=g("LDAP_ENUMERATE_FILTER").strip(),
            domain=g("LDAP_DOMAIN").strip(),
            mail=g("LDAP_MAIL", "mail").strip() or "mail",
            glob_uid=glob_uid,
            glob_gid=glob_gid,
            uid_attr=uid_attr,
            gid_attr=gid_attr,
            homedir=g("LDAP_HOMEDIR", "homeDirectory").strip() or "homeDirectory",
            mailroot=g("LDAP_MAILROOT").strip(),
            maildir=g("LDAP_MAILDIR").strip(),
            quota=g("LDAP_MAILDIRQUOTA").strip(),
            fullname=g("LDAP_FULLNAME").strip(),
            clearpw=g("LDAP_CLEARPW").strip(),
            cryptpw=g("LDAP_CRYPTPW").strip(),
            auxoptions=tuple(aux),
            emailmap=g("LDAP_EMAILMAP").strip(),
            emailmap_basedn=g("LDAP_EMAILMAP_BASEDN").strip() or basedn,
            emailmap_attribute=g("LDAP_EMAILMAP_ATTRIBUTE", "handle").strip() or "handle",
            emailmap_mail=g("LDAP_EMAILMAP_MAIL").strip(),
            tls_env=tuple((k, env[k]) for k in _TLS_ENV if env.get(k)),
        )

    def attributes(self) -> list[str]:
        names = [self.mail, self.homedir, self.uid_attr, self.gid_attr, self.maildir, self.quota]
        names += [self.fullname, self.clearpw, self.cryptpw]
        names += [attr for attr, _ in self.auxoptions]
        return sorted({n for n in names if n})


@dataclass(frozen=True, slots=True)
class _Entry:
    dn: str
    attrs: Mapping[str, list[str]]

    def first(self, name: str) -> str:
        if not name:
            return ""
        for key, values in self.attrs.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return ""

    def all(self, name: str) -> list[str]:
        for key, values in self.attrs.items():
            if key.lower() == name.lower():
                return values
        return []


class LdapModule:
    """The authldap module (see courier.auth.module for the contract)."""

    name = NAME

    def __init__(self, rcpath: Path | str, environ: Mapping[str, str] | None = None) -> None:
        self._watch = RcWatch(rcpath)
        self._environ = dict(os.environ if environ is None else environ)
        self._settings: LdapSettings | None = None
        self._conn: Any = None  # searches, bound as LDAP_BINDDN
        self._bindconn: Any = None  # LDAP_AUTHBIND: binds as the user
        self._pid = 0

    # -- settings and connections ------------------------------------------------

    def settings(self) -> LdapSettings:
        try:
            rc, changed = self._watch.current()
            if changed or self._settings is None:
                self._settings = LdapSettings.from_rc(rc, self._environ)
                self.close()
        except ConfigError as exc:
            log(NAME, str(exc))
            raise TempFail(str(exc)) from exc
        return self._settings

    def _open(self, s: LdapSettings, bind: bool) -> Any:
        import ldap

        conn = ldap.initialize(s.uri)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, s.protocol_version)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, float(s.timeout))
        conn.set_option(ldap.OPT_TIMEOUT, float(s.timeout))
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_DEREF, s.deref)
        if s.tls_env or s.tls or s.uri.startswith("ldaps:"):
            env = dict(s.tls_env)
            if "LDAPTLS_CACERT" in env:
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, env["LDAPTLS_CACERT"])
            if "LDAPTLS_CACERTDIR" in env:
                conn.set_option(ldap.OPT_X_TLS_CACERTDIR, env["LDAPTLS_CACERTDIR"])
            if "LDAPTLS_CERT" in env:
                conn.set_option(ldap.OPT_X_TLS_CERTFILE, env["LDAPTLS_CERT"])
            if "LDAPTLS_KEY" in env:
                conn.set_option(ldap.OPT_X_TLS_KEYFILE, env["LDAPTLS_KEY"])
            reqcert = env.get("LDAPTLS_REQCERT", "").lower()
            levels = {
                "never": ldap.OPT_X_TLS_NEVER,
                "allow": ldap.OPT_X_TLS_ALLOW,
                "try": ldap.OPT_X_TLS_TRY,
                "demand": ldap.OPT_X_TLS_DEMAND,
                "hard": ldap.OPT_X_TLS_HARD,
            }
            if reqcert in levels:
                conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, levels[reqcert])
            conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        if s.tls:
            conn.start_tls_s()
        if bind and s.initbind and s.binddn:
            conn.simple_bind_s(s.binddn, s.bindpw)
        return conn

    def _check_fork(self) -> None:
        if self._pid != os.getpid():  # forked: the parent's sockets are not ours to use
            self._conn = self._bindconn = None
            self._pid = os.getpid()

    def _connection(self, s: LdapSettings) -> Any:
        self._check_fork()
        if self._conn is None:
            self._conn = self._open(s, bind=True)
        return self._conn

    def _retrying(self, s: LdapSettings, op: Any) -> Any:
        """Run ``op(conn)``; reconnect once if the server went away; TempFail if it stays away."""
        import ldap

        gone = (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR, ldap.UNAVAILABLE, ldap.BUSY)
        for attempt in (1, 2):
            try:
                return op(self._connection(s))
            except gone as exc:
                self._drop()
                if attempt == 2:
                    log(NAME, f"{s.uri}: {_describe(exc)}")
                    raise TempFail(f"LDAP server {s.uri} unavailable") from exc
            except ldap.INVALID_CREDENTIALS as exc:
                self._drop()
                log(NAME, f"{s.uri}: cannot bind as LDAP_BINDDN {s.binddn}: invalid credentials")
                raise TempFail("LDAP_BINDDN/LDAP_BINDPW rejected") from exc
            except ldap.LDAPError as exc:
                self._drop()
                log(NAME, f"{s.uri}: {_describe(exc)}")
                raise TempFail(f"LDAP error: {_describe(exc)}") from exc
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        for conn in (self._conn, self._bindconn):
            if conn is not None:
                with contextlib.suppress(Exception):  # the connection may be gone already
                    conn.unbind_s()
        self._conn = self._bindconn = None

    def close(self) -> None:
        if self._pid == os.getpid():
            self._drop()
        self._conn = self._bindconn = None

    # -- lookups ------------------------------------------------------------------

    def _search(
        self, s: LdapSettings, base: str, filterstr: str, attrs: list[str], limit: int
    ) -> list[_Entry]:
        import ldap

        def op(conn: Any) -> Any:
            try:
                return conn.search_ext_s(
                    base, ldap.SCOPE_SUBTREE, filterstr, attrs, timeout=s.timeout, sizelimit=limit
                )
            except ldap.SIZELIMIT_EXCEEDED:
                return [(None, {}), (None, {})] if limit else []
            except ldap.NO_SUCH_OBJECT:
                return []

        result = self._retrying(s, op)
        entries = []
        for dn, attrmap in result:
            if dn is None:  # search references
                continue
            decoded = {k: [v.decode("utf-8", "surrogateescape") for v in vals] for k, vals in attrmap.items()}
            entries.append(_Entry(dn=dn, attrs=decoded))
        return entries

    def _find(self, s: LdapSettings, login: str) -> _Entry | None:
        attr, value = s.mail, login
        if s.emailmap and "@" in login:
            user, _, realm = login.partition("@")
            mapfilter = s.emailmap.replace("@user@", escape_filter(user))
            mapfilter = mapfilter.replace("@realm@", escape_filter(realm))
            mapped = self._search(s, s.emailmap_basedn, mapfilter, [s.emailmap_attribute], 2)
            if len(mapped) != 1:
                return None
            handle = mapped[0].first(s.emailmap_attribute)
            if not handle:
                return None
            attr, value = s.emailmap_mail or s.mail, handle
        filterstr = f"(&{s.filter}({attr}={escape_filter(value)}))"
        entries = self._search(s, s.basedn, filterstr, s.attributes(), 2)
        if len(entries) != 1:
            if len(entries) > 1:
                log(NAME, f"{filterstr}: more than one entry matches; refusing the login")
            return None
        return entries[0]

    def _info(self, s: LdapSettings, entry: _Entry, address: str, clearpw: str | None = None) -> AuthInfo:
        uid = s.glob_uid if s.glob_uid is not None else _number(entry.first(s.uid_attr))
        gid = s.glob_gid if s.glob_gid is not None else _number(entry.first(s.gid_attr))
        if not uid or not gid:
            log(NAME, f"{entry.dn}: zero or missing uid/gid not permitted")
            raise TempFail("zero uid or gid not permitted")
        home = entry.first(s.homedir)
        if not home:
            log(NAME, f"{entry.dn}: no {s.homedir} attribute")
            raise TempFail("account has no home directory")
        if s.mailroot and not home.startswith("/"):
            home = f"{s.mailroot.rstrip('/')}/{home}"
        maildir = entry.first(s.maildir) or None
        options: dict[str, str] = {}
        for attr, option in s.auxoptions:
            value = entry.first(attr)
            if value:
                options[option] = value
        crypt = _pick_crypt(entry.all(s.cryptpw)) if s.cryptpw else ""
        return AuthInfo(
            address=address,
            home=home,
            uid=uid,
            gid=gid,
            maildir=maildir,
            fullname=entry.first(s.fullname) or None,
            quota=entry.first(s.quota) or None,
            options=options,
            passwd=crypt or None,
            clearpw=clearpw,
        )

    def _lookup(self, username: str) -> tuple[LdapSettings, _Entry, str] | None:
        s = self.settings()
        if not usable_login(username):
            return None
        login = with_domain(username, s.domain)
        entry = self._find(s, login)
        if entry is None:
            return None
        return s, entry, username

    # -- the module contract ---------------------------------------------------------

    def pre(self, service: str, username: str) -> AuthInfo | None:
        found = self._lookup(username)
        if found is None:
            return None
        s, entry, address = found
        return self._info(s, entry, address)

    def login(self, service: str, username: str, password: str) -> AuthInfo | None:
        found = self._lookup(username)
        if found is None:
            return None
        s, entry, address = found
        if not password:  # an empty simple bind is an anonymous bind: never a login
            raise BadPassword()
        if s.authbind:
            self._bind_as(s, entry.dn, password)
        else:
            clear = entry.first(s.clearpw) if s.clearpw else ""
            crypts = entry.all(s.cryptpw) if s.cryptpw else []
            if not any(check_password(password, c, "") for c in crypts if c) and not (
                clear and check_clear(password, clear)
            ):
                raise BadPassword()
        return self._info(s, entry, address, clearpw=password)

    def _bind_as(self, s: LdapSettings, dn: str, password: str) -> None:
        import ldap

        for attempt in (1, 2):
            try:
                self._check_fork()
                if self._bindconn is None:
                    self._bindconn = self._open(s, bind=False)
                self._bindconn.simple_bind_s(dn, password)
                return
            except (ldap.INVALID_CREDENTIALS, ldap.UNWILLING_TO_PERFORM, ldap.INAPPROPRIATE_AUTH) as exc:
                raise BadPassword() from exc
            except (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR, ldap.UNAVAILABLE, ldap.BUSY) as exc:
                self._bindconn = None
                if attempt == 2:
                    log(NAME, f"{s.uri}: {_describe(exc)}")
                    raise TempFail(f"LDAP server {s.uri} unavailable") from exc
            except ldap.LDAPError as exc:
                self._bindconn = None
                log(NAME, f"{s.uri}: bind as {dn}: {_describe(exc)}")
                raise TempFail(f"LDAP error: {_describe(exc)}") from exc

    def cram(
        self, service: str, authtype: str, username: str, challenge: bytes, response_hex: str
    ) -> AuthInfo | None:
        found = self._lookup(username)
        if found is None:
            return None
        s, entry, address = found
        clear = entry.first(s.clearpw) if s.clearpw else ""
        if not clear or not check_cram(authtype, challenge, response_hex, clear):
            raise BadPassword()
        return self._info(s, entry, address)

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool | None:
        import ldap

        found = self._lookup(username)
        if found is None:
            return None
        s, entry, _address = found
        try:
            self.login(service, username, oldpass)
        except BadPassword:
            return False
        if not newpass or not newpass.isprintable():
            return False
        if not s.cryptpw and not s.clearpw:
            log(NAME, "neither LDAP_CRYPTPW nor LDAP_CLEARPW is set; cannot change passwords")
            return False
        old = _pick_crypt(entry.all(s.cryptpw)) if s.cryptpw else ""
        if s.authbind:
            # The user changes their own entry (directories grant "self write"), and may
            # read their own password where the search identity could not.
            self._bind_as(s, entry.dn, oldpass)
            conn = self._bindconn
            try:
                if s.cryptpw and not old:
                    own = conn.search_ext_s(entry.dn, ldap.SCOPE_BASE, "(objectClass=*)", [s.cryptpw])
                    old = _pick_crypt([v.decode("utf-8", "replace") for v in own[0][1].get(s.cryptpw, [])])
                conn.modify_s(entry.dn, _changes(s, newpass, old))
            except ldap.LDAPError as exc:
                self._bindconn = None
                log(NAME, f"{entry.dn}: password change refused: {_describe(exc)}")
                raise TempFail("LDAP password change failed") from exc
        else:
            changes = _changes(s, newpass, old)
            self._retrying(s, lambda c: c.modify_s(entry.dn, changes))
        return True

    def enumerate(self) -> Iterator[AuthInfo]:
        s = self.settings()
        filterstr = s.enumerate_filter or f"(&{s.filter}({s.mail}=*))"
        for entry in self._search(s, s.basedn, filterstr, s.attributes(), 0):
            address = entry.first(s.mail)
            if not address:
                continue
            try:
                yield self._info(s, entry, address)
            except TempFail:
                continue


def _changes(s: LdapSettings, newpass: str, old: str) -> list[tuple[int, str, list[bytes]]]:
    import ldap

    changes = []
    if s.cryptpw:
        new = hash_new_password(newpass, old)
        if not new.startswith("{"):  # a bare crypt string in userPassword must say so
            new = "{CRYPT}" + new
        changes.append((ldap.MOD_REPLACE, s.cryptpw, [new.encode()]))
    if s.clearpw:
        changes.append((ldap.MOD_REPLACE, s.clearpw, [newpass.encode()]))
    return changes


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _pick_crypt(values: list[str]) -> str:
    return values[0] if values else ""


def _describe(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else None
    if isinstance(arg, dict):
        return str(arg.get("desc", "")) + (f" ({arg['info']})" if arg.get("info") else "")
    return str(exc) or type(exc).__name__


def create(ctx: Context) -> LdapModule:
    """authdaemond's entry point: the module reading ``<config dir>/authldaprc``.

    The OpenLDAP client's LDAPTLS_* variables may be set in authdaemonrc (as
    Courier's sample shows) or in the environment.
    """
    return LdapModule(Path(ctx.config_dir) / RCFILE, {**os.environ, **ctx.values})
