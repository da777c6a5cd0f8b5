"""Removing old messages from a folder (IMAP_EMPTYTRASH), as Courier's maildir_purge does.

A message's age is that of its inode change time (ctime), not of its mtime: the mtime is the
INTERNALDATE and survives the move into the trash, while the rename into the trash sets the
ctime.  So "Trash:7" removes what has been in the trash for a week, not what arrived a week
ago (which would empty a message deleted today at the next login).  Any later rename (a flag
change) starts the clock again, as with Courier.
"""

from __future__ import annotations

import os
import time

from . import layout
from . import quota as quotamod
from .settings import MaildirSettings


def purge(maildir: str, folder: str, days: int, settings: MaildirSettings, now: float | None = None) -> int:
    """Delete the messages of ``folder`` (an IMAP name) in cur/ and new/ whose ctime is more
    than ``days`` days old; returns how many.  A missing or invalid folder is left alone."""
    from courier.storage import InvalidName

    try:
        path = layout.folder_path(maildir, folder)
    except InvalidName:
        return 0
    limit = (time.time() if now is None else now) - days * 86400
    counted = quotamod.counts_folder(os.path.basename(path), settings.trash_folder, settings.trash_quota)
    removed = freed_bytes = freed_msgs = 0
    for sub in ("cur", "new"):
        try:
            it = os.scandir(os.path.join(path, sub))
        except (FileNotFoundError, NotADirectoryError):
            continue
        with it:
            for e in it:
                if e.name.startswith("."):
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                    if st.st_ctime >= limit:
                        continue
                    os.unlink(e.path)
                except FileNotFoundError:
                    continue  # renamed or removed by another session meanwhile
                removed += 1
                if counted and quotamod.counts_file(e.name, settings.trash_quota):
                    freed_bytes += st.st_size
                    freed_msgs += 1
    if freed_msgs:
        quotamod.add(maildir, -freed_bytes, -freed_msgs)
    return removed
