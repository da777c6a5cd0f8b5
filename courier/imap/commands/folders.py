"""Folder commands: CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE LIST LSUB STATUS."""

from __future__ import annotations

import contextlib

from courier.imap import rights
from courier.imap.args import Args, Bad, InvalidMailboxName, No, fold_inbox
from courier.imap.parser import Atom as InAtom
from courier.imap.response import Atom, Mailbox
from courier.imap.table import AUTH, Result, command
from courier.maildir import acl
from courier.storage import FolderExists, FolderInfo, InvalidName, NoSuchFolder, StorageError

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    import re

    from courier.imap.session import Session

NO_SUCH = "Mailbox does not exist, or must be subscribed to."


def check_name(name: str) -> None:
    """Personal folders only: INBOX.<something>, no empty levels, no '/'."""
    if not name.startswith("INBOX.") or "/" in name or any(not part for part in name.split(".")):
        raise InvalidMailboxName()
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):
        raise InvalidMailboxName()


@command("CREATE", AUTH)
def create(s: Session, tag: str, a: Args, uid: bool) -> Result:
    raw = a.peek()
    name = a.mailbox()
    a.end()
    shown = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if name == "INBOX":
        raise No("INBOX already exists!")
    store = s.require_store()
    if name.endswith(".") and name != "INBOX.":
        # a trailing separator announces a hierarchy level: nothing to create on disk
        check_name(name.rstrip("."))
        _may_create_in(s, name.rstrip("."), shown.rstrip("."), "CREATE")
        return Result(f'"{_quote_text(shown)}" created.')
    check_name(name)
    _may_create_in(s, name, shown, "CREATE")
    # a hierarchy level that becomes a folder takes its ACL along (as Courier)
    level = _level_acl(s, name) if _has_children(s, name) else None
    try:
        store.create(name)
    except FolderExists:
        raise No("Cannot create this folder.") from None
    except InvalidName:
        raise InvalidMailboxName() from None
    if level is not None:
        with contextlib.suppress(acl.AclError, OSError):
            acl.write_acl(level[1], level[2], level[0])
    rights.myrights(s, name)  # saves the parent's ACL for the folder if it has none
    return Result(f'"{_quote_text(shown)}" created.')


def _level_acl(s: Session, name: str) -> tuple[acl.Entries, str, str] | None:
    """A hierarchy level's ACL and where it lives, removed from disk (to be written back)."""
    try:
        entries, src = rights.entries(s, name)
    except (acl.AclError, StorageError):
        return None
    if src.maildir is None:
        return None
    acl.delete_acl(src.maildir, src.folder)
    return entries, src.maildir, src.folder


def _may_create_in(s: Session, name: str, shown: str, cmd: str) -> None:
    """Creating ``name`` needs the "c" right on the level above it."""
    up = rights.parent(name)
    if up is not None:
        rights.require(s, up, "c", cmd, shown.rpartition(".")[0])


def _quote_text(text: str) -> str:
    return text.replace("\r", "").replace("\n", "")


@command("DELETE", AUTH)
def delete(s: Session, tag: str, a: Args, uid: bool) -> Result:
    shown = rights.wire(a.peek())
    name = a.mailbox()
    a.end()
    if name == "INBOX":
        raise No("Cannot delete this folder.")
    store = s.require_store()
    if not store.exists(name):
        raise No(NO_SUCH)
    rights.require(s, name, "x", "DELETE", shown)
    if s.view is not None and s.view.mailbox.name == name:
        s.deselect()
    try:
        saved, src = rights.entries(s, name)
    except (acl.AclError, StorageError):
        saved, src = None, None
    try:
        store.delete(name)
    except NoSuchFolder:
        raise No(NO_SUCH) from None
    except InvalidName:
        raise No(NO_SUCH) from None
    # a level that still has subfolders keeps its ACL, in courierimaphieracl/
    if saved is not None and src is not None and src.maildir is not None and _has_children(s, name):
        with contextlib.suppress(acl.AclError, OSError):
            acl.write_acl(src.maildir, src.folder, saved)
    return Result("Folder deleted.")


def _has_children(s: Session, name: str) -> bool:
    return any(f.name.startswith(name + ".") for f in s.require_store().list_folders())


@command("RENAME", AUTH)
def rename(s: Session, tag: str, a: Args, uid: bool) -> Result:
    shown_old = rights.wire(a.peek())
    old = a.mailbox()
    shown_new = rights.wire(a.peek())
    new = a.mailbox()
    a.end()
    if old == "INBOX":
        raise No("INBOX rename not implemented.")
    check_name(new)
    if not old.startswith("INBOX."):
        raise No(NO_SUCH)
    rights.require(s, old, "x", "RENAME", shown_old)
    _may_create_in(s, new, shown_new, "RENAME")
    store = s.require_store()
    try:
        store.rename(old, new)
    except NoSuchFolder:
        raise No(NO_SUCH) from None
    except FolderExists:
        raise No("Cannot create this folder.") from None
    except InvalidName:
        raise InvalidMailboxName() from None
    return Result("Folder renamed.")


@command("SUBSCRIBE", AUTH)
def subscribe(s: Session, tag: str, a: Args, uid: bool) -> Result:
    name = a.mailbox()
    a.end()
    if name != "INBOX" and not is_shared(name):
        check_name(name)
    try:
        s.require_store().subscribe(name)
    except (NoSuchFolder, InvalidName):
        raise No("Cannot subscribe to this folder.") from None
    return Result("Folder subscribed.")


def is_shared(name: str) -> bool:
    """A name in one of the shared namespaces (#shared. or shared.)."""
    return name.startswith(("#shared.", "shared."))


@command("UNSUBSCRIBE", AUTH)
def unsubscribe(s: Session, tag: str, a: Args, uid: bool) -> Result:
    name = a.mailbox()
    a.end()
    s.require_store().unsubscribe(name)
    return Result("Folder unsubscribed.")


def pattern_regex(reference: str, pattern: str) -> re.Pattern[str]:
    import re  # LIST and LSUB only (SELECT imports this module too)

    full = fold_inbox(reference + pattern)
    if full[:5].upper() == "INBOX" and (len(full) == 5 or full[5] in ".%*"):
        full = "INBOX" + full[5:]
    out = []
    for ch in full:
        if ch == "*":
            out.append(".*")
        elif ch == "%":
            out.append("[^.]*")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.S)


def _attributes(s: Session, info: FolderInfo) -> list[Atom]:
    attrs: list[Atom] = []
    if not info.selectable:
        attrs.append(Atom("\\Noselect"))
    if info.marked is not None and info.selectable:
        attrs.append(Atom("\\Marked" if info.marked else "\\Unmarked"))
    if info.has_children:
        attrs.append(Atom("\\HasChildren"))
    elif s.settings.obsolete_client:
        attrs.append(Atom("\\NoInferiors"))
    else:
        attrs.append(Atom("\\HasNoChildren"))
    return attrs


def _all_folders(s: Session, virtual: bool = False) -> dict[str, FolderInfo]:
    found: dict[str, FolderInfo] = {}
    for info in s.require_store().list_folders(virtual):
        if info.selectable and not rights.may(s, info.name, "l"):
            continue  # folders without the "l" right are invisible
        found[info.name] = info
    # every level above a folder exists for LIST, as a \Noselect placeholder at least
    for name in list(found):
        parts = name.split(".")
        for k in range(1, len(parts)):
            parent = ".".join(parts[:k])
            if parent not in found:
                found[parent] = FolderInfo(parent, selectable=False, has_children=True)
            elif not found[parent].has_children:
                p = found[parent]
                found[parent] = FolderInfo(p.name, p.selectable, True, p.marked)
    return found


def _list_args(a: Args) -> tuple[str, str, frozenset[str]]:
    options: frozenset[str] = frozenset()
    if isinstance(a.peek(), list):
        # Courier's ACL, MYRIGHTS and POSTADDRESS; anything else (LIST-EXTENDED) is ignored
        options = frozenset(str(o).upper() for o in a.list() if isinstance(o, InAtom | str))
    reference = a.pattern()
    pattern = a.pattern()
    a.end()
    return reference, pattern, options


def _extras(s: Session, name: str, options: frozenset[str]) -> list[object]:
    if not options & {"ACL", "MYRIGHTS", "POSTADDRESS"}:
        return []
    from courier.imap.commands.acl import list_extras

    return list_extras(s, name, options)


@command("LIST", AUTH)
def list_(s: Session, tag: str, a: Args, uid: bool) -> Result:
    reference, pattern, options = _list_args(a)
    if pattern == "":
        s.w.untagged(Atom("LIST"), [Atom("\\Noselect")], ".", "")
        return Result("LIST completed")
    rx = pattern_regex(reference, pattern)
    # as Courier: the #shared namespace is listed only when the pattern names it
    virtual = fold_inbox(reference + pattern).startswith("#shared.")
    for name, info in _all_folders(s, virtual).items():
        if rx.fullmatch(name):
            s.w.untagged(Atom("LIST"), _attributes(s, info), ".", Mailbox(name), *_extras(s, name, options))
    return Result("LIST completed")


@command("LSUB", AUTH)
def lsub(s: Session, tag: str, a: Args, uid: bool) -> Result:
    reference, pattern, options = _list_args(a)
    rx = pattern_regex(reference, pattern)
    folders = _all_folders(s)
    subscribed = list(dict.fromkeys(fold_inbox(n) for n in s.require_store().subscriptions()))
    # as Courier: #shared names only for a pattern that starts with "#", the others only without
    virtual = fold_inbox(reference + pattern).startswith("#")
    subscribed = [n for n in subscribed if n.startswith("#") == virtual]
    shown: set[str] = set()
    for name in subscribed:
        if rx.fullmatch(name) and rights.may(s, name, "l"):
            info = folders.get(name)
            # as Courier: children means subscribed children
            children = any(other.startswith(name + ".") for other in subscribed)
            attrs = [] if info is None or info.selectable else [Atom("\\Noselect")]
            attrs.append(Atom("\\HasChildren" if children else "\\HasNoChildren"))
            s.w.untagged(Atom("LSUB"), attrs, ".", Mailbox(name), *_extras(s, name, options))
            shown.add(name)
    for name in subscribed:
        parts = name.split(".")
        for k in range(1, len(parts)):
            parent = ".".join(parts[:k])
            if parent not in shown and parent not in subscribed and rx.fullmatch(parent):
                attrs = [Atom("\\Noselect"), Atom("\\HasChildren")]
                s.w.untagged(Atom("LSUB"), attrs, ".", Mailbox(parent), *_extras(s, parent, options))
                shown.add(parent)
    return Result("LSUB completed")


STATUS_ITEMS = ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN")


@command("STATUS", AUTH)
def status(s: Session, tag: str, a: Args, uid: bool) -> Result:
    shown = rights.wire(a.peek())
    name = a.mailbox()
    items = a.list()
    a.end()
    if not items or not all(isinstance(i, InAtom) for i in items):
        raise Bad("STATUS needs a list of items")
    store = s.require_store()
    if not store.exists(name):
        raise No(NO_SUCH)
    rights.require(s, name, "r", "STATUS", shown)
    try:
        st = store.status(name)
    except (NoSuchFolder, InvalidName):
        raise No(NO_SUCH) from None
    values = {
        "MESSAGES": st.messages,
        "RECENT": st.recent,
        "UIDNEXT": st.uidnext,
        "UIDVALIDITY": st.uidvalidity,
        "UNSEEN": st.unseen,
    }
    out: list[object] = []
    for item in items:
        key = str(item).upper()
        if key in values:  # unknown items are left out, as Courier does
            out += [Atom(key), values[key]]
    s.w.untagged(Atom("STATUS"), Mailbox(name), out)
    return Result("STATUS Completed.")
