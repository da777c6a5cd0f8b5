"""POP3 logins through the shared login path: authdaemond, account options, privilege drop.

Answers are Courier's texts, with RFC 2449/3206 response codes in front.
"""

from __future__ import annotations

from courier import login
from courier.maildir.maildrop import Maildrop, MaildropError, MaildropLocked
from courier.pop3.account import Account, LoginRefused


class LoginAuthenticator:
    """``Authenticator`` for pop3d: verify, check ``disablepop3``, become the account, lock its maildrop."""

    def __init__(self, settings: login.LoginSettings) -> None:
        self.settings = settings

    def login(self, service: str, authtype: str, authdata: bytes, *, secure: bool) -> Account:
        delay = self.settings.failed_login_delay
        try:
            info = login.authenticate(self.settings, service, authtype, authdata)
        except login.TempFail:
            raise LoginRefused("Temporary problem, please try again later.", code="SYS/TEMP") from None
        if info is None:
            raise LoginRefused("Login failed.", code="AUTH", delay=delay)
        if info.flag("disablepop3"):
            raise LoginRefused("POP3 access disabled for this account.", fatal=True)
        if not secure and info.flag("disableinsecurepop3"):
            raise LoginRefused("POP3 access disabled via insecure connection.", fatal=True)
        # From here on the process is the account's: a refusal ends the connection.
        try:
            maildir = login.enter_account(info, self.settings)
        except login.LoginError as exc:
            raise LoginRefused(exc.client_message, fatal=True) from None
        try:
            drop = Maildrop.open(maildir)
        except MaildropLocked as exc:
            raise LoginRefused(str(exc), code="IN-USE", fatal=True) from None
        except MaildropError as exc:
            raise LoginRefused(str(exc), code="SYS/PERM", fatal=True) from None
        return Account(info.address, drop)
