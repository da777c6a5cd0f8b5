"""Find the client connection a per-connection process was started with.

Three ways in, one result:

* systemd ``Accept=yes`` with ``StandardInput=socket``, inetd, or courier-tcpd:
  the connection is fd 0 (and fd 1);
* systemd ``Accept=yes`` without StandardInput=socket: ``LISTEN_FDS=1`` and the
  connection is fd 3 (``LISTEN_PID`` names us);
* ``LISTEN_FDS`` naming a *listening* socket (``Accept=no``): we take one
  connection from it.

The remote address comes from the environment when the starter put it there
(systemd's ``REMOTE_ADDR``/``REMOTE_PORT``, Courier's ``TCPREMOTEIP``/``TCPREMOTEPORT``),
otherwise from getpeername().  TCP_NODELAY is set: without it, small replies
(a STARTTLS handshake's last flight) wait ~40 ms for delayed ACKs.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping, MutableMapping

LISTEN_FDS_START = 3


class ActivationError(OSError):
    """No client connection was handed to this process (e.g. stdin is a terminal or pipe)."""


def _listen_fd(environ: Mapping[str, str]) -> int | None:
    fds = environ.get("LISTEN_FDS", "")
    if not fds:
        return None
    pid = environ.get("LISTEN_PID", "")
    if pid and pid != str(os.getpid()):
        return None  # meant for another process (we were started by the one it named)
    try:
        count = int(fds)
    except ValueError as exc:
        raise ActivationError(f"LISTEN_FDS={fds!r} is not a number") from exc
    if count < 1:
        return None
    return LISTEN_FDS_START


def client_socket(
    environ: MutableMapping[str, str] | None = None,
) -> tuple[socket.socket, str, int]:
    """Return ``(sock, remote_ip, remote_port)`` for this process's client.

    Consumes ``LISTEN_FDS``/``LISTEN_PID`` from ``environ`` (default ``os.environ``)
    so that programs we start do not think the descriptors are theirs.
    Raises :class:`ActivationError` when there is no socket to serve.
    """
    env: MutableMapping[str, str] = os.environ if environ is None else environ
    fd = _listen_fd(env)
    for name in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
        env.pop(name, None)
    if fd is None:
        fd = 0
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        raise ActivationError(
            f"fd {fd} is not a socket: start this program from systemd, inetd or courier-tcpd"
        ) from exc
    if sock.type != socket.SOCK_STREAM:
        sock.detach()
        raise ActivationError(f"fd {fd} is not a stream socket")
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        listener = sock
        sock, _ = listener.accept()
        listener.close()
    sock.setblocking(True)
    ip, port = remote_address(sock, env)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        try:  # noqa: SIM105 (contextlib is an import too many on this path)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # the peer may already be gone; the session will notice
    return sock, ip, port


def _from_env(environ: Mapping[str, str], ip_name: str, port_name: str) -> tuple[str, int] | None:
    ip = environ.get(ip_name, "")
    if not ip:
        return None
    try:
        port = int(environ.get(port_name, "0") or 0)
    except ValueError:
        port = 0
    return ip, port


def remote_address(sock: socket.socket, environ: Mapping[str, str]) -> tuple[str, int]:
    """The client's address: from the starter's environment, else from the socket."""
    found = _from_env(environ, "REMOTE_ADDR", "REMOTE_PORT") or _from_env(
        environ, "TCPREMOTEIP", "TCPREMOTEPORT"
    )
    if found:
        return found
    return _address(sock.getpeername, "")


def local_address(sock: socket.socket, environ: Mapping[str, str]) -> tuple[str, int]:
    """The address the client connected to (its port chooses AUTHSERVICE<port>)."""
    return _from_env(environ, "TCPLOCALIP", "TCPLOCALPORT") or _address(sock.getsockname, "")


def _address(getter: Callable[[], object], default: str) -> tuple[str, int]:
    try:
        addr = getter()
    except OSError:
        return default, 0
    if isinstance(addr, tuple):
        return str(addr[0]), int(addr[1])
    return str(addr) or default, 0  # AF_UNIX: a path (or "" when unnamed)
