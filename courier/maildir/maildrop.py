"""POP3's view of a maildir's INBOX for one session, as Courier's pop3d keeps it.

At open: take the session lock, purge stale tmp/ files, move new/ to cur/,
number the messages of cur/ (frozen for the session) and give them their
``courierpop3dsizelist`` UIDLs.  During the session nothing on disk changes;
at UPDATE (QUIT) DELEted messages are unlinked and RETRieved ones get ``S``.
A message that arrives in new/ meanwhile is not part of the session and is
left alone.

The lock is an ``flock`` on ``courierpop3dlock`` in the maildir: the kernel
drops it when the process dies, however it dies, so a crashed session never
keeps the mailbox locked.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from collections.abc import Iterator

from courier.frozen import dataclass
from courier.maildir import pop3sizelist
from courier.maildir import quota as quotamod
from courier.maildir.flags import SEEN, info_flags, make_info
from courier.maildir.names import is_message_name, size_from_name, split_name
from courier.maildir.tmpclean import clean_tmp

LOCKNAME = "courierpop3dlock"
CHUNK = 1 << 18


class MaildropError(Exception):
    """The maildir cannot be used; ``str(exc)`` is fit for the client."""


class MaildropLocked(MaildropError):
    """Another POP3 session holds this maildir."""


@dataclass(slots=True)
class Message:
    number: int  # 1-based, frozen for the session
    filename: str  # current name in cur/
    size: int  # CRLF size, as reported
    uidl: str
    deleted: bool = False
    retrieved: bool = False


def _key(name: str) -> str:
    return split_name(name)[0]


class Maildrop:
    """One session's message list; see the module docstring."""

    def __init__(self, path: str, messages: list[Message], lockfd: int | None) -> None:
        self.path = path
        self.messages = messages
        self._lockfd = lockfd
        self.sizelist_error: str | None = None

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str, *, lock: bool = True, now: int | None = None) -> Maildrop:
        if not os.path.isdir(os.path.join(path, "cur")):
            raise MaildropError("Maildir invalid (no 'cur' directory)")
        lockfd = _lock(path) if lock else None
        try:
            stamp = int(time.time()) if now is None else now
            clean_tmp(path, now=stamp)
            _new_to_cur(path)
            drop = cls(path, [], lockfd)
            drop._load(stamp)
        except BaseException:
            if lockfd is not None:
                os.close(lockfd)
            raise
        return drop

    def _load(self, now: int) -> None:
        cur = os.path.join(self.path, "cur")
        try:
            names = [n for n in os.listdir(cur) if is_message_name(n)]
        except OSError as exc:
            raise MaildropError(f"Maildir invalid: {exc.strerror}") from exc
        previous = pop3sizelist.read(self.path, now)
        measured: dict[str, tuple[int, bool]] = {}

        def measure(name: str) -> tuple[int, bool]:
            try:
                measured[name] = pop3sizelist.measure_file(os.path.join(cur, name))
            except FileNotFoundError:  # removed by another program meanwhile
                measured[name] = (-1, False)
            return measured[name]

        merged = pop3sizelist.merge(previous, names, measure, now)
        entries = list(merged.entries)
        if merged.changed:
            keep = [e for e in entries if e.size >= 0]
            new = pop3sizelist.SizeList(merged.nextuid, merged.stamp, tuple(keep))
            try:
                pop3sizelist.write(self.path, new)
            except OSError as exc:
                # As Courier: without a saved list, new messages get no stable UIDL,
                # so hide them until the list can be written (e.g. after deletions free space).
                self.sizelist_error = f"{pop3sizelist.FILENAME}: {exc.strerror}"
                old = [e for e in entries if e.filename not in merged.new]
                if not old and entries:
                    first = entries[0]
                    entries = [pop3sizelist.Entry(first.filename, first.size, 0, 0, first.utf8)]
                    self.messages = [
                        Message(1, first.filename, first.size, _enomem_uidl(cur, first.filename))
                    ]
                    return
                entries = old
        entries = [e for e in entries if e.size >= 0]
        self.messages = [Message(i + 1, e.filename, e.size, e.uidl) for i, e in enumerate(entries)]

    # -- transaction state ---------------------------------------------------

    def get(self, number: int) -> Message | None:
        """The message with this number, or None if there is none or it is deleted."""
        if 1 <= number <= len(self.messages):
            msg = self.messages[number - 1]
            if not msg.deleted:
                return msg
        return None

    def live(self) -> Iterator[Message]:
        return (m for m in self.messages if not m.deleted)

    def stat(self) -> tuple[int, int]:
        count = total = 0
        for m in self.live():
            count += 1
            total += m.size
        return count, total

    def delete(self, msg: Message) -> None:
        msg.deleted = True

    def reset(self) -> None:
        for m in self.messages:
            m.deleted = False

    def open_message(self, msg: Message) -> int:
        """An fd for reading the message file; follows a rename by another program."""
        try:
            return os.open(self._file(msg), os.O_RDONLY)
        except FileNotFoundError:
            if self._refind(msg):
                return os.open(self._file(msg), os.O_RDONLY)
            raise

    def retr(self, msg: Message) -> Iterator[bytes]:
        """The message as POP3 sends it: CRLF line ends, dot-stuffed, ending ``.\\r\\n``.

        Chunks are large (up to 256 KiB) and cut at line ends so that each can be
        converted on its own.  Raises FileNotFoundError if the message is gone.
        """
        fd = self.open_message(msg)
        msg.retrieved = True
        return _render(fd, None)

    def top(self, msg: Message, lines: int) -> Iterator[bytes]:
        """The header, the blank line and the first ``lines`` body lines (TOP)."""
        fd = self.open_message(msg)
        return _render(fd, lines)

    # -- update state ----------------------------------------------------------

    def update(self) -> list[str]:
        """QUIT: unlink deleted messages, mark retrieved ones seen; returns unlinked names."""
        removed: list[str] = []
        freed_bytes = freed_msgs = 0
        for msg in self.messages:
            if msg.deleted:
                counted = quotamod.counts_file(msg.filename, trash_quota=False)
                size = size_from_name(msg.filename) if counted else None
                if counted and size is None:
                    with contextlib.suppress(OSError):
                        size = os.stat(self._file(msg)).st_size
                if self._apply(msg, None):
                    removed.append(msg.filename)
                    if counted and size is not None:
                        freed_bytes += size
                        freed_msgs += 1
            elif msg.retrieved:
                seen = _with_seen(msg.filename)
                if seen != msg.filename:
                    self._apply(msg, seen)
        if freed_msgs:
            # As Courier's pop3d: keep maildirsize in step (a no-op without quota).
            quotamod.add(self.path, -freed_bytes, -freed_msgs)
        return removed

    def close(self) -> None:
        if self._lockfd is not None:
            os.close(self._lockfd)
            self._lockfd = None

    def __enter__(self) -> Maildrop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -----------------------------------------------------------------

    def _file(self, msg: Message) -> str:
        return os.path.join(self.path, "cur", msg.filename)

    def _refind(self, msg: Message) -> bool:
        """Another program (an IMAP session) changed the flags: find the new name."""
        key = _key(msg.filename)
        try:
            names = os.listdir(os.path.join(self.path, "cur"))
        except OSError:
            return False
        for name in names:
            if _key(name) == key:
                msg.filename = name
                return True
        return False

    def _apply(self, msg: Message, newname: str | None) -> bool:
        for _attempt in range(2):
            try:
                if newname is None:
                    os.unlink(self._file(msg))
                else:
                    os.rename(self._file(msg), os.path.join(self.path, "cur", newname))
                    msg.filename = newname
                return True
            except FileNotFoundError:
                if not self._refind(msg):
                    return False
                if newname is not None:
                    newname = _with_seen(msg.filename)
                    if newname == msg.filename:
                        return True
        return False


def _lock(path: str) -> int:
    fd = os.open(os.path.join(path, LOCKNAME), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise MaildropLocked("Mailbox is locked by another POP3 session.") from exc
        raise MaildropError(f"Cannot lock the mailbox: {exc.strerror}") from exc
    # Who holds it, for an administrator looking at the file.
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _new_to_cur(path: str) -> None:
    new = os.path.join(path, "new")
    try:
        names = os.listdir(new)
    except FileNotFoundError:
        return
    for name in names:
        if not is_message_name(name):
            continue
        target = name if ":" in name else name + ":2,"
        with contextlib.suppress(FileNotFoundError):  # another session moved it first
            os.rename(os.path.join(new, name), os.path.join(path, "cur", target))


def _with_seen(name: str) -> str:
    """The name with the S flag; unchanged for a foreign (not ``2,``) info suffix, as Courier."""
    base, info = split_name(name)
    if info and not info.startswith("2,"):
        return name
    return f"{base}:{make_info(info_flags(info) | {SEEN}, info)}"


def _enomem_uidl(cur: str, name: str) -> str:
    try:
        st = os.stat(os.path.join(cur, name))
    except OSError:
        return "ENOMEM"
    return f"ENOMEM-{int(st.st_mtime):X}-{st.st_dev:X}-{st.st_ino:X}"


def _render(fd: int, body_lines: int | None) -> Iterator[bytes]:
    try:
        if body_lines is None:
            yield from _render_all(fd)
        else:
            yield _render_top(fd, body_lines)
    finally:
        os.close(fd)


def _convert(piece: bytes, line_start: bool) -> bytes:
    """CRLF line ends and dot-stuffing for a run of bytes that ends at a line end (or mid-line)."""
    piece = piece.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if line_start and piece.startswith(b"."):
        piece = b"." + piece
    return piece.replace(b"\n.", b"\n..")


def _render_all(fd: int) -> Iterator[bytes]:
    carry = b""
    line_start = True
    while data := os.read(fd, CHUNK):
        data = carry + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) < 4 * CHUNK:
                carry = data
                continue
            # One enormous line: send part of it, keeping a trailing CR with its LF.
            cut = len(data)
            while cut > 1 and data[cut - 1] == 0x0D:
                cut -= 1
        piece, carry = data[:cut], data[cut:]
        yield _convert(piece, line_start)
        line_start = piece.endswith(b"\n")
    if carry:
        yield _convert(carry, line_start) + b"\r\n.\r\n"
    else:
        yield b".\r\n"


def _render_top(fd: int, body_lines: int) -> bytes:
    out: list[bytes] = []
    with os.fdopen(os.dup(fd), "rb") as f:
        in_header = True
        remaining = body_lines
        for line in f:
            if not in_header:
                if remaining <= 0:
                    break
                remaining -= 1
            elif line in (b"\n", b"\r\n"):
                in_header = False
            out.append(line)
    text = b"".join(out)
    if text and not text.endswith(b"\n"):
        text += b"\n"
    return _convert(text, True) + b".\r\n"
