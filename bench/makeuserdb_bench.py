"""makeuserdb on 100,000 accounts, ours against Courier's, and userdb.dat lookup latency.

Run: .venv/bin/python -m bench.makeuserdb_bench [--accounts N] [--lookups N]

Both compile the same source text; each runs as its own process so that the
peak RSS (from wait4) is the whole tool's.  Courier's makeuserdb (Perl plus its
makedatprog helper) runs from Debian's package in a private mount namespace, as
in the interop tests.  Lookups are timed in-process through courier.userdb.dat
(both GDBM backends) on both databases, and, for Courier, as PRE requests to a
real authdaemond running authuserdb on the same file.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from courier.userdb.dat import UserdbDat  # noqa: E402

SHA512 = (
    "$6$Hx0EOnJ6OWcFS1Qk$z9mKc1PSaJ1h0L0dXHkqXk2tV0fV2cXN2aZqyH0bQwF2"
    "Hk0YrJtP6q7cHnm3D6z1y0l3V1uMZ3xWcE6bJ2Vb1"
)
HMAC = "cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56"


def make_source(path: Path, n: int) -> list[str]:
    names = []
    with open(path, "w") as f:
        f.write("# benchmark accounts\n")
        for i in range(n):
            dom = f"domain{i % 500}.example"
            name = f"user{i}@{dom}"
            names.append(name)
            home = f"/srv/vmail/{dom}/user{i}"
            f.write(
                f"{name}\thome={home}|mail={home}/Maildir|uid=990|gid=990|quota=100000000S"
                f"|systempw={SHA512}|hmac-md5pw={HMAC}\n"
            )
    path.chmod(0o600)
    return names


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS in MiB of the command (including the children it waited for)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{cmd[0]} failed: {err}")
    return elapsed, usage.ru_maxrss // 1024


def lookup_latency(path: Path, names: list[str], n: int, use_ctypes: bool) -> tuple[float, float]:
    """Median and 99th percentile microseconds per lookup (file already open, stat per lookup)."""
    rnd = random.Random(1)
    sample = [rnd.choice(names) for _ in range(n)]
    db = UserdbDat(path, use_ctypes=use_ctypes)
    db.lookup(sample[0])
    times = []
    for name in sample:
        t0 = time.perf_counter()
        rec = db.lookup(name)
        times.append(time.perf_counter() - t0)
        assert rec is not None
    db.close()
    times.sort()
    return statistics.median(times) * 1e6, times[int(len(times) * 0.99)] * 1e6


def authdaemond_pre_latency(etc: Path, names: list[str], n: int) -> tuple[float, float] | None:
    """Round trip of `PRE . imap NAME` to Courier's authdaemond (authuserdb) reading etc/userdb.dat."""
    from tests import realcourier

    run = etc.parent / "run"
    run.mkdir()
    (etc / "authdaemonrc").write_text(
        'authmodulelist="authuserdb"\ndaemons=1\nauthdaemonvar=/run/courier/authdaemon\n'
    )
    binds = {
        "/etc/courier": etc,
        "/run/courier/authdaemon": run,
        "/usr/lib/courier-authlib": realcourier.root() / "usr/lib/courier-authlib",
    }
    cmd = realcourier.namespace_command(
        [realcourier.binary("usr/lib/courier/courier-authlib/authdaemond")], binds
    )
    proc = subprocess.Popen(cmd, env=realcourier.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not (run / "socket").exists():
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)
        rnd = random.Random(2)
        times = []
        for _ in range(n):
            name = rnd.choice(names)
            t0 = time.perf_counter()
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(str(run / "socket"))
                s.sendall(f"PRE . imap {name}\n".encode())
                reply = b""
                while not reply.endswith((b".\n", b"FAIL\n")):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            times.append(time.perf_counter() - t0)
            assert b"UID=990" in reply, reply
        times.sort()
        return statistics.median(times) * 1e6, times[int(len(times) * 0.99)] * 1e6
    finally:
        proc.terminate()
        proc.wait()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=100_000)
    p.add_argument("--lookups", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=3, help="makeuserdb runs per tool (best is reported)")
    args = p.parse_args()
    ours_bin = str(REPO / ".venv" / "bin" / "makeuserdb")
    with tempfile.TemporaryDirectory(prefix="makeuserdb-bench-") as tmp:
        base = Path(tmp)
        ours_etc, real_etc = base / "ours" / "etc", base / "real" / "etc"
        ours_etc.mkdir(parents=True)
        real_etc.mkdir(parents=True)
        names = make_source(ours_etc / "userdb", args.accounts)
        shutil.copy2(ours_etc / "userdb", real_etc / "userdb")
        size = (ours_etc / "userdb").stat().st_size
        print(f"source: {args.accounts} accounts, {size / 1e6:.1f} MB")

        rows = []
        ours = [timed([ours_bin, "--config-dir", str(ours_etc)]) for _ in range(args.rounds)]
        rows.append(("ours (python, dbm.gnu)", min(t for t, _ in ours), max(r for _, r in ours)))
        try:
            from tests import realcourier

            real_cmd = realcourier.namespace_command(
                [realcourier.binary("usr/sbin/makeuserdb")], {"/etc/courier": real_etc}
            )
            real = [timed(real_cmd, realcourier.env()) for _ in range(args.rounds)]
            rows.append(("Courier (perl + makedatprog)", min(t for t, _ in real), max(r for _, r in real)))
            have_real = True
        except BaseException as e:  # no Debian packages or no namespaces here: report ours alone
            print(f"Courier's makeuserdb not run: {e}")
            have_real = False

        print(f"\nmakeuserdb, best of {args.rounds}:")
        print(f"  {'tool':32} {'seconds':>8} {'peak RSS MiB':>13}")
        for label, secs, rss in rows:
            print(f"  {label:32} {secs:8.2f} {rss:13d}")

        if have_real:
            for name in ("userdb.dat", "userdbshadow.dat"):
                with UserdbDat(ours_etc / name) as a, UserdbDat(real_etc / name) as b:
                    same = dict(a.items()) == dict(b.items())
                print(f"  {name} key/value pairs identical to Courier's: {same}")
        for name in ("userdb.dat", "userdbshadow.dat"):
            sizes = [f"ours {(ours_etc / name).stat().st_size / 1e6:.1f} MB"]
            if have_real:
                sizes.append(f"Courier {(real_etc / name).stat().st_size / 1e6:.1f} MB")
            print(f"  {name}: {', '.join(sizes)}")

        print(f"\nlookup latency, {args.lookups} random accounts (median / p99 microseconds):")
        for label, path in (
            ("our userdb.dat", ours_etc / "userdb.dat"),
            ("Courier's userdb.dat", real_etc / "userdb.dat"),
        ):
            if not path.exists():
                continue
            for backend, use_ctypes in (("dbm.gnu", False), ("ctypes", True)):
                med, p99 = lookup_latency(path, names, args.lookups, use_ctypes)
                print(f"  UserdbDat.lookup, {label}, {backend:8} {med:8.1f} / {p99:8.1f}")
        if have_real:
            pre = authdaemond_pre_latency(ours_etc, names, min(args.lookups, 2000))
            if pre:
                label = "Courier authdaemond PRE over its socket, our userdb.dat"
                print(f"  {label}: {pre[0]:8.1f} / {pre[1]:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
