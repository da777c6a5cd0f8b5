"""Shared logic of modules that look an account up and hold its stored password.

A module implements ``lookup`` (and ``entries`` for ENUMERATE); this class
turns that into the AuthModule contract: PRE, login with any stored hash form,
CRAM from precomputed HMAC states or a clear password.
"""

from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from courier import frozen
from courier.auth import cram, hashes
from courier.auth.info import AuthInfo
from courier.auth.module import BadPassword


@dataclass(frozen=True, slots=True)
class Entry:
    """One account as a backend stores it."""

    info: AuthInfo  # PASSWD = the stored hash shown to PRE
    crypted: str | None = None  # stored password (any form courier.auth.hashes knows)
    clear: str | None = None  # clear password, when the backend keeps one
    hmac_states: Mapping[str, str] = field(default_factory=dict)  # "md5" -> hmac-md5pw hex


class PasswordModule(ABC):
    name = "authbase"

    @abstractmethod
    def lookup(self, service: str, username: str) -> Entry | None:
        """The account and its stored secrets; None if this module does not know it."""

    def entries(self) -> Iterator[AuthInfo]:
        return iter(())

    def pre(self, service: str, username: str) -> AuthInfo | None:
        entry = self.lookup(service, username)
        return None if entry is None else entry.info

    def check(self, entry: Entry, password: str) -> bool:
        if entry.clear is not None and entry.clear != "":
            a = entry.clear.encode("utf-8", "surrogateescape")
            b = password.encode("utf-8", "surrogateescape")
            return hmac.compare_digest(a, b)
        return entry.crypted is not None and hashes.verify(password, entry.crypted)

    def login(self, service: str, username: str, password: str) -> AuthInfo | None:
        entry = self.lookup(service, username)
        if entry is None:
            return None
        if not password or not self.check(entry, password):
            raise BadPassword(username)
        return frozen.replace(entry.info, clearpw=password)

    def cram(
        self, service: str, authtype: str, username: str, challenge: bytes, response_hex: str
    ) -> AuthInfo | None:
        hash_name = cram.AUTHTYPES[authtype][0]
        entry = self.lookup(service, username)
        if entry is None:
            return None
        state = entry.hmac_states.get(hash_name)
        if state:
            ok = cram.check_state(hash_name, state, challenge, response_hex)
        elif entry.clear:
            ok = cram.check_clear(hash_name, entry.clear, challenge, response_hex)
        else:
            ok = False
        if not ok:
            raise BadPassword(username)
        # authlib answers a CRAM login without PASSWD/PASSWD2 lines.
        return frozen.replace(entry.info, passwd=None, clearpw=None)

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool | None:
        return None

    def enumerate(self) -> Iterator[AuthInfo]:
        return self.entries()

    def close(self) -> None:
        return None
