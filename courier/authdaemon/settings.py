"""authdaemond's settings, read once from ``authdaemonrc`` into a frozen object."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from courier.auth.info import parse_options
from courier.config import DEFAULT_CONFIG_DIR, ConfigError, as_int, read_config

DEFAULT_MODULES = ("authpam",)  # Debian's default authmodulelist
MAX_DAEMONS = 512


@dataclass(frozen=True, slots=True)
class AuthdaemonSettings:
    config_dir: Path = DEFAULT_CONFIG_DIR
    modules: tuple[str, ...] = DEFAULT_MODULES
    daemons: int = 5
    authdaemonvar: Path = Path("/run/courier/authdaemon")
    default_options: Mapping[str, str] = field(default_factory=dict)
    debug_login: int = 0
    #: seconds a worker waits for a request and then for its modules to answer
    request_timeout: float = 30.0
    #: every value of authdaemonrc, for modules that read their own settings from it
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def socket_path(self) -> Path:
        return self.authdaemonvar / "socket"

    @property
    def pid_path(self) -> Path:
        return self.authdaemonvar / "pid"


def load_settings(
    config_dir: Path | str = DEFAULT_CONFIG_DIR, warn: Callable[[str], None] | None = None
) -> AuthdaemonSettings:
    """Read ``<config_dir>/authdaemonrc``; a missing file gives Courier's defaults.

    ``warn`` receives a message per unknown variable (a typo is kept, not fatal).
    """
    cdir = Path(config_dir)
    cfg = read_config(cdir / "authdaemonrc", warn=warn)
    where = str(cfg.path)
    v = cfg.values

    def at(name: str) -> str:
        line = cfg.lines.get(name)
        return f"{where}:{line}" if line else where

    modules = tuple(v.get("authmodulelist", " ".join(DEFAULT_MODULES)).split())
    daemons = as_int(v, "daemons", 5, at("daemons"))
    if not 1 <= daemons <= MAX_DAEMONS:
        raise ConfigError(f"{at('daemons')}: daemons={daemons} must be between 1 and {MAX_DAEMONS}")
    debug = as_int(v, "DEBUG_LOGIN", 0, at("DEBUG_LOGIN"))
    timeout = as_int(v, "AUTHDAEMON_TIMEOUT", 30, at("AUTHDAEMON_TIMEOUT"))
    if timeout < 1:
        raise ConfigError(f"{at('AUTHDAEMON_TIMEOUT')}: AUTHDAEMON_TIMEOUT must be at least 1 second")
    var = v.get("authdaemonvar", "/run/courier/authdaemon").strip() or "/run/courier/authdaemon"
    if not var.startswith("/"):
        raise ConfigError(f"{at('authdaemonvar')}: authdaemonvar={var!r} must be an absolute path")
    return AuthdaemonSettings(
        config_dir=cdir,
        modules=modules,
        daemons=daemons,
        authdaemonvar=Path(var),
        default_options=parse_options(v.get("DEFAULTOPTIONS", "")),
        debug_login=debug,
        request_timeout=float(timeout),
        values=dict(v),
    )
