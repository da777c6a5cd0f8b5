"""A small ctypes binding to libpam (Linux-PAM): authenticate and check the account.

No extra package: the Debian/Fedora python PAM packages differ, and this is all
authpam needs.  The conversation answers echo-off prompts with the password and
echo-on prompts with the user name, as Courier's authpam does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass

PAM_SUCCESS = 0
PAM_PROMPT_ECHO_OFF = 1
PAM_PROMPT_ECHO_ON = 2
PAM_RHOST = 4
PAM_SILENT = 0x8000
PAM_DISALLOW_NULL_AUTHTOK = 0x1

# Results that mean "these credentials are not good" (the rest: PAM itself is broken).
DENIED = {
    6,  # PAM_PERM_DENIED
    7,  # PAM_AUTH_ERR
    8,  # PAM_CRED_INSUFFICIENT
    10,  # PAM_USER_UNKNOWN
    11,  # PAM_MAXTRIES
    13,  # PAM_ACCT_EXPIRED
}
PAM_NEW_AUTHTOK_REQD = 12


class PamMessage(ctypes.Structure):
    _fields_ = [("msg_style", ctypes.c_int), ("msg", ctypes.c_char_p)]


class PamResponse(ctypes.Structure):
    _fields_ = [("resp", ctypes.c_void_p), ("resp_retcode", ctypes.c_int)]


CONV_FUNC = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_int,
    ctypes.POINTER(ctypes.POINTER(PamMessage)),
    ctypes.POINTER(ctypes.POINTER(PamResponse)),
    ctypes.c_void_p,
)


class PamConv(ctypes.Structure):
    _fields_ = [("conv", CONV_FUNC), ("appdata_ptr", ctypes.c_void_p)]


class PamUnavailable(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class PamResult:
    code: int  # PAM_SUCCESS or the failing call's code
    step: str  # "authenticate", "acct_mgmt", "start"
    reason: str

    @property
    def ok(self) -> bool:
        return self.code == PAM_SUCCESS

    @property
    def denied(self) -> bool:
        return self.code in DENIED


_libs: tuple[ctypes.CDLL, ctypes.CDLL] | None = None


def _load() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    global _libs
    if _libs is None:
        name = ctypes.util.find_library("pam") or "libpam.so.0"
        try:
            pam = ctypes.CDLL(name)
        except OSError as exc:
            raise PamUnavailable(f"cannot load {name}: {exc}; install libpam0g") from None
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.calloc.restype = ctypes.c_void_p
        libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
        libc.strdup.restype = ctypes.c_void_p
        libc.strdup.argtypes = [ctypes.c_char_p]
        pam.pam_start.restype = ctypes.c_int
        pam.pam_start.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.POINTER(PamConv),
            ctypes.POINTER(ctypes.c_void_p),
        ]
        pam.pam_end.argtypes = [ctypes.c_void_p, ctypes.c_int]
        pam.pam_authenticate.argtypes = [ctypes.c_void_p, ctypes.c_int]
        pam.pam_acct_mgmt.argtypes = [ctypes.c_void_p, ctypes.c_int]
        pam.pam_set_item.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        pam.pam_strerror.restype = ctypes.c_char_p
        pam.pam_strerror.argtypes = [ctypes.c_void_p, ctypes.c_int]
        _libs = (pam, libc)
    return _libs


def authenticate(service: str, username: str, password: str, rhost: str | None = None) -> PamResult:
    """pam_authenticate then pam_acct_mgmt for ``username`` under PAM service ``service``."""
    pam, libc = _load()
    user_b = username.encode("utf-8", "surrogateescape")
    pass_b = password.encode("utf-8", "surrogateescape")

    def conv(n: int, msgs: object, resp: object, _data: object) -> int:
        arr = libc.calloc(n, ctypes.sizeof(PamResponse))
        if not arr:
            return 5  # PAM_BUF_ERR
        replies = ctypes.cast(arr, ctypes.POINTER(PamResponse))
        for i in range(n):
            style = msgs[i].contents.msg_style  # type: ignore[index]
            if style == PAM_PROMPT_ECHO_OFF:
                replies[i].resp = libc.strdup(pass_b)
            elif style == PAM_PROMPT_ECHO_ON:
                replies[i].resp = libc.strdup(user_b)
        resp[0] = replies  # type: ignore[index]
        return PAM_SUCCESS

    callback = CONV_FUNC(conv)  # kept alive until pam_end
    conversation = PamConv(callback, None)
    handle = ctypes.c_void_p()
    rc = pam.pam_start(service.encode(), user_b, ctypes.byref(conversation), ctypes.byref(handle))
    if rc != PAM_SUCCESS:
        return PamResult(rc, "start", f"pam_start failed ({rc})")
    try:
        if rhost:
            pam.pam_set_item(handle, PAM_RHOST, ctypes.c_char_p(rhost.encode()))
        rc = pam.pam_authenticate(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK)
        step = "authenticate"
        if rc == PAM_SUCCESS:
            step = "acct_mgmt"
            rc = pam.pam_acct_mgmt(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK)
            if rc == PAM_NEW_AUTHTOK_REQD:
                rc = PAM_SUCCESS  # an expired password still proves who it is, as Courier accepts
        reason = (pam.pam_strerror(handle, rc) or b"").decode(errors="replace")
        return PamResult(rc, step, reason)
    finally:
        pam.pam_end(handle, rc)
        del callback
