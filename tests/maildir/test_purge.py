"""IMAP_EMPTYTRASH's purge: by how long a message has been in the folder (its ctime), per folder.

A file's ctime cannot be set from user space, so these tests move the clock instead: ``now``
here, the server's clock (libfaketime) in tests/imap/test_trash.py.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from courier.maildir import MaildirSettings, open_store
from courier.maildir.create import make_maildir
from courier.maildir.purge import purge
from courier.maildir.quota import read as read_quota

DAY = 86400


def _maildir(tmp_path: Path) -> Path:
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    s = open_store(str(md))
    for name in ("INBOX.Trash", "INBOX.Sent"):
        s.create(name)
    return md


def _put(md: Path, folder: str, name: str, data: bytes = b"Subject: x\n\nbody\n", sub: str = "cur") -> Path:
    p = md / folder / sub / name
    p.write_bytes(data)
    old = time.time() - 400 * DAY
    os.utime(p, (old, old))  # an ancient INTERNALDATE: the mtime is not what counts
    return p


def test_purges_by_ctime_per_folder(tmp_path: Path) -> None:
    md = _maildir(tmp_path)
    a = _put(md, ".Trash", "1.M1P1.h:2,S")
    b = _put(md, ".Trash", "2.M2P2.h", sub="new")
    keep = _put(md, ".Sent", "3.M3P3.h:2,S")
    (md / ".Trash" / "cur" / ".hidden").write_bytes(b"not a message")
    settings = MaildirSettings()
    now = time.time()
    # all just moved there (ctime now): nothing is old yet, whatever the mtime says
    assert purge(str(md), "INBOX.Trash", 7, settings, now=now) == 0
    assert purge(str(md), "INBOX.Trash", 7, settings, now=now + 6 * DAY) == 0
    assert a.exists() and b.exists()
    assert purge(str(md), "INBOX.Trash", 7, settings, now=now + 8 * DAY) == 2
    assert not a.exists() and not b.exists()
    assert (md / ".Trash" / "cur" / ".hidden").exists()
    assert purge(str(md), "INBOX.Sent", 30, settings, now=now + 8 * DAY) == 0 and keep.exists()
    assert purge(str(md), "INBOX.Sent", 30, settings, now=now + 31 * DAY) == 1 and not keep.exists()


def test_missing_or_hostile_folders_are_left_alone(tmp_path: Path) -> None:
    md = _maildir(tmp_path)
    settings = MaildirSettings()
    later = time.time() + 100 * DAY
    assert purge(str(md), "INBOX.Nothing", 1, settings, now=later) == 0
    assert purge(str(md), "INBOX../..", 1, settings, now=later) == 0
    assert purge(str(md), "INBOX.a/b", 1, settings, now=later) == 0


def test_quota_follows_counted_folders(tmp_path: Path) -> None:
    md = _maildir(tmp_path)
    (md / "maildirsize").write_text("100000S,100C\n           0            0\n")
    msg = b"Subject: x\n\n" + b"y" * 88 + b"\n"
    _put(md, ".Sent", "1.M1P1.h:2,S", msg)
    _put(md, ".Sent", "2.M2P2.h:2,ST", msg)  # \\Deleted: already off the quota
    _put(md, ".Trash", "3.M3P3.h:2,S", msg)  # the trash does not count
    later = time.time() + 100 * DAY
    purge(str(md), "INBOX.Sent", 1, MaildirSettings(), now=later)
    purge(str(md), "INBOX.Trash", 1, MaildirSettings(), now=later)
    usage = read_quota(str(md))
    assert usage is not None and (usage.bytes, usage.messages) == (-len(msg), -1)
    # with the trash counted (IMAP_TRASHQUOTA=1), everything purged comes off
    _put(md, ".Trash", "4.M4P4.h:2,ST", msg)
    purge(str(md), "INBOX.Trash", 1, MaildirSettings(trash_quota=True), now=later)
    usage = read_quota(str(md))
    assert usage is not None and (usage.bytes, usage.messages) == (-2 * len(msg), -2)
