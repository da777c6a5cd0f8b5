"""The standalone launcher: listen, accept, start one program per connection.

What systemd's ``Accept=yes`` sockets do, for hosts without systemd and for the
demo: the program gets the connection as fd 0 and fd 1 and the client's address
in its environment, under a total limit and a per-address limit.  A refused
client gets one line (the caller's wording) instead of a silent close.

One thread, one ``selectors`` loop over the listening sockets and a signal
wake-up pipe.

With ``preload`` (a module of ours with a ``main(argv)``, e.g. courier.cli.imapd),
the launcher imports that module and what its ``preload()`` names once, at start,
and each connection's process is a fork(2) of the launcher that runs
``main(argv[1:])`` instead of a fresh interpreter exec'ing PROGRAM: still one new
process per connection (its own memory, privileges dropped after login, gone at
logout), without paying for interpreter start-up and imports every time, and with
the code pages shared.  The child reads its configuration as an exec'd program
would; only code changes need a restart of the launcher.

Children are reaped on SIGCHLD; SIGTERM/SIGINT stop listening,
terminate the children (SIGKILL after a grace period) and exit; SIGHUP re-reads
the access file.  Running out of descriptors (EMFILE) pauses accepting briefly
instead of spinning.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import selectors
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from courier import log
from courier.net import access

DEFAULT_REFUSAL = "Too many connections, please try again later."
_ACCEPT_PAUSE = 0.5  # seconds without accepting after EMFILE/ENFILE/ENOBUFS
_ACCEPT_BATCH = 64  # connections taken per wake-up before looking at signals again


class LaunchError(ValueError):
    """A listen address or setting is unusable; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Listen:
    host: str  # "" = every address (dual-stack when IPv6 is available)
    port: int

    def __str__(self) -> str:
        if not self.host:
            return f"[::]:{self.port}"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class TcpdSettings:
    listen: tuple[Listen, ...]
    argv: tuple[str, ...]
    maxprocs: int = 40
    maxperip: int = 20  # 0 = no per-address limit
    refusal: str = DEFAULT_REFUSAL
    access_file: str | None = None
    pidfile: str | None = None
    grace: float = 5.0  # seconds children get after SIGTERM before SIGKILL
    backlog: int = 128
    environ: Mapping[str, str] = field(default_factory=dict)
    preload: str | None = None  # module whose main(argv[1:]) runs in a fork per connection


def parse_listen(spec: str) -> Listen:
    """``ADDR:PORT``, ``[IPV6]:PORT``, ``PORT``/``:PORT`` (every address); ``0`` or ``*`` = every address."""
    spec = spec.strip()
    host, port = "", spec
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0 or spec[end + 1 : end + 2] != ":":
            raise LaunchError(f"listen address {spec!r}: write IPv6 as [ADDRESS]:PORT, e.g. [::1]:143")
        host, port = spec[1:end], spec[end + 2 :]
    elif ":" in spec:
        host, port = spec.rsplit(":", 1)
        if ":" in host:
            raise LaunchError(f"listen address {spec!r}: write IPv6 as [ADDRESS]:PORT, e.g. [::1]:143")
    if host in ("0", "*", "::"):
        host = ""
    if host:
        try:
            ipaddress.ip_address(host)
        except ValueError as exc:
            raise LaunchError(f"listen address {spec!r}: {host!r} is not an IP address") from exc
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise LaunchError(f"listen address {spec!r}: the port must be a number from 1 to 65535")
    return Listen(host, int(port))


def courier_ports(address: str, ports: str) -> list[Listen]:
    """Courier's ADDRESS and PORT settings: ``143`` or ``127.0.0.1.143,192.0.2.1.143``."""
    out: list[Listen] = []
    for item in ports.replace(" ", "").split(","):
        if not item:
            continue
        host, dot, port = item.rpartition(".")
        spec = f"[{host}]:{port}" if dot and ":" in host else f"{host}:{port}" if dot else f"{address}:{item}"
        out.append(parse_listen(spec))
    if not out:
        raise LaunchError(f"PORT={ports!r} names no port")
    return out


def open_listener(where: Listen, backlog: int) -> socket.socket:
    """A non-blocking listening socket; the wildcard is dual-stack [::] when IPv6 exists."""
    if where.host:
        family = socket.AF_INET6 if ":" in where.host else socket.AF_INET
        host = where.host
    elif socket.has_ipv6:
        family, host = socket.AF_INET6, "::"
    else:
        family, host = socket.AF_INET, "0.0.0.0"
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        if where.host:
            raise
        family, host = socket.AF_INET, "0.0.0.0"  # kernel without IPv6
        sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if where.host else 0)
        sock.bind((host, where.port))
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise LaunchError(f"cannot listen on {where}: {exc.strerror}") from exc
    return sock


def _peer_key(ip: str) -> str:
    """Per-address accounting key: an IPv4 client counts the same over IPv4 and dual-stack IPv6."""
    return ip[7:] if ip.startswith("::ffff:") and "." in ip else ip


class Launcher:
    def __init__(self, settings: TcpdSettings) -> None:
        self.settings = settings
        self.children: dict[int, str] = {}  # pid -> per-address key
        self.per_ip: dict[str, int] = {}
        self.listeners: list[socket.socket] = []
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        self.paused_until = 0.0
        self.access = access.load(settings.access_file) if settings.access_file else None
        base = {k: v for k, v in settings.environ.items() if not k.startswith("LISTEN_")}
        self.base_env = base
        self.main: Callable[[list[str]], int | None] | None = None
        self._wake: socket.socket | None = None

    # -- set-up ---------------------------------------------------------------
    def open(self) -> None:
        for where in self.settings.listen:
            self.listeners.append(open_listener(where, self.settings.backlog))
        if self.settings.preload:
            self.main = preload(self.settings.preload)

    def _install_signals(self) -> socket.socket:
        rd, wr = socket.socketpair()
        rd.setblocking(False)
        wr.setblocking(False)
        signal.set_wakeup_fd(wr.fileno(), warn_on_full_buffer=False)
        for sig in _HANDLED:
            signal.signal(sig, lambda *_: None)  # the wake-up fd carries the signal number
        self._wake_w = wr
        self._wake = rd
        return rd

    def _write_pidfile(self) -> None:
        if not self.settings.pidfile:
            return
        path = Path(self.settings.pidfile)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(f"{os.getpid()}\n")
        os.replace(tmp, path)

    # -- main loop ------------------------------------------------------------
    def serve(self) -> int:
        """Run until SIGTERM/SIGINT; returns the exit status."""
        wake = self._install_signals()
        self.selector.register(wake, selectors.EVENT_READ, "signal")
        self._listen(True)
        self._write_pidfile()
        try:
            while not self.stopping:
                timeout = None
                if self.paused_until:
                    timeout = max(0.0, self.paused_until - time.monotonic())
                    if timeout == 0.0:
                        self.paused_until = 0.0
                        self._listen(True)
                        continue
                for key, _ in self.selector.select(timeout):
                    if key.data == "signal":
                        self._signals(wake)
                    elif not self.stopping and not self.paused_until:
                        self._accept(key.fileobj)  # type: ignore[arg-type]
        finally:
            self._shutdown()
        return 0

    def _listen(self, on: bool) -> None:
        for sock in self.listeners:
            try:
                if on:
                    self.selector.register(sock, selectors.EVENT_READ, "listen")
                else:
                    self.selector.unregister(sock)
            except (KeyError, ValueError):
                pass

    def _signals(self, wake: socket.socket) -> None:
        try:
            data = wake.recv(512)
        except (BlockingIOError, InterruptedError):
            data = b""
        for signum in data:
            if signum in (signal.SIGTERM, signal.SIGINT):
                self.stopping = True
            elif signum == signal.SIGHUP and self.settings.access_file:
                try:
                    self.access = access.load(self.settings.access_file)
                    log.info(f"reloaded {self.settings.access_file}")
                except access.AccessError as exc:
                    log.error(f"{exc}; keeping the previous access rules")
        self._reap()

    def _reap(self) -> None:
        while self.children:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                self.per_ip.clear()
                return
            except InterruptedError:
                continue
            if pid == 0:
                return
            key = self.children.pop(pid, None)
            if key is not None:
                left = self.per_ip.get(key, 1) - 1
                if left > 0:
                    self.per_ip[key] = left
                else:
                    self.per_ip.pop(key, None)

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(_ACCEPT_BATCH):
            try:
                conn, addr = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    log.error(f"cannot accept connections: {exc.strerror}; pausing {_ACCEPT_PAUSE} s")
                    self.paused_until = time.monotonic() + _ACCEPT_PAUSE
                    self._listen(False)
                    return
                continue  # ECONNABORTED, EPROTO and friends: that client is gone
            try:
                self._handle(conn, addr)
            except OSError as exc:  # e.g. the client reset before we got its address: drop that one
                log.error(f"connection dropped before start: {exc.strerror or exc}")
            finally:
                conn.close()

    def _handle(self, conn: socket.socket, addr: object) -> None:
        ip, port = (str(addr[0]), int(addr[1])) if isinstance(addr, tuple) else ("", 0)
        key = _peer_key(ip)
        rule = self.access.lookup(ip) if self.access else None
        if rule is not None and not rule.allow:
            log.info(f"Access denied, ip=[{ip}]")
            return
        if len(self.children) >= self.settings.maxprocs:
            log.limit_reached(None, self.settings.maxprocs)
            self._refuse(conn)
            return
        if self.settings.maxperip and self.per_ip.get(key, 0) >= self.settings.maxperip:
            log.limit_reached(ip, self.settings.maxperip)
            self._refuse(conn)
            return
        local = conn.getsockname()
        env = dict(self.base_env)
        if rule is not None:
            env.update(rule.env)
        env.update(
            TCPREMOTEIP=ip,
            TCPREMOTEPORT=str(port),
            TCPLOCALIP=str(local[0]),
            TCPLOCALPORT=str(local[1]),
            REMOTE_ADDR=ip,
            REMOTE_PORT=str(port),
        )
        conn.setblocking(True)
        if self.main is not None:
            self._fork(conn, env)
            return
        fd = conn.fileno()
        try:
            pid = os.posix_spawnp(
                self.settings.argv[0],
                list(self.settings.argv),
                env,
                file_actions=[(os.POSIX_SPAWN_DUP2, fd, 0), (os.POSIX_SPAWN_DUP2, fd, 1)],
                setsigdef=(
                    signal.SIGPIPE,
                    signal.SIGXFSZ,
                    signal.SIGCHLD,
                    signal.SIGTERM,
                    signal.SIGINT,
                    signal.SIGHUP,
                ),
                setsigmask=(),
            )
        except OSError as exc:
            log.error(f"cannot start {self.settings.argv[0]}: {exc.strerror}")
            self._refuse(conn)
            return
        self.children[pid] = key
        self.per_ip[key] = self.per_ip.get(key, 0) + 1

    def _fork(self, conn: socket.socket, env: dict[str, str]) -> None:
        try:
            pid = os.fork()
        except OSError as exc:
            log.error(f"cannot start {self.settings.argv[0]}: {exc.strerror}")
            self._refuse(conn)
            return
        if pid == 0:
            status = 1
            try:
                status = self._child(conn, env)
            except SystemExit as exc:
                status = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):
                        stream.flush()
                os._exit(status & 0xFF)
        key = env["TCPREMOTEIP"]
        self.children[pid] = _peer_key(key)
        self.per_ip[_peer_key(key)] = self.per_ip.get(_peer_key(key), 0) + 1

    def _child(self, conn: socket.socket, env: dict[str, str]) -> int:
        """In the forked child: become what an exec'd PROGRAM would be, then run main()."""
        signal.set_wakeup_fd(-1)
        for sig in _HANDLED:
            signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)
        for sock in self.listeners:
            sock.close()
        self.selector.close()
        for wake in (self._wake, getattr(self, "_wake_w", None)):
            if wake is not None:
                wake.close()
        fd = conn.fileno()
        os.dup2(fd, 0)
        os.dup2(fd, 1)
        conn.close()
        os.environ.clear()
        os.environ.update(env)
        argv = list(self.settings.argv)
        sys.argv = argv
        assert self.main is not None
        return self.main(argv[1:]) or 0

    def _refuse(self, conn: socket.socket) -> None:
        try:
            conn.setblocking(False)
            conn.send(self.settings.refusal.encode("utf-8", "replace") + b"\r\n")
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    # -- shutdown -------------------------------------------------------------
    def _shutdown(self) -> None:
        self._listen(False)
        for sock in self.listeners:
            sock.close()
        self.listeners.clear()
        self._signal_children(signal.SIGTERM)
        deadline = time.monotonic() + self.settings.grace
        while self.children and time.monotonic() < deadline:
            self._reap()
            if self.children:
                time.sleep(0.02)
        if self.children:
            self._signal_children(signal.SIGKILL)
            while self.children:
                self._reap()
                if self.children:
                    time.sleep(0.01)
        if self.settings.pidfile:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.settings.pidfile)

    def _signal_children(self, sig: int) -> None:
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


_HANDLED = (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def preload(module: str) -> Callable[[list[str]], int | None]:
    """Import ``module`` and whatever its ``preload()`` imports; its ``main`` is what each child runs.
    Objects made so far are frozen out of the garbage collector, so that children do not write to
    (and so copy) the pages they share with the launcher."""
    import gc
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise LaunchError(f"--preload {module}: {exc}") from exc
    main = getattr(mod, "main", None)
    if not callable(main):
        raise LaunchError(f"--preload {module}: the module has no main()")
    warm = getattr(mod, "preload", None)
    if callable(warm):
        warm()
    gc.collect()
    gc.freeze()
    return main  # type: ignore[no-any-return]


def run(settings: TcpdSettings) -> int:
    launcher = Launcher(settings)
    launcher.open()
    return launcher.serve()


def program_path(argv: Sequence[str]) -> str:
    """Check the program can be started, before listening (a clear error instead of refusals)."""
    prog = argv[0]
    if "/" in prog:
        if not os.access(prog, os.X_OK):
            raise LaunchError(f"{prog}: not an executable file")
        return prog
    for d in os.environ.get("PATH", os.defpath).split(os.pathsep):
        cand = os.path.join(d or ".", prog)
        if os.access(cand, os.X_OK) and os.path.isfile(cand):
            return cand
    raise LaunchError(f"{prog}: not found in PATH")
