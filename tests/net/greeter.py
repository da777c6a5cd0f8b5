"""A per-connection program for the launcher and activation tests.

Greets with its pid, the client address it found and selected environment
variables, then echoes lines until EOF; "SLEEP" makes it ignore SIGTERM and hang.
"""

from __future__ import annotations

import os
import signal
import socket
import time

from courier.net.activation import client_socket, local_address


def main(argv: list[str] | None = None) -> int:
    """Also what ``courier-tcpd --preload tests.net.greeter`` runs in each forked child."""
    sock, ip, port = client_socket()
    env = dict(os.environ)  # after client_socket(): LISTEN_* must be gone
    local_ip, local_port = local_address(sock, env)
    nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    extra = ",".join(
        f"{k}={env[k]}" for k in sorted(env) if k.startswith(("TCP", "REMOTE_", "LISTEN_", "X_"))
    )
    sock.sendall(
        f"HELLO pid={os.getpid()} ip={ip} port={port} local={local_ip}:{local_port} "
        f"nodelay={int(bool(nodelay))} fd0sock={_is_socket(0)} env={extra}\r\n".encode()
    )
    f = sock.makefile("rb")
    for line in f:
        if line.strip() == b"SLEEP":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            sock.sendall(b"SLEEPING\r\n")
            time.sleep(3600)
        sock.sendall(b"ECHO " + line)
    return 0


def _is_socket(fd: int) -> int:
    try:
        socket.socket(fileno=os.dup(fd)).close()
        return 1
    except OSError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
