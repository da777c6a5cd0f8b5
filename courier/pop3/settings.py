"""POP3 settings from Courier's ``pop3d`` and ``pop3d-ssl`` files, read once.

Courier's start scripts source ``pop3d-ssl`` then ``pop3d`` for port 110 and
``pop3d`` then ``pop3d-ssl`` for port 995, so for a name set in both files the
later one wins; we read them in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from courier.config import DEFAULT_CONFIG_DIR, as_bool, as_seconds, read_chain
from courier.frozen import dataclass, field


@dataclass(frozen=True, slots=True)
class Pop3Settings:
    config_dir: Path = DEFAULT_CONFIG_DIR
    tls_port: bool = False  # pop3d-ssl: TLS from the first byte
    sasl_plain: tuple[str, ...] = ()  # POP3AUTH: mechanisms listed in CAPA before TLS
    sasl_tls: tuple[str, ...] = ()  # POP3AUTH_TLS: listed once TLS is active
    starttls: bool = True  # POP3_STARTTLS: offer STLS on the plain port
    tls_required: bool = False  # POP3_TLS_REQUIRED: no USER/PASS/AUTH before STLS
    log_deletions: bool = False  # POP3_LOG_DELETIONS
    maildirpath: str = "Maildir"  # MAILDIRPATH
    authservice: Mapping[str, str] = field(default_factory=dict)  # AUTHSERVICE<port>
    login_delay: float = 5.0  # POP3_LOGIN_DELAY: seconds before a failed login is answered
    # The TLS_* variables, for courier.tls (imported only when a session uses TLS).
    tls_values: tuple[tuple[str, str], ...] = ()
    defdomain: str = ""  # DEFDOMAIN: appended to login names without "@"
    timeout: int = 300  # idle seconds before the session ends (Courier's pop3d alarm)
    max_errors: int = 10  # invalid commands before the connection is dropped
    max_line: int = 8192  # longest command line accepted (Courier reads BUFSIZ)

    def service(self, local_port: str | None) -> str:
        """The service name given to authentication: ``pop3`` unless AUTHSERVICE<port> says."""
        if local_port and local_port in self.authservice:
            return self.authservice[local_port]
        return "pop3"


def _words(value: str) -> tuple[str, ...]:
    return tuple(w.upper() for w in value.split())


def from_values(values: Mapping[str, str], config_dir: Path, tls_port: bool) -> Pop3Settings:
    services = {
        name[len("AUTHSERVICE") :]: value
        for name, value in values.items()
        if name.startswith("AUTHSERVICE") and name[len("AUTHSERVICE") :].isdigit() and value
    }
    return Pop3Settings(
        config_dir=config_dir,
        tls_port=tls_port,
        sasl_plain=_words(values.get("POP3AUTH", "")),
        sasl_tls=_words(values.get("POP3AUTH_TLS", "")),
        starttls=as_bool(values, "POP3_STARTTLS", True),
        tls_required=as_bool(values, "POP3_TLS_REQUIRED", False),
        log_deletions=as_bool(values, "POP3_LOG_DELETIONS", False),
        maildirpath=values.get("MAILDIRPATH", "") or "Maildir",
        authservice=services,
        login_delay=as_seconds(values, "POP3_LOGIN_DELAY", 5.0, str(config_dir / "pop3d")),
        defdomain=values.get("DEFDOMAIN", "").strip(),
        tls_values=tuple(sorted((k, v) for k, v in values.items() if k.startswith("TLS_"))),
    )


def load(config_dir: Path | str = DEFAULT_CONFIG_DIR, *, tls_port: bool = False) -> Pop3Settings:
    """Read ``pop3d`` and ``pop3d-ssl`` from ``config_dir`` (missing files read as empty)."""
    d = Path(config_dir)
    order = ("pop3d", "pop3d-ssl") if tls_port else ("pop3d-ssl", "pop3d")
    return from_values(read_chain(d, *order), d, tls_port)
