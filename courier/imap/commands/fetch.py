"""FETCH: items in the order asked, bodies streamed from the file, \\Seen set by non-PEEK bodies."""

from __future__ import annotations

import mmap
import os
import time

from courier.imap.args import Args, Bad
from courier.imap.fetchitems import Item, parse_items
from courier.imap.response import Atom, Literal, Spaced, Wire, wire
from courier.imap.table import SELECTED, Result, command
from courier.imap.view import flag_list
from courier.storage import StorageError

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.session import Session
    from courier.imap.view import View
    from courier.mime.message import Message
    from courier.storage import Mailbox, MessageInfo

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SMALL = 1 << 20
_NO_FILE = ("FLAGS", "UID", "INTERNALDATE")
#: FETCH items the folder's summary file holds in IMAP syntax (courier.imap.summaries.COLUMNS)
_SUMMARY_ITEMS = frozenset({"RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE", "BODY"})
#: items whose whole FETCH response can be built from bytes, with no file and no serialiser
_QUICK = frozenset({*_NO_FILE, *_SUMMARY_ITEMS})


def internaldate(ts: float) -> str:
    """Courier reports INTERNALDATE in UTC: ``08-Feb-1994 05:52:25 +0000``."""
    t = time.gmtime(ts)
    day = f"{t.tm_mday:02d}-{_MONTHS[t.tm_mon - 1]}-{t.tm_year:04d}"
    return f"{day} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def load_message(mailbox: Mailbox, uid: int) -> Message:
    """The message parsed by offsets: read when small, memory-mapped when big."""
    from courier.mime.message import Message

    with mailbox.open_message(uid) as f:
        size = os.fstat(f.fileno()).st_size
        if size <= _SMALL:
            return Message(f.read())
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return Message(mm, None, mm)


@command("FETCH", SELECTED, uid=True, expunge_ok=False)
def fetch(s: Session, tag: str, a: Args, uid: bool) -> Result:
    view = s.view
    assert view is not None
    ranges = a.seqset()
    items = parse_items(a.next())
    a.end()
    if uid:
        items = [Item("UID"), *(i for i in items if i.name != "UID")]
    utf8 = s.w.utf8
    # the cached summaries hold Courier's form of 8-bit headers, not UTF8=ACCEPT's
    summarised = frozenset() if utf8 else _SUMMARY_ITEMS
    if all(i.name in _NO_FILE or i.name in summarised for i in items):
        _fetch_quick(s, view, ranges, uid, items)
        return Result("FETCH completed.")
    needs_file = any(i.name not in _NO_FILE and i.name not in summarised for i in items)
    needs_summary = any(i.name in summarised for i in items)
    # without the "s" right, reading a message does not mark it \Seen (as Courier)
    sets_seen = not view.readonly and "s" in s.myrights and any(i.sets_seen for i in items)
    for seq, msg_uid in view.resolve(ranges, uid):
        info = view.info[msg_uid]
        msg: Message | None = None
        cached: dict[str, object] = {}
        try:
            if needs_summary:
                for item in items:
                    if item.name in summarised:
                        cached[item.name] = Wire(view.summaries.column(info, item.name))
            if needs_file:
                msg = load_message(view.mailbox, msg_uid)
        except (OSError, KeyError, StorageError):
            # gone on disk (expunged by another session, not announced yet)
            s.w.status("*", "NO", f"Message {seq} is no longer available.")
            continue
        try:
            out: list[object] = []
            for item in items:
                out.append(Atom(item.response_name()))
                value = cached.get(item.name) or _value(item, view, info, msg, utf8)
                out.append(_counted(s, item, value))
            s.w.untagged(seq, Atom("FETCH"), out)
        finally:
            if msg is not None:
                msg.close()
        if sets_seen and "\\Seen" not in info.flags:
            infos = view.mailbox.set_flags([msg_uid], add=frozenset({"\\Seen"}), remove=frozenset())
            view.updated(infos)
            extra: list[object] = [Atom("UID"), msg_uid] if uid else []
            s.w.untagged(seq, Atom("FETCH"), [*extra, Atom("FLAGS"), view.flags_of(msg_uid)])
    if not uid:
        for bad in view.invalid_seqs(ranges):
            s.w.status("*", "NO", f"Invalid message sequence number: {bad}")
    return Result("FETCH completed.")


def _fetch_quick(
    s: Session, view: View, ranges: list[tuple[int | None, int | None]], uid: bool, items: list[Item]
) -> None:
    """FETCH of items that need no message file: each response line is joined from bytes (the
    summary file keeps ENVELOPE etc. in IMAP syntax) and written as it is; the same bytes the
    serialiser would write."""
    w = s.w
    summaries = view.summaries
    flags_memo: dict[tuple[frozenset[str], bool], bytes] = {}
    names = [i.name for i in items]
    for seq, msg_uid in view.resolve(ranges, uid):
        info = view.info[msg_uid]
        parts = [b"* %d FETCH (" % seq]
        try:
            for name in names:
                if name == "UID":
                    parts.append(b"UID %d " % msg_uid)
                elif name == "FLAGS":
                    memo_key = (info.flags, msg_uid in view.recent)
                    flags = flags_memo.get(memo_key)
                    if flags is None:
                        flags = wire(flag_list(*memo_key))
                        flags_memo[memo_key] = flags
                    parts += (b"FLAGS ", flags, b" ")
                elif name == "INTERNALDATE":
                    parts.append(b'INTERNALDATE "%s" ' % internaldate(info.internaldate).encode("ascii"))
                else:
                    parts += (name.encode("ascii"), b" ", summaries.column(info, name), b" ")
        except (OSError, KeyError, StorageError):
            w.status("*", "NO", f"Message {seq} is no longer available.")
            continue
        parts[-1] = parts[-1][:-1] + b")\r\n"
        w.raw(b"".join(parts))
    if not uid:
        for bad in view.invalid_seqs(ranges):
            w.status("*", "NO", f"Invalid message sequence number: {bad}")


def _value(item: Item, view: View, info: MessageInfo, msg: Message | None, utf8: bool) -> object:
    name = item.name
    if name == "FLAGS":
        return view.flags_of(info.uid)
    if name == "UID":
        return info.uid
    if name == "INTERNALDATE":
        return internaldate(info.internaldate)
    assert msg is not None
    if name == "RFC822.SIZE":
        return msg.size
    if name == "ENVELOPE":
        return Spaced(msg.envelope(utf8))
    if name == "BODYSTRUCTURE":
        return msg.bodystructure(True, utf8)
    if name == "BODY":
        return msg.bodystructure(False, utf8)
    if name == "RFC822":
        sec = msg.section()
    elif name == "RFC822.HEADER":
        sec = msg.section((), "HEADER")
    elif name == "RFC822.TEXT":
        sec = msg.section((), "TEXT")
    else:
        if item.section is None:
            raise Bad(f"unknown FETCH item {name}")
        sec = msg.section(item.section.part, item.section.kind, item.section.fields)
    if item.partial is not None:
        start, count = item.partial
        length = max(0, min(count, sec.size - start))
        return Literal(length, sec.chunks(start, length))
    return Literal(sec.size, sec.chunks())


def _counted(s: Session, item: Item, value: object) -> object:
    """Count header and body bytes sent, as Courier's LOGOUT line reports them."""
    if isinstance(value, Literal):
        kind = item.section.kind if item.section is not None else item.name
        if kind in ("HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "MIME", "RFC822.HEADER"):
            s.sent_headers += value.size
        else:
            s.sent_body += value.size
    return value
