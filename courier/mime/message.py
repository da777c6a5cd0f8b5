"""A message file as a tree of MIME entities described by byte offsets.

Nothing is copied: an :class:`Entity` records where its header and body lie
in the buffer (``bytes`` for small files, ``mmap`` for big ones).  Sizes and
line counts are reported in CRLF terms, as IMAP wants them: every LF counts
as two octets (a CR already in the file is an ordinary octet, as in Courier).

Multipart rules follow Courier: a body part only parses as MIME when the
(encapsulating) message says ``MIME-Version: 1.0``; a delimiter is any line
that *starts* with ``--boundary`` of this or an enclosing multipart (the
outermost wins); the line break before a delimiter belongs to the delimiter;
a multipart whose delimiter never appears is reported as a single leaf; the
last part of an unterminated multipart ends before the file's final newline.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Sequence

from courier.mime.headers import Fields, first, mime_version_ok, param, parse_params, split_fields

TYPE_CHECKING = False  # typing itself is not imported on the connection path
if TYPE_CHECKING:
    from courier.mime.sections import Section

Buffer = bytes | mmap.mmap

#: Multipart / message nesting deeper than this is reported as an opaque leaf.
MAX_DEPTH = 40
#: At most this many entities per message; further delimiters are ordinary text.
MAX_PARTS = 5000
#: Files up to this size are read into memory; bigger ones are mapped.
READ_LIMIT = 1 << 20
_CHUNK = 1 << 20


def count_lf(buf: Buffer, start: int, end: int) -> int:
    if end <= start:
        return 0
    if isinstance(buf, bytes):
        return buf.count(b"\n", start, end)
    total = 0
    for a in range(start, end, _CHUNK):
        total += buf[a : min(a + _CHUNK, end)].count(b"\n")
    return total


class Entity:
    """One MIME entity: header ``[hstart, bstart)``, body ``[bstart, end)``."""

    __slots__ = (
        "bstart",
        "children",
        "end",
        "fields",
        "hstart",
        "lines",
        "message",
        "mime",
        "params",
        "size",
        "subtype",
        "type",
    )

    def __init__(self, hstart: int, bstart: int, end: int, fields: Fields) -> None:
        self.hstart = hstart
        self.bstart = bstart
        self.end = end
        self.fields = fields
        self.type = "text"
        self.subtype = "plain"
        self.params: list[tuple[str, str]] = []
        self.children: list[Entity] = []
        #: The encapsulated message of a message/rfc822 entity.
        self.message: Entity | None = None
        #: Body size and line count in CRLF terms (both 0 for a multipart with parts).
        self.size = 0
        self.lines = 0
        #: False for a message without MIME-Version: 1.0 (its Content-Type is ignored).
        self.mime = True

    def header(self, name: str) -> bytes | None:
        return first(self.fields, name)

    @property
    def encoding(self) -> str:
        cte = self.header("content-transfer-encoding")
        if cte is None:
            return "8bit"
        enc = parse_params(cte)[0]
        return enc or "8bit"

    def __repr__(self) -> str:
        return f"<Entity {self.type}/{self.subtype} h={self.hstart} b={self.bstart} e={self.end}>"


class _State:
    __slots__ = ("buf", "parts")

    def __init__(self, buf: Buffer) -> None:
        self.buf = buf
        self.parts = 0


def _header_end(buf: Buffer, start: int, end: int) -> tuple[int, int]:
    """Return (end of the header fields, start of the body) for an entity at ``start``."""
    if start >= end:
        return start, start
    c = buf[start : start + 2]
    if c[:1] == b"\n":
        return start, start + 1
    if c == b"\r\n":
        return start, start + 2
    p = buf.find(b"\n\n", start, end)
    limit = end if p < 0 else p
    q = buf.find(b"\n\r\n", start, limit)
    if q >= 0:
        return q + 1, q + 3
    if p >= 0:
        return p + 1, p + 2
    return end, end


def _entity(
    st: _State,
    start: int,
    end: int,
    depth: int,
    is_message: bool,
    default_rfc822: bool,
    known: Fields | None = None,
) -> Entity:
    buf = st.buf
    st.parts += 1
    hend, bstart = _header_end(buf, start, end)
    fields = known
    if fields is None:
        fields = split_fields(bytes(buf[start:hend])) if hend > start else []
    ent = Entity(start, bstart, end, fields)
    mime = ent.mime = not is_message or mime_version_ok(first(fields, "mime-version"))
    ctype_raw = first(fields, "content-type") if mime else None
    if ctype_raw is not None:
        full, ent.params = parse_params(ctype_raw)
        if full:
            slash = full.find("/")
            if slash < 0:
                ent.type, ent.subtype = full, ""
            else:
                ent.type, ent.subtype = full[:slash].strip(), full[slash + 1 :].strip()
        else:
            ent.type, ent.subtype = "text", "plain"
    elif default_rfc822:
        ent.type, ent.subtype = "message", "rfc822"
    if depth < MAX_DEPTH:
        if ent.type == "multipart":
            boundary = param(ent.params, "boundary")
            if boundary is not None:
                _split(st, ent, boundary.encode("latin-1", "replace"), depth)
        elif ent.type == "message" and ent.subtype == "rfc822":
            ent.message = _entity(st, bstart, end, depth + 1, True, False)
    if not ent.children:  # a multipart's own size is never reported: skip counting it
        lines = count_lf(buf, bstart, end)
        ent.size = (end - bstart) + lines
        if ent.type == "text" or ent.message is not None:
            ent.lines = lines
    return ent


def _split(st: _State, ent: Entity, boundary: bytes, depth: int) -> None:
    buf = st.buf
    delim = b"--" + boundary
    start, end = ent.bstart, ent.end
    starts: list[int] = []  # line starts of delimiters
    closed = False
    if buf[start : start + len(delim)] == delim:
        pos = start
    else:
        pos = buf.find(b"\n" + delim, start, end)
        pos = -1 if pos < 0 else pos + 1
    while pos >= 0 and len(starts) + st.parts < MAX_PARTS:
        starts.append(pos)
        after = pos + len(delim)
        if buf[after : after + 2] == b"--":
            closed = True
            break
        nxt = buf.find(b"\n" + delim, after, end)
        pos = -1 if nxt < 0 else nxt + 1
    if not starts:
        return
    digest = ent.subtype == "digest"
    for i, line in enumerate(starts):
        if closed and i == len(starts) - 1:
            break
        nl = buf.find(b"\n", line, end)
        pstart = end if nl < 0 else nl + 1
        if i + 1 < len(starts):
            pend = starts[i + 1] - 1
        else:
            pend = end
            if pend > pstart and buf[pend - 1 : pend] == b"\n":
                pend -= 1
        if pend > pstart and buf[pend - 1 : pend] == b"\r":
            pend -= 1
        pend = max(pend, pstart)
        ent.children.append(_entity(st, pstart, pend, depth + 1, False, digest))


def parse(buf: Buffer, fields: Fields | None = None) -> Entity:
    """Parse a whole message held in ``buf`` (``fields``: its header, if already split)."""
    return _entity(_State(buf), 0, len(buf), 0, True, False, fields)


def rfc822_size(buf: Buffer) -> int:
    """RFC822.SIZE: the file's size with every LF counted as CRLF."""
    return len(buf) + count_lf(buf, 0, len(buf))


def find_part(root: Entity, path: Sequence[int]) -> Entity | None:
    """The entity for an IMAP part number (``[2, 1]`` = ``2.1``), or None.

    A non-multipart message has only part 1, its own body; parts of a
    message/rfc822 part number the encapsulated message's parts.
    """
    cur: Entity | None = root
    for n in path:
        if cur is None:
            return None
        if cur is not root and cur.message is not None:
            cur = cur.message
        elif cur is not root and not cur.children:
            return None
        if cur.children:
            cur = cur.children[n - 1] if 1 <= n <= len(cur.children) else None
        else:
            cur = cur if n == 1 else None
    return cur


class Message:
    """A message file opened for reading; use as a context manager or ``close()``."""

    __slots__ = ("_fields", "_mm", "_root", "buf", "path")

    def __init__(self, buf: Buffer, path: str | None = None, _mm: mmap.mmap | None = None) -> None:
        self.buf = buf
        self.path = path
        self._mm = _mm
        self._root: Entity | None = None
        self._fields: Fields | None = None

    @classmethod
    def open(cls, path: str) -> Message:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            size = os.fstat(fd).st_size
            if size <= READ_LIMIT:
                chunks = []
                while True:
                    data = os.read(fd, max(size, 65536) + 1)
                    if not data:
                        break
                    chunks.append(data)
                return cls(b"".join(chunks), path)
            mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            return cls(mm, path, mm)
        finally:
            os.close(fd)

    @property
    def root(self) -> Entity:
        if self._root is None:
            self._root = parse(self.buf, self._fields)
        return self._root

    @property
    def size(self) -> int:
        return rfc822_size(self.buf)

    @property
    def fields(self) -> Fields:
        """The message's header fields, without parsing the body (ENVELOPE needs no more)."""
        if self._root is not None:
            return self._root.fields
        if self._fields is None:
            hend, _ = _header_end(self.buf, 0, len(self.buf))
            self._fields = split_fields(bytes(self.buf[:hend]))
        return self._fields

    def envelope(self, utf8: bool = False) -> list[object]:
        from courier.mime.envelope import envelope

        return envelope(self.fields, utf8)

    def bodystructure(self, extensible: bool = True, utf8: bool = False) -> list[object]:
        from courier.mime.bodystructure import bodystructure

        return bodystructure(self.root, extensible, utf8)

    def section(self, path: Sequence[int] = (), kind: str = "", fields: Sequence[str] = ()) -> Section:
        from courier.mime.sections import Section, section

        if not path and not kind:  # BODY[] / RFC822: the whole file, nothing to parse
            return Section(self.buf, [(0, len(self.buf))])
        return section(self.buf, self.root, path, kind, fields)

    def close(self) -> None:
        if self._mm is not None:
            self._mm.close()
            self._mm = None

    def __enter__(self) -> Message:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
