"""The contract every authentication module (authuserdb, authpam, authldap, ...) keeps.

Modules run inside authdaemond workers. The chain (courier.auth.chain) asks each
module in ``authmodulelist`` order:

* a module that does not know the account returns ``None``: the chain moves on;
* a module that knows the account but the password is wrong raises ``BadPassword``:
  the login fails;
* a module whose backend cannot answer (server down, file unreadable, bad config)
  raises ``TempFail``: the chain stops and the client is told to try again later,
  never "login failed".
"""

from __future__ import annotations

from collections.abc import Iterator

from courier.auth.info import AuthInfo

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the interfaces are for the type checker only


class TempFail(Exception):
    """The backend could not answer; the message is for the log, not the client."""


class BadPassword(Exception):
    """The account exists here and the credentials do not match."""


class AuthModule(Protocol):
    #: Courier's module name as written in authmodulelist, e.g. "authuserdb".
    name: str

    def pre(self, service: str, username: str) -> AuthInfo | None:
        """Look an account up without a password (authdaemond PRE)."""
        ...

    def login(self, service: str, username: str, password: str) -> AuthInfo | None:
        """Verify a clear password (authtype ``login``); AuthInfo.clearpw carries it."""
        ...

    def cram(
        self, service: str, authtype: str, username: str, challenge: bytes, response_hex: str
    ) -> AuthInfo | None:
        """Verify a CRAM-MD5/SHA1/SHA256 response; ``authtype`` e.g. "cram-md5"."""
        ...

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool | None:
        """Change a password; None if the account is not this module's."""
        ...

    def enumerate(self) -> Iterator[AuthInfo]:
        """Every account (authdaemond ENUMERATE); may be empty."""
        ...

    def close(self) -> None:
        """Release connections (called when a worker exits or reloads)."""
        ...
