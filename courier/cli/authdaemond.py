"""authdaemond: the authentication daemon, and its start|stop|restart wrapper.

Without an action it runs in the foreground (what a systemd service wants; it
takes a socket from systemd when socket-activated).  ``start`` puts it in the
background with a pid file, ``stop`` ends the one the pid file names, and
``restart`` does both, for hosts without systemd.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from courier.config import DEFAULT_CONFIG_DIR, ConfigError

if TYPE_CHECKING:
    from courier.authdaemon.settings import AuthdaemonSettings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="authdaemond",
        description="Courier-compatible authentication daemon: answers PRE, AUTH, PASSWD and "
        "ENUMERATE requests on a Unix socket through the modules in authmodulelist.",
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=["start", "stop", "restart"],
        help="start in the background, stop it, or restart it (default: run in the foreground)",
    )
    p.add_argument("--config-dir", default=str(DEFAULT_CONFIG_DIR), help="directory of authdaemonrc")
    p.add_argument("--socket", help="listen here instead of $authdaemonvar/socket")
    p.add_argument("--pidfile", help="pid file (default: $authdaemonvar/pid)")
    p.add_argument("--daemons", type=int, help="number of workers (overrides daemons= in authdaemonrc)")
    return p


def _read_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def _stop(pidfile: Path) -> int:
    pid = _read_pid(pidfile)
    if pid is None:
        print(f"authdaemond: not running (no live process in {pidfile})", file=sys.stderr)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return 0
        time.sleep(0.05)
    print(f"authdaemond: process {pid} did not stop within 10 s", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from courier.authdaemon.settings import load_settings

    def settings_now() -> AuthdaemonSettings:
        s = load_settings(args.config_dir)
        if args.daemons is not None:
            s = dataclasses.replace(s, daemons=args.daemons)
        return s

    try:
        load_settings(args.config_dir, warn=lambda m: print(f"authdaemond: {m}", file=sys.stderr))
        settings = settings_now()
    except ConfigError as exc:
        print(f"authdaemond: {exc}", file=sys.stderr)
        return 1
    socket_path = Path(args.socket) if args.socket else settings.socket_path
    pidfile = Path(args.pidfile) if args.pidfile else settings.pid_path

    if args.action == "stop":
        return _stop(pidfile)
    if args.action == "restart":
        _stop(pidfile)
    if args.action in ("start", "restart"):
        if (pid := _read_pid(pidfile)) is not None:
            print(f"authdaemond: already running as process {pid}", file=sys.stderr)
            return 0
        return _start_background(socket_path, pidfile, settings_now)
    return _run(socket_path, pidfile if args.pidfile else None, settings_now, settings)


def _start_background(
    socket_path: Path, pidfile: Path, settings_now: Callable[[], AuthdaemonSettings]
) -> int:
    r, w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(w)
        with os.fdopen(r, "rb") as pipe:
            status = pipe.read()
        os.waitpid(pid, 0)
        if status.startswith(b"ok"):
            return 0
        print(f"authdaemond: did not start: {status.decode(errors='replace').strip()}", file=sys.stderr)
        return 1
    os.close(r)
    os.setsid()
    if os.fork():
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    from courier.authdaemon import server

    server.use_syslog()
    report = os.fdopen(w, "wb", buffering=0)
    try:
        code = _run(socket_path, pidfile, settings_now, settings_now(), report)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            report.write(f"{exc}".encode())
        code = 1
    os._exit(code)


def _run(
    socket_path: Path,
    pidfile: Path | None,
    settings_now: Callable[[], AuthdaemonSettings],
    settings: AuthdaemonSettings,
    report: BinaryIO | None = None,
) -> int:
    from courier.auth.chain import ModuleContext, load_chain
    from courier.authdaemon import server

    # Check the modules once before listening: a bad config fails loudly here.
    try:
        chain, warnings = load_chain(
            settings.modules, ModuleContext(settings.config_dir, settings.values), settings.default_options
        )
        chain.close()
    except (ConfigError, OSError) as exc:
        msg = f"cannot load the modules of authmodulelist: {exc}"
        server.log(msg)
        if report is not None:
            report.write(msg.encode())
        return 1
    for w in warnings:
        server.log(w)
    try:
        listener = server.activated_socket()
        bound = listener is None
        if listener is None:
            listener = server.bind_socket(socket_path)
    except OSError as exc:
        msg = f"cannot listen on {socket_path}: {exc}"
        server.log(msg)
        if report is not None:
            report.write(msg.encode())
        return 1
    if pidfile is not None:
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        pidfile.write_text(f"{os.getpid()}\n")

    def ready() -> None:
        if report is not None:
            with contextlib.suppress(OSError):
                report.write(b"ok")
                report.close()

    master = server.Master(listener, settings, reload=settings_now)
    try:
        return master.run(on_ready=ready)
    finally:
        listener.close()
        if bound:
            socket_path.unlink(missing_ok=True)  # clients then fail fast: "try again later"
        if pidfile is not None:
            pidfile.unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
