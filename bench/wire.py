"""Small IMAP and POP3 clients over plain sockets, so that the client costs little next to the servers.

They only find where a response ends (tagged line, literals skipped by their
announced length, POP3 multi-line terminator) and count bytes; they never parse
what they skip.  Every server is measured with the same client.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import time

LITERAL = re.compile(rb"\{(\d+)\+?\}$")


class ProtocolError(RuntimeError):
    pass


class Conn:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 120.0) -> None:
        self.sock: socket.socket | ssl.SSLSocket = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ProtocolError("server closed the connection")
        self.buf += chunk

    def line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return out
            self._fill()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Imap(Conn):
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 120.0) -> None:
        super().__init__(port, host, timeout)
        self.greeting = self.line()
        if not self.greeting.startswith(b"* "):
            raise ProtocolError(f"greeting: {self.greeting[:100]!r}")
        self.n = 0

    def _tag(self) -> bytes:
        self.n += 1
        return b"b%d" % self.n

    def response(self, tag: bytes) -> tuple[bytes, int, int]:
        """Read to the tagged line: (tagged line, untagged lines, bytes)."""
        buf = self.buf
        pos = 0
        lines = 0
        prefix = tag + b" "
        start_of_line = 0
        while True:
            i = buf.find(b"\r\n", pos)
            if i < 0:
                self._fill()
                buf = self.buf
                continue
            m = LITERAL.search(buf, max(pos, i - 20), i) if buf[i - 1 : i] == b"}" else None
            if m is not None:
                need = i + 2 + int(m.group(1))
                while len(self.buf) < need:
                    self._fill()
                buf = self.buf
                pos = need  # the logical line goes on after the literal
                continue
            if buf.startswith(prefix, start_of_line):
                tagged = bytes(buf[start_of_line:i])
                del buf[: i + 2]
                return tagged, lines, i + 2
            lines += 1
            pos = start_of_line = i + 2

    def cmd(self, text: str | bytes, ok: bool = True) -> tuple[bytes, int, int]:
        tag = self._tag()
        self.send(tag + b" " + (text.encode() if isinstance(text, str) else text) + b"\r\n")
        r = self.response(tag)
        if ok and not r[0].startswith(tag + b" OK"):
            raise ProtocolError(f"{text!r}: {r[0][:200]!r}")
        return r

    def login(self, user: str, password: str) -> None:
        self.cmd(f'LOGIN "{user}" "{password}"')

    def append(self, mailbox: str, data: bytes) -> None:
        tag = self._tag()
        self.send(tag + f" APPEND {mailbox} {{{len(data)}}}\r\n".encode())
        cont = self.line()
        if not cont.startswith(b"+"):
            raise ProtocolError(f"APPEND: {cont[:200]!r}")
        self.send(data + b"\r\n")
        r = self.response(tag)
        if not r[0].startswith(tag + b" OK"):
            raise ProtocolError(f"APPEND: {r[0][:200]!r}")

    def starttls(self) -> None:
        self.cmd("STARTTLS")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname="localhost")

    def logout(self) -> None:
        try:
            self.cmd("LOGOUT", ok=False)
        except (OSError, ProtocolError):
            pass  # the server may already have gone; the measurement before this decides
        finally:
            self.close()


class Pop3(Conn):
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 120.0) -> None:
        super().__init__(port, host, timeout)
        self.greeting = self.line()
        if not self.greeting.startswith(b"+OK"):
            raise ProtocolError(f"greeting: {self.greeting[:100]!r}")

    def cmd(self, text: str) -> bytes:
        self.send(text.encode() + b"\r\n")
        r = self.line()
        if not r.startswith(b"+OK"):
            raise ProtocolError(f"{text.split()[0]}: {r[:200]!r}")
        return r

    def multi(self, text: str) -> int:
        """A multi-line command; returns the bytes of the body."""
        self.cmd(text)
        while True:
            i = self.buf.find(b"\r\n.\r\n")
            if i >= 0:
                del self.buf[: i + 5]
                return i
            if self.buf == b".\r\n"[: len(self.buf)] and self.buf.startswith(b".\r\n"):
                del self.buf[:3]
                return 0
            if self.buf.startswith(b".\r\n"):
                del self.buf[:3]
                return 0
            self._fill()


def _until_closed(s: socket.socket) -> None:
    """Read until the server has closed the connection: its process is done before the next
    sample starts (otherwise whatever it still does after the greeting slows the next one)."""
    with contextlib.suppress(OSError):
        while s.recv(4096):
            pass


def greeting_ms(port: int) -> float:
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        if not s.recv(1):
            raise ProtocolError("closed before the greeting")
        dt = time.perf_counter() - t0
        s.sendall(b"a LOGOUT\r\n")
        _until_closed(s)
    return dt * 1000


def tls_greeting_ms(port: int) -> float:
    """Connect, complete the TLS handshake (implicit TLS), and read the first byte of the greeting."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw, ctx.wrap_socket(raw) as s:
        if not s.recv(1):
            raise ProtocolError("closed before the greeting")
        dt = time.perf_counter() - t0
        s.sendall(b"a LOGOUT\r\n")
        _until_closed(s)
    return dt * 1000
