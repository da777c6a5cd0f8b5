"""Local delivery the way an MTA does it: tmp/, fsync, link into new/."""

from __future__ import annotations

import os

from . import quota
from .layout import folder_path
from .tmpfile import fsync_dir, publish, write_tmp


def deliver(maildir: str, data: bytes, folder: str | None = None, *, host: str | None = None) -> str:
    """Deliver ``data`` (stored as is) to INBOX or ``folder`` ("INBOX.x"); returns the new file's path."""
    where = folder_path(maildir, folder or "INBOX")
    if not os.path.isdir(os.path.join(where, "new")):
        from courier.storage import NoSuchFolder

        raise NoSuchFolder(f"{folder or 'INBOX'}: no such folder in {maildir}")
    msg = write_tmp(where, [data], crlf_to_lf=False, host=host)
    try:
        name = publish(msg, "new")
    except BaseException:
        msg.discard()
        raise
    fsync_dir(os.path.join(where, "new"))
    if os.path.basename(os.path.normpath(where)) != ".Trash":
        # Like deliverquota: keep maildirsize current (no-op without a quota).
        quota.add(os.path.dirname(where) if where != maildir else maildir, msg.size, 1)
    return os.path.join(where, "new", name)
