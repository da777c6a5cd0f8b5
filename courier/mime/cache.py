"""A file of per-message :class:`~courier.mime.summary.Summary` records for one folder.

The caller decides where the file lives and what identifies a message: a key
(e.g. the maildir base name) and a stamp (e.g. ``(size, mtime_ns)``).  A
record is used only when both match, so a replaced file is parsed again.

Besides the summary itself, each record keeps the caller's *columns*: bytes
derived from the summary when the message is parsed (e.g. a serialised
ENVELOPE, or case-folded header text for SEARCH).  They are stored column by
column, so a command that needs one column reads (maps) only that part of the
file, and nothing is unpickled but a small index of keys, stamps and offsets.

Layout: ``MAGIC``, a little-endian u64 giving the index length, a u32 CRC-32
of what follows up to the data (so a damaged index or offset table is never
trusted), the index
(``marshal`` of format version, summary version, column names, keys and
stamps), then for each column ``n + 1`` little-endian u64 absolute offsets,
then the data of column 0 (the marshalled summary) for every record, then
column 1, and so on.

Safe for concurrent processes: the file is replaced atomically (write a
temporary file beside it, fsync, rename), so a reader sees a whole old or a
whole new version; a reader's mapping of a replaced file stays valid.  When
two sessions save at once, one's additions are lost, which costs only a
re-parse.  ``marshal`` must not be fed hostile bytes: a file not owned by the
process's effective uid (or writable by others) is ignored, and any file that
does not load cleanly counts as empty.
"""

from __future__ import annotations

import marshal
import mmap
import os
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence

from courier.mime.summary import VERSION, Summary, summarize

MAGIC = b"courier-imap mime summaries\n"
#: version of the file layout (the summary has its own VERSION)
FORMAT = 2

Stamp = tuple[int, ...]
#: the caller's columns of a record, made from its summary
Derive = Callable[[Summary], tuple[bytes, ...]]
_HEAD = len(MAGIC) + 12


class SummaryCache:
    __slots__ = ("_derive", "_dirty", "_index", "_mm", "_new", "_off", "_stamps", "names", "path")

    def __init__(self, path: str, columns: Sequence[str] = (), derive: Derive | None = None) -> None:
        """``derive(summary)`` gives the bytes of the named ``columns``, in that order."""
        self.path = path
        #: column 0 is the summary itself; the caller's columns follow
        self.names = ("", *columns)
        self._derive = derive
        self._mm: mmap.mmap | None = None
        self._index: dict[str, int] = {}  # key -> row in the mapped file
        self._stamps: list[Stamp] = []
        self._off: list[array[int]] = []
        self._new: dict[str, tuple[Stamp, tuple[bytes, ...]]] = {}  # parsed by this process
        self._dirty = False

    def column_of(self, name: str) -> int:
        """The number to pass to :meth:`column` for a column name given at construction."""
        return self.names.index(name, 1)

    # -- reading the file -------------------------------------------------------------
    def load(self) -> int:
        """Map the file if it is ours and intact; return the number of records."""
        self.close()
        self._new = {}
        self._dirty = False
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            return 0
        try:
            st = os.fstat(fd)
            if st.st_uid != os.geteuid() or st.st_mode & 0o022 or st.st_size < _HEAD:
                return 0
            mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        if not self._adopt(mm):
            mm.close()
            return 0
        return len(self._stamps)

    def _adopt(self, mm: mmap.mmap) -> bool:
        size = len(mm)
        if mm[: len(MAGIC)] != MAGIC:
            return False
        length = int.from_bytes(mm[len(MAGIC) : len(MAGIC) + 8], "little")
        if length > size - _HEAD:
            return False
        try:
            fmt, version, names, keys, stamps = marshal.loads(mm[_HEAD : _HEAD + length])
        except (ValueError, EOFError, TypeError):
            return False
        if (fmt, version, names) != (FORMAT, VERSION, self.names):
            return False
        if not (isinstance(keys, list) and isinstance(stamps, list) and len(stamps) == len(keys)):
            return False
        n = len(keys)
        at = _HEAD + length
        table = 8 * (n + 1)
        at_data = at + table * len(names)
        if at_data > size:
            return False
        if zlib.crc32(mm[_HEAD:at_data]) != int.from_bytes(mm[_HEAD - 4 : _HEAD], "little"):
            return False
        off: list[array[int]] = []
        for _ in names:
            a = array("Q", mm[at : at + table])
            if sys.byteorder != "little":
                a.byteswap()
            at += table
            # contiguous, increasing, and inside the file: slices never read another record's bytes
            values = a.tolist()
            if values[0] != at_data or values != sorted(values):
                return False
            at_data = values[-1]
            off.append(a)
        if at_data != size or not all(type(k) is str for k in keys):
            return False
        if not all(type(s) is tuple for s in stamps):
            return False
        self._mm, self._stamps, self._off = mm, stamps, off
        self._index = dict(zip(keys, range(n), strict=True))
        return len(self._index) == n

    def release(self) -> None:
        """Let go of the mapped pages read so far (they stay in the page cache; the next read
        maps them again): an idle session keeps only the index."""
        if self._mm is not None:
            self._mm.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        """Drop the mapping (records parsed since the last save are kept)."""
        if self._mm is not None:
            self._mm.close()
        self._mm, self._index, self._stamps, self._off = None, {}, [], []

    @property
    def dirty(self) -> bool:
        return self._dirty

    def __len__(self) -> int:
        return len(self._index.keys() | self._new.keys())

    # -- records ----------------------------------------------------------------------
    def column(self, key: str, stamp: Stamp, c: int) -> bytes | None:
        """Column ``c`` of the record of ``key`` if the record is current (0: the summary's bytes)."""
        new = self._new.get(key)
        if new is not None:
            return new[1][c] if new[0] == stamp else None
        i = self._index.get(key)
        if i is None or self._stamps[i] != stamp:
            return None
        off = self._off[c]
        assert self._mm is not None
        return self._mm[off[i] : off[i + 1]]

    def get(self, key: str, stamp: Stamp) -> Summary | None:
        data = self.column(key, stamp, 0)
        if data is None:
            return None
        try:
            return Summary.from_data(marshal.loads(data))
        except (ValueError, EOFError, TypeError):
            return None

    def put(self, key: str, stamp: Stamp, summary: Summary) -> tuple[bytes, ...]:
        """Remember ``summary`` for ``key``; returns the record's columns."""
        row = (marshal.dumps(summary.to_data()), *(self._derive(summary) if self._derive else ()))
        if len(row) != len(self.names):
            raise ValueError("derive() gave another number of columns than named")
        self._new[key] = (tuple(stamp), row)
        self._dirty = True
        return row

    def _parse(self, key: str, stamp: Stamp, path: str) -> tuple[Summary, tuple[bytes, ...]]:
        from courier.mime.message import Message

        with Message.open(path) as m:
            s = summarize(m.buf)
        return s, self.put(key, stamp, s)

    def summary(self, key: str, stamp: Stamp, path: str) -> Summary:
        """The cached record, or parse ``path`` now and remember it."""
        s = self.get(key, stamp)
        if s is None:
            s = self._parse(key, stamp, path)[0]
        return s

    def value(self, key: str, stamp: Stamp, path: str, c: int) -> bytes:
        """Column ``c`` of the cached record, or parse ``path`` now and remember it."""
        data = self.column(key, stamp, c)
        if data is None:
            data = self._parse(key, stamp, path)[1][c]
        return data

    # -- writing the file -------------------------------------------------------------
    def save(self, keep: Iterable[str] | None = None) -> bool:
        """Write the file if anything changed; with ``keep``, drop records of other keys first.

        Returns False when the file could not be written (the cache is optional).
        """
        old = [k for k in self._index if k not in self._new]
        new = list(self._new)
        if keep is not None:
            wanted = set(keep)
            n_old, n_new = len(old), len(new)
            old = [k for k in old if k in wanted]
            new = [k for k in new if k in wanted]
            self._dirty = self._dirty or len(old) != n_old or len(new) != n_new
        if not self._dirty:
            return True
        directory = os.path.dirname(self.path) or "."
        tmp = os.path.join(directory, f".{os.path.basename(self.path)}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                self._write(fd, old, new)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError:
            if os.path.exists(tmp):
                os.unlink(tmp)
            return False
        self._dirty = False
        # serve from the file just written: what was parsed here need not stay in memory
        parsed = self._new
        if self.load() != len(old) + len(new):
            self._new = parsed
        return True

    def _write(self, fd: int, old: list[str], new: list[str]) -> None:
        rows = [self._index[k] for k in old]
        fresh = [self._new[k][1] for k in new]
        stamps = [self._stamps[i] for i in rows] + [self._new[k][0] for k in new]
        index = marshal.dumps((FORMAT, VERSION, self.names, old + new, stamps))
        width = len(self.names)
        at = _HEAD + len(index) + width * 8 * (len(rows) + len(fresh) + 1)
        offsets = []
        for c in range(width):
            a = array("Q", [at])
            src = self._off[c] if rows else None
            for i in rows:
                assert src is not None
                at += src[i + 1] - src[i]
                a.append(at)
            for row in fresh:
                at += len(row[c])
                a.append(at)
            if sys.byteorder != "little":
                a.byteswap()
            offsets.append(a.tobytes())
        out = _Out(fd)
        crc = zlib.crc32(b"".join(offsets), zlib.crc32(index))
        out.add(MAGIC + len(index).to_bytes(8, "little") + crc.to_bytes(4, "little") + index)
        for table in offsets:
            out.add(table)
        mm = self._mm
        for c in range(width):
            if rows:
                assert mm is not None
                src = self._off[c]
                for i in rows:
                    out.add(mm[src[i] : src[i + 1]])
            for row in fresh:
                out.add(row[c])
        out.flush()


class _Out:
    """Buffered writes of many small pieces."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        view = memoryview(b"".join(self.parts))
        self.parts, self.size = [], 0
        while view:
            view = view[os.write(self.fd, view) :]
