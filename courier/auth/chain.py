"""The module chain of authdaemond: ``authmodulelist`` asked in order.

* a module that does not know the account (None) passes to the next one;
* a wrong password (BadPassword) ends the chain with a failed login;
* a backend that cannot answer (TempFail) ends the chain with a temporary
  failure: later modules are not asked, and the client is told to try again.

Modules are found by name: ``authfoo`` is ``courier.auth.modules.foo``, whose
``create(ctx)`` returns the module.  Names this install does not provide are
reported and skipped, as the authdaemonrc comment promises.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from courier import frozen
from courier.auth import cram
from courier.auth.info import AuthInfo
from courier.auth.module import AuthModule, BadPassword, TempFail
from courier.config import ConfigError

#: Modules this install provides: authmodulelist name -> courier.auth.modules.<x>
KNOWN_MODULES: dict[str, str] = {
    "authuserdb": "userdb",
    "authpam": "pam",
    "authpwd": "pwd",
    "authshadow": "shadow",
    "authvchkpw": "vchkpw",
    "authcustom": "custom",
    "authldap": "ldap",
    "authmysql": "mysql",
    "authpgsql": "pgsql",
}


@dataclass(frozen=True, slots=True)
class ModuleContext:
    """What a module's ``create`` gets: where the config lives and authdaemonrc's values."""

    config_dir: Path
    values: Mapping[str, str] = field(default_factory=dict)


class UnknownModule(ValueError):
    pass


def available_modules() -> list[str]:
    """authmodulelist names whose code is installed (authinfo lists these)."""
    found = []
    for name, mod in KNOWN_MODULES.items():
        if importlib.util.find_spec(f"courier.auth.modules.{mod}") is not None:
            found.append(name)
    return found


def create_module(name: str, ctx: ModuleContext) -> AuthModule:
    mod = KNOWN_MODULES.get(name)
    if mod is None or importlib.util.find_spec(f"courier.auth.modules.{mod}") is None:
        raise UnknownModule(f"authentication module {name!r} is not provided by this install")
    try:
        module = importlib.import_module(f"courier.auth.modules.{mod}")
    except ImportError as exc:
        raise ConfigError(
            f"{name}: cannot load its code ({exc}); install the package that provides it"
        ) from None
    created: AuthModule = module.create(ctx)
    return created


def load_chain(
    names: Sequence[str], ctx: ModuleContext, default_options: Mapping[str, str]
) -> tuple[Chain, list[str]]:
    """Build the chain; returns it and the warnings about names that were skipped."""
    modules: list[AuthModule] = []
    warnings: list[str] = []
    for name in names:
        try:
            modules.append(create_module(name, ctx))
        except UnknownModule as exc:
            warnings.append(f"{exc}; skipped (available: {' '.join(available_modules())})")
    return Chain(modules, default_options), warnings


class Chain:
    def __init__(self, modules: Sequence[AuthModule], default_options: Mapping[str, str] | None = None):
        self.modules = list(modules)
        self.default_options = dict(default_options or {})

    def _finish(self, info: AuthInfo) -> AuthInfo:
        if not self.default_options:
            return info
        return frozen.replace(info, options={**self.default_options, **info.options})

    def _select(self, module: str) -> list[AuthModule]:
        if module == ".":
            return self.modules
        return [m for m in self.modules if m.name == module]

    def pre(self, service: str, username: str, module: str = ".") -> AuthInfo | None:
        for m in self._select(module):
            info = m.pre(service, username)
            if info is not None:
                return self._finish(info)
        return None

    def login(self, service: str, username: str, password: str) -> AuthInfo | None:
        for m in self.modules:
            try:
                info = m.login(service, username, password)
            except BadPassword:
                return None
            if info is not None:
                return self._finish(info)
        return None

    def cram(self, service: str, authtype: str, authdata: bytes) -> AuthInfo | None:
        parsed = cram.split_response(authdata)
        if parsed is None:
            return None
        challenge, username, digest = parsed
        for m in self.modules:
            try:
                info = m.cram(service, authtype, username, challenge, digest)
            except BadPassword:
                return None
            if info is not None:
                return self._finish(info)
        return None

    def auth(self, service: str, authtype: str, authdata: bytes) -> AuthInfo | None:
        """authdaemond AUTH: ``login`` or a CRAM type; None = FAIL; raises TempFail."""
        if authtype == "login":
            user, sep, rest = authdata.partition(b"\n")
            password = rest.partition(b"\n")[0]
            if not sep or not user:
                return None
            return self.login(
                service, user.decode("utf-8", "surrogateescape"), password.decode("utf-8", "surrogateescape")
            )
        if authtype in cram.AUTHTYPES:
            return self.cram(service, authtype, authdata)
        return None

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool:
        for m in self.modules:
            try:
                result = m.passwd(service, username, oldpass, newpass)
            except BadPassword:
                return False
            if result is not None:
                return result
        return False

    def enumerate(self) -> Iterator[tuple[str, list[AuthInfo]]]:
        for m in self.modules:
            yield m.name, list(m.enumerate())

    def close(self) -> None:
        for m in self.modules:
            with contextlib.suppress(Exception):  # closing one must not stop the others
                m.close()


__all__ = ["Chain", "ModuleContext", "TempFail", "UnknownModule", "available_modules", "load_chain"]
