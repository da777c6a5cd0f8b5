"""The one IMAP response serialiser.

Handlers build responses from plain values and never write protocol text:

* ``None`` -> ``NIL``; ``int`` -> number; ``list``/``tuple`` -> parenthesised list;
* ``str`` -> a string: quoted when it is safe, otherwise a literal;
* :class:`Atom` -> written as is (flags, keywords, item names);
* :class:`Mailbox` -> a mailbox name, modified UTF-7 unless UTF8=ACCEPT is on;
* ``bytes`` / :class:`Literal` -> always a literal (message data), the latter
  streamed in chunks from the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from courier.frozen import dataclass


class Atom(str):
    __slots__ = ()


class Spaced(list[object]):
    """A list whose elements are always separated by spaces (ENVELOPE's fields), even
    where two parenthesised lists meet (elsewhere IMAP runs those together)."""

    __slots__ = ()


class Mailbox(str):
    __slots__ = ()


class Wire(bytes):
    """A value already in IMAP syntax (e.g. a cached ENVELOPE), sent as it is."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Literal:
    size: int
    chunks: Iterable[bytes]


@dataclass(frozen=True, slots=True)
class Code:
    """A response code: ``[NAME arg arg]``; args serialise like any other value."""

    name: str
    args: tuple[object, ...] = ()


class Writer:
    """Serialises responses into a list of byte chunks the connection writes out."""

    def __init__(self, sink: Callable[[bytes], None] | None = None, flush_at: int = 65536) -> None:
        self.utf8 = False
        self._out: list[bytes] = []
        self.pending = 0
        self._sink = sink
        self._flush_at = flush_at

    def flush(self) -> None:
        if self._sink is not None and self._out:
            self._sink(b"".join(self.take()))

    def take(self) -> list[bytes]:
        out, self._out = self._out, []
        self.pending = 0
        return out

    def _emit(self, data: bytes) -> None:
        self._out.append(data)
        self.pending += len(data)
        if self.pending >= self._flush_at and self._sink is not None:
            self.flush()

    # -- whole responses ----------------------------------------------------------
    def untagged(self, *items: object) -> None:
        self._emit(b"* ")
        self._items(items)
        self._emit(b"\r\n")

    def status(self, tag: str, status: str, text: str, code: Code | None = None) -> None:
        """``tag OK [CODE] text`` (tag "*" for untagged OK/NO/BAD/BYE)."""
        parts = [tag.encode("utf-8", "surrogateescape"), b" ", status.encode("ascii"), b" "]
        self._emit(b"".join(parts))
        if code is not None:
            self._emit(b"[")
            self._items((Atom(code.name), *code.args))
            self._emit(b"] ")
        self._emit(text.encode("utf-8", "replace") + b"\r\n")

    def continuation(self, text: str = "OK") -> None:
        self._emit(b"+ " + text.encode("ascii") + b"\r\n")

    def raw(self, data: bytes) -> None:
        self._emit(data)

    # -- values -------------------------------------------------------------------
    def _items(self, items: Iterable[object], spaced: bool = False) -> None:
        # IMAP runs adjacent parenthesised lists together: body parts of a multipart,
        # addresses in ENVELOPE, namespace descriptors, THREAD results
        prev: object = None
        first = True
        for item in items:
            if not first and (
                spaced or not (isinstance(prev, list | tuple) and isinstance(item, list | tuple))
            ):
                self._emit(b" ")
            first = False
            prev = item
            self.value(item)

    def value(self, v: object) -> None:
        if v is None:
            self._emit(b"NIL")
        elif isinstance(v, bool):
            raise TypeError("bool in an IMAP response")
        elif isinstance(v, int):
            self._emit(str(v).encode("ascii"))
        elif isinstance(v, Atom):
            self._emit(v.encode("utf-8"))
        elif isinstance(v, Mailbox):
            self._string(self.mailbox_wire(v))
        elif isinstance(v, str):
            self._string(v.encode("utf-8", "surrogateescape"))
        elif isinstance(v, Wire):
            self._emit(v)
        elif isinstance(v, bytes | bytearray | memoryview):
            self._literal_bytes(bytes(v))
        elif isinstance(v, Literal):
            self._emit(b"{%d}\r\n" % v.size)
            sent = 0
            for chunk in v.chunks:
                sent += len(chunk)
                self._emit(chunk)
            if sent != v.size:
                raise ValueError(f"literal announced {v.size} bytes, produced {sent}")
        elif isinstance(v, list | tuple):
            self._emit(b"(")
            self._items(v, spaced=isinstance(v, Spaced))
            self._emit(b")")
        elif isinstance(v, Code):
            self._emit(b"[")
            self._items((Atom(v.name), *v.args))
            self._emit(b"]")
        else:
            raise TypeError(f"cannot serialise {type(v).__name__}")

    def mailbox_wire(self, name: str) -> bytes:
        if self.utf8:
            return name.encode("utf-8", "surrogateescape")
        from courier.mime.mutf7 import encode

        return encode(name).encode("ascii")

    def _string(self, data: bytes) -> None:
        self._emit(_quoted(data, self.utf8))

    def _literal_bytes(self, data: bytes) -> None:
        self._emit(b"{%d}\r\n" % len(data))
        self._emit(data)


def wire(value: object, utf8: bool = False) -> bytes:
    """One value in IMAP syntax, e.g. to keep it for a later :class:`Wire`; byte for byte what
    :class:`Writer` writes, built without it (ENVELOPE and BODYSTRUCTURE of every message of
    a folder pass through here when its summaries are made)."""
    if value is None:
        return b"NIL"
    t = type(value)
    if isinstance(value, str):
        if t is str:
            return _quoted(value.encode("utf-8", "surrogateescape"), utf8)
        if t is Atom:
            return value.encode("utf-8")
    elif isinstance(value, (list, tuple)):
        out: list[bytes] = []
        after_list = False
        spaced = t is Spaced
        for x in value:
            is_list = isinstance(x, (list, tuple))
            if out and (spaced or not (after_list and is_list)):
                out.append(b" ")
            out.append(wire(x, utf8))
            after_list = is_list
        return b"(" + b"".join(out) + b")"
    elif t is int and isinstance(value, int):
        return b"%d" % value
    elif t is Wire and isinstance(value, Wire):
        return value
    w = Writer()  # the rest (literals, mailboxes, codes, bool) as the writer does it
    w.utf8 = utf8
    w.value(value)
    return b"".join(w.take())


def _quoted(data: bytes, utf8: bool) -> bytes:
    if (
        len(data) <= 1024
        and b"\r" not in data
        and b"\n" not in data
        and b"\0" not in data
        and (utf8 or data.isascii())
    ):
        if b"\\" in data or b'"' in data:
            data = data.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        return b'"' + data + b'"'
    return b"{%d}\r\n" % len(data) + data


def serialise(*items: object, utf8: bool = False) -> bytes:
    """One untagged response as bytes (tests and small helpers)."""
    w = Writer()
    w.utf8 = utf8
    w.untagged(*items)
    return b"".join(w.take())


def file_chunks(f: object, start: int, length: int, bufsize: int = 65536) -> Iterator[bytes]:
    """Read ``length`` bytes from ``start`` of an open binary file, in chunks."""
    seek = getattr(f, "seek")  # noqa: B009
    read = getattr(f, "read")  # noqa: B009
    seek(start)
    left = length
    while left > 0:
        data = read(min(bufsize, left))
        if not data:
            break
        left -= len(data)
        yield data
