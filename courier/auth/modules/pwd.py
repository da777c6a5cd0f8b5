"""authpwd: system accounts, password from the passwd entry itself (getpwnam)."""

from __future__ import annotations

from collections.abc import Iterator

from courier.auth.chain import ModuleContext
from courier.auth.info import AuthInfo
from courier.auth.modules.base import Entry, PasswordModule
from courier.auth.modules.system import enumerate_passwd, passwd_entry, system_info


class PwdModule(PasswordModule):
    name = "authpwd"

    def lookup(self, service: str, username: str) -> Entry | None:
        pw = passwd_entry(username)
        if pw is None:
            return None
        return Entry(info=system_info(pw, pw.pw_passwd), crypted=pw.pw_passwd)

    def entries(self) -> Iterator[AuthInfo]:
        return enumerate_passwd()


def create(ctx: ModuleContext) -> PwdModule:
    return PwdModule()
