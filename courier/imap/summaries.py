"""The selected folder's MIME summaries, kept in a file beside the folder's metadata.

FETCH ENVELOPE/BODYSTRUCTURE/BODY/RFC822.SIZE, SEARCH's address/subject keys
and SIZE, SORT and THREAD read a message's summary instead of parsing it again.
A record is used only while the file has the same (size, mtime_ns, inode), so a
replaced file is parsed again.  The file is loaded at first use and saved at
the end of a command that added to it (courier.mime.cache replaces it
atomically); the session has already become the account by then.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: importing typing costs every connection


if TYPE_CHECKING:
    from collections.abc import Callable

    from courier.mime.cache import SummaryCache
    from courier.mime.summary import Summary
    from courier.storage import Mailbox, MessageInfo

#: the cache file's name in each folder (the maildir layer ignores plain files there)
CACHE_NAME = "courierpymime"


class Summaries:
    __slots__ = ("_cache", "_last", "mailbox")

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self._cache: SummaryCache | None = None
        self._last: tuple[int, str, tuple[int, int, int]] | None = None

    def _loaded(self) -> SummaryCache:
        if self._cache is None:
            from courier.mime.cache import SummaryCache

            self._cache = SummaryCache(self.mailbox.metadata_path(CACHE_NAME))
            try:
                self._cache.load()
            except OSError:  # e.g. a directory in its place: start empty (saving fails quietly too)
                self._cache = SummaryCache(self._cache.path)
        return self._cache

    def _where(self, info: MessageInfo) -> tuple[str, tuple[int, int, int]]:
        # one stat per message per command, however many items ask (reset by save())
        last = self._last
        if last is not None and last[0] == info.uid:
            return last[1], last[2]
        path = self.mailbox.message_path(info.uid)
        st = os.stat(path)
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
        self._last = (info.uid, path, stamp)
        return path, stamp

    def get(self, info: MessageInfo) -> Summary:
        """The message's summary: cached, or parsed now.  Raises OSError/KeyError/StorageError
        when the file is gone (as opening it would)."""
        path, stamp = self._where(info)
        return self._loaded().summary(info.key, stamp, path)

    def wire(self, info: MessageInfo, name: str, build: Callable[[Summary], object]) -> bytes:
        """FETCH item ``name`` in IMAP syntax (not UTF8=ACCEPT), kept with the summary."""
        path, stamp = self._where(info)
        cache = self._loaded()
        data = cache.extra(info.key, stamp, name)
        if data is None:
            from courier.imap.response import wire

            data = wire(build(cache.summary(info.key, stamp, path)))
            cache.set_extra(info.key, stamp, name, data)
        return data

    def save(self, live: list[MessageInfo]) -> None:
        """Write what was added (dropping expunged messages); a failure only costs a re-parse."""
        self._last = None
        if self._cache is not None:
            self._cache.save(keep=[m.key for m in live])
