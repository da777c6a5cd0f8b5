"""authshadow: system accounts, password from the shadow database (getspnam through libc).

Python 3.13 dropped the ``spwd`` module, so getspnam is called through ctypes;
it honours nsswitch.conf like Courier's module.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator

from courier.auth.chain import ModuleContext
from courier.auth.info import AuthInfo
from courier.auth.module import TempFail
from courier.auth.modules.base import Entry, PasswordModule
from courier.auth.modules.system import enumerate_passwd, passwd_entry, system_info


class _Spwd(ctypes.Structure):
    # Only the leading fields are read; the struct is never allocated by us.
    _fields_ = [("sp_namp", ctypes.c_char_p), ("sp_pwdp", ctypes.c_char_p)]


_libc: ctypes.CDLL | None = None


def _getspnam(name: str) -> str | None:
    """The shadow password of ``name``; None if it has no shadow entry; TempFail if unreadable."""
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        lib.getspnam.restype = ctypes.POINTER(_Spwd)
        lib.getspnam.argtypes = [ctypes.c_char_p]
        _libc = lib
    ctypes.set_errno(0)
    res = _libc.getspnam(name.encode("utf-8", "surrogateescape"))
    if not res:
        err = ctypes.get_errno()
        if err in (13, 1):  # EACCES, EPERM: the shadow file is not ours to read
            raise TempFail("authshadow: cannot read the shadow database (authdaemond must run as root)")
        return None
    pw = res.contents.sp_pwdp
    return None if pw is None else pw.decode("utf-8", "surrogateescape")


class ShadowModule(PasswordModule):
    name = "authshadow"

    def lookup(self, service: str, username: str) -> Entry | None:
        pw = passwd_entry(username)
        if pw is None:
            return None
        crypted = _getspnam(pw.pw_name)
        if crypted is None:
            crypted = pw.pw_passwd
        return Entry(info=system_info(pw, crypted), crypted=crypted)

    def entries(self) -> Iterator[AuthInfo]:
        return enumerate_passwd()


def create(ctx: ModuleContext) -> ShadowModule:
    return ShadowModule()
