"""LOGIN, AUTHENTICATE and STARTTLS: the not-authenticated state.

A login goes to authdaemond (courier.login); a failure is answered only after
the configured delay; on success the process becomes the account (groups,
gid, uid, home) and only then opens the maildir.
"""

from __future__ import annotations

import os
import time

from courier.config import read_config
from courier.imap.args import Args, Bad, No
from courier.imap.table import PRE, Result, State, command

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.session import Session
    from courier.login import LoginSettings

LOGIN_FAILED = "Login failed."


def login_settings(s: Session) -> LoginSettings:
    """Built once from imapd (DEFDOMAIN, MAILDIRPATH, ...) and authdaemonrc (the socket)."""
    from courier.login import LoginSettings

    if not isinstance(s.login_settings, LoginSettings):
        rc = read_config(os.path.join(s.settings.config_dir, "authdaemonrc"))
        var = rc.get("authdaemonvar", "").strip() or "/run/courier/authdaemon"
        s.login_settings = LoginSettings(
            authdaemon_socket=os.path.join(var, "socket"),
            failed_login_delay=s.settings.login_delay,
            maildirpath=s.settings.maildirpath,
            defdomain=s.settings.defdomain,
            mailbox_sanity_check=s.settings.mailbox_sanity_check,
        )
    return s.login_settings


def _refuse_plaintext(s: Session) -> None:
    if s.settings.tls_required and not s.tls:
        raise No("Login disabled until STARTTLS.", "PRIVACYREQUIRED")


def _fail(s: Session, user: str | None, method: str | None) -> None:
    from courier import log

    log.login_failed(user, s.remote[0], method)
    s.conn.flush()
    time.sleep(login_settings(s).failed_login_delay)
    raise No(LOGIN_FAILED)


def finish_login(s: Session, authtype: str, authdata: bytes, user: str | None) -> Result | None:
    from courier import log
    from courier.login import LoginError, TempFail, authenticate, enter_account, service_disabled

    ls = login_settings(s)
    try:
        info = authenticate(ls, s.settings.service, authtype, authdata)
    except TempFail:
        # Courier says BYE; RFC 5530's UNAVAILABLE tells the client to retry later, on this connection.
        raise No("Temporary problem, please try again later", "UNAVAILABLE") from None
    if info is None:
        _fail(s, user, None if user else authtype)
        return None
    if service_disabled(info, "imap", s.tls):
        # Courier ignores disableimap; we refuse, as the option intends.
        log.login_failed(info.address, s.remote[0])
        s.conn.flush()
        time.sleep(ls.failed_login_delay)
        raise No("IMAP access is disabled for this account.", "CONTACTADMIN")
    try:
        maildir = enter_account(info, ls)
    except LoginError as exc:
        log.error(f"LOGIN FAILED, user={log.clean(info.address)}, ip=[{log.clean(s.remote[0])}]: {exc}")
        s.w.status("*", "BYE", exc.client_message)
        s.closed = True
        return None
    from courier.auth.info import format_options
    from courier.imap.settings import open_account_store

    options = format_options(info.options)
    try:
        store = open_account_store(s.settings, maildir, info.address, info.quota, options)
    except Exception as exc:  # a broken maildir must not look like a bad password
        log.error(f"cannot open {maildir} for {log.clean(info.address)}: {exc}")
        s.w.status("*", "BYE", "Unable to open the mailbox.")
        s.closed = True
        return None
    s.authenticated(store, maildir, info.address, options)
    log.login(info.address, s.remote[0], s.remote[1], "IMAP")
    return Result("LOGIN Ok.")


@command("LOGIN", PRE)
def login(s: Session, tag: str, a: Args, uid: bool) -> Result | None:
    user = a.astring_bytes()
    password = a.astring_bytes()
    a.end()
    _refuse_plaintext(s)
    if any(c in user + password for c in b"\r\n\x00"):
        raise Bad("user name or password with a line break")
    name = user.decode("utf-8", "replace")
    return finish_login(s, "login", user + b"\n" + password + b"\n", name)


@command("AUTHENTICATE", PRE)
def authenticate_(s: Session, tag: str, a: Args, uid: bool) -> Result | None:
    mech_name = a.atom().upper()
    initial: bytes | None = None
    if a.more():
        initial = _b64(a.astring_bytes())
    a.end()
    _refuse_plaintext(s)
    from courier.sasl import SaslError, SaslResult, mechanism

    mech = mechanism(mech_name, external_identity=s.external_identity)
    if mech is None or (mech_name == "EXTERNAL" and s.external_identity is None):
        raise No("Unsupported authentication mechanism.")
    import base64

    response: bytes | None = None
    try:
        challenge = mech.step(None)
        while not isinstance(challenge, SaslResult):
            if initial is not None:
                response, initial = initial, None
            else:
                s.w.raw(b"+ " + base64.b64encode(challenge) + b"\r\n")
                s.conn.flush()
                line = s.conn.read_line(timeout=s.settings.autologout)
                if line is None:
                    s.closed = True
                    return None
                if line.strip() == b"*":
                    raise Bad("AUTHENTICATE cancelled")
                response = _b64(line.strip())
            challenge = mech.step(response)
    except SaslError:
        _fail(s, None, mech_name)
        return None
    user = None
    if challenge.authtype == "login":
        user = challenge.authdata.split(b"\n", 1)[0].decode("utf-8", "replace")
    return finish_login(s, challenge.authtype, challenge.authdata, user)


def _b64(data: bytes) -> bytes:
    import base64  # AUTHENTICATE only: base64 imports re and struct
    import binascii

    if data == b"=":
        return b""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise Bad("invalid base64") from None


@command("STARTTLS", PRE, capability="STARTTLS")
def starttls(s: Session, tag: str, a: Args, uid: bool) -> Result | None:
    a.end()
    hook = s.starttls_hook
    if hook is None or s.tls:
        raise Bad("TLS is already active")
    s.w.status(tag, "OK", "Begin SSL/TLS negotiation now.")
    s.conn.flush()
    hook()
    s.tls = True
    s.starttls_hook = None
    s.state = State.NOT_AUTHENTICATED
    return None
