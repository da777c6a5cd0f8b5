"""Maildir settings, built once by the caller from its configuration (never from os.environ here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MaildirSettings:
    #: IMAP_KEYWORDS: 0 = keywords off, 1 = on with atomic updates, 2 = on, faster non-atomic updates.
    keywords: int = 1
    #: IMAP_USELOCKS: also take Courier's dot-lock (tmp/courier.lock) while assigning UIDs.
    #: Our own processes always serialise through flock(2) on the folder's tmp/ directory.
    uselocks: bool = True
    #: Count the Trash folder and messages flagged \Deleted against the quota (Courier's
    #: TRASHQUOTA build option; Debian's build, and so our default, does not).
    trash_quota: bool = False
    #: IMAP_TRASHFOLDERNAME: the trash folder's name below INBOX.
    trash_folder: str = "Trash"
    #: umask for created files and directories (IMAP_UMASK); None leaves the process umask alone.
    umask: int | None = None
    #: Host name used in new file names; None = the system's host name.
    hostname: str | None = None
    #: Quota from the account (authlib's ``quota`` option, e.g. "1000000S,100C"); None = maildirsize only.
    quota: str | None = None
    #: Files in tmp/ older than this many seconds are removed when a folder is opened read-write.
    tmp_max_age: int = 36 * 3600
    #: Seconds to wait for another process's lock before giving up.
    lock_timeout: float = 120.0
    #: fsync new messages and metadata before they become visible.
    fsync: bool = True
