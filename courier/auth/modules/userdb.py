"""authuserdb: accounts from the compiled userdb (userdb.dat + userdbshadow.dat).

As Courier's module: the files are read on every lookup (a rebuilt userdb is
seen without a restart), ``<service>pw`` (imappw, pop3pw, ...) is checked
instead of ``systempw`` when the account has one, and ``hmac-md5pw`` /
``hmac-sha1pw`` / ``hmac-sha256pw`` answer CRAM logins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from courier import frozen
from courier.auth.chain import ModuleContext
from courier.auth.info import AuthInfo, parse_options
from courier.auth.module import TempFail
from courier.auth.modules.base import Entry, PasswordModule
from courier.userdb.dat import GdbmError, UserdbDat
from courier.userdb.record import fields_dict

_REVERSE = re.compile(r"[0-9]+=")
_HMAC_FIELDS = {"md5": "hmac-md5pw", "sha1": "hmac-sha1pw", "sha256": "hmac-sha256pw"}


class UserdbModule(PasswordModule):
    name = "authuserdb"

    def __init__(self, dat: Path, shadow: Path, source: Path | None = None) -> None:
        self.dat = UserdbDat(dat)
        self.shadow = UserdbDat(shadow)
        self.source = source  # the text userdb the .dat files are built from (for PASSWD)

    def _fetch(self, db: UserdbDat, name: str) -> dict[str, str] | None:
        try:
            return db.lookup(name)
        except (GdbmError, OSError) as exc:
            raise TempFail(f"authuserdb: cannot read {db.path}: {exc}") from None

    def _info(self, name: str, fields: dict[str, str]) -> AuthInfo | None:
        try:
            uid = int(fields["uid"])
            gid = int(fields["gid"])
        except (KeyError, ValueError):
            return None  # Courier ignores records without a numeric uid and gid
        home = fields.get("home", "")
        if not home:
            return None
        return AuthInfo(
            address=name,
            home=home,
            uid=uid,
            gid=gid,
            maildir=fields.get("mail") or None,
            fullname=fields.get("gecos") or None,
            quota=fields.get("quota") or None,
            options=parse_options(fields.get("options", "")),
        )

    def lookup(self, service: str, username: str) -> Entry | None:
        if not username or _REVERSE.fullmatch(username):
            return None
        fields = self._fetch(self.dat, username)
        if fields is None:
            return None
        secrets = self._fetch(self.shadow, username) or {}
        merged = {**fields, **secrets}
        info = self._info(username, merged)
        if info is None:
            return None
        crypted = merged.get(f"{service}pw") or merged.get("systempw") or None
        states = {h: merged[f] for h, f in _HMAC_FIELDS.items() if merged.get(f)}
        return Entry(
            info=frozen.replace(info, passwd=crypted),
            crypted=crypted,
            hmac_states=states,
        )

    def passwd(self, service: str, username: str, oldpass: str, newpass: str) -> bool | None:
        """PASSWD: rewrite the account's password in the userdb source and rebuild the .dat files."""
        if self.source is None or self.lookup(service, username) is None:
            return None
        from courier.auth import hashes
        from courier.userdb.chpass import ChangeError, change_password

        try:
            return change_password(str(self.source), username, service, oldpass, newpass, hashes.verify)
        except ChangeError as exc:
            raise TempFail(f"authuserdb: password change failed: {exc}") from None

    def entries(self) -> Iterator[AuthInfo]:
        try:
            items = list(self.dat.items())
        except (GdbmError, OSError) as exc:
            raise TempFail(f"authuserdb: cannot read {self.dat.path}: {exc}") from None
        for name, text in items:
            if _REVERSE.fullmatch(name):
                continue
            info = self._info(name, fields_dict(text))
            if info is not None:
                yield info

    def close(self) -> None:
        self.dat.close()
        self.shadow.close()


def create(ctx: ModuleContext) -> UserdbModule:
    d = ctx.config_dir
    return UserdbModule(d / "userdb.dat", d / "userdbshadow.dat", d / "userdb")
