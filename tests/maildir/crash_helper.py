"""Helper for test_crash: a small process that forks writers on request (cheap to fork and kill).

Protocol on stdin/stdout: ``run <seed>`` -> forks a writer, prints its pid (the writer prints ``ready``);
``wait <pid>`` -> reaps it and prints ``done``.
"""

from __future__ import annotations

import os
import random
import re
import sys

from courier.maildir import MaildirSettings, open_store
from courier.maildir.deliver import deliver
from courier.maildir.store import MaildirStore  # imported before forking: children start at once

_ = MaildirStore

SETTINGS = MaildirSettings(fsync=False)  # a kill does not lose the page cache


def _log(fd: int, line: str) -> None:
    os.write(fd, (line + "\n").encode())


def writer(md: str, journal: str, seed: int) -> None:
    rng = random.Random(seed)
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND)
    mb = open_store(md, SETTINGS).open("INBOX")
    os.write(1, b"ready\n")  # the test starts its random delay from here
    n = 0
    while True:
        n += 1
        tag = f"{seed}-{n}"
        op = rng.random()
        if op < 0.35:
            uid = mb.append([f"Subject: {tag}\r\n\r\nid={tag}\r\n".encode()], frozenset({"\\Seen"}))
            _log(fd, f"A {tag} {uid}")
        elif op < 0.55:
            deliver(md, f"Subject: {tag}\n\nid={tag}\n".encode())
            _log(fd, f"D {tag}")
            mb.refresh()  # numbers the delivery: a UID database rewrite under the lock
        elif op < 0.85 and mb.messages():
            m = rng.choice(list(mb.messages()))
            flags = frozenset(rng.sample(["\\Seen", "\\Flagged", "\\Answered", "\\Deleted", "Kw"], 2))
            mb.set_flags([m.uid], flags, frozenset())
        else:
            for m in mb.messages():
                if "\\Deleted" in m.flags:
                    # The id too: a delivery can be numbered, deleted and expunged between two
                    # of the test's checks, so the test never learns its UID.
                    with mb.open_message(m.uid) as f:
                        found = re.search(rb"id=(\S+)", f.read())
                    _log(fd, f"P {m.uid} {found.group(1).decode() if found else '-'}")
            mb.expunge()


def main() -> None:
    md, journal = sys.argv[1], sys.argv[2]
    for line in sys.stdin:
        cmd, arg = line.split()
        if cmd == "run":
            pid = os.fork()
            if pid == 0:
                try:
                    writer(md, journal, int(arg))
                finally:
                    os._exit(0)
            os.write(1, f"{pid}\n".encode())
        elif cmd == "wait":
            os.waitpid(int(arg), 0)
            os.write(1, b"done\n")


if __name__ == "__main__":
    main()
