"""authpam: PAM checks the password (service = imap, pop3, ...); the passwd entry gives the rest."""

from __future__ import annotations

from collections.abc import Iterator

from courier import frozen
from courier.auth.chain import ModuleContext
from courier.auth.info import AuthInfo
from courier.auth.module import BadPassword, TempFail
from courier.auth.modules.system import enumerate_passwd, passwd_entry, system_info


class PamModule:
    name = "authpam"

    def pre(self, service: str, username: str) -> AuthInfo | None:
        pw = passwd_entry(username)
        # PAM gives no password hash: Courier answers PASSWD=*.
        return None if pw is None else system_info(pw, "*")

    def login(self, service: str, username: str, password: str) -> AuthInfo | None:
        from courier.auth import pam

        info = self.pre(service, username)
        if info is None:
            return None
        if not password:
            raise BadPassword(username)
        try:
            result = pam.authenticate(service, username, password)
        except pam.PamUnavailable as exc:
            raise TempFail(f"authpam: {exc}") from None
        if result.ok:
            return frozen.replace(info, clearpw=password)
        if result.denied:
            raise BadPassword(f"{username}: {result.reason}")
        raise TempFail(f"authpam: pam_{result.step} for service {service!r}: {result.reason}")

    def cram(
        self, service: str, authtype: str, username: str, challenge: bytes, response_hex: str
    ) -> AuthInfo | None:
        return None  # PAM cannot verify a challenge-response: other modules may

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool | None:
        return None

    def enumerate(self) -> Iterator[AuthInfo]:
        return enumerate_passwd()

    def close(self) -> None:
        return None


def create(ctx: ModuleContext) -> PamModule:
    return PamModule()
