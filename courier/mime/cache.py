"""A file of per-message :class:`~courier.mime.summary.Summary` records for one folder.

The caller decides where the file lives and what identifies a message: a key
(e.g. the maildir base name) and a stamp (e.g. ``(size, mtime_ns)``).  A
record is used only when both match, so a replaced file is parsed again.

Safe for concurrent processes: the file is replaced atomically (write a
temporary file beside it, fsync, rename), so a reader sees a whole old or a
whole new version; when two sessions save at once, one's additions are lost,
which costs only a re-parse.  The format is ``marshal`` (fast to load), which
must not be fed hostile bytes: a file not owned by the process's effective
uid is ignored, and any file that does not load cleanly counts as empty.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Iterable

from courier.mime.summary import VERSION, Summary, summarize

MAGIC = "courier-imap mime summaries"

Stamp = tuple[int, ...]


class SummaryCache:
    __slots__ = ("_dirty", "_entries", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        # key -> (stamp, Summary.to_data(), extras)
        self._entries: dict[str, tuple[Stamp, list[object], dict[str, bytes]]] = {}
        self._dirty = False

    def load(self) -> int:
        """Read the file if it is ours and intact; return the number of records."""
        self._entries = {}
        self._dirty = False
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            return 0
        try:
            st = os.fstat(fd)
            if st.st_uid != os.geteuid() or st.st_mode & 0o022:
                return 0
            chunks = []
            while True:
                data = os.read(fd, 1 << 20)
                if not data:
                    break
                chunks.append(data)
        finally:
            os.close(fd)
        try:
            magic, version, entries = marshal.loads(b"".join(chunks))
        except (ValueError, EOFError, TypeError):
            return 0
        if magic != MAGIC or version != VERSION or not isinstance(entries, dict):
            return 0
        for value in entries.values():  # shape check once, so get() can trust it
            if not (isinstance(value, tuple) and len(value) == 3 and isinstance(value[2], dict)):
                return 0
        self._entries = entries
        return len(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, stamp: Stamp) -> Summary | None:
        found = self._entries.get(key)
        if found is None or found[0] != stamp:
            return None
        return Summary.from_data(found[1])

    def put(self, key: str, stamp: Stamp, summary: Summary) -> None:
        self._entries[key] = (tuple(stamp), summary.to_data(), {})
        self._dirty = True

    def extra(self, key: str, stamp: Stamp, name: str) -> bytes | None:
        """A caller's own derived bytes kept with the record (e.g. a serialised ENVELOPE)."""
        found = self._entries.get(key)
        if found is None or found[0] != stamp:
            return None
        return found[2].get(name)

    def set_extra(self, key: str, stamp: Stamp, name: str, value: bytes) -> None:
        """Keep ``value`` with the record of ``key`` (ignored if there is no current record)."""
        found = self._entries.get(key)
        if found is not None and found[0] == stamp:
            found[2][name] = value
            self._dirty = True

    def summary(self, key: str, stamp: Stamp, path: str) -> Summary:
        """The cached record, or parse ``path`` now and remember it."""
        s = self.get(key, stamp)
        if s is None:
            from courier.mime.message import Message

            with Message.open(path) as m:
                s = summarize(m.buf)
            self.put(key, stamp, s)
        return s

    def save(self, keep: Iterable[str] | None = None) -> bool:
        """Write the file if anything changed; with ``keep``, drop records of other keys first.

        Returns False when the file could not be written (the cache is optional).
        """
        if keep is not None:
            wanted = set(keep)
            gone = [k for k in self._entries if k not in wanted]
            for k in gone:
                del self._entries[k]
            self._dirty = self._dirty or bool(gone)
        if not self._dirty:
            return True
        data = marshal.dumps((MAGIC, VERSION, self._entries))
        directory = os.path.dirname(self.path) or "."
        tmp = os.path.join(directory, f".{os.path.basename(self.path)}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError:
            if os.path.exists(tmp):
                os.unlink(tmp)
            return False
        self._dirty = False
        return True
