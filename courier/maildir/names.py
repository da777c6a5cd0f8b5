"""Maildir file names: Courier's unique-name form, the ``:2,`` info suffix, and the ``,S=`` size."""

from __future__ import annotations

import itertools
import os
import time

from courier.frozen import dataclass

_counter = itertools.count()
_hostname: str | None = None


def hostname(override: str | None = None) -> str:
    """The host part of new names; "/" and ":" are escaped as qmail and Courier readers expect."""
    global _hostname
    name = override
    if name is None:
        if _hostname is None:
            _hostname = os.uname().nodename or "localhost"
        name = _hostname
    return name.replace("/", "\\057").replace(":", "\\072")


def split_name(filename: str) -> tuple[str, str]:
    """Split ``base:info`` into (base, info); a name without ``:`` has empty info."""
    base, sep, info = filename.rpartition(":")
    if not sep:
        return filename, ""
    return base, info


def size_from_name(filename: str) -> int | None:
    """The ``,S=<bytes>`` size recorded in a name, if any."""
    at = filename.find(",S=")
    if at < 0:
        return None
    end = at + 3
    n = len(filename)
    while end < n and "0" <= filename[end] <= "9":
        end += 1
    return int(filename[at + 3 : end]) if end > at + 3 else None


def is_message_name(filename: str) -> bool:
    """Entries of cur/ and new/ that are messages (dot files are not, by convention)."""
    return bool(filename) and not filename.startswith(".")


@dataclass(frozen=True, slots=True)
class UniqueName:
    """Parts of Courier's unique name ``<secs>.M<usecs>P<pid>[V<dev>I<ino>]_<uniq>.<host>[,S=<size>]``."""

    secs: int
    usecs: int
    pid: int
    uniq: str
    host: str

    @classmethod
    def new(cls, host: str | None = None, uniq: str | None = None) -> UniqueName:
        now = time.time()
        secs = int(now)
        tag = uniq if uniq is not None else str(next(_counter))
        return cls(secs, int((now - secs) * 1_000_000), os.getpid(), tag, hostname(host))

    def tmp(self) -> str:
        """The name in tmp/ (no device and inode yet)."""
        return f"{self.secs}.M{self.usecs}P{self.pid}_{self.uniq}.{self.host}"

    def final(self, st: os.stat_result, size: int | None) -> str:
        """The delivered base name, with the file's device and inode as 16 upper-case hex digits."""
        name = (
            f"{self.secs}.M{self.usecs}P{self.pid}V{st.st_dev:016X}I{st.st_ino:016X}_{self.uniq}.{self.host}"
        )
        if size is not None and size > 0:
            name += f",S={size}"
        return name


def sort_key(base: str) -> tuple[int, int, str]:
    """Order in which unnumbered messages get UIDs: by the delivery time at the front of the name,
    seconds then the microseconds of a ``.M<usec>`` part (unpadded: "M9000" comes before "M18370")."""
    digits = _digits(base, 0)
    seconds = int(base[:digits]) if 0 < digits < 19 else 0
    usec = 0
    if base[digits : digits + 2] == ".M":
        n = _digits(base, digits + 2)
        if 0 < n < 10:
            usec = int(base[digits + 2 : digits + 2 + n])
    return (seconds, usec, base)


def _digits(text: str, start: int) -> int:
    """How many ASCII digits ``text`` has from ``start`` on."""
    end = start
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return end - start
