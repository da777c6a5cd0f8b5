"""Helper for test_concurrency: one IMAP-like session (append, flag, expunge) or an MTA.

Prints one JSON document at the end: what it appended, what it saw, what it expunged.
Exits non-zero if it ever saw a UID go backwards.
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
import time

from courier.maildir import MaildirSettings, open_store
from courier.maildir.deliver import deliver
from courier.storage import StorageError

SETTINGS = MaildirSettings(fsync=False)


def session(md: str, name: str, rounds: int) -> dict[str, object]:
    rng = random.Random(name)
    mb = open_store(md, SETTINGS).open("INBOX")
    seen: dict[str, int] = {m.key: m.uid for m in mb.messages()}
    appended: dict[str, int] = {}
    doomed: list[int] = []
    highest = max(seen.values(), default=0)
    for i in range(rounds):
        op = rng.random()
        if op < 0.4:
            tag = f"{name}-{i}"
            uid = mb.append([f"Subject: {tag}\r\n\r\nid={tag}\r\n".encode()])
            appended[tag] = uid
        elif op < 0.7 and mb.messages():
            m = rng.choice(list(mb.messages()))
            flags = frozenset(rng.sample(["\\Seen", "\\Flagged", "\\Answered", "Kw1", "$Label2"], 2))
            with contextlib.suppress(StorageError):  # another session expunged it since our refresh
                mb.set_flags([m.uid], flags, frozenset(rng.sample(["\\Seen", "Kw1"], 1)))
        elif op < 0.85:
            mine = [u for u in appended.values() if u not in doomed]
            if mine:
                uid = rng.choice(mine)
                try:
                    mb.set_flags([uid], frozenset({"\\Deleted"}), frozenset())
                    doomed.append(uid)
                except Exception:  # expunged meanwhile by another session
                    pass
        else:
            mb.expunge()
        changes = mb.refresh()
        for m in changes.added:
            if m.uid <= highest:
                print(f"UID went backwards: {m.uid} after {highest}", file=sys.stderr)
                sys.exit(3)
            highest = m.uid
        highest = max([highest, *appended.values()])
        for m in mb.messages():
            seen[m.key] = m.uid
    return {"appended": appended, "seen": seen, "doomed": doomed}


def mta(md: str, count: int) -> dict[str, object]:
    delivered = []
    for i in range(count):
        tag = f"mta-{i}"
        deliver(md, f"Subject: {tag}\n\nid={tag}\n".encode())
        delivered.append(tag)
        time.sleep(0.002)
    return {"delivered": delivered}


if __name__ == "__main__":
    role, md, name, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    result = mta(md, n) if role == "mta" else session(md, name, n)
    print(json.dumps(result))
