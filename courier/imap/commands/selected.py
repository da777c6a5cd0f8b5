"""SELECT EXAMINE CLOSE EXPUNGE STORE COPY."""

from __future__ import annotations

from collections.abc import Sequence

from courier.imap import outbox, rights
from courier.imap.args import Args, Bad, No, SeqSet
from courier.imap.commands.folders import NO_SUCH
from courier.imap.parser import Atom as InAtom
from courier.imap.response import Atom, Code
from courier.imap.table import AUTH, SELECTED, Result, State, command
from courier.imap.view import SYSTEM_ORDER, View
from courier.storage import InvalidName, MessageInfo, NoSuchFolder

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.session import Session


def _open(s: Session, a: Args, readonly: bool) -> Result:
    shown = rights.wire(a.peek())
    name = a.mailbox()
    a.end()
    store = s.require_store()
    s.deselect()
    if not store.exists(name):
        raise No(NO_SUCH)
    mine = rights.require(s, name, "r", "SELECT/EXAMINE", shown)
    try:
        mailbox = store.open(name, readonly=readonly)
    except (NoSuchFolder, InvalidName):
        raise No(NO_SUCH) from None
    s.myrights = mine
    view = View(mailbox)
    s.view = view
    s.state = State.SELECTED
    s.send_flags()
    s.w.untagged(view.exists, Atom("EXISTS"))
    s.w.untagged(len(view.recent), Atom("RECENT"))
    s.w.status("*", "OK", "Ok", Code("UIDVALIDITY", (mailbox.uidvalidity,)))
    s.w.status("*", "OK", "Predicted next UID", Code("UIDNEXT", (mailbox.uidnext,)))
    s.w.status("*", "OK", "ACL", rights.myrights_code(mine))
    # as Courier: without any right to change the folder (or write access to a sharable
    # folder), the SELECT is read-only
    readonly = readonly or mailbox.readonly or not any(c in mine for c in rights.WRITE_RIGHTS)
    return Result("Ok", Code("READ-ONLY" if readonly else "READ-WRITE"))


@command("SELECT", AUTH)
def select(s: Session, tag: str, a: Args, uid: bool) -> Result:
    return _open(s, a, readonly=False)


@command("EXAMINE", AUTH)
def examine(s: Session, tag: str, a: Args, uid: bool) -> Result:
    return _open(s, a, readonly=True)


@command("CLOSE", SELECTED)
def close(s: Session, tag: str, a: Args, uid: bool) -> Result:
    a.end()
    view = s.view
    assert view is not None
    if not view.readonly and rights.selected(s, "e"):
        _expunge(s, view)  # silently: CLOSE sends no EXPUNGE responses
    s.deselect()
    return Result("mailbox closed.")


@command("EXPUNGE", SELECTED, uid=True, capability=None)
def expunge(s: Session, tag: str, a: Args, uid: bool) -> Result:
    view = s.view
    assert view is not None
    if not rights.selected(s, "e"):
        raise rights.denied("EXPUNGE", "current mailbox", "e")
    uids: list[int] | None = None
    if uid:
        if not s.has_cap("UIDPLUS"):
            raise Bad("UID EXPUNGE needs UIDPLUS")
        ranges = a.seqset()
        uids = [u for _, u in view.resolve(ranges, uid=True)]
    a.end()
    if view.readonly:
        raise No("Cannot expunge read-only mailbox.")
    gone = _expunge(s, view, uids)
    for resp in view.expunged_here(gone):
        s.w.untagged(*resp)
    return Result("EXPUNGE completed")


def _expunge(s: Session, view: View, uids: list[int] | None = None) -> Sequence[int]:
    """With IMAP_MOVE_EXPUNGE_TO_TRASH the messages go to the trash, except in the trash itself
    and those this session copied somewhere (a client's move), as Courier does."""
    if not s.settings.move_expunge_to_trash:
        return view.mailbox.expunge(uids)
    trash = "INBOX." + s.settings.maildir.trash_folder
    gone = view.mailbox.expunge(uids, trash=trash, purge=view.copied)
    wanted = None if uids is None else set(uids)
    stuck = [
        m.uid
        for m in view.mailbox.messages()
        if "\\Deleted" in m.flags and (wanted is None or m.uid in wanted)
    ]
    if stuck and not view.mailbox.name.startswith("shared."):  # the trash could not take them
        from courier import log

        log.error(
            f"{len(stuck)} message(s) of {view.mailbox.name} could not be moved to {trash}, user={s.user}"
        )
        s.w.status(
            "*", "NO", f"{len(stuck)} message(s) could not be moved to {trash} and stay here.", Code("ALERT")
        )
    return gone


def parse_flags(items: list[object], allow_recent: bool = False) -> frozenset[str]:
    out: set[str] = set()
    for tok in items:
        if not isinstance(tok, InAtom):
            raise Bad("flags are atoms")
        flag = str(tok)
        if flag.startswith("\\"):
            canon = "\\" + flag[1:].capitalize()
            if canon not in SYSTEM_ORDER:
                raise Bad(f"unknown system flag {flag}")
            out.add(canon)
        else:
            if any(c in flag for c in '()]{%*"\\') or not flag.isascii() or not flag.isprintable():
                raise Bad("invalid keyword")
            out.add(flag)
    return frozenset(out)


@command("STORE", SELECTED, uid=True, expunge_ok=False)
def store(s: Session, tag: str, a: Args, uid: bool) -> Result:
    view = s.view
    assert view is not None
    ranges: SeqSet = a.seqset()
    op = a.atom().upper()
    if op not in ("FLAGS", "+FLAGS", "-FLAGS", "FLAGS.SILENT", "+FLAGS.SILENT", "-FLAGS.SILENT"):
        raise Bad("unknown STORE item")
    if a.more():
        tok = a.peek()
        if isinstance(tok, list):
            items = a.list()
        else:
            items = list(a.items[a.i :])
            a.i = len(a.items)
    else:
        items = []
    a.end()
    flags = parse_flags(items)
    if not s.settings.keywords and any(f not in SYSTEM_ORDER for f in flags):
        raise Bad("keywords are disabled")
    targets = list(view.resolve(ranges, uid))
    if view.readonly:
        raise No("Cannot modify a read-only mailbox.")
    live = [u for _, u in targets if not view.is_expunged(u)]
    before = set(view.keywords)
    # flags the rights do not cover stay as they are ("s" \Seen, "t" \Deleted, "w" the rest)
    permitted = rights.allowed_flags(s.myrights, flags)
    if op.startswith("+"):
        infos = view.mailbox.set_flags(live, add=permitted, remove=frozenset())
    elif op.startswith("-"):
        infos = view.mailbox.set_flags(live, add=frozenset(), remove=permitted)
    elif all(c in s.myrights for c in "stw"):
        infos = view.mailbox.set_flags(live, add=frozenset(), remove=frozenset(), replace=flags)
    else:
        infos = _replace_within_rights(s, view, live, flags)
    view.updated(infos)
    kw_changed = view.keywords_changed()
    if kw_changed and not set(view.keywords) <= before:
        s.send_flags()
        kw_changed = False
    if not op.endswith(".SILENT"):
        for m in infos:
            seq = view.seq_of(m.uid)
            if seq is None:
                continue
            items_out: list[object] = [Atom("UID"), m.uid] if uid else []
            items_out += [Atom("FLAGS"), view.flags_of(m.uid)]
            s.w.untagged(seq, Atom("FETCH"), items_out)
    if kw_changed:
        s.send_flags()
    if not uid:
        for bad in view.invalid_seqs(ranges):
            s.w.status("*", "NO", f"Invalid message sequence number: {bad}")
    return Result("STORE completed.")


def _replace_within_rights(
    s: Session, view: View, uids: list[int], flags: frozenset[str]
) -> list[MessageInfo]:
    """STORE FLAGS without every right: each message keeps the flags the rights do not cover."""
    groups: dict[frozenset[str], list[int]] = {}
    for u in uids:
        old = view.info[u].flags
        kept = old - rights.allowed_flags(s.myrights, old)
        groups.setdefault(rights.allowed_flags(s.myrights, flags) | kept, []).append(u)
    infos: list[MessageInfo] = []
    for new, group in groups.items():
        infos += view.mailbox.set_flags(group, add=frozenset(), remove=frozenset(), replace=new)
    infos.sort(key=lambda m: m.uid)
    return infos


def compress(nums: list[int]) -> str:
    """1,2,3,5 -> "1:3,5" (for COPYUID/APPENDUID)."""
    out: list[str] = []
    start = prev = None
    for n in nums:
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            out.append(str(start) if start == prev else f"{start}:{prev}")
            start = prev = n
    if start is not None:
        out.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(out)


def _drop_unpermitted(
    s: Session, view: View, may: str, target: str, pairs: Sequence[tuple[int, int]]
) -> None:
    """Copies keep only the flags the rights on the target allow (as Courier's COPY)."""
    drop: dict[frozenset[str], list[int]] = {}
    for old, new in pairs:
        flags = view.info[old].flags if old in view.info else frozenset()
        lost = flags - rights.allowed_flags(may, flags)
        if lost:
            drop.setdefault(lost, []).append(new)
    if not drop:
        return
    box = s.require_store().open(target)
    try:
        for lost, uids in drop.items():
            box.set_flags(uids, add=frozenset(), remove=lost)
    finally:
        box.close()


@command("COPY", SELECTED, uid=True)
def copy(s: Session, tag: str, a: Args, uid: bool) -> Result:
    view = s.view
    assert view is not None
    ranges = a.seqset()
    shown = rights.wire(a.peek())
    target = a.mailbox()
    a.end()
    store = s.require_store()
    if not store.exists(target):
        raise No("Mailbox does not exist.", "TRYCREATE")
    may = rights.require(s, target, "i", "COPY", shown)
    if not uid:
        for bad in view.invalid_seqs(ranges):
            s.w.status("*", "NO", f"Invalid message sequence number: {bad}")
    uids = [u for _, u in view.resolve(ranges, uid) if not view.is_expunged(u)]
    if not uids:
        return Result("COPY completed.")
    submit = None
    if outbox.is_outbox(s.settings, target):
        if len(uids) > 1 and not s.settings.outbox_multiple_send:
            raise No(outbox.ONE_AT_A_TIME, "ALERT")
        submit = outbox.submitter(s.settings, s.user)
    try:
        pairs = view.mailbox.copy_to(uids, target, submit)
    except NoSuchFolder:
        raise No("Mailbox does not exist.", "TRYCREATE") from None
    _drop_unpermitted(s, view, may, target, pairs)
    view.copied.update(uids)
    if target == view.mailbox.name:
        view.appended_here()
    code = None
    if pairs and s.has_cap("UIDPLUS"):
        validity = store.status(target).uidvalidity
        code = Code(
            "COPYUID",
            (validity, Atom(compress([p[0] for p in pairs])), Atom(compress([p[1] for p in pairs]))),
        )
    return Result("COPY completed.", code)
