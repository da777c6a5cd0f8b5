"""authdaemond round trip, ours against Courier's, on the same userdb, in the same run.

Run: .venv/bin/python -m bench.auth_roundtrip [--accounts N] [--requests N] [--scheme md5|sha512|yescrypt]

One userdb source is compiled by Debian's makeuserdb; Debian's authdaemond
(authuserdb, in a private mount namespace so its compiled-in /etc/courier and
/run/courier/authdaemon are test directories) and ours (same files, same
daemons=5) each answer the same requests from the same client
(courier.authdaemon.client, as imapd uses it): one connection per request, as
the protocol is.  Reported: p50/p99/mean of AUTH (good password), AUTH (bad
password) and PRE, sequentially, then the throughput of 8 concurrent clients.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from courier.auth import xcrypt  # noqa: E402
from courier.authdaemon.client import AuthClient  # noqa: E402


def _realcourier():  # type: ignore[no-untyped-def]
    from tests import realcourier

    return realcourier


def make_userdb(etc: Path, n: int, scheme: str) -> list[tuple[str, str]]:
    prefix = {"md5": "$1$", "sha512": "$6$", "yescrypt": "$y$"}[scheme]
    accounts = []
    # A few distinct hashes reused: building N yescrypt hashes would dominate the setup.
    hashes = [(f"pw{i}", xcrypt.hash_password(f"pw{i}", prefix)) for i in range(16)]
    with open(etc / "userdb", "w") as f:
        for i in range(n):
            pw, h = hashes[i % 16]
            name = f"user{i}@example.com"
            home = f"/srv/vmail/user{i}"
            f.write(f"{name}\thome={home}|mail={home}/Maildir|uid=990|gid=990|systempw={h}\n")
            accounts.append((name, pw))
    os.chmod(etc / "userdb", 0o600)
    rc = _realcourier()
    cmd = rc.namespace_command([rc.binary("usr/sbin/makeuserdb")], {"/etc/courier": str(etc)})
    subprocess.run(cmd, env=rc.env(), check=True, capture_output=True)
    return accounts


def wait_socket(path: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"daemon exited early ({proc.returncode})")
        try:
            AuthClient(str(path), 2).pre("imap", "nobody-warmup@example.com")
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"no daemon on {path}")


def start_real(etc: Path, run: Path) -> subprocess.Popen[bytes]:
    rc = _realcourier()
    binds = {
        "/etc/courier": str(etc),
        "/run/courier/authdaemon": str(run),
        "/usr/lib/courier-authlib": str(rc.root() / "usr/lib/courier-authlib"),
    }
    cmd = rc.namespace_command([rc.binary("usr/lib/courier/courier-authlib/authdaemond")], binds)
    proc = subprocess.Popen(cmd, env=rc.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_socket(run / "socket", proc)
    return proc


def start_ours(etc: Path, run: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [
        sys.executable,
        "-m",
        "courier.cli.authdaemond",
        "--config-dir",
        str(etc),
        "--socket",
        str(run / "socket"),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_socket(run / "socket", proc)
    return proc


def timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p50 = ms[len(ms) // 2]
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  mean {statistics.fmean(ms):7.3f} ms"


def measure(sock: Path, accounts: list[tuple[str, str]], n: int) -> dict[str, str]:
    client = AuthClient(str(sock), 30)
    rnd = random.Random(1)

    def good() -> None:
        name, pw = rnd.choice(accounts)
        assert client.login("imap", name, pw) is not None

    def bad() -> None:
        name, _ = rnd.choice(accounts)
        assert client.login("imap", name, "wrong") is None

    def pre() -> None:
        name, _ = rnd.choice(accounts)
        assert client.pre("imap", name) is not None

    timed(good, 20)  # warm up every worker
    res = {
        "AUTH ok": summary(timed(good, n)),
        "AUTH bad": summary(timed(bad, n)),
        "PRE": summary(timed(pre, n)),
    }
    t = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: good(), range(n)))
    res["8 clients"] = f"{n / (time.perf_counter() - t):7.0f} logins/s"
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--scheme", choices=["md5", "sha512", "yescrypt"], default="md5")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("auth_roundtrip: needs root (private mount namespace for Courier's authdaemond)")
        return 0
    with tempfile.TemporaryDirectory(prefix="auth-bench-") as tmp:
        base = Path(tmp)
        etc, real_run, our_run = base / "etc", base / "real-run", base / "our-run"
        for d in (etc, real_run, our_run):
            d.mkdir(mode=0o750)
        (etc / "authdaemonrc").write_text(
            'authmodulelist="authuserdb"\ndaemons=5\nauthdaemonvar=/run/courier/authdaemon\n'
            'DEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n'
        )
        accounts = make_userdb(etc, args.accounts, args.scheme)
        results = {}
        for label, start, run in (("courier", start_real, real_run), ("ours", start_ours, our_run)):
            proc = start(etc, run)
            try:
                results[label] = measure(run / "socket", accounts, args.requests)
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    print(
        f"authdaemond round trip: {args.accounts} userdb accounts, {args.scheme} systempw, daemons=5, "
        f"{args.requests} requests each"
    )
    for what in results["ours"]:
        print(f"  {what:<9}  courier: {results['courier'][what]}")
        print(f"  {'':<9}  ours:    {results['ours'][what]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
