"""The one place that changes uid, gid, groups, umask and the working directory.

After a login the connection's process becomes the account: supplementary
groups first (initgroups for a system user, else just the account's gid), then
the gid, then the uid, and it checks that root cannot be regained.
"""

from __future__ import annotations

import os


class PrivilegeError(OSError):
    """Could not become the account (the message says which step failed)."""


def become(uid: int, gid: int, username: str | None = None) -> None:
    """Drop to ``uid``/``gid`` for good; ``username`` adds its /etc/group memberships."""
    if uid < 0 or gid < 0:
        raise PrivilegeError(f"invalid uid/gid {uid}/{gid}")
    if os.geteuid() != 0:
        # Not root: we can only already be the account (development, tests as a user).
        if os.getuid() == uid and os.geteuid() == uid and os.getgid() == gid:
            return
        raise PrivilegeError(f"cannot switch to uid {uid} gid {gid}: not running as root")
    try:
        if username is not None:
            os.initgroups(username, gid)
        else:
            os.setgroups([gid])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    except OSError as exc:
        raise PrivilegeError(f"cannot switch to uid {uid} gid {gid}: {exc.strerror}") from None
    if uid != 0:
        try:
            os.setuid(0)
        except PermissionError:
            return
        raise PrivilegeError("regained root after dropping privileges; refusing to continue")


def set_umask(mask: int) -> int:
    return os.umask(mask)


def enter_directory(path: str) -> None:
    try:
        os.chdir(path)
    except OSError as exc:
        raise PrivilegeError(f"cannot change to {path}: {exc.strerror}") from None
