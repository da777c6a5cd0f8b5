"""authlib's own rc files (authldaprc, authmysqlrc, authpgsqlrc): ``NAME value`` lines.

These are not shell files: the first word of a line is the name and the rest of
the line, trimmed, is the value, taken literally (quotes, ``$`` and ``#`` inside
a value are part of it).  A line ending in a backslash continues on the next
line.  Lines starting with ``#`` and blank lines are ignored.  As in authlib,
the file must carry its sysconftool marker line (``##NAME: ...``); without it
the file is refused, because a half-installed file is worse than none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from courier.config import ConfigError

#: A continued value longer than this is refused (a runaway continuation).
MAX_VALUE = 65536


@dataclass(frozen=True, slots=True)
class RcFile:
    path: Path
    values: Mapping[str, str]
    lines: Mapping[str, int] = field(default_factory=dict)  # variable -> first line number
    mtime_ns: int = 0

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def where(self, name: str) -> str:
        line = self.lines.get(name)
        return f"{self.path}:{line}: {name}" if line else f"{self.path}: {name}"


def parse_rc(text: str, path: Path, mtime_ns: int = 0) -> RcFile:
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    marker = False
    physical = text.split("\n")
    i = 0
    while i < len(physical):
        lineno = i + 1
        line = physical[i].rstrip("\r")
        i += 1
        if line.startswith("##NAME"):
            marker = True
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        # Continuation: the backslash and the line break become one space.
        pieces = [line.rstrip()]
        size = len(pieces[0])
        while pieces[-1].endswith("\\") and i < len(physical):
            pieces[-1] = pieces[-1][:-1]
            pieces.append(physical[i].rstrip())
            size += len(pieces[-1]) + 1
            i += 1
            if size > MAX_VALUE:
                raise ConfigError(f"{path}:{lineno}: value over {MAX_VALUE} bytes; check the continuations")
        line = " ".join(pieces)
        stripped = line.strip()
        parts = stripped.split(None, 1)
        name = parts[0]
        value = parts[1].strip() if len(parts) > 1 else ""
        if not name.replace("_", "").isalnum() or not name.isascii():
            raise ConfigError(f"{path}:{lineno}: expected 'NAME value', found {stripped[:60]!r}")
        if name not in values:  # authlib takes the first definition
            values[name] = value
            lines[name] = lineno
    if not marker:
        raise ConfigError(
            f"{path}: marker line not found (a '##NAME: ...' line); install the file from the .dist sample"
        )
    return RcFile(path=path, values=values, lines=lines, mtime_ns=mtime_ns)


def read_rc(path: Path | str) -> RcFile:
    """Read an rc file; a missing or unreadable file is a ConfigError naming it."""
    p = Path(path)
    try:
        with open(p, encoding="utf-8", errors="surrogateescape") as f:
            mtime = os.fstat(f.fileno()).st_mtime_ns
            text = f.read(4 * 1024 * 1024)
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}; create it from the .dist sample") from exc
    return parse_rc(text, p, mtime)


class RcWatch:
    """The current contents of one rc file, re-read when its mtime changes (as authlib does)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._rc: RcFile | None = None

    def current(self) -> tuple[RcFile, bool]:
        """The file's contents and whether they changed since the last call."""
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot read: {exc.strerror}; install the .dist sample") from exc
        if self._rc is not None and self._rc.mtime_ns == mtime:
            return self._rc, False
        self._rc = read_rc(self.path)
        return self._rc, True


def as_number(rc: RcFile, name: str, default: int) -> int:
    raw = rc.get(name).strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{rc.where(name)}: {raw!r} is not a whole number") from exc


def as_flag(rc: RcFile, name: str, default: bool = False) -> bool:
    raw = rc.get(name).strip()
    if raw == "":
        return default
    try:
        return int(raw) != 0
    except ValueError as exc:
        raise ConfigError(f"{rc.where(name)}: {raw!r} is not 0 or 1") from exc
