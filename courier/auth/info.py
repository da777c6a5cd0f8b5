"""The one result every authentication module returns."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from courier.frozen import dataclass, field


class AuthStatus(Enum):
    OK = "ok"
    FAIL = "fail"  # wrong password or unknown user: the login failed
    TEMPFAIL = "tempfail"  # a backend could not answer: try again later, never "login failed"


@dataclass(frozen=True, slots=True)
class AuthInfo:
    """An account as authlib describes it (the KEY=value lines of an authdaemond reply).

    Either ``uid``/``gid`` are set, or ``sysusername`` names a passwd entry whose
    uid/gid apply (authpam/authpwd answer ``USERNAME=``).
    """

    address: str  # ADDRESS: the canonical login id
    home: str  # HOME
    uid: int | None = None  # UID
    gid: int | None = None  # GID
    sysusername: str | None = None  # USERNAME
    maildir: str | None = None  # MAILDIR; None means $HOME/$MAILDIRPATH
    fullname: str | None = None  # NAME
    quota: str | None = None  # QUOTA, e.g. "10000000S,1000C"
    options: Mapping[str, str] = field(default_factory=dict)  # OPTIONS, parsed
    passwd: str | None = None  # PASSWD: the stored (hashed) password
    clearpw: str | None = None  # PASSWD2: the clear password that was verified

    def option(self, name: str, default: str = "") -> str:
        return self.options.get(name, default)

    def flag(self, name: str) -> bool:
        """True for account options such as ``disableimap=1``."""
        value = self.options.get(name)
        return value is not None and value not in ("", "0")


def parse_options(text: str) -> dict[str, str]:
    """Parse authlib's OPTIONS string: ``a=1,b=x`` (a bare name means ``1``)."""
    result: dict[str, str] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        result[name.strip()] = value.strip() if sep else "1"
    return result


def format_options(options: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in options.items())
