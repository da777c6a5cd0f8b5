"""What authpwd, authshadow and authpam share: accounts from the passwd database.

Courier answers these with ``USERNAME=`` (the system user) instead of a UID,
GID and HOME from the passwd entry, and the full name from the GECOS field.
"""

from __future__ import annotations

import pwd
from collections.abc import Iterator

from courier.auth.info import AuthInfo

MIN_ENUMERATE_UID = 100  # Courier leaves system accounts out of ENUMERATE


def passwd_entry(username: str) -> pwd.struct_passwd | None:
    if not username or "/" in username or "\x00" in username:
        return None
    try:
        return pwd.getpwnam(username)
    except KeyError:
        return None


def system_info(pw: pwd.struct_passwd, passwd: str | None) -> AuthInfo:
    return AuthInfo(
        address=pw.pw_name,
        home=pw.pw_dir,
        gid=pw.pw_gid,
        sysusername=pw.pw_name,
        fullname=pw.pw_gecos.split(",", 1)[0] or None,
        passwd=passwd,
    )


def enumerate_passwd() -> Iterator[AuthInfo]:
    for pw in pwd.getpwall():
        if pw.pw_uid < MIN_ENUMERATE_UID:
            continue
        yield AuthInfo(address=pw.pw_name, home=pw.pw_dir, uid=pw.pw_uid, gid=pw.pw_gid)
