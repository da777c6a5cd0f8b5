"""Sans-IO, incremental IMAP command parser.

Bytes go in with :meth:`Parser.feed`; :meth:`Parser.next_event` hands out what
they add up to: a complete :class:`Command`, a :class:`NeedLiteral` (the caller
decides where the literal's bytes go and whether to send ``+ OK``), a
:class:`ParseError`, or ``None`` when more bytes are needed.  A command is
tokenised once, line segment by line segment, so a literal never causes the
line before it to be parsed again.

Tokens: :class:`Atom` (a ``str``; bracketed sections such as
``BODY[HEADER.FIELDS (A B)]<0.10>`` stay one atom), ``bytes`` for quoted strings
and in-memory literals, ``list`` for parenthesised lists, and whatever a
literal sink returns (APPEND spools the message to a file).
"""

from __future__ import annotations

from courier.frozen import dataclass, field

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the interfaces are for the type checker only

#: characters that end an atom (outside brackets)
_ATOM_END = frozenset(b' ()"{\r\n\x00')


class Atom(str):
    """An unquoted atom, as sent."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Limits:
    line: int = 65536  # bytes in one line segment (between literals)
    atom: int = 16384  # Courier's maximum atom size
    literal: int = 65536  # a literal held in memory (LOGIN, SEARCH strings, ...)
    depth: int = 64  # nested parentheses
    items: int = 10000  # tokens in one command
    command: int = 1 << 20  # bytes of one command held in memory, literals included


class LiteralSink(Protocol):
    def write(self, data: bytes) -> None: ...

    def finish(self) -> object:
        """Called after the last byte: returns the token that stands for the literal."""
        ...

    def abort(self) -> None: ...


class MemorySink:
    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._parts.append(data)

    def finish(self) -> object:
        return b"".join(self._parts)

    def abort(self) -> None:
        self._parts.clear()


class DiscardSink:
    def write(self, data: bytes) -> None:
        pass

    def finish(self) -> object:
        return b""

    def abort(self) -> None:
        pass


@dataclass(slots=True)
class Command:
    tag: str
    name: str  # upper case
    args: list[object]


@dataclass(slots=True)
class NeedLiteral:
    tag: str
    name: str
    size: int
    sync: bool  # False for a non-synchronising {N+} literal: its bytes are already coming
    args: list[object]  # the command's top-level arguments so far (read only)
    depth: int  # 0 when the literal is a top-level argument


@dataclass(slots=True)
class ParseError:
    tag: str
    message: str
    fatal: bool = False  # the connection cannot continue (BYE)


Event = Command | NeedLiteral | ParseError


class _Syntax(Exception):
    pass


@dataclass(slots=True)
class _Partial:
    stack: list[list[object]] = field(default_factory=lambda: [[]])
    items: int = 0
    size: int = 0


_LINE, _LITERAL, _AWAIT_SINK, _SKIP_LINE = range(4)


class Parser:
    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._buf = bytearray()
        self._state = _LINE
        self._cmd = _Partial()
        self._lit_left = 0
        self._lit_sync = True
        self._sink: LiteralSink | None = None
        self._skip_error: ParseError | None = None

    # -- input -------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        self._buf += data

    def discard_input(self) -> None:
        """Forget unparsed bytes: after STARTTLS, what came in clear must not run."""
        self._buf.clear()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    @property
    def in_literal(self) -> bool:
        return self._state in (_LITERAL, _AWAIT_SINK)

    def read_line(self) -> bytes | None:
        """Take one raw line (for IDLE's DONE and SASL responses); None if incomplete."""
        nl = self._buf.find(b"\n")
        if nl < 0:
            if len(self._buf) > self.limits.line:
                self._buf.clear()
                return b""
            return None
        line = bytes(self._buf[:nl]).rstrip(b"\r")
        del self._buf[: nl + 1]
        return line

    # -- decisions the caller makes on NeedLiteral --------------------------------
    def accept_literal(self, sink: LiteralSink | None = None) -> None:
        if self._state != _AWAIT_SINK:
            raise RuntimeError("no literal pending")
        self._sink = sink or MemorySink()
        self._state = _LITERAL

    def reject_literal(self) -> None:
        """Drop the command.  A synchronising literal was never invited, so the next
        line is a new command; a non-synchronising one is read and thrown away."""
        if self._state != _AWAIT_SINK:
            raise RuntimeError("no literal pending")
        self._drop()
        if self._lit_sync:
            self._state = _LINE
        else:
            self._sink = DiscardSink()
            self._state = _LITERAL
            self._skip_error = ParseError("*", "literal refused", False)

    def close(self) -> None:
        """The connection is gone: abandon any literal being received."""
        if self._sink is not None:
            self._sink.abort()
            self._sink = None
        self._drop()
        self._buf.clear()

    # -- output ------------------------------------------------------------------
    def next_event(self) -> Event | None:
        while True:
            if self._state == _AWAIT_SINK:
                return None
            if self._state == _LITERAL:
                if not self._take_literal():
                    return None
                continue
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > self.limits.line:
                    return self._fatal("max atom size too small: command line too long")
                return None
            if nl > self.limits.line:
                return self._fatal("max atom size too small: command line too long")
            seg = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if seg.endswith(b"\r"):
                seg = seg[:-1]
            if self._state == _SKIP_LINE:
                # rest of a command whose non-synchronising literal we threw away
                ev = self._after_skip(seg)
                if ev is not None:
                    return ev
                continue
            try:
                ev2 = self._segment(seg)
            except _Syntax as exc:
                tag = self._tag()
                self._drop()
                fatal = str(exc).startswith("max atom size")
                if fatal:
                    self._buf.clear()
                return ParseError(tag, str(exc), fatal)
            if ev2 is not None:
                return ev2

    # -- internals ---------------------------------------------------------------
    def _drop(self) -> None:
        """Forget a half-parsed command, letting spooled literals clean up after themselves."""
        todo: list[object] = list(self._cmd.stack[0])
        while todo:
            tok = todo.pop()
            if isinstance(tok, list):
                todo.extend(tok)
            elif not isinstance(tok, str | bytes):
                abort = getattr(tok, "abort", None)
                if callable(abort):
                    abort()
        self._cmd = _Partial()

    def _fatal(self, message: str) -> ParseError:
        tag = self._tag()
        self._buf.clear()
        self._drop()
        self._state = _LINE
        return ParseError(tag, message, True)

    def _tag(self) -> str:
        top = self._cmd.stack[0]
        if top and isinstance(top[0], str):
            return str(top[0])
        return "*"

    def _take_literal(self) -> bool:
        assert self._sink is not None
        if self._lit_left:
            if not self._buf:
                return False
            chunk = bytes(self._buf[: self._lit_left])
            del self._buf[: len(chunk)]
            self._lit_left -= len(chunk)
            self._sink.write(chunk)
            if self._lit_left:
                return False
        value = self._sink.finish()
        self._sink = None
        if self._skip_error is not None:
            self._state = _SKIP_LINE
            return True
        self._cmd.stack[-1].append(value)
        self._cmd.items += 1
        self._state = _LINE
        return True

    def _after_skip(self, seg: bytes) -> ParseError | None:
        m = _literal_suffix(seg)
        err = self._skip_error
        assert err is not None
        if m is not None and not m[1]:
            # another non-synchronising literal follows: skip it too
            self._lit_left = m[0]
            self._sink = DiscardSink()
            self._state = _LITERAL
            return None
        self._state = _LINE
        self._skip_error = None
        # the refusal has been answered already (reject_literal's caller did)
        return None

    def _segment(self, seg: bytes) -> Event | None:
        cmd = self._cmd
        lim = self.limits
        cmd.size += len(seg)
        if cmd.size > lim.command:
            raise _Syntax("command too long")
        stack = cmd.stack
        i, n = 0, len(seg)
        first = len(stack) == 1 and not stack[0]
        if first and n == 0:
            raise _Syntax("empty command line")
        while i < n:
            c = seg[i]
            if c == 0x20:
                i += 1
                continue
            if cmd.items >= lim.items:
                raise _Syntax("too many items in one command")
            if c == 0x28:  # (
                if len(stack) > lim.depth:
                    raise _Syntax("lists nested too deeply")
                new: list[object] = []
                stack[-1].append(new)
                stack.append(new)
                cmd.items += 1
                i += 1
            elif c == 0x29:  # )
                if len(stack) == 1:
                    raise _Syntax("unbalanced parenthesis")
                stack.pop()
                i += 1
            elif c == 0x22:  # "
                i, value = _quoted(seg, i + 1)
                if len(value) > lim.atom:
                    raise _Syntax("quoted string too long")
                stack[-1].append(value)
                cmd.items += 1
            elif c == 0x7B:  # {
                m = _literal_suffix(seg[i:])
                if m is None:
                    raise _Syntax("invalid literal")
                size, sync = m
                self._lit_left = size
                self._lit_sync = sync
                self._state = _AWAIT_SINK
                if size <= lim.literal:
                    cmd.size += size
                    if cmd.size > lim.command:
                        raise _Syntax("command too long")
                top = stack[0]
                if len(top) < 2:
                    raise _Syntax("literal in place of a command name")
                return NeedLiteral(
                    str(top[0]), str(top[1]).upper(), size, sync, list(top[2:]), len(stack) - 1
                )
            else:
                i, atom = _atom(seg, i, lim.atom)
                stack[-1].append(atom)
                cmd.items += 1
        if len(stack) > 1:
            raise _Syntax("unbalanced parenthesis")
        top = stack[0]
        self._cmd = _Partial()
        if not top:
            return ParseError("*", "empty command line")
        tag = top[0]
        if not isinstance(tag, Atom) or tag.startswith("+"):
            return ParseError("*", "invalid tag")
        if len(top) < 2 or not isinstance(top[1], Atom):
            return ParseError(str(tag), "missing command name")
        return Command(str(tag), str(top[1]).upper(), top[2:])


def _literal_suffix(seg: bytes) -> tuple[int, bool] | None:
    """``{123}`` or ``{123+}`` at the very end of a segment."""
    if not seg.endswith(b"}"):
        return None
    start = seg.rfind(b"{")
    if start < 0:
        return None
    body = seg[start + 1 : -1]
    sync = True
    if body.endswith(b"+"):
        sync = False
        body = body[:-1]
    if not body or not body.isdigit() or len(body) > 10:
        return None
    if start != 0 and seg[start - 1 : start] != b" ":
        return None
    return int(body), sync


def _quoted(seg: bytes, i: int) -> tuple[int, bytes]:
    out = bytearray()
    n = len(seg)
    while i < n:
        c = seg[i]
        if c == 0x22:
            return i + 1, bytes(out)
        if c == 0x5C:
            if i + 1 >= n or seg[i + 1] not in (0x22, 0x5C):
                raise _Syntax("invalid escape in quoted string")
            out.append(seg[i + 1])
            i += 2
            continue
        if c in (0, 0x0D, 0x0A):
            raise _Syntax("invalid character in quoted string")
        out.append(c)
        i += 1
    raise _Syntax("unterminated quoted string")


def _atom(seg: bytes, i: int, limit: int) -> tuple[int, Atom]:
    start = i
    n = len(seg)
    depth = 0
    while i < n:
        c = seg[i]
        if depth:
            if c == 0x5D:
                depth -= 1
            elif c == 0x5B:
                depth += 1
                if depth > 8:
                    raise _Syntax("brackets nested too deeply")
            elif c in (0, 0x0D, 0x0A):
                raise _Syntax("invalid character in atom")
            elif c == 0x22:
                i, _ = _quoted(seg, i + 1)
                continue
            i += 1
            continue
        if c in _ATOM_END:
            if c in (0, 0x0D, 0x22, 0x7B):
                raise _Syntax("invalid character in atom")
            break
        if c == 0x5B:
            depth += 1
        elif c < 0x20 or c == 0x7F:
            raise _Syntax("invalid character in atom")
        i += 1
        if i - start > limit:
            raise _Syntax("max atom size too small")
    if depth:
        raise _Syntax("unbalanced bracket")
    if i - start > limit:
        raise _Syntax("max atom size too small")
    try:
        text = seg[start:i].decode("utf-8")
    except UnicodeDecodeError:
        raise _Syntax("invalid UTF-8 in atom") from None
    return i, Atom(text)
