"""POP3 command lines from a byte stream: no I/O, bounded memory.

``LineReader.feed(data)`` returns the complete lines found so far (CR LF or a
bare LF ends a line).  A line longer than the limit is reported once as
``TOO_LONG`` and the rest of it is skipped up to its end, so a hostile client
cannot make the buffer grow.
"""

from __future__ import annotations

from typing import Final

from courier.frozen import dataclass

TOO_LONG: Final = None  # a line that exceeded the limit (its text is dropped)


class LineReader:
    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._skipping = False  # inside an over-long line, waiting for its end

    def feed(self, data: bytes) -> list[bytes | None]:
        """Lines (without their line end) completed by ``data``; None for an over-long one."""
        out: list[bytes | None] = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            if self._skipping:
                self._skipping = False
            elif len(self._buf) + (nl - start) > self.max_line:
                self._buf.clear()
                out.append(TOO_LONG)
            else:
                self._buf += data[start:nl]
                line = bytes(self._buf)
                self._buf.clear()
                out.append(line[:-1] if line.endswith(b"\r") else line)
            start = nl + 1
        rest = len(data) - start
        if not self._skipping and rest:
            if len(self._buf) + rest > self.max_line:
                self._buf.clear()
                self._skipping = True
                out.append(TOO_LONG)
            else:
                self._buf += data[start:]
        return out

    @property
    def pending(self) -> bool:
        """Part of a line is buffered (a command still arriving)."""
        return bool(self._buf)


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # upper-cased verb; "" for an empty line
    args: tuple[str, ...]
    raw: bytes  # the whole line (SASL responses are read raw)


def parse(line: bytes) -> Command:
    """Split a line as Courier does: words separated by spaces, tabs or stray CRs."""
    text = line.decode("utf-8", "surrogateescape")
    words = text.replace("\t", " ").replace("\r", " ").split(" ")
    words = [w for w in words if w]
    if not words:
        return Command("", (), line)
    return Command(words[0].upper(), tuple(words[1:]), line)
