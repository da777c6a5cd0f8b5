"""authvchkpw: vpopmail accounts from the domains' ``vpasswd`` files.

vpasswd lines are ``name:crypted:flags:gid:gecos:dir:quota[:clear]`` (vpopmail
keeps its per-user flags in the uid/gid columns).  Mail is stored as the
vpopmail system user, whose uid/gid come from ``users/assign`` when it lists
the domain, else from the passwd entry ``vpopmail``.  The maildir is
``dir/Maildir``.  Logins are ``user@domain`` (or ``user%domain``); a bare name
gets ``VPOPMAIL_DEFAULT_DOMAIN``.  The text vpasswd file is the source: vpopmail
rebuilds vpasswd.cdb from it.

authdaemonrc settings: ``VPOPMAIL_HOME`` (default: the home of user vpopmail),
``VPOPMAIL_DEFAULT_DOMAIN``.
"""

from __future__ import annotations

import pwd
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from courier.auth.chain import ModuleContext
from courier.auth.info import AuthInfo
from courier.auth.module import TempFail
from courier.auth.modules.base import Entry, PasswordModule
from courier.config import ConfigError

# vpopmail.h per-user flags (the third vpasswd column)
NO_PASSWD_CHNG = 0x01
NO_POP = 0x02
NO_WEBMAIL = 0x04
NO_IMAP = 0x08


@dataclass(frozen=True, slots=True)
class Domain:
    name: str
    directory: Path
    uid: int
    gid: int


class VchkpwModule(PasswordModule):
    name = "authvchkpw"

    def __init__(self, home: Path, default_domain: str, uid: int, gid: int) -> None:
        self.home = home
        self.default_domain = default_domain
        self.uid = uid
        self.gid = gid

    def _assign(self) -> dict[str, Domain]:
        # users/assign: +domain-:domain:uid:gid:dir:-::
        out: dict[str, Domain] = {}
        try:
            text = (self.home / "users" / "assign").read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return out
        except OSError as exc:
            raise TempFail(f"authvchkpw: cannot read {self.home}/users/assign: {exc.strerror}") from None
        for line in text.splitlines():
            if not line.startswith("+"):
                continue
            parts = line[1:].split(":")
            if len(parts) < 5:
                continue
            try:
                out[parts[1].lower()] = Domain(parts[1].lower(), Path(parts[4]), int(parts[2]), int(parts[3]))
            except ValueError:
                continue
        return out

    def _domain(self, name: str) -> Domain | None:
        name = name.lower()
        if not name or "/" in name or name.startswith("."):
            return None
        assigned = self._assign().get(name)
        if assigned is not None:
            return assigned
        directory = self.home / "domains" / name
        return Domain(name, directory, self.uid, self.gid) if directory.is_dir() else None

    def _rows(self, domain: Domain) -> Iterator[list[str]]:
        path = domain.directory / "vpasswd"
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise TempFail(f"authvchkpw: cannot read {path}: {exc.strerror}") from None
        for line in text.splitlines():
            parts = line.split(":")
            if len(parts) >= 7 and parts[0]:
                yield parts

    def _info(self, domain: Domain, row: list[str], address: str) -> AuthInfo:
        try:
            flags = int(row[2])
        except ValueError:
            flags = 0
        options: dict[str, str] = {}
        if flags & NO_POP:
            options["disablepop3"] = "1"
        if flags & NO_IMAP:
            options["disableimap"] = "1"
        if flags & NO_WEBMAIL:
            options["disablewebmail"] = "1"
        quota = row[6] if row[6] and row[6].upper() != "NOQUOTA" else None
        return AuthInfo(
            address=address,
            home=row[5],
            uid=domain.uid,
            gid=domain.gid,
            maildir=row[5].rstrip("/") + "/Maildir",
            fullname=row[4] or None,
            quota=quota,
            options=options,
            passwd=row[1] or None,
        )

    def lookup(self, service: str, username: str) -> Entry | None:
        for sep in ("@", "%"):
            if sep in username:
                user, _, dom = username.partition(sep)
                break
        else:
            user, dom = username, self.default_domain
        domain = self._domain(dom)
        if domain is None or not user:
            return None
        user = user.lower()  # vpopmail stores names in lower case
        for row in self._rows(domain):
            if row[0] == user:
                clear = row[7] if len(row) > 7 and row[7] else None
                info = self._info(domain, row, f"{user}@{domain.name}")
                return Entry(info=info, crypted=row[1] or None, clear=clear)
        return None

    def entries(self) -> Iterator[AuthInfo]:
        domains = dict(self._assign())
        base = self.home / "domains"
        if base.is_dir():
            for d in sorted(base.iterdir()):
                if d.is_dir() and d.name.lower() not in domains:
                    domains[d.name.lower()] = Domain(d.name.lower(), d, self.uid, self.gid)
        for domain in domains.values():
            for row in self._rows(domain):
                yield self._info(domain, row, f"{row[0]}@{domain.name}")


def create(ctx: ModuleContext) -> VchkpwModule:
    home = ctx.values.get("VPOPMAIL_HOME", "")
    try:
        pw = pwd.getpwnam("vpopmail")
    except KeyError:
        pw = None
    if not home:
        if pw is None:
            raise ConfigError(
                f"{ctx.config_dir}/authdaemonrc: authvchkpw needs VPOPMAIL_HOME (there is no user vpopmail)"
            )
        home = pw.pw_dir
    uid = int(ctx.values.get("VPOPMAIL_UID", "") or (pw.pw_uid if pw else -1))
    gid = int(ctx.values.get("VPOPMAIL_GID", "") or (pw.pw_gid if pw else -1))
    if uid < 0 or gid < 0:
        raise ConfigError(f"{ctx.config_dir}/authdaemonrc: authvchkpw needs VPOPMAIL_UID and VPOPMAIL_GID")
    return VchkpwModule(Path(home), ctx.values.get("VPOPMAIL_DEFAULT_DOMAIN", "").lower(), uid, gid)
