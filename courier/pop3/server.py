"""The per-connection loop: read lines, answer them, write whole responses.

Answers to pipelined commands are gathered and sent together; a RETR is sent
in large writes, never byte by byte, so Nagle's algorithm never stalls a
response.  STLS calls a hook that returns the TLS transport (supplied by the
program that owns TLS); without a hook STLS is neither offered nor accepted.
"""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import Callable
from typing import Protocol

from courier.pop3.parser import LineReader
from courier.pop3.session import Reply, Session, State

FLUSH_AT = 1 << 18


class Transport(Protocol):
    def recv(self, size: int, timeout: float) -> bytes | None:
        """Bytes from the client; b"" at end of stream; None on timeout."""
        ...

    def send(self, data: bytes) -> None:
        """Send all of ``data`` (raises OSError if the client is gone)."""
        ...


class FdTransport:
    """A connection on file descriptors: a socket on fd 0/1, or stdin/stdout pipes."""

    def __init__(self, read_fd: int = 0, write_fd: int = 1) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd

    def recv(self, size: int, timeout: float) -> bytes | None:
        ready, _, _ = select.select([self.read_fd], [], [], timeout)
        if not ready:
            return None
        try:
            return os.read(self.read_fd, size)
        except ConnectionResetError:
            return b""

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.write_fd, view)
            view = view[n:]


class SocketTransport:
    """A connected socket, plain or TLS (an ``ssl.SSLSocket`` may hold decrypted bytes already)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def recv(self, size: int, timeout: float) -> bytes | None:
        pending = getattr(self.sock, "pending", None)
        if not (pending is not None and pending()):
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                return None
        try:
            return self.sock.recv(size)
        except OSError:  # reset, or a TLS error: the client is gone either way
            return b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)


#: Called after "+OK Begin SSL/TLS negotiation now." has been sent: does the
#: handshake on the transport and returns the TLS transport (raises OSError on failure).
StartTLS = Callable[[Transport], Transport]


class _Writer:
    def __init__(self, transport: Transport, session: Session) -> None:
        self.transport = transport
        self.session = session
        self.buf = bytearray()

    def add(self, data: bytes) -> None:
        self.session.stats.sent += len(data)
        self.buf += data
        if len(self.buf) >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.transport.send(bytes(self.buf))
            self.buf.clear()

    def reply(self, reply: Reply) -> None:
        if reply.delay > 0:
            self.flush()
            time.sleep(reply.delay)
        for chunk in reply.chunks:
            if isinstance(chunk, bytes):
                self.add(chunk)
            else:
                for piece in chunk:
                    self.add(piece)


def serve(
    session: Session,
    transport: Transport,
    first: bytes,
    *,
    starttls: StartTLS | None = None,
) -> Transport:
    """Run one connection to its end; ``first`` is the greeting (or pre-auth answer).

    Returns the transport the session ended on (TLS after STLS), for the caller to close."""
    out = _Writer(transport, session)
    try:
        out.add(first)
        out.flush()
        reader = LineReader(session.settings.max_line)
        while session.state is not State.DONE:
            timeout = session.settings.timeout
            data = transport.recv(65536, timeout)
            if data is None:
                session.disconnect("TIMEOUT")
                return out.transport
            if not data:
                session.disconnect()
                return out.transport
            for line in reader.feed(data):
                reply = session.handle(line)
                out.reply(reply)
                if reply.close:
                    out.flush()
                    return out.transport
                if reply.starttls and starttls is not None:
                    out.flush()
                    try:
                        transport = out.transport = starttls(transport)
                    except OSError:
                        session.disconnect()
                        return out.transport
                    session.tls_started()
                    # Anything the client pipelined after STLS was sent in clear: drop it.
                    reader = LineReader(session.settings.max_line)
                    break
            out.flush()
    except (BrokenPipeError, ConnectionResetError):
        session.disconnect()
    return out.transport
