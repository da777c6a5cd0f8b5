"""authcustom: accounts from a site's own Python hook.

The hook is a Python file, ``authcustom.py`` in the config directory (or the
path in authdaemonrc's ``AUTHCUSTOM_HOOK``), loaded once per worker.  It
defines::

    def lookup(service: str, username: str) -> dict | None

returning None for an unknown account, or a dict with ``home`` and either
``uid`` + ``gid`` or ``sysusername``; optional ``address`` (default: the login
name), ``maildir``, ``fullname``, ``quota``, ``options`` ("a=1,b=2"), and the
secrets: ``passwd`` (a stored hash in any form authlib accepts), ``clearpw``
(a clear password), ``hmac-md5pw`` / ``hmac-sha1pw`` / ``hmac-sha256pw``.

Optional: ``enumerate() -> iterable of such dicts (with "address")`` and
``passwd(service, username, oldpass, newpass) -> bool | None``.  A hook that
cannot reach its backend raises ``courier.auth.module.TempFail``; any other
exception is treated the same way (the chain stops, the client retries later).
See docs/authcustom.md.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from courier.auth.chain import ModuleContext
from courier.auth.info import AuthInfo, parse_options
from courier.auth.module import TempFail
from courier.auth.modules.base import Entry, PasswordModule
from courier.config import ConfigError


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("courier_authcustom_hook", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{path}: cannot load the authcustom hook")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such authcustom hook; create it or drop authcustom") from None
    except Exception as exc:
        raise ConfigError(f"{path}: the authcustom hook failed: {type(exc).__name__}: {exc}") from None
    if not callable(getattr(module, "lookup", None)):
        raise ConfigError(f"{path}: the authcustom hook must define lookup(service, username)")
    return module


def _int(value: object) -> int | None:
    return None if value is None or value == "" else int(str(value))


class CustomModule(PasswordModule):
    name = "authcustom"

    def __init__(self, hook: ModuleType, path: Path) -> None:
        self.hook = hook
        self.path = path

    def _call(self, fn: Callable[..., Any], *args: object) -> Any:
        try:
            return fn(*args)
        except TempFail:
            raise
        except Exception as exc:
            raise TempFail(f"authcustom hook {self.path}: {type(exc).__name__}: {exc}") from None

    def _info(self, data: Mapping[str, Any], username: str) -> AuthInfo:
        try:
            opts = data.get("options") or ""
            return AuthInfo(
                address=str(data.get("address") or username),
                home=str(data["home"]),
                uid=_int(data.get("uid")),
                gid=_int(data.get("gid")),
                sysusername=data.get("sysusername"),
                maildir=data.get("maildir"),
                fullname=data.get("fullname"),
                quota=data.get("quota"),
                options=parse_options(opts) if isinstance(opts, str) else dict(opts),
                passwd=data.get("passwd"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise TempFail(f"authcustom hook {self.path}: bad data for {username!r}: {exc!r}") from None

    def lookup(self, service: str, username: str) -> Entry | None:
        data = self._call(self.hook.lookup, service, username)
        if data is None:
            return None
        if not isinstance(data, Mapping):
            raise TempFail(f"authcustom hook {self.path}: lookup must return a dict or None")
        info = self._info(data, username)
        if info.uid is None and info.sysusername is None:
            raise TempFail(f"authcustom hook {self.path}: {username!r} has neither uid nor sysusername")
        states = {h: str(data[f"hmac-{h}pw"]) for h in ("md5", "sha1", "sha256") if data.get(f"hmac-{h}pw")}
        return Entry(info=info, crypted=info.passwd, clear=data.get("clearpw"), hmac_states=states)

    def entries(self) -> Iterator[AuthInfo]:
        fn = getattr(self.hook, "enumerate", None)
        if not callable(fn):
            return
        for data in self._call(lambda: list(fn())):
            yield self._info(data, str(data.get("address", "")))

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool | None:
        fn = getattr(self.hook, "passwd", None)
        if not callable(fn):
            return None
        result = self._call(fn, service, username, oldpass, newpass)
        return None if result is None else bool(result)


def create(ctx: ModuleContext) -> CustomModule:
    path = Path(ctx.values.get("AUTHCUSTOM_HOOK", "") or ctx.config_dir / "authcustom.py")
    return CustomModule(_load(path), path)
