"""SASL mechanisms shared by IMAP AUTHENTICATE and POP3 AUTH (no I/O, no base64).

The protocol layer drives a mechanism: ``step(None)`` starts it and returns the
first raw challenge; each client response goes to ``step(response)``, which
returns the next raw challenge or, when done, a :class:`SaslResult` with the
authdaemond ``authtype`` and ``authdata`` to verify.  Malformed input raises
:class:`SaslError`.  The protocol layer base64-encodes challenges and decodes
responses.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod

from courier.frozen import dataclass

MAX_RESPONSE = 8192  # bytes of one decoded response


class SaslError(ValueError):
    """The client's response does not fit the mechanism."""


@dataclass(frozen=True, slots=True)
class SaslResult:
    authtype: str  # "login", "cram-md5", "cram-sha1", "cram-sha256", "external"
    authdata: bytes


def _field(raw: bytes, what: str) -> bytes:
    if b"\n" in raw or b"\r" in raw or b"\x00" in raw:
        raise SaslError(f"{what} contains a line break or NUL")
    return raw


class Mechanism(ABC):
    name = ""

    def __init__(self) -> None:
        self.done = False

    def step(self, response: bytes | None) -> bytes | SaslResult:
        if self.done:
            raise SaslError(f"{self.name} exchange is already finished")
        if response is not None and len(response) > MAX_RESPONSE:
            raise SaslError("response too long")
        out = self._step(response)
        if isinstance(out, SaslResult):
            self.done = True
        return out

    @abstractmethod
    def _step(self, response: bytes | None) -> bytes | SaslResult: ...


class Plain(Mechanism):
    """RFC 4616: ``authzid NUL authcid NUL passwd``; one (possibly empty) challenge."""

    name = "PLAIN"

    def _step(self, response: bytes | None) -> bytes | SaslResult:
        if response is None:
            return b""
        parts = response.split(b"\x00")
        if len(parts) != 3:
            raise SaslError("PLAIN response needs authzid NUL authcid NUL password")
        authzid, authcid, passwd = parts
        if not authcid:
            raise SaslError("PLAIN response has an empty user name")
        if authzid and authzid != authcid:
            raise SaslError("PLAIN: logging in as another user (authzid) is not supported")
        return SaslResult("login", _field(authcid, "user name") + b"\n" + _field(passwd, "password") + b"\n")


class Login(Mechanism):
    """The LOGIN mechanism: ``Username:`` then ``Password:`` challenges."""

    name = "LOGIN"

    def __init__(self) -> None:
        super().__init__()
        self.user: bytes | None = None

    def _step(self, response: bytes | None) -> bytes | SaslResult:
        if response is None:
            return b"Username:"
        if self.user is None:
            if not response:
                raise SaslError("LOGIN: empty user name")
            self.user = _field(response, "user name")
            return b"Password:"
        return SaslResult("login", self.user + b"\n" + _field(response, "password") + b"\n")


class Cram(Mechanism):
    """RFC 2195 CRAM-MD5 (and Courier's CRAM-SHA1/CRAM-SHA256): one challenge, ``user digest``."""

    def __init__(self, name: str, hostname: str | None = None) -> None:
        super().__init__()
        self.name = name
        self.hostname = hostname or os.uname().nodename or "localhost"
        self.challenge: bytes | None = None

    def _step(self, response: bytes | None) -> bytes | SaslResult:
        import base64

        if self.challenge is None:
            if response:
                raise SaslError(f"{self.name} takes no initial response")
            # Courier's form: <random hex@host>; the time keeps it unique even with a weak RNG.
            token = os.urandom(12).hex().upper() + f"{int(time.time()):X}"
            self.challenge = f"<{token}@{self.hostname}>".encode()
            return self.challenge
        if response is None:
            raise SaslError(f"{self.name} needs a response")
        user, sep, digest = response.rpartition(b" ")
        if not sep or not user or not digest:
            raise SaslError(f"{self.name} response needs: user SPACE hex-digest")
        _field(user, "user name")
        try:
            bytes.fromhex(digest.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            raise SaslError(f"{self.name} digest is not hexadecimal") from None
        data = base64.b64encode(self.challenge) + b"\n" + base64.b64encode(response) + b"\n"
        return SaslResult(self.name.lower(), data)


class External(Mechanism):
    """RFC 4422 EXTERNAL: the identity comes from TLS; the response is an optional authzid."""

    name = "EXTERNAL"

    def __init__(self, identity: str | None = None) -> None:
        super().__init__()
        self.identity = identity

    def _step(self, response: bytes | None) -> bytes | SaslResult:
        if response is None:
            return b""
        if not self.identity:
            raise SaslError("EXTERNAL: no client certificate identity on this connection")
        ident = self.identity.encode("utf-8", "surrogateescape")
        if response and response != ident:
            raise SaslError("EXTERNAL: authorization identity differs from the certificate's")
        return SaslResult("external", _field(ident, "identity"))


MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "CRAM-SHA1", "CRAM-SHA256", "EXTERNAL")


def mechanism(
    name: str, *, hostname: str | None = None, external_identity: str | None = None
) -> Mechanism | None:
    """A fresh mechanism object for ``name`` (case-insensitive), or None if unknown."""
    n = name.upper()
    if n == "PLAIN":
        return Plain()
    if n == "LOGIN":
        return Login()
    if n in ("CRAM-MD5", "CRAM-SHA1", "CRAM-SHA256"):
        return Cram(n, hostname)
    if n == "EXTERNAL":
        return External(external_identity)
    return None


__all__ = ["MECHANISMS", "Mechanism", "SaslError", "SaslResult", "mechanism"]
