"""Replaying a recorded Courier IMAP transcript against our imapd in PREAUTH mode.

A transcript is ``C:`` (client line), ``C:|`` (a line of a literal the client
sent), ``S:`` (server line) and ``#`` notes.  Each client command is sent to a
fresh ``imapd`` started with ``AUTHENTICATED`` on a pipe pair; its responses
are read up to the tagged line and compared with the recording after both
sides went through :func:`normalise` (volatile values such as UIDVALIDITY and
"now" dates, and the deliberate differences listed in docs/differences.md).
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import PYTHON, child_env

HERE = Path(__file__).resolve().parent / "transcripts"

#: The three messages the recording used (facts about the recorded session).
SIMPLE = (
    b"From: Alice Example <alice@example.org>\r\n"
    b"To: Bench <bench@example.com>\r\n"
    b"Subject: Hello world\r\n"
    b"Date: Mon, 07 Feb 1994 21:52:25 -0800\r\n"
    b"Message-ID: <simple1@example.org>\r\n"
    b"\r\n"
    b"Hello Bench, this is the body of a simple message.\r\n"
    b"Second line with the word zebra.\r\n"
)
THIRD = (
    b"From: bob@example.com\r\nTo: bench@example.com\r\n"
    b"Subject: Re: Hello world\r\nDate: Wed, 02 Mar 2022 12:00:00 +0000\r\n"
    b"Message-ID: <third@example.com>\r\nIn-Reply-To: <simple1@example.org>\r\n"
    b"References: <simple1@example.org>\r\n\r\n" + b"x" * 3000 + b"\r\n"
)


def lf(message: bytes) -> bytes:
    """A message as an MTA stores it: bare LF line ends."""
    return message.replace(b"\r\n", b"\n")


@dataclass
class Exchange:
    line: str  # the command line as recorded
    literal: list[str] | None = None  # lines of a literal, if the command had one
    rest: str = ""  # what followed the literal on the command line
    expect: list[str] = field(default_factory=list)  # server lines (continuations excluded)
    continuation: str | None = None  # "+ OK" etc. when the server invited a literal
    notes: list[str] = field(default_factory=list)


@dataclass
class Recorded:
    exchanges: list[Exchange]
    header: list[str]


def sessions(name: str) -> list[Recorded]:
    """The sessions of one transcript file, split at ``# connect`` lines."""
    out: list[Recorded] = []
    cur: Recorded | None = None
    ex: Exchange | None = None
    in_literal = False
    for raw in (HERE / name).read_text(encoding="utf-8").split("\n"):
        if raw.startswith("# connect") or raw.startswith("# imapd run directly"):
            cur = Recorded([], [raw])
            out.append(cur)
            ex = None
            continue
        if cur is None or raw.startswith("$ "):
            cur = None if raw.startswith("$ ") else cur
            continue
        if raw.startswith("C:| "):
            assert ex is not None and ex.literal is not None
            ex.literal.append(raw[4:])
            in_literal = True
        elif raw.startswith("C: ") or raw == "C:":
            text = raw[3:]
            if in_literal and ex is not None:
                ex.rest = text
                in_literal = False
                continue
            ex = Exchange(text)
            if re.search(r"\{\d+\+?\}$", text):
                ex.literal = []
            cur.exchanges.append(ex)
        elif raw.startswith("S: "):
            if ex is None:
                cur.header.append(raw[3:])
            elif (
                raw.startswith("S: + ")
                and ex.literal is not None
                and not ex.literal
                and ex.continuation is None
            ):
                ex.continuation = raw[3:]
            else:
                ex.expect.append(raw[3:])
        elif raw.startswith("S:| "):
            assert ex is not None
            ex.expect.append("|" + raw[4:])
        elif raw.startswith("# "):
            if ex is not None:
                ex.notes.append(raw[2:])
            else:
                cur.header.append(raw)
    return out


_NOW_DATE = re.compile(r'INTERNALDATE "(\d\d-\w{3}-\d{4}) \d\d:\d\d:\d\d \+0000"')
_RECORDED_DAY = "25-Nov-2026"


def normalise(lines: list[str], ours: bool) -> list[str]:
    """Make two transcripts comparable: volatile values, and the deliberate differences."""
    today = {time.strftime("%d-%b-%Y", time.gmtime(time.time() + d)) for d in (-86400, 0, 86400)}
    out: list[str] = []
    for line in lines:
        line = re.sub(r"(UIDVALIDITY |APPENDUID |COPYUID )\d+", r"\1<V>", line)

        def now(m: re.Match[str]) -> str:
            day = m.group(1)
            if (ours and day in today) or (not ours and day == _RECORDED_DAY):
                return 'INTERNALDATE "<NOW>"'
            return m.group(0)

        line = _NOW_DATE.sub(now, line)
        # BAD (RFC 3501) where Courier says NO for syntax errors and unknown commands
        line = re.sub(
            r"^(\S+) (NO|BAD) (Error in IMAP command received by server\.|Invalid command)$",
            r"\1 <ERR>",
            line,
        )
        # RFC 3501 requires UIDNEXT on SELECT; Courier omits it
        if line.startswith("* OK [UIDNEXT "):
            continue
        # the order of keywords in FLAGS is the store's (Courier's is its hash order)
        m = re.match(r"^(\* FLAGS \(|\* OK \[PERMANENTFLAGS \()([^)]*)(\).*)$", line)
        if m:
            words = m.group(2).split()
            kws = sorted(w for w in words if not w.startswith("\\"))
            line = m.group(1) + " ".join(kws + [w for w in words if w.startswith("\\")]) + m.group(3)
        # SASL challenges carry a random part
        line = re.sub(r"^\+ [A-Za-z0-9+/=]{20,}$", "+ <CHALLENGE>", line)
        line = line.replace(" STARTTLS", "")  # not offered without a TLS engine (differences.md)
        # Courier's errno text after this message is garbage
        line = re.sub(r"(max atom size too small).*", r"\1", line)
        out.append(line)
    # LIST/LSUB come in directory order; compare as sets
    listed = sorted(x for x in out if x.startswith(("* LIST ", "* LSUB ")))
    rest = [x for x in out if not x.startswith(("* LIST ", "* LSUB "))]
    return listed + rest


class Server:
    """Our imapd in PREAUTH mode on a pipe pair."""

    def __init__(self, maildir: Path, config_dir: Path, preauth: bool = True, **env: str) -> None:
        if preauth:
            env = {"AUTHENTICATED": "bench@example.com", **env}
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "courier.cli.imapd", "--config-dir", str(config_dir), str(maildir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=child_env(**env),
        )
        assert self.proc.stdout is not None
        self.fd = self.proc.stdout.fileno()
        self.buf = b""
        self.greeting = self.readline()

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass

    def readline(self, timeout: float = 10.0) -> str | None:
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "surrogateescape")

    def read_literal(self, size: int) -> bytes:
        while len(self.buf) < size:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                break
            self.buf += chunk
        data, self.buf = self.buf[:size], self.buf[size:]
        return data

    def response(self, tag: str, timeout: float = 10.0) -> list[str]:
        """Lines up to the tagged one (literals shown as ``|line`` like the recording)."""
        out: list[str] = []
        while True:
            line = self.readline(timeout)
            if line is None:
                return out
            m = re.search(r"\{(\d+)\}$", line)
            out.append(line)
            if m:
                data = self.read_literal(int(m.group(1)))
                out += ["|" + x for x in data.decode("utf-8", "surrogateescape").split("\r\n")]
                continue
            if line.startswith(tag + " ") or line.startswith("* BYE"):
                if line.startswith("* BYE") and not line.startswith(
                    "* BYE Courier-IMAP server shutting down"
                ):
                    return out
                if line.startswith(tag + " "):
                    return out

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def literal_bytes(ex: Exchange) -> bytes:
    assert ex.literal is not None
    return "\r\n".join(ex.literal).encode("utf-8")


def replay(
    rec: Recorded,
    maildir: Path,
    config_dir: Path,
    skip: dict[str, str],
    hooks: dict[str, Callable[[], None]] | None = None,
    preauth: bool = True,
) -> list[tuple[str, list[str], list[str]]]:
    """Run one recorded session; returns (command, expected, got) for every compared exchange
    (the greeting first, when the session is not pre-authenticated)."""
    hooks = hooks or {}
    srv = Server(maildir, config_dir, preauth=preauth)
    results: list[tuple[str, list[str], list[str]]] = []
    if not preauth:
        results.append(("(greeting)", rec.header[1:2], [srv.greeting or ""]))
    idle_tag: str | None = None
    try:
        for ex in rec.exchanges:
            tag = (ex.line.split(" ", 1)[0] if " " in ex.line else ex.line) or "*"
            if (
                preauth
                and ex.line.upper().split()[1:2] == ["LOGIN"]
                and len(ex.line.split()) == 4
                and ex.expect[-1].endswith("OK LOGIN Ok.")
            ):
                continue  # already logged in (PREAUTH)
            if tag in skip:
                continue
            line = ex.line
            m = re.fullmatch(r"(\S+ NOOP) xxxx\.\.\.\((\d+) x\)", line)
            if m:
                line = m.group(1) + " " + "x" * int(m.group(2))
            if idle_tag is not None:
                tag = idle_tag
            srv.send(line.encode("utf-8") + b"\r\n")
            got: list[str] = []
            if ex.literal is not None:
                first = srv.readline()
                if first is not None and first.startswith("+"):
                    assert ex.continuation is not None, f"{ex.line}: we invited a literal Courier refused"
                    srv.send(literal_bytes(ex) + ex.rest.encode("utf-8") + b"\r\n")
                elif first is not None:
                    got.append(first)
            if ex.expect and ex.expect[0].startswith("+ "):
                # IDLE: continuation, then updates caused by a delivery
                got.append(srv.readline() or "")
                idle_tag = tag
                for note in ex.notes:
                    if note in hooks:
                        hooks[note]()
                        for _ in ex.expect[1:]:
                            got.append(srv.readline(timeout=3) or "")
                results.append((ex.line, ex.expect, got))
                continue
            if not (got and got[-1].startswith(tag + " ")):
                got += srv.response(tag)
            idle_tag = None
            results.append((ex.line, ex.expect, got))
    finally:
        srv.close()
    return results
