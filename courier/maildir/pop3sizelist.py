"""Courier's ``courierpop3dsizelist``: POP3 UIDLs and cached sizes of one maildir.

The file (in the maildir's top directory) is what keeps a POP3 client's
"already downloaded" list valid, so we read and write it exactly as Courier does::

    /3 <nextuid> <stamp>
    <filename> <crlf-size> <uid>:<stamp>:<utf8>

Version 2 lines lack ``:<utf8>`` and are still read.  The UIDL of a message is
``UID<uid>-<stamp>`` (``UID<uid>`` when the stamp is 0; a message whose uid is 0
falls back to Courier's oldest form, derived from the file name).  Messages are
matched to entries by the file name up to the ``:`` info suffix, in Courier's
order: the leading number of the name (arrival time), then the name's bytes.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence

from courier.frozen import dataclass
from courier.maildir.names import UniqueName

FILENAME = "courierpop3dsizelist"
VERSION = 3

_LEADING_NUMBER = re.compile(rb"\s*([+-]?\d+)")
_LONG_MAX = 2**63 - 1
_EIGHT_BIT = re.compile(rb"[\x80-\xff]")
# C's "char" is signed on the platforms Courier runs on: bytes >= 0x80 sort first.
_SIGNED_ORDER = bytes(((b + 128) % 256) for b in range(256))


@dataclass(frozen=True, slots=True)
class Entry:
    filename: str  # base name as last seen, with its ":2,<flags>" suffix
    size: int  # size in CRLF terms (what STAT/LIST/RETR report)
    uid: int
    stamp: int
    utf8: bool = False  # 8-bit header bytes (Courier's RFC2045_ERR8BITHEADER)

    @property
    def uidl(self) -> str:
        if self.uid == 0:
            return legacy_uidl(self.filename)
        return f"UID{self.uid}-{self.stamp}" if self.stamp else f"UID{self.uid}"

    def format(self) -> bytes:
        name = os.fsencode(self.filename)
        return b"%s %d %d:%d:%d\n" % (name, self.size, self.uid, self.stamp, int(self.utf8))


@dataclass(frozen=True, slots=True)
class SizeList:
    nextuid: int
    stamp: int
    entries: tuple[Entry, ...]  # in sort_key order
    version: int = VERSION

    def format(self) -> bytes:
        head = b"/%d %d %d\n" % (VERSION, self.nextuid, self.stamp)
        return head + b"".join(e.format() for e in self.entries)


def legacy_uidl(filename: str) -> str:
    """Courier's version-0 UIDL: the name up to ``:``, unsafe bytes as ``+XX``."""
    out = []
    for b in os.fsencode(filename).split(b":", 1)[0]:
        if b < 0x21 or b > 0x7E or b in b"'\"+":
            out.append(f"+{b:02X}")
        else:
            out.append(chr(b))
    return "".join(out)


_keys: dict[str, tuple[int, bytes]] = {}  # a POP3 login asks for each name's key several times


def sort_key(filename: str) -> tuple[int, bytes]:
    """Courier's message order and identity: leading number, then the name up to ``:``.

    Two names with equal keys are the same message (only the info after ``:`` differs).
    """
    key = _keys.get(filename)
    if key is not None:
        return key
    raw = filename.encode("utf-8", "surrogateescape")  # os.fsencode, without its checks
    m = _LEADING_NUMBER.match(raw)
    number = int(m.group(1)) if m else 0
    if not -_LONG_MAX - 1 <= number <= _LONG_MAX:
        number = _LONG_MAX if number > 0 else -_LONG_MAX - 1
    # Courier would tell "x" from "x:2," apart and give a message a new UIDL when a
    # program adds the info suffix; the name before ":" is what identifies it.
    key = number, raw.split(b":", 1)[0].translate(_SIGNED_ORDER)
    if len(_keys) > 250_000:
        _keys.clear()
    _keys[filename] = key
    return key


def parse(data: bytes, now: int) -> SizeList | None:
    """Parse the file's bytes; None when the header is not one Courier would accept.

    Lines that do not parse are skipped, as Courier skips them; an unterminated
    last line is ignored (a write that was cut short).
    """
    head, nl, rest = data.partition(b"\n")
    m = re.fullmatch(rb"/\s*([+-]?\d+)\s+(\d+)(?:\s+(\d+))?\b.*", head, re.S)
    if not nl or m is None or int(m.group(1)) not in (VERSION, VERSION - 1):
        return None
    nextuid = int(m.group(2))
    stamp = int(m.group(3)) if m.group(3) is not None else now
    body = rest[: rest.rfind(b"\n") + 1]  # a last piece without newline is incomplete
    entries = [
        Entry(
            name.decode("utf-8", "surrogateescape"),  # os.fsdecode
            int(size),
            int(uid),
            int(stamp_),
            bool(utf8) and int(utf8) != 0,
        )
        for name, size, uid, stamp_, utf8 in _LINE.findall(body)
    ]
    entries.sort(key=lambda e: sort_key(e.filename))
    return SizeList(nextuid=nextuid, stamp=stamp, entries=tuple(entries), version=int(m.group(1)))


# One line: "<name> <size> <uid>:<stamp>[:<utf8>]<anything but a space>", the name being all
# before the last two space-separated fields (a name may contain spaces); other lines are skipped.
_LINE = re.compile(rb"^(.+) (\d+) (\d+):(\d+)(?::(-?\d+))?[^ \n]*$", re.M)


def read(maildir: str, now: int | None = None) -> SizeList | None:
    """Read ``<maildir>/courierpop3dsizelist``; None if absent or unusable."""
    try:
        with open(os.path.join(maildir, FILENAME), "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    return parse(data, int(time.time()) if now is None else now)


def write(maildir: str, sizelist: SizeList) -> None:
    """Replace the file atomically (written in tmp/, then renamed), as Courier does."""
    tmpname = os.path.join(maildir, "tmp", UniqueName.new(uniq="pop3").tmp())
    fd = os.open(tmpname, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(sizelist.format())
        os.rename(tmpname, os.path.join(maildir, FILENAME))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmpname)
        raise


@dataclass(frozen=True, slots=True)
class Merged:
    entries: tuple[Entry, ...]  # one per current file, sort order
    new: frozenset[str]  # file names that got a fresh UID
    nextuid: int
    stamp: int
    changed: bool  # the file must be rewritten


def merge(
    previous: SizeList | None,
    filenames: Iterable[str],
    measure: Callable[[str], tuple[int, bool]],
    now: int,
) -> Merged:
    """Give every current file its UID: keep known ones, number new ones in order.

    ``measure(name)`` returns ``(crlf_size, utf8)`` for a file not in the list.
    """
    old: Sequence[Entry] = previous.entries if previous else ()
    names = list(filenames)
    if previous is not None and previous.version == VERSION and len(names) == len(old):
        same = _same_messages(old, names)
        if same is not None:  # the usual login: no message came or went (flags may have changed)
            return Merged(same, frozenset(), previous.nextuid, previous.stamp, False)
    names.sort(key=sort_key)
    old_keys = [sort_key(e.filename) for e in old]
    nextuid = previous.nextuid if previous else 1
    stamp = previous.stamp if previous else now
    changed = previous is None or previous.version != VERSION
    entries: list[Entry] = []
    new: set[str] = set()
    n = 0
    for name in names:
        key = sort_key(name)
        while n < len(old) and old_keys[n] < key:
            n += 1
            changed = True  # an entry whose message is gone
        if n < len(old) and old_keys[n] == key:
            e = old[n]
            entries.append(e if e.filename == name else Entry(name, e.size, e.uid, e.stamp, e.utf8))
            n += 1
        else:
            size, utf8 = measure(name)
            entries.append(Entry(name, size, nextuid, stamp, utf8))
            new.add(name)
            nextuid += 1
            changed = True
    if n < len(old):
        changed = True
    return Merged(tuple(entries), frozenset(new), nextuid, stamp, changed)


def _same_messages(old: Sequence[Entry], names: list[str]) -> tuple[Entry, ...] | None:
    """``old`` with current names if ``names`` are exactly its messages (the name before ``:`` is
    a message's identity, as in sort_key), else None; no sort keys needed."""
    current = {name.partition(":")[0]: name for name in names}
    if len(current) != len(old):
        return None
    out = []
    for e in old:
        name = current.pop(e.filename.partition(":")[0], None)
        if name is None:
            return None  # gone, or listed twice in the file
        out.append(e if name == e.filename else Entry(name, e.size, e.uid, e.stamp, e.utf8))
    return tuple(out)


def measure_file(path: str) -> tuple[int, bool]:
    """A file's size as POP3 sends it (CRLF line ends) and whether its header has 8-bit bytes.

    A line already ending in CRLF is sent as is; a last line without a newline
    gets one.
    """
    size = 0
    lf = crlf = 0
    last = b""
    utf8 = False
    header_done = False
    carry = b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            size += len(chunk)
            lf += chunk.count(b"\n")
            crlf += chunk.count(b"\r\n") + (1 if last == b"\r" and chunk[:1] == b"\n" else 0)
            last = chunk[-1:]
            if not header_done:
                text = carry + chunk
                end = _header_end(text)
                head = text if end < 0 else text[:end]
                if _EIGHT_BIT.search(head):
                    utf8 = True
                if end >= 0:
                    header_done = True
                carry = text[-3:]
    if size and last != b"\n":
        size += 2
    return size + lf - crlf, utf8


def _header_end(text: bytes) -> int:
    ends = [i for i in (text.find(b"\n\n"), text.find(b"\n\r\n")) if i >= 0]
    if text.startswith((b"\n", b"\r\n")):
        ends.append(0)
    return min(ends) if ends else -1
