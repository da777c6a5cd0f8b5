"""The pre-authentication path shared by imapd and pop3d.

``authenticate`` asks authdaemond (through the small client, nothing heavier);
``enter_account`` turns the process into the account and finds its maildir.
The protocol layer sleeps ``failed_login_delay`` before answering a failure and
answers a TempFail with "try again later", never "login failed".

On every connection's path: stdlib os-level modules only.
"""

from __future__ import annotations

import os

from courier import privs
from courier.auth.info import AuthInfo
from courier.auth.module import TempFail
from courier.authdaemon.client import DEFAULT_SOCKET, AuthClient
from courier.frozen import dataclass

__all__ = ["LoginError", "LoginSettings", "TempFail", "authenticate", "enter_account", "service_disabled"]


class LoginError(Exception):
    """The account cannot be entered; ``client_message`` is safe to show the client."""

    def __init__(self, client_message: str, detail: str = "") -> None:
        super().__init__(detail or client_message)
        self.client_message = client_message


@dataclass(frozen=True, slots=True)
class LoginSettings:
    authdaemon_socket: str = DEFAULT_SOCKET
    failed_login_delay: float = 5.0  # seconds; Courier's login programs wait 5 s
    maildirpath: str = "Maildir"  # MAILDIRPATH: maildir under home when authlib gives none
    defdomain: str = ""  # DEFDOMAIN, e.g. "@example.com": appended to names without '@'
    mailbox_sanity_check: bool = True  # IMAP_MAILBOX_SANITY_CHECK: maildir must be the account's
    auth_timeout: float = 10.0  # seconds to wait for authdaemond


def _with_domain(user: bytes, defdomain: str) -> bytes:
    if not defdomain or b"@" in user:
        return user
    domain = defdomain if defdomain.startswith("@") else "@" + defdomain
    return user + domain.encode("utf-8", "surrogateescape")


def _apply_defdomain(authtype: str, authdata: bytes, defdomain: str) -> bytes:
    if not defdomain:
        return authdata
    if authtype == "login":
        user, sep, rest = authdata.partition(b"\n")
        return _with_domain(user, defdomain) + sep + rest if sep else authdata
    if authtype.startswith("cram-"):
        # The digest does not cover the name, so it can be completed like a LOGIN name.
        import base64
        import binascii

        parts = authdata.split(b"\n")
        if len(parts) < 2:
            return authdata
        try:
            response = base64.b64decode(parts[1], validate=True)
        except binascii.Error:
            return authdata
        user, sep, digest = response.rpartition(b" ")
        if not sep:
            return authdata
        parts[1] = base64.b64encode(_with_domain(user, defdomain) + b" " + digest)
        return b"\n".join(parts)
    return authdata


def authenticate(settings: LoginSettings, service: str, authtype: str, authdata: bytes) -> AuthInfo | None:
    """Verify credentials through authdaemond; None = login failed; raises TempFail.

    ``authtype`` is a SaslResult's: ``login``, ``cram-md5``/``-sha1``/``-sha256`` or
    ``external`` (the identity was proven by a TLS client certificate, so the
    account is only looked up).
    """
    client = AuthClient(settings.authdaemon_socket, settings.auth_timeout)
    authdata = _apply_defdomain(authtype, authdata, settings.defdomain)
    if authtype == "external":
        name = _with_domain(authdata, settings.defdomain).decode("utf-8", "surrogateescape")
        return client.pre(service, name)
    return client.auth(service, authtype, authdata)


def service_disabled(info: AuthInfo, service: str, secure: bool) -> bool:
    """Options ``disable<service>=1``, or ``disableinsecure<service>=1`` without TLS."""
    if info.flag(f"disable{service}"):
        return True
    return not secure and info.flag(f"disableinsecure{service}")


def _account_ids(info: AuthInfo) -> tuple[int, int, str | None]:
    if info.uid is not None and info.gid is not None:
        return info.uid, info.gid, None
    if info.sysusername:
        import pwd

        try:
            pw = pwd.getpwnam(info.sysusername)
        except KeyError:
            raise LoginError("Login failed.", f"system user {info.sysusername!r} does not exist") from None
        gid = info.gid if info.gid is not None else pw.pw_gid
        return pw.pw_uid, gid, info.sysusername
    raise LoginError("Login failed.", f"account {info.address!r} has no uid/gid")


def enter_account(info: AuthInfo, settings: LoginSettings) -> str:
    """Become the account (groups, gid, uid), go to its home; returns the absolute maildir path."""
    uid, gid, username = _account_ids(info)
    try:
        privs.become(uid, gid, username)
        privs.enter_directory(info.home)
    except privs.PrivilegeError as exc:
        raise LoginError("Unable to access the account's home directory.", str(exc)) from None
    maildir = info.maildir or settings.maildirpath or "Maildir"
    maildir = os.path.normpath(os.path.join(info.home, maildir))
    try:
        st = os.stat(maildir)
    except OSError as exc:
        raise LoginError(f"Unable to open the mailbox: {exc.strerror}", f"{maildir}: {exc}") from None
    if settings.mailbox_sanity_check and (st.st_uid != os.geteuid() or st.st_gid != os.getegid()):
        raise LoginError(
            "Account's mailbox directory is not owned by the correct uid or gid",
            f"{maildir} is owned by {st.st_uid}:{st.st_gid}, the account is {os.geteuid()}:{os.getegid()}",
        )
    return maildir
