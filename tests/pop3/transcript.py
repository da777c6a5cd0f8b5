"""Replay Courier's recorded POP3 sessions (transcripts/*.txt) against our pop3d.

A transcript has ``# connect`` headers, ``C:`` client lines, ``S:`` server lines
and ``$ command`` blocks showing the maildir afterwards.  Where we answer more
than Courier on purpose (RFC 2449 response codes, STLS only when TLS is set up)
``expected()`` rewrites Courier's lines, so each difference is visible here.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field

UIDL = re.compile(r"UID(\d+)-(\d+)")


@dataclass
class Exchange:
    client: str | None  # None: the greeting
    server: list[str] = field(default_factory=list)


@dataclass
class Recorded:
    exchanges: list[Exchange]
    disk: list[str]  # the `find` listing shown after the session, if any


def load(text: str) -> list[Recorded]:
    sessions: list[Recorded] = []
    in_disk = False
    for line in text.splitlines():
        if line.startswith("# connect"):
            sessions.append(Recorded([Exchange(None)], []))
            in_disk = False
        elif line.startswith("$ "):
            in_disk = True
        elif in_disk:
            if line.startswith("./"):
                sessions[-1].disk.append(line[2:])
        elif line.startswith("C: "):
            sessions[-1].exchanges.append(Exchange(line[3:]))
        elif line.startswith("S: ") or line == "S:":
            sessions[-1].exchanges[-1].server.append(line[3:])
    return sessions


def expected(lines: list[str], *, stls: bool) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line == "STLS" and not stls:
            continue
        if line == "-ERR Login failed.":
            line = "-ERR [AUTH] Login failed."
        out.append(line)
        if line == "UIDL":  # inside a CAPA listing
            out += ["RESP-CODES", "AUTH-RESP-CODE"]
    return out


class Client:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""

    def line(self) -> str:
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(f"connection closed; unread: {self.buf!r}")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")

    def close(self) -> None:
        self.sock.close()


def replay(client: Client, exchanges: list[Exchange], *, stls: bool = False) -> None:
    """Send each client line and compare the answer with Courier's, line by line."""
    stamps: set[str] = set()
    for ex in exchanges:
        if ex.client is not None:
            client.send(ex.client)
        want = expected(ex.server, stls=stls)
        got = [client.line() for _ in want]
        for w, g in zip(want, got, strict=True):
            stamps.update(m.group(2) for m in UIDL.finditer(g))
            assert UIDL.sub(r"UID\1-STAMP", g) == UIDL.sub(r"UID\1-STAMP", w), (ex.client, got, want)
    assert len(stamps) <= 1  # one stamp per maildir
