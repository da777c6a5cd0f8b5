"""Maildir settings, built once by the caller from its configuration (never from os.environ here)."""

from __future__ import annotations

from courier.frozen import dataclass

TYPE_CHECKING = False  # not typing's: the settings are read before every greeting
if TYPE_CHECKING:
    from collections.abc import Mapping


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


def settings_from_config(
    values: Mapping[str, str], *, quota: str | None = None, hostname: str | None = None
) -> MaildirSettings:
    """Settings from a parsed Courier config (imapd or pop3d variables) and the account's quota.

    IMAP_KEYWORDS (0, 1, 2), IMAP_USELOCKS, IMAP_TRASHFOLDERNAME, IMAP_UMASK (octal) are
    Courier's; IMAP_TRASHQUOTA (0/1) is ours: Courier fixes that choice when it is built.
    Raises ValueError naming the variable at fault.
    """

    def get(name: str, default: str) -> str:
        return (values.get(name) or default).strip()

    keywords = get("IMAP_KEYWORDS", "1")
    if keywords not in ("0", "1", "2"):
        raise ValueError(f"IMAP_KEYWORDS={keywords!r}: expected 0, 1 or 2")
    umask_text = values.get("IMAP_UMASK", "").strip()
    try:
        umask = int(umask_text, 8) if umask_text else None
    except ValueError:
        raise ValueError(f"IMAP_UMASK={umask_text!r}: expected an octal number such as 022") from None
    if umask is not None and not 0 <= umask <= 0o777:
        raise ValueError(f"IMAP_UMASK={umask_text!r}: out of range")
    trash = get("IMAP_TRASHFOLDERNAME", "Trash")
    if not trash or "/" in trash or trash.startswith("."):
        raise ValueError(f"IMAP_TRASHFOLDERNAME={trash!r}: not a folder name")
    return MaildirSettings(
        keywords=int(keywords),
        uselocks=get("IMAP_USELOCKS", "1") not in ("0", ""),
        trash_quota=get("IMAP_TRASHQUOTA", "0") not in ("0", ""),
        trash_folder=trash,
        umask=umask,
        hostname=hostname,
        quota=quota or None,
    )
