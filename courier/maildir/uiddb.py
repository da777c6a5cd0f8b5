"""``courierimapuiddb``: Courier's UID map, byte-compatible.

    1 <uidvalidity> <nextuid>
    <uid> <base file name (no :2,info)>
    ...

Rewritten whole into tmp/ and renamed over the old file, so readers always see a
complete database.  Bad lines are skipped (their messages get fresh UIDs above
every UID ever written, so no UID is reused); a missing or unparseable header
means a new UIDVALIDITY.
"""

from __future__ import annotations

import contextlib
import os
import time

from courier.frozen import dataclass, field

from .names import UniqueName

UIDDB = "courierimapuiddb"
VERSION = 1


@dataclass(slots=True)
class UidDb:
    uidvalidity: int
    nextuid: int
    entries: list[tuple[int, str]] = field(default_factory=list)  # (uid, base) in UID order
    stat_key: tuple[int, int, int] | None = None  # (inode, size, mtime_ns) of the file read


def new_uidvalidity(previous: int | None = None) -> int:
    """Courier 5 takes the clock's last nine decimal digits; never repeat a value we know was used."""
    value = int(time.time()) % 1_000_000_000
    if previous is not None and value <= previous < value + 86400:
        value = previous + 1
    return value or 1


def parse(data: bytes) -> tuple[UidDb | None, int | None]:
    """(database, None) or (None, uidvalidity of a damaged file if its header was readable)."""
    text = data.decode("utf-8", "surrogateescape")
    head, _, body = text.partition("\n")
    fields = head.split(" ")
    if len(fields) != 3 or not all(f.isdigit() and f.isascii() for f in fields):
        return None, None
    version, uidv, nextuid = (int(f) for f in fields)
    if version != VERSION or uidv == 0:
        return None, uidv or None
    entries: list[tuple[int, str]] = []
    seen_names: set[str] = set()
    last = 0
    ordered = True
    highest = 0
    for line in body.split("\n"):
        uid_text, sep, name = line.partition(" ")
        try:
            uid = int(uid_text)
        except ValueError:
            continue
        if (
            not sep
            or not name
            or not uid_text.isascii()
            or not uid_text.isdigit()
            or not 0 < uid <= 0xFFFFFFFF
        ):
            continue
        if "/" in name or name in seen_names:
            continue
        if uid <= last:
            ordered = False
        last = uid
        if uid > highest:
            highest = uid
        seen_names.add(name)
        entries.append((uid, name))
    if not ordered:
        entries.sort()
        dedup: list[tuple[int, str]] = []
        for uid, name in entries:
            if dedup and dedup[-1][0] == uid:
                continue  # two names claim one UID: the later one gets a fresh UID
            dedup.append((uid, name))
        entries = dedup
    return UidDb(uidv, max(nextuid, highest + 1, 1), entries), None


def read(folder: str) -> tuple[UidDb | None, int | None]:
    """The folder's database, or (None, old uidvalidity or None) if missing or damaged."""
    path = os.path.join(folder, UIDDB)
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read()
    except FileNotFoundError:
        return None, None
    db, old = parse(data)
    if db is not None:
        db.stat_key = (st.st_ino, st.st_size, st.st_mtime_ns)
    elif old is None:
        # Unreadable header: the lost UIDVALIDITY was no later than the file's last write.
        old = int(st.st_mtime) % 1_000_000_000
    return db, old


def stat_key(folder: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(os.path.join(folder, UIDDB))
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def dump(db: UidDb) -> bytes:
    lines = [f"{VERSION} {db.uidvalidity} {db.nextuid}\n"]
    lines.extend(f"{uid} {name}\n" for uid, name in db.entries)
    return "".join(lines).encode("utf-8", "surrogateescape")


def write(folder: str, db: UidDb, *, fsync: bool = True, host: str | None = None) -> None:
    """Replace the database atomically (temp file in tmp/, then rename)."""
    tmp = os.path.join(folder, "tmp", UniqueName.new(host, uniq=f"imapuid_{os.getpid()}").tmp())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        with open(
            fd, "w", encoding="utf-8", errors="surrogateescape", buffering=1 << 16, closefd=False
        ) as out:
            out.write(f"{VERSION} {db.uidvalidity} {db.nextuid}\n")
            for uid, name in db.entries:  # streamed: no copy of a 100,000-line file in memory
                out.write(f"{uid} {name}\n")
        if fsync:
            os.fsync(fd)
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    try:
        os.rename(tmp, os.path.join(folder, UIDDB))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    db.stat_key = (st.st_ino, st.st_size, st.st_mtime_ns)
