"""courier-demo: a complete server on 127.0.0.1 to try with any mail client.

Creates an instance directory (config, userdb with demo@example.com / demo, a
maildir with sample mail in INBOX and two folders), starts authdaemond and one
courier-tcpd per protocol, prints one line per listener and ``ready``, and
stops everything on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

USER = "demo@example.com"
PASSWORD = "demo"
CAPABILITY = "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="courier-demo",
        description="Run a demonstration IMAP/POP3 server on 127.0.0.1 with the account "
        f"{USER} (password {PASSWORD!r}) until Ctrl-C.",
    )
    p.add_argument("--dir", default="demo", help="instance directory (default ./demo; reused if present)")
    p.add_argument("--imap-port", type=int, default=1143, help="plain IMAP port (default 1143)")
    p.add_argument("--pop3-port", type=int, default=1110, help="plain POP3 port (default 1110)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    return p.parse_args(argv)


def _write_config(base: Path) -> Path:
    etc = base / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    run = base / "run"
    run.mkdir(exist_ok=True)
    (etc / "authdaemonrc").write_text(
        f'authmodulelist="authuserdb"\ndaemons=2\nauthdaemonvar={run / "authdaemon"}\n'
    )
    common = f'MAILDIRPATH=Maildir\nIMAP_CAPABILITY="{CAPABILITY}"\nIMAP_LOGIN_DELAY=1\n'
    (etc / "imapd").write_text(common)
    (etc / "pop3d").write_text("MAILDIRPATH=Maildir\n")
    return etc


def _write_userdb(etc: Path, home: Path) -> None:
    from courier.auth import cram, xcrypt
    from courier.userdb.dat import write_dat

    uid, gid = os.getuid(), os.getgid()
    main = f"home={home}|uid={uid}|gid={gid}|mail={home / 'Maildir'}|_="
    shadow = "|".join(
        [
            f"systempw={xcrypt.hash_password(PASSWORD, '$6$')}",
            f"hmac-md5pw={cram.precompute('md5', PASSWORD)}",
            f"hmac-sha1pw={cram.precompute('sha1', PASSWORD)}",
            f"hmac-sha256pw={cram.precompute('sha256', PASSWORD)}",
        ]
    )
    write_dat(etc / "userdb.dat", [(USER, main)], mode=0o644)
    write_dat(etc / "userdbshadow.dat", [(USER, shadow)], mode=0o600)
    (etc / "userdb").write_text(f"{USER}\t{main.removesuffix('|_=')}\n")
    os.chmod(etc / "userdb", 0o600)


def _fill_maildir(maildir: Path) -> int:
    """The sample mail (only when the maildir is new); returns how many messages were stored."""
    from courier.cli.demo_messages import samples
    from courier.maildir import open_store
    from courier.maildir.create import make_maildir

    if (maildir / "cur").is_dir():
        return 0
    make_maildir(str(maildir))
    store = open_store(str(maildir))
    n = 0
    for folder, data, flags, when in samples():
        if folder != "INBOX" and not store.exists(folder):
            store.create(folder)
            store.subscribe(folder)
        box = store.open(folder)
        try:
            box.append([data], frozenset(flags), when)
        finally:
            box.close()
        n += 1
    return n


def _wait_port(host: str, port: int, procs: list[subprocess.Popen[bytes]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"a server process exited early (status {p.returncode})")
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing is listening on {host}:{port} after {timeout:.0f} s")


def _wait_socket(path: Path, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("authdaemond exited early; see its messages above")
        with socket.socket(socket.AF_UNIX) as s:
            try:
                s.connect(str(path))
                return
            except OSError:
                time.sleep(0.05)
    raise RuntimeError(f"authdaemond did not open {path}")


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    base = Path(args.dir).absolute()
    home = base / "home" / "demo"
    home.mkdir(parents=True, exist_ok=True)
    etc = _write_config(base)
    _write_userdb(etc, home)
    added = _fill_maildir(home / "Maildir")
    if added:
        print(f"created {base} with {added} sample messages", flush=True)

    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    py = sys.executable
    procs: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        auth = subprocess.Popen([py, "-m", "courier.cli.authdaemond", "--config-dir", str(etc)], env=env)
        procs.append(auth)
        _wait_socket(base / "run" / "authdaemon" / "socket", auth)
        listeners = [("IMAP", args.imap_port, "imapd")]
        listeners.append(("POP3", args.pop3_port, "pop3d"))
        for label, port, program in listeners:
            tcpd = subprocess.Popen(
                [py, "-m", "courier.cli.courier_tcpd", "--listen", f"{args.host}:{port}", "--",
                 py, "-m", f"courier.cli.{program}", "--config-dir", str(etc)],
                env=env,
            )  # fmt: skip
            procs.append(tcpd)
            _wait_port(args.host, port, procs)
            print(f"{label:<5} {args.host}:{port}  user {USER}  password {PASSWORD}", flush=True)
        print("ready", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("courier-demo: a server process exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:
        print(f"courier-demo: {exc}", file=sys.stderr)
        return 1
    finally:
        stop()


if __name__ == "__main__":
    raise SystemExit(main())
