"""The selected folder's MIME summaries, kept in a file beside the folder's metadata.

FETCH ENVELOPE/BODYSTRUCTURE/BODY/RFC822.SIZE, SEARCH's address/subject keys
and SIZE, SORT and THREAD read a message's summary instead of parsing it again.
Next to each summary the file keeps what FETCH sends (the items already in
IMAP syntax) and what SEARCH compares (header text decoded and case-folded),
so a repeated FETCH or SEARCH is a lookup.  A record is used only while the
file has the same (size, mtime_ns, inode), so a replaced file is parsed again.
The file is loaded at first use and saved at the end of a command that added
to it (courier.mime.cache replaces it atomically); the session has already
become the account by then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from courier.imap.response import Spaced, wire

if TYPE_CHECKING:
    from courier.mime.cache import Column, SummaryCache
    from courier.mime.summary import Summary
    from courier.storage import Mailbox, MessageInfo

#: the cache file's name in each folder (the maildir layer ignores plain files there)
CACHE_NAME = "courierpymime"


def folded(text: str) -> bytes:
    """Header text as SEARCH compares it (courier.mime.decode.fold), UTF-8: a substring of the
    folded text is a substring of these bytes and nothing else is."""
    from courier.mime.decode import fold

    return fold(text).encode("utf-8", "surrogatepass")


#: FETCH items in IMAP syntax (not UTF8=ACCEPT), and SEARCH's header keys folded
COLUMNS: tuple[tuple[str, Column], ...] = (
    ("RFC822.SIZE", lambda s: b"%d" % s.size),
    ("ENVELOPE", lambda s: wire(Spaced(s.envelope))),
    ("BODYSTRUCTURE", lambda s: wire(s.bodystructure)),
    ("BODY", lambda s: wire(s.body())),
    ("from", lambda s: folded(s.from_)),
    ("to", lambda s: folded(s.to)),
    ("cc", lambda s: folded(s.cc)),
    ("bcc", lambda s: folded(s.bcc)),
    ("subject", lambda s: folded(s.subject)),
)
_NUMBER = {name: i for i, (name, _) in enumerate(COLUMNS, 1)}


class Summaries:
    __slots__ = ("_cache", "_last", "mailbox")

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self._cache: SummaryCache | None = None
        self._last: tuple[int, str, tuple[int, int, int]] | None = None

    def _loaded(self) -> SummaryCache:
        if self._cache is None:
            from courier.mime.cache import SummaryCache

            self._cache = SummaryCache(self.mailbox.metadata_path(CACHE_NAME), COLUMNS)
            try:
                self._cache.load()
            except (OSError, ValueError):  # e.g. a directory in its place: start empty
                self._cache = SummaryCache(self._cache.path, COLUMNS)
        return self._cache

    def _where(self, info: MessageInfo) -> tuple[str, tuple[int, int, int]]:
        # one stat per message per command, however many items ask (reset by save())
        last = self._last
        if last is not None and last[0] == info.uid:
            return last[1], last[2]
        path, st = self.mailbox.message_stat(info.uid)
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
        self._last = (info.uid, path, stamp)
        return path, stamp

    def get(self, info: MessageInfo) -> Summary:
        """The message's summary: cached, or parsed now.  Raises OSError/KeyError/StorageError
        when the file is gone (as opening it would)."""
        path, stamp = self._where(info)
        return self._loaded().summary(info.key, stamp, path)

    def column(self, info: MessageInfo, name: str) -> bytes:
        """One of :data:`COLUMNS` for the message (parsing it now if the file changed)."""
        path, stamp = self._where(info)
        return self._loaded().value(info.key, stamp, path, _NUMBER[name])

    @property
    def parsed(self) -> bool:
        """Whether this command added records (saving will write the file)."""
        return self._cache is not None and self._cache.dirty

    def save(self, live: list[MessageInfo]) -> None:
        """Write what was added (dropping expunged messages); a failure only costs a re-parse."""
        self._last = None
        if self._cache is not None:
            self._cache.save(keep=[m.key for m in live])

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
