"""Opening a big folder: scan + UIDs (courierimapuiddb), first and repeated, with peak memory.

Run: ``.venv/bin/python -m bench.maildir_open [--sizes 10000,100000] [--dir /tmp]``.
Not a test.  Each measurement runs in a fresh process (like one IMAP connection) that
opens INBOX read-write; it reports wall time of ``open``, the whole process's CPU time
(start-up included) and its peak RSS.

* first:    no courierimapuiddb yet; every message gets a UID (the database is written);
* repeated: the database exists and nothing changed (the second one reads courierpyindex);
* +1 new:   one message delivered to new/ since (moved to cur/, numbered, database rewritten).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from courier.maildir import MaildirSettings, open_store
store = open_store(sys.argv[1], MaildirSettings())
t1 = time.perf_counter()
mb = store.open("INBOX")
t2 = time.perf_counter()
n = len(mb.messages())
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"import": t1 - t0, "open": t2 - t1, "messages": n, "maxrss_kb": ru.ru_maxrss,
                  "cpu": ru.ru_utime + ru.ru_stime}))
"""


def populate(md: str, count: int) -> None:
    from courier.maildir.create import make_maildir

    make_maildir(md)
    cur = os.path.join(md, "cur")
    body = b"From: a@example.org\nSubject: bench\n\n" + b"x" * 200 + b"\n"
    base = 1_700_000_000
    for i in range(count):
        flags = "S" if i % 3 else ""
        name = f"{base + i}.M{i % 1000000}P{i}V0000000000000801I{i:016X}_0.bench,S={len(body)}:2,{flags}"
        fd = os.open(os.path.join(cur, name), os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, body)
        os.close(fd)


def measure(md: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, md], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def row(size: int, case: str, r: dict[str, float]) -> None:
    print(
        f"{size:>9} {case:<9} {r['open']:>8.3f} {r['cpu']:>14.3f} {r['maxrss_kb'] / 1024:>12.1f}", flush=True
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated message counts")
    ap.add_argument("--dir", default=None, help="where to build the test maildirs (default: a temp dir)")
    args = ap.parse_args(list(argv) if argv is not None else None)
    root = tempfile.mkdtemp(prefix="maildir-bench-", dir=args.dir)
    try:
        print(f"{'messages':>9} {'case':<9} {'open s':>8} {'process CPU s':>14} {'peak RSS MB':>12}")
        for size in (int(s) for s in args.sizes.split(",")):
            md = os.path.join(root, f"m{size}")
            t = time.perf_counter()
            populate(md, size)
            print(f"# built {size} messages in {time.perf_counter() - t:.1f} s", file=sys.stderr)
            for case in ("first", "repeated", "repeated"):
                r = measure(md)
                assert r["messages"] == size, r
                print(
                    f"{size:>9} {case:<9} {r['open']:>8.3f} {r['cpu']:>14.3f} {r['maxrss_kb'] / 1024:>12.1f}"
                )
                time.sleep(2.1)  # let the directories' mtimes settle, as between real sessions
            from courier.maildir.deliver import deliver

            deliver(md, b"Subject: one more\n\nx\n")
            r = measure(md)
            print(
                f"{size:>9} {'+1 new':<9} {r['open']:>8.3f} {r['cpu']:>14.3f} {r['maxrss_kb'] / 1024:>12.1f}"
            )
            shutil.rmtree(md)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
