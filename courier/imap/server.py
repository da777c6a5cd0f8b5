"""The per-connection loop: read bytes, feed the parser, run commands, write responses.

Synchronous and single-threaded: one process serves one client over a pair of
file descriptors (a socket on fd 0/1, or a pipe pair in PREAUTH mode).
"""

from __future__ import annotations

import errno
import os
import select
import time

from courier.imap.parser import Command, Limits, NeedLiteral, ParseError, Parser
from courier.imap.response import Writer
from courier.imap.session import Session
from courier.imap.settings import ImapSettings

READ_SIZE = 65536


class Transport:
    """Raw byte transport; the TLS layer replaces ``recv``/``send`` after STARTTLS."""

    def __init__(self, rfd: int = 0, wfd: int = 1) -> None:
        self.rfd = rfd
        self.wfd = wfd
        self.received = 0
        self.sent = 0

    def recv(self, n: int) -> bytes:
        while True:
            try:
                data = os.read(self.rfd, n)
            except InterruptedError:
                continue
            except ConnectionResetError:
                return b""
            self.received += len(data)
            return data

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.wfd, view)
            except InterruptedError:
                continue
            view = view[n:]
        self.sent += len(data)

    def pending(self) -> bool:
        """Bytes already decrypted and buffered (TLS); plain sockets have none."""
        return False


class Connection:
    """Glue between transport, parser and session (implements session.Connection)."""

    def __init__(self, transport: Transport, settings: ImapSettings, limits: Limits | None = None) -> None:
        self.transport = transport
        self.settings = settings
        self.parser = Parser(limits)
        self.writer = Writer(sink=self._send)
        self.eof = False

    def _send(self, data: bytes) -> None:
        try:
            self.transport.send(data)
        except (BrokenPipeError, ConnectionResetError):
            self.eof = True

    def flush(self) -> None:
        self.writer.flush()

    def _fill(self, timeout: float | None) -> bool:
        """Read more client bytes into the parser; False on EOF or timeout."""
        if not self.transport.pending():
            try:
                ready, _, _ = select.select([self.transport.rfd], [], [], timeout)
            except InterruptedError:
                return True
            if not ready:
                return False
        try:
            data = self.transport.recv(READ_SIZE)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EINTR):
                return True
            data = b""
        if not data:
            self.eof = True
            return False
        self.parser.feed(data)
        return True

    def read_line(self, timeout: float | None) -> bytes | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            line = self.parser.read_line()
            if line is not None:
                return line
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if self.eof or not self._fill(left):
                return None

    def wait(self, timeout: float, fds: list[int]) -> int | None:
        self.flush()
        if self.parser.buffered or self.transport.pending():
            return -1
        try:
            ready, _, _ = select.select([self.transport.rfd, *fds], [], [], timeout)
        except InterruptedError:
            return None
        if not ready:
            return None
        if self.transport.rfd in ready:
            return -1
        return int(ready[0])


def serve(
    session: Session,
    conn: Connection,
) -> bool:
    """Run the session until LOGOUT, EOF, a fatal error or autologout (returns True for the last)."""
    parser = conn.parser
    w = conn.writer
    timeout = session.settings.autologout
    timed_out = False
    while not session.closed and not conn.eof:
        ev = parser.next_event()
        if ev is None:
            conn.flush()
            if not conn._fill(timeout):
                if not conn.eof:
                    w.status("*", "BYE", "Autologout; idle for too long")
                    timed_out = True
                break
            continue
        if isinstance(ev, Command):
            session.on_command(ev)
        elif isinstance(ev, NeedLiteral):
            sink = session.on_literal(ev)
            if sink is None:
                parser.reject_literal()
            else:
                parser.accept_literal(sink)
                if ev.sync:
                    w.continuation("OK")
                    conn.flush()
        elif isinstance(ev, ParseError):
            session.on_parse_error(ev)
    conn.flush()
    parser.close()
    session.deselect()
    return timed_out or session.timed_out
