"""Per-folder metadata cache: ``courierpyindex`` (ours; Courier ignores it).

It records, for the state of new/ and cur/ seen at a scan, every message's UID,
location, size and internal date, with the mtimes of new/ and cur/ and the identity of
``courierimapuiddb``.  A later open of an unchanged folder reads only this file (no
directory listing, no stat per message, no UID database parse); a changed folder still
reuses sizes and dates, so only new files are stat'ed.  The file can always be deleted.
A header cache (ENVELOPE/BODYSTRUCTURE) can live beside it under the same rules.
"""

from __future__ import annotations

import contextlib
import marshal
import os

from courier.frozen import dataclass

INDEX = "courierpyindex"
VERSION = 2

# (uid, base, subdir, suffix, size, internaldate); the file name is base + suffix (":2,FS").
Entry = tuple[int, str, str, str, int, float]


@dataclass(slots=True)
class Index:
    stamp: tuple[int, int] | None  # (new/ mtime_ns, cur/ mtime_ns) when trustworthy, else None
    uiddb_key: tuple[int, int, int] | None
    uidvalidity: int
    nextuid: int
    entries: list[Entry]


def load(folder: str) -> Index | None:
    try:
        with open(os.path.join(folder, INDEX), "rb") as fh:
            data = marshal.loads(fh.read())  # load(fh) reads piecemeal: 10x slower
    except (OSError, EOFError, ValueError, TypeError):
        return None
    try:
        version, stamp, key, uidv, nextuid, entries = data
        if version != VERSION or not isinstance(entries, list):
            return None
        return Index(
            tuple(stamp) if stamp else None, tuple(key) if key else None, int(uidv), int(nextuid), entries
        )
    except (TypeError, ValueError):
        return None


def save(folder: str, idx: Index) -> None:
    """Write atomically; a folder we may not write simply goes without."""
    tmp = os.path.join(folder, "tmp", f".{INDEX}.{os.getpid()}")
    data = (VERSION, idx.stamp, idx.uiddb_key, idx.uidvalidity, idx.nextuid, idx.entries)
    with contextlib.suppress(OSError):
        with open(tmp, "wb") as fh:
            marshal.dump(data, fh)
        os.rename(tmp, os.path.join(folder, INDEX))
        return
    with contextlib.suppress(OSError):
        os.unlink(tmp)
