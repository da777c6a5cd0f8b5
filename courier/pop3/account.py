"""What the POP3 session needs from a login: an account's open maildrop, or a refusal."""

from __future__ import annotations

from typing import Protocol

from courier.frozen import dataclass
from courier.maildir.maildrop import Maildrop


class LoginRefused(Exception):
    """The login did not succeed; ``str(exc)`` is the text after ``-ERR``.

    ``code`` is the RFC 2449/3206 response code (``AUTH``, ``SYS/TEMP``, ``IN-USE``)
    or None; ``delay`` the seconds to wait before answering (failed-login delay);
    ``fatal`` means the process can no longer serve this connection (it already
    switched to the account's uid) and must hang up after answering.
    """

    def __init__(self, message: str, *, code: str | None = None, delay: float = 0.0, fatal: bool = False):
        super().__init__(message)
        self.code = code
        self.delay = delay
        self.fatal = fatal


@dataclass(slots=True)
class Account:
    user: str  # the login id as logged (authlib's ADDRESS)
    maildrop: Maildrop


class Authenticator(Protocol):
    def login(self, service: str, authtype: str, authdata: bytes, *, secure: bool) -> Account:
        """Verify credentials, enter the account, open its maildrop; raise LoginRefused.

        ``secure``: the connection is encrypted (for ``disableinsecurepop3``).
        """
        ...
