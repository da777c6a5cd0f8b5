"""APPEND: the message literal is spooled to the maildir's tmp/ as it arrives, never held in memory."""

from __future__ import annotations

import os
from collections.abc import Iterable

from courier.imap import outbox, rights
from courier.imap.args import Args, Bad, No, date_time, mailbox_name
from courier.imap.commands.selected import parse_flags
from courier.imap.parser import Atom as InAtom
from courier.imap.parser import NeedLiteral
from courier.imap.response import Code
from courier.imap.table import AUTH, Result, command
from courier.maildir.tmpfile import Spool

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.session import Session


class SpoolFile(Spool):
    """Literal sink: the message goes to tmp/ as it arrives; ``finish`` returns the spool itself,
    which the store then links into the folder without copying it."""

    def finish(self) -> object:
        self.close()
        return self

    def abort(self) -> None:
        self.discard()


def _target(s: Session, name: str, shown: str) -> str:
    """The rights on the target (NO unless it exists and they include "i")."""
    if not s.require_store().exists(name):
        raise No("Must create mailbox before append", "TRYCREATE")
    return rights.require(s, name, "i", "APPEND", shown)


def literal_sink(s: Session, ev: NeedLiteral) -> SpoolFile:
    """Checks made before the client is invited to send the message (as Courier does)."""
    args = ev.args
    if not args:
        raise Bad("APPEND needs a mailbox")
    name = mailbox_name(args[0], s.w.utf8)
    rest = args[1:]
    if rest and isinstance(rest[0], list):
        parse_flags(rest[0])
        rest = rest[1:]
    if rest and not isinstance(rest[0], bytes):
        raise Bad("APPEND date-time must be quoted")
    if len(rest) > 1:
        raise Bad("too many APPEND arguments")
    _target(s, name, rights.wire(args[0]))
    if ev.size > s.settings.max_message:
        raise No("Message too large.", "TOOBIG")
    assert s.maildir is not None
    return SpoolFile(os.path.join(s.maildir, "tmp"), s.settings.maildir.hostname)


@command("APPEND", AUTH)
def append(s: Session, tag: str, a: Args, uid: bool) -> Result:
    shown = rights.wire(a.peek())
    name = a.mailbox()
    flags: frozenset[str] = frozenset()
    if isinstance(a.peek(), list):
        flags = parse_flags(a.list())
    when: float | None = None
    if isinstance(a.peek(), bytes):
        raw = a.next()
        assert isinstance(raw, bytes)
        when = date_time(raw.decode("latin-1"))  # Courier stores an unparsable date as "now"
    msg = a.next()
    a.end()
    if isinstance(msg, InAtom):
        raise Bad("APPEND needs a literal")
    spool: SpoolFile | None = msg if isinstance(msg, SpoolFile) else None
    try:
        if spool is None:
            # a small message sent as a quoted string; still the same path
            if not isinstance(msg, bytes):
                raise Bad("APPEND needs a literal")
            _target(s, name, shown)
            data = msg
            chunks: Iterable[bytes] = [data]
        else:
            chunks = spool
        store = s.require_store()
        # only the flags the rights allow ("s" \Seen, "t" \Deleted, "w" the rest), as Courier
        flags = rights.allowed_flags(rights.myrights(s, name), flags)
        submit = outbox.submitter(s.settings, s.user) if outbox.is_outbox(s.settings, name) else None
        view = s.view
        if view is not None and view.mailbox.name == name and not view.readonly:
            new_uid = view.mailbox.append(chunks, flags, when, submit)
            validity = view.mailbox.uidvalidity
            view.appended_here()
        else:
            validity, new_uid = store.append(name, chunks, flags, when, submit)
    finally:
        if spool is not None:
            spool.discard()
    code = Code("APPENDUID", (validity, new_uid)) if s.has_cap("UIDPLUS") else None
    return Result("APPEND Ok.", code)
