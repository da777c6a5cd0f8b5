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

from courier.imap.response import Spaced, wire

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.mime.cache import SummaryCache
    from courier.mime.summary import Summary
    from courier.storage import Mailbox, MessageInfo

#: the cache file's name in each folder (the maildir layer ignores plain files there)
CACHE_NAME = "courierpymime"


def folded(text: str) -> bytes:
    """Header text as SEARCH compares it (courier.mime.decode.fold), UTF-8: a substring of the
    folded text is a substring of these bytes and nothing else is."""
    from courier.mime.decode import fold

    return fold(text).encode("utf-8", "surrogatepass")


def structure_wires(bs: list[object]) -> tuple[bytes, bytes]:
    """BODYSTRUCTURE and BODY (courier.mime.summary.strip_extensions) in IMAP syntax, in one
    walk that serialises what the two share once."""
    if isinstance(bs[0], list):
        n = next(i for i, x in enumerate(bs) if not isinstance(x, list))
        kids = [structure_wires(c) for c in bs[:n] if isinstance(c, list)]
        tail = [wire(x) for x in bs[n:]]
        full = _joined([k[0] for k in kids] + tail, [True] * n + [isinstance(x, list) for x in bs[n:]])
        return full, _joined([k[1] for k in kids] + tail[:1], [True] * n + [False])
    if bs[0] == "message" and bs[1] == "rfc822" and len(bs) >= 10:
        head = [wire(x) for x in bs[:8]]
        inner = bs[8]
        nested = structure_wires(inner) if isinstance(inner, list) else (wire(inner), wire(inner))
        rest = [wire(x) for x in bs[9:]]
        lists = [isinstance(x, list) for x in bs]
        return (
            _joined([*head, nested[0], *rest], lists),
            _joined([*head, nested[1], rest[0]], lists[:10]),
        )
    parts = [wire(x) for x in bs]
    lists = [isinstance(x, list) for x in bs]
    n = 8 if bs[0] == "text" else 7
    return _joined(parts, lists), _joined(parts[:n], lists[:n])


def _joined(parts: list[bytes], lists: list[bool]) -> bytes:
    """A parenthesised list from serialised elements: spaces as response.Writer puts them."""
    out = [b"("]
    for i, data in enumerate(parts):
        if i and not (lists[i - 1] and lists[i]):
            out.append(b" ")
        out.append(data)
    out.append(b")")
    return b"".join(out)


def _columns(s: Summary) -> tuple[bytes, ...]:
    structure, body = structure_wires(s.bodystructure)
    return (
        b"%d" % s.size,
        wire(Spaced(s.envelope)),
        structure,
        body,
        folded(s.from_),
        folded(s.to),
        folded(s.cc),
        folded(s.bcc),
        folded(s.subject),
    )


#: FETCH items in IMAP syntax (not UTF8=ACCEPT), and SEARCH's header keys folded (_columns)
COLUMNS = ("RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY", "from", "to", "cc", "bcc", "subject")
_NUMBER = {name: i for i, name in enumerate(COLUMNS, 1)}


class Summaries:
    __slots__ = ("_cache", "_last", "mailbox")

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self._cache: SummaryCache | None = None
        self._last: tuple[int, str, tuple[int, int, int]] | None = None

    def _loaded(self) -> SummaryCache:
        if self._cache is None:
            from courier.mime.cache import SummaryCache

            self._cache = SummaryCache(self.mailbox.metadata_path(CACHE_NAME), COLUMNS, _columns)
            try:
                self._cache.load()
            except (OSError, ValueError):  # e.g. a directory in its place: start empty
                self._cache = SummaryCache(self._cache.path, COLUMNS, _columns)
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
        """Write what this command parsed, dropping expunged messages' records; a failure only
        costs a re-parse.  Nothing is written (or even compared) when nothing was parsed: an
        expunged message's record is harmless until the next save (its key never comes back)."""
        self._last = None
        if self._cache is not None:
            if self._cache.dirty:
                self._cache.save(keep=[m.key for m in live])
            self._cache.release()

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None
