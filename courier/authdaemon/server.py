"""authdaemond: a master process and a pool of ``daemons`` pre-forked workers.

Every worker accepts on the one listening socket and answers one request per
connection, as Courier's authdaemond does, so a worker that dies mid-request
costs only its own connection: the others wait in the listen backlog for the
next free worker, and the master forks a replacement.

The master only watches signals: SIGCHLD (replace dead workers), SIGHUP
(re-read authdaemonrc, start fresh workers, let the old ones finish their
request and leave), SIGTERM/SIGINT (stop).  The socket comes from systemd
(fd 3, ``LISTEN_PID``/``LISTEN_FDS``; READY=1 is sent to ``NOTIFY_SOCKET``) or
the daemon binds it itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from courier.auth.chain import Chain, ModuleContext, load_chain
from courier.auth.module import TempFail
from courier.authdaemon import protocol
from courier.authdaemon.settings import AuthdaemonSettings

SD_LISTEN_FDS_START = 3
_MASTER_SIGNALS = {signal.SIGCHLD, signal.SIGHUP, signal.SIGTERM, signal.SIGINT}
RESPAWN_PAUSE = 1.0  # seconds between respawns of workers that die at once


class _Log:
    syslog = False


def use_syslog() -> None:
    """Send log lines to syslog (a daemon started in the background has no stderr)."""
    import syslog

    syslog.openlog("authdaemond", syslog.LOG_PID, syslog.LOG_MAIL)
    _Log.syslog = True


def log(message: str) -> None:
    """One line to stderr (journald picks it up) or syslog."""
    if _Log.syslog:
        import syslog

        syslog.syslog(syslog.LOG_INFO, message)
        return
    try:
        sys.stderr.write(f"authdaemond: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def sd_notify(state: str) -> None:
    """Tell systemd about our state (READY=1, RELOADING=1, STOPPING=1); no-op without it."""
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(addr)
        s.sendall(state.encode())


def activated_socket() -> socket.socket | None:
    """The listening socket systemd passed (Accept=no), or None."""
    try:
        pid = int(os.environ.get("LISTEN_PID", ""))
        nfds = int(os.environ.get("LISTEN_FDS", ""))
    except ValueError:
        return None
    if pid != os.getpid() or nfds < 1:
        return None
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    sock = socket.socket(fileno=SD_LISTEN_FDS_START)
    os.set_inheritable(sock.fileno(), False)
    if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
        raise OSError("systemd passed fd 3, but it is not a Unix stream socket; check the .socket unit")
    return sock


def bind_socket(path: Path) -> socket.socket:
    """Listen at ``path`` with Courier's permissions: the directory guards access.

    The directory (authdaemonvar) is created 0750 if missing; the socket itself
    is 0777 as Courier's, so the directory's group decides who may ask.
    """
    path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.settimeout(1.0)
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            path.unlink(missing_ok=True)  # stale socket of a daemon that is gone
        except OSError:
            pass
        else:
            raise OSError(f"{path}: another authdaemond is already listening there; stop it first")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    sock.bind(str(tmp))
    os.chmod(tmp, 0o777)
    os.replace(tmp, path)  # clients never see a socket that is not yet listening
    sock.listen(socket.SOMAXCONN)
    return sock


# ---- worker ---------------------------------------------------------------


class _Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout()


def read_request(conn: socket.socket, timeout: float) -> bytes | None:
    conn.settimeout(timeout)
    buf = b""
    while not protocol.request_complete(buf):
        try:
            chunk = conn.recv(4096)
        except (TimeoutError, OSError):
            return None
        if not chunk:
            return None
        buf += chunk
        if len(buf) > protocol.MAX_REQUEST:
            return None
    return buf


def answer(chain: Chain, request: protocol.Request) -> bytes:
    """The reply bytes for one request; raises TempFail."""
    if isinstance(request, protocol.PreRequest):
        info = chain.pre(request.service, request.username, request.module)
        return protocol.FAIL if info is None else protocol.encode_info(info)
    if isinstance(request, protocol.AuthRequest):
        info = chain.auth(request.service, request.authtype, request.authdata)
        return protocol.FAIL if info is None else protocol.encode_info(info)
    if isinstance(request, protocol.PasswdRequest):
        ok = chain.passwd(request.service, request.username, request.oldpass, request.newpass)
        return protocol.OK if ok else protocol.FAIL
    out = [protocol.encode_enumerate_section(name, accounts) for name, accounts in chain.enumerate()]
    return b"".join(out) + b".\n"


def _describe(request: protocol.Request, debug: int) -> str:
    if isinstance(request, protocol.PreRequest):
        return f"PRE service={request.service} user={request.username}"
    if isinstance(request, protocol.AuthRequest):
        data = request.authdata if debug >= 2 else request.authdata.split(b"\n", 1)[0]
        return f"AUTH service={request.service} authtype={request.authtype} data={data!r}"
    if isinstance(request, protocol.PasswdRequest):
        return f"PASSWD service={request.service} user={request.username}"
    return "ENUMERATE"


def serve_connection(conn: socket.socket, chain: Chain, settings: AuthdaemonSettings) -> None:
    data = read_request(conn, settings.request_timeout)
    if data is None:
        return
    try:
        request = protocol.parse_request(data)
    except protocol.ProtocolError as exc:
        log(f"bad request: {exc}")
        return  # Courier closes without a reply
    if settings.debug_login:
        log(_describe(request, settings.debug_login))
    signal.setitimer(signal.ITIMER_REAL, settings.request_timeout)
    try:
        reply = answer(chain, request)
    except TempFail as exc:
        log(f"temporary failure: {exc}")
        return  # no reply = "try again later" for Courier's clients
    except _Timeout:
        log(f"request timed out after {settings.request_timeout:g}s: {_describe(request, 0)}")
        return
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if settings.debug_login:
        log("answer: " + ("FAIL" if reply == protocol.FAIL else "OK"))
    conn.settimeout(settings.request_timeout)
    with contextlib.suppress(OSError):
        conn.sendall(reply)


class _Worker:
    POLL = 0.25  # seconds between checks for a stop request while idle

    def __init__(self, listener: socket.socket, settings: AuthdaemonSettings) -> None:
        self.listener = listener
        self.settings = settings
        self.stopping = False

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        # Only a flag: a connection already accepted is always answered.
        self.stopping = True

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _MASTER_SIGNALS)
        ctx = ModuleContext(self.settings.config_dir, self.settings.values)
        chain, _warnings = load_chain(self.settings.modules, ctx, self.settings.default_options)
        self.listener.settimeout(self.POLL)
        while not self.stopping:
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, InterruptedError, BlockingIOError):
                continue
            except OSError as exc:
                log(f"accept failed: {exc}")
                time.sleep(0.1)
                continue
            try:
                serve_connection(conn, chain, self.settings)
            except Exception as exc:
                log(f"error while answering: {type(exc).__name__}: {exc}")
            finally:
                conn.close()
        chain.close()


# ---- master ---------------------------------------------------------------


class Master:
    def __init__(
        self,
        listener: socket.socket,
        settings: AuthdaemonSettings,
        reload: Callable[[], AuthdaemonSettings] | None = None,
    ) -> None:
        self.listener = listener
        self.settings = settings
        self.reload_settings = reload
        self.workers: dict[int, float] = {}  # pid -> start time
        self.generation_pids: set[int] = set()

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _Worker(self.listener, self.settings).run()
            except BaseException as exc:
                log(f"worker failed: {type(exc).__name__}: {exc}")
                code = 1
            finally:
                os._exit(code)
        self.workers[pid] = time.monotonic()
        self.generation_pids.add(pid)

    def _fill(self) -> None:
        while len(self.generation_pids) < self.settings.daemons:
            self._spawn()

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            started = self.workers.pop(pid, None)
            if pid in self.generation_pids:
                self.generation_pids.discard(pid)
                if os.WIFSIGNALED(status):
                    log(f"worker {pid} killed by signal {os.WTERMSIG(status)}; starting another")
                else:
                    code = os.waitstatus_to_exitcode(status)
                    log(f"worker {pid} exited with status {code}; starting another")
                if started is not None and time.monotonic() - started < RESPAWN_PAUSE:
                    time.sleep(RESPAWN_PAUSE)  # a worker that cannot start must not spin the CPU

    def _reload(self) -> None:
        if self.reload_settings is None:
            return
        sd_notify("RELOADING=1")
        try:
            new = self.reload_settings()
            ctx = ModuleContext(new.config_dir, new.values)
            chain, warnings = load_chain(new.modules, ctx, new.default_options)
            chain.close()
        except Exception as exc:
            log(f"reload failed, keeping the running settings: {exc}")
            sd_notify("READY=1")
            return
        for w in warnings:
            log(w)
        old = set(self.generation_pids)
        self.settings = new
        self.generation_pids = set()
        self._fill()
        for pid in old:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        log(f"reloaded: modules {' '.join(new.modules)}, {new.daemons} workers")
        sd_notify("READY=1")

    def stop(self) -> None:
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5.0
        while self.workers and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.02)
                continue
            self.workers.pop(pid, None)
        for pid in list(self.workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.workers.clear()

    def run(self, on_ready: Callable[[], None] | None = None) -> int:
        signal.pthread_sigmask(signal.SIG_BLOCK, _MASTER_SIGNALS)
        # SIGCHLD must not be ignored, or the kernel reaps children for us.
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if on_ready is not None:
            on_ready()  # before forking workers, which would inherit the caller's report pipe
        self._fill()
        sd_notify("READY=1")
        try:
            while True:
                info = signal.sigtimedwait(_MASTER_SIGNALS, 1.0)
                if info is None:
                    self._reap()
                    self._fill()
                    continue
                if info.si_signo in (signal.SIGTERM, signal.SIGINT):
                    sd_notify("STOPPING=1")
                    return 0
                if info.si_signo == signal.SIGHUP:
                    self._reload()
                self._reap()
                self._fill()
        finally:
            self.stop()
