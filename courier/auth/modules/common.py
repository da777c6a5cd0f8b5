"""Pieces shared by the directory and database modules (authldap, authmysql, authpgsql)."""

from __future__ import annotations

import grp
import hmac
import pwd
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from courier.config import ConfigError

#: Longer login names are not looked up at all (no backend needs them; they only cost).
MAX_LOGIN = 512


class Context(Protocol):
    """What authdaemond hands a module's ``create``: the config directory and authdaemonrc."""

    @property
    def config_dir(self) -> Path: ...

    @property
    def values(self) -> Mapping[str, str]: ...


def log(module: str, message: str) -> None:
    """One line for the log (authdaemond's stderr goes to journald or courierlogger)."""
    sys.stderr.write(f"{module}: {message}\n")


def usable_login(login: str) -> bool:
    """Names no backend could hold are not sent to it: too long, control characters."""
    return 0 < len(login) <= MAX_LOGIN and login.isprintable()


def with_domain(login: str, default_domain: str) -> str:
    """authlib appends the default domain to a login without '@' (before any escaping)."""
    if default_domain and "@" not in login:
        return f"{login}@{default_domain}"
    return login


def split_login(login: str) -> tuple[str, str]:
    """``$(local_part)`` and ``$(domain)``: split at the first '@' as authlib does."""
    local, _, domain = login.partition("@")
    return local, domain


def check_cram(authtype: str, challenge: bytes, response_hex: str, clearpw: str) -> bool:
    """Verify a CRAM-* response against a stored clear password."""
    from courier.auth import cram

    known = cram.AUTHTYPES.get(authtype.lower())
    if known is None or not clearpw:
        return False
    return cram.check_clear(known[0], clearpw, challenge, response_hex.strip())


def check_clear(password: str, clearpw: str) -> bool:
    return hmac.compare_digest(
        password.encode("utf-8", "surrogateescape"), clearpw.encode("utf-8", "surrogateescape")
    )


def resolve_uid(value: str, where: str) -> int:
    """A uid given as a number or a user name (LDAP_GLOB_UID accepts both)."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        return pwd.getpwnam(value).pw_uid
    except KeyError:
        raise ConfigError(f"{where}: no such user {value!r}; give a uid number or a user name") from None


def resolve_gid(value: str, where: str) -> int:
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        return grp.getgrnam(value).gr_gid
    except KeyError:
        raise ConfigError(f"{where}: no such group {value!r}; give a gid number or a group name") from None


def check_password(password: str, crypted: str, clearpw: str) -> bool:
    """authlib's order: a stored hash is checked when present, else the clear password."""
    if not password:
        return False
    if crypted:
        from courier.auth import hashes

        return hashes.verify(password, crypted)
    if clearpw:
        return check_clear(password, clearpw)
    return False


# Hash schemes kept when a password is changed: the new one is stored the way the old one was.
_SCHEME_METHODS = {
    "{MD5}": "md5",
    "{MD5RAW}": "md5raw",
    "{SHA}": "sha",
    "{SSHA}": "ssha",
    "{SHA256}": "sha256",
    "{SHA512}": "sha512",
}
_CRYPT_PREFIXES = ("$y$", "$gy$", "$7$", "$6$", "$5$", "$2b$", "$1$")


def hash_new_password(newpass: str, old: str) -> str:
    """``$(newpass_crypt)``: the new password hashed like the old one (``$6$`` when unknown)."""
    from courier.auth import hashes

    prefix = ""
    rest = old
    if old.upper().startswith("{CRYPT}"):
        prefix, rest = old[:7], old[7:]
    else:
        for scheme, method in _SCHEME_METHODS.items():
            if old.upper().startswith(scheme):
                return hashes.make(newpass, method)
    for crypt_prefix in _CRYPT_PREFIXES:
        if rest.startswith(crypt_prefix):
            return prefix + hashes.make(newpass, crypt_prefix)
    return prefix + hashes.make(newpass, "$6$")
