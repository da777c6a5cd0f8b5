"""FETCH: items in the order asked, bodies streamed from the file, \\Seen set by non-PEEK bodies."""

from __future__ import annotations

import mmap
import os
import time

from courier.imap.args import Args, Bad
from courier.imap.fetchitems import Item, parse_items
from courier.imap.response import Atom, Literal, Spaced, Wire
from courier.imap.table import SELECTED, Result, command
from courier.storage import StorageError

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from collections.abc import Callable

    from courier.imap.session import Session
    from courier.mime.message import Message
    from courier.mime.summary import Summary
    from courier.storage import Mailbox

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SMALL = 1 << 20
_NO_FILE = ("FLAGS", "UID", "INTERNALDATE")
#: FETCH items answered from the folder's summary file, and how
_SUMMARY_ITEMS: dict[str, Callable[[Summary], object]] = {
    "RFC822.SIZE": lambda s: s.size,
    "ENVELOPE": lambda s: Spaced(s.envelope),
    "BODYSTRUCTURE": lambda s: s.bodystructure,
    "BODY": lambda s: s.body(),
}


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
    summarised = {} if utf8 else _SUMMARY_ITEMS
    needs_file = any(i.name not in _NO_FILE and i.name not in summarised for i in items)
    needs_summary = any(i.name in summarised for i in items)
    sets_seen = not view.readonly and any(i.sets_seen for i in items)
    for seq, msg_uid in view.resolve(ranges, uid):
        info = view.info[msg_uid]
        msg: Message | None = None
        cached: dict[str, object] = {}
        try:
            if needs_summary:
                for item in items:
                    if item.name in summarised:
                        cached[item.name] = Wire(
                            view.summaries.wire(info, item.name, _SUMMARY_ITEMS[item.name])
                        )
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
                if item.name in cached:
                    value = cached[item.name]
                else:
                    value = _value(item, info.uid, view.flags_of(msg_uid), info.internaldate, msg, utf8)
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


def _value(item: Item, uid: int, flags: list[Atom], date: float, msg: Message | None, utf8: bool) -> object:
    name = item.name
    if name == "FLAGS":
        return flags
    if name == "UID":
        return uid
    if name == "INTERNALDATE":
        return internaldate(date)
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
