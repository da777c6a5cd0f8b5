"""The IMAP commands, one small module per group; importing a module registers its commands.

A session imports a module when a command of it first arrives (``find``), so a
short session (LOGIN, SELECT, LOGOUT) never pays for FETCH, SEARCH or IDLE.
"""

from __future__ import annotations

from courier.imap.table import COMMANDS

TYPE_CHECKING = False  # not typing's: on every connection's path
if TYPE_CHECKING:
    from courier.imap.table import Spec

MODULES = ("acl", "append", "auth", "basic", "fetch", "folders", "idle", "quota", "search", "selected")

#: Which module registers each command.  A command not listed here (a new module's) is
#: still found: ``find`` then imports every module.
WHERE = {
    **dict.fromkeys(("CAPABILITY", "NOOP", "LOGOUT", "CHECK", "NAMESPACE", "ENABLE", "ID"), "basic"),
    **dict.fromkeys(("LOGIN", "AUTHENTICATE", "STARTTLS"), "auth"),
    **dict.fromkeys(("SELECT", "EXAMINE", "CLOSE", "EXPUNGE", "STORE", "COPY"), "selected"),
    **dict.fromkeys(
        ("CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "STATUS"), "folders"
    ),
    **dict.fromkeys(("GETQUOTAROOT", "GETQUOTA", "SETQUOTA"), "quota"),
    **dict.fromkeys(("SEARCH", "SORT", "THREAD"), "search"),
    **dict.fromkeys(("GETACL", "SETACL", "DELETEACL", "LISTRIGHTS", "MYRIGHTS", "ACL"), "acl"),
    "APPEND": "append",
    "FETCH": "fetch",
    "IDLE": "idle",
}

_all_loaded = False


def load() -> None:
    """Import every command module (all commands registered)."""
    global _all_loaded
    from courier.imap.commands import (  # noqa: F401
        acl,
        append,
        auth,
        basic,
        fetch,
        folders,
        idle,
        quota,
        search,
        selected,
    )

    _all_loaded = True


def find(name: str) -> Spec | None:
    """The command called ``name`` (upper case), importing its module on first use."""
    spec = COMMANDS.get(name)
    if spec is None and not _all_loaded:
        module = WHERE.get(name)
        if module is not None:
            __import__(f"{__name__}.{module}")
        else:
            load()
        spec = COMMANDS.get(name)
    return spec
