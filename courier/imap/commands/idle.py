"""IDLE (RFC 2177): new mail is announced as soon as inotify reports it, else every IMAP_IDLE_TIMEOUT."""

from __future__ import annotations

import os
import time

from courier.imap.args import Args, Bad
from courier.imap.inotify import Watcher
from courier.imap.table import AUTH, Result, command

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.session import Session


def folder_dirs(maildir: str, name: str) -> list[str]:
    """new/ and cur/ of a folder in Maildir++ layout (folder names are UTF-8 on disk)."""
    base = maildir if name == "INBOX" else os.path.join(maildir, "." + name[len("INBOX.") :])
    return [os.path.join(base, "new"), os.path.join(base, "cur")]


@command("IDLE", AUTH, capability="IDLE")
def idle(s: Session, tag: str, a: Args, uid: bool) -> Result | None:
    a.end()
    s.w.continuation("entering idle mode")
    watcher = None
    if s.view is not None and s.maildir is not None and not s.view.mailbox.name.startswith("shared."):
        # (a sharable folder changes in another maildir: polled, not watched)
        base = os.path.dirname(s.view.mailbox.metadata_path("idle"))
        watcher = Watcher.open([os.path.join(base, "new"), os.path.join(base, "cur")])
    deadline = time.monotonic() + s.settings.autologout
    try:
        while True:
            s.announce(allow_expunge=True)
            left = deadline - time.monotonic()
            if left <= 0:
                s.w.status("*", "BYE", "Autologout; idle for too long")
                s.closed = True
                s.timed_out = True
                return None
            wait = left if watcher is not None else min(left, s.settings.idle_poll)
            ready = s.conn.wait(wait, [watcher.fd] if watcher is not None else [])
            if ready == -1:
                line = s.conn.read_line(timeout=left)
                if line is None:
                    s.closed = True
                    return None
                if line.strip().upper() == b"DONE":
                    return Result("IDLE completed")
                raise Bad("IDLE ends with DONE")
            if ready is not None and watcher is not None:
                watcher.drain()
                time.sleep(0.02)  # let a burst of renames settle into one update
    finally:
        if watcher is not None:
            watcher.close()
