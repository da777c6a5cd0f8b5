"""The ACL commands: RFC 4314's GETACL SETACL DELETEACL LISTRIGHTS MYRIGHTS, and Courier's
own ``ACL STORE|DELETE|SET``, answered as Courier answers them.

RFC 4314 identifiers are given without Courier's ``user=`` prefix (``bob`` means ``user=bob``;
``group=`` entries cannot be named and are not shown); ``ACL STORE`` takes Courier's own
identifiers.  Rights are shown with RFC 2086's "d" standing for "e" "t" "x".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from courier.imap import rights
from courier.imap.args import Args, Bad, No
from courier.imap.commands.folders import NO_SUCH
from courier.imap.parser import Atom as InAtom
from courier.imap.response import Atom
from courier.imap.table import AUTH, Result, command
from courier.maildir import acl
from courier.storage import InvalidName, StorageError

if TYPE_CHECKING:
    from courier.imap.session import Session

#: identifiers that RFC 4314 clients may name as they are
SPECIAL = frozenset({"anyone", "anonymous", "authuser", "owner", "administrators"})


def _existing(s: Session, a: Args) -> tuple[str, str]:
    """(folder name, the name as the client sent it); NO unless the folder exists."""
    shown = rights.wire(a.peek())
    name = a.mailbox()
    try:
        exists = s.require_store().exists(name)
    except (InvalidName, StorageError):
        exists = False
    if not exists:
        raise No(NO_SUCH)
    return name, shown


def _courier_identifier(ident: str) -> str:
    """An RFC 4314 identifier in Courier's form: ``bob`` -> ``user=bob``, ``-bob`` -> ``-user=bob``."""
    neg = "-" if ident.startswith("-") else ""
    bare = ident[len(neg) :]
    if bare in SPECIAL:
        return ident
    if "=" in bare:
        raise No("Invalid ACL identifier.")
    return neg + "user=" + bare


@contextmanager
def _locked(s: Session, maildir: str) -> Iterator[None]:
    """ACL changes hold the maildir's lock (Courier's, shared with its UID assignment)."""
    from courier.maildir.lock import FolderLock

    st = s.settings.maildir
    with FolderLock(maildir, dotlock=st.uselocks, timeout=st.lock_timeout):
        yield


@command("GETACL", AUTH)
def getacl(s: Session, tag: str, a: Args, uid: bool) -> Result:
    name, shown = _existing(s, a)
    a.end()
    rights.require(s, name, "a", "GETACL", shown)
    try:
        entries, _ = rights.entries(s, name)
    except (acl.AclError, StorageError):
        raise No("Cannot retrieve ACLs for mailbox.") from None
    out: list[object] = [Atom("ACL"), shown]
    for ident, have in entries:
        neg = "-" if ident.startswith("-") else ""
        bare = ident[len(neg) :]
        if "=" in bare:
            if not bare.startswith("user="):
                continue  # group= entries are not shown
            bare = bare[5:]
        out += [neg + bare, acl.display_rfc2086(have)]
    s.w.untagged(*out)
    return Result("GETACL completed.")


def _set(s: Session, a: Args, cmd: str) -> Result:
    name, shown = _existing(s, a)
    src = rights.source(s, name)
    if src.maildir is None:
        raise No("Cannot set ACLs for this mailbox")
    ident = a.astring()
    ident = _courier_identifier(ident)
    change = a.astring() if cmd == "SETACL" else ""
    a.end()
    rights.require(s, name, "a", cmd, shown)
    try:
        with _locked(s, src.maildir):
            try:
                entries = acl.read_acl(src.maildir, src.folder, disabled=rights.disabled(s))
            except acl.AclError:
                raise No("Cannot read existing ACLs.") from None
            acl.write_acl(src.maildir, src.folder, acl.modified(entries, ident, change), src.owner)
    except (acl.AclError, OSError, StorageError) as exc:
        requested = isinstance(exc, acl.AclError) and exc.failed is not None and change[:1] in ("+", "-")
        raise No(
            "Cannot modify ACLs as requested." if requested else "Cannot modify ACLs on this mailbox."
        ) from None
    rights.myrights(s, name)  # tells the client at once if the selected folder's rights changed
    return Result("ACLs updated.")


@command("SETACL", AUTH)
def setacl(s: Session, tag: str, a: Args, uid: bool) -> Result:
    return _set(s, a, "SETACL")


@command("DELETEACL", AUTH)
def deleteacl(s: Session, tag: str, a: Args, uid: bool) -> Result:
    return _set(s, a, "DELETEACL")


def _may_see(s: Session, name: str, shown: str) -> None:
    mine = rights.myrights(s, name)
    if not any(c in mine for c in rights.SEE_RIGHTS):
        raise rights.denied("GETACL", shown, "a")


@command("LISTRIGHTS", AUTH)
def listrights(s: Session, tag: str, a: Args, uid: bool) -> Result:
    name, shown = _existing(s, a)
    _may_see(s, name, shown)
    try:
        _, src = rights.entries(s, name)
    except (acl.AclError, StorageError):
        raise No("Cannot retrieve ACLs for mailbox.") from None
    ident = a.astring()
    a.end()
    every = ["c", "d", "i", "p", "r", "s", "w"]
    if ident.startswith("-") and (ident[1:] in acl.ANYONE or ident[1:] == src.owner):
        required, optional = "", every
    elif ident == src.owner:
        required, optional = "al", every
    else:
        required, optional = "", ["a", "c", "d", "i", "l", "p", "r", "s", "w"]
    s.w.untagged(Atom("LISTRIGHTS"), shown, ident, required, *(Atom(r) for r in optional))
    return Result("LISTRIGHTS completed.")


@command("MYRIGHTS", AUTH)
def myrights(s: Session, tag: str, a: Args, uid: bool) -> Result:
    name, shown = _existing(s, a)
    a.end()
    _may_see(s, name, shown)
    mine = rights.myrights(s, name)
    s.w.untagged(Atom("MYRIGHTS"), shown, acl.display_rfc2086(mine))
    return Result("MYRIGHTS completed.")


# ----- Courier's ACL command ---------------------------------------------------------------------


def _targets(s: Session, tok: object) -> list[str]:
    """The folders an ACL command names: one folder, or a list of LIST patterns; only folders
    the user can see ("l"), in name order."""
    from courier.imap.args import mailbox_name
    from courier.imap.commands.folders import _all_folders, pattern_regex

    folders = _all_folders(s)
    found: set[str] = set()
    if isinstance(tok, list):
        for pat in tok:
            if isinstance(pat, list):
                raise Bad("nested list")
            rx = pattern_regex("", mailbox_name(pat, s.w.utf8))
            found.update(n for n in folders if rx.fullmatch(n))
    else:
        one = mailbox_name(tok, s.w.utf8)
        if one in folders:
            found.add(one)
    return sorted(n for n in found if rights.may(s, n, "l"))


def _failed(s: Session, name: str, text: str) -> None:
    s.w.raw(b"* ACLFAILED " + _quoted(s, name) + b" " + text.encode("utf-8", "replace") + b"\r\n")


def _quoted(s: Session, name: str) -> bytes:
    from courier.imap.response import Mailbox, wire

    return wire(Mailbox(name), s.w.utf8)


def _rights_info(s: Session, name: str, ident: str) -> None:
    if ident in acl.ADMINS:
        minimum = acl.ALL
    elif ident in ("-administrators", "-group=administrators"):
        minimum = '""'
    else:
        minimum = ('""' if ident.startswith("-") else "al") + " c e i p r s t w x"
    s.w.raw(
        b"* RIGHTS-INFO " + _quoted(s, name) + b' "' + ident.encode("utf-8", "replace") + b'" '
        + minimum.encode("ascii") + b"\r\n"
    )  # fmt: skip


def _write_each(
    s: Session,
    names: list[str],
    done: list[str],
    command: str,
    entries: Callable[[str, str], acl.Entries],
    *,
    rights_info: bool = True,
    done_early: bool = False,
) -> None:
    """Write ``entries(maildir, folder)`` as the ACL of each folder the session may administer;
    ACLFAILED (or RIGHTS-INFO) for the others.  ``done_early``: Courier's ACL STORE lists a
    folder even when its write fails."""
    for name in names:
        src = rights.source(s, name)
        maildir = src.maildir
        if maildir is None:
            _failed(s, name, "ACLs may not be modified for special mailbox")
            continue
        if not rights.may(s, name, "a"):
            _failed(s, name, "NO " + str(rights.denied(command, name, "a")))
            continue
        if done_early:
            done.append(name)
        try:
            with _locked(s, maildir):
                acl.write_acl(maildir, src.folder, entries(maildir, src.folder), src.owner)
        except acl.AclError as exc:
            if exc.failed is not None and rights_info:
                _rights_info(s, name, exc.failed)
            else:
                _failed(s, name, "Invalid argument")
            continue
        except OSError as exc:
            _failed(s, name, exc.strerror or "Input/output error")
            continue
        if not done_early:
            done.append(name)


def _acl_store(s: Session, a: Args, names: list[str], done: list[str]) -> None:
    ident = a.astring()
    change = a.astring()
    a.end()

    def updated(maildir: str, folder: str) -> acl.Entries:
        entries = acl.read_acl(maildir, folder, disabled=rights.disabled(s))
        return acl.modified(entries, ident, change)

    _write_each(s, names, done, "ACL STORE", updated, rights_info=change[:1] in ("+", "-"), done_early=True)


def _acl_delete(s: Session, a: Args, names: list[str], done: list[str]) -> None:
    ident = a.astring()
    a.end()

    def updated(maildir: str, folder: str) -> acl.Entries:
        entries = acl.read_acl(maildir, folder, disabled=rights.disabled(s))
        acl.remove(entries, ident)
        return entries

    _write_each(s, names, done, "ACL DELETE", updated)


def _acl_set(s: Session, a: Args, names: list[str], done: list[str]) -> None:
    new: acl.Entries = []
    while a.more():
        ident = a.astring()
        have = a.astring()
        try:
            acl.put(new, ident, acl.expand_d(have))
        except acl.AclError:
            raise No(f"ACL SET <{ident}, {have}> failed.") from None
    _write_each(s, names, done, "ACL SET", lambda maildir, folder: new)


@command("ACL", AUTH)
def acl_(s: Session, tag: str, a: Args, uid: bool) -> Result | None:
    from courier.imap.commands.folders import _all_folders, _attributes
    from courier.imap.response import Mailbox

    sub = a.next()
    actions = {"STORE": _acl_store, "DELETE": _acl_delete, "SET": _acl_set}
    if not isinstance(sub, InAtom) or sub.upper() not in actions:
        s.w.status(tag, "ACL", "FAILED: Invalid argument")
        return None
    what = sub.upper()
    names = _targets(s, a.next())
    done: list[str] = []
    try:
        actions[what](s, a, names, done)
    except Bad:
        s.w.status(tag, "ACL", "FAILED: Invalid argument")
        return None
    folders = _all_folders(s)
    for name in done:
        info = folders.get(name)
        if info is None:
            continue
        extras = list_extras(s, name, frozenset({"ACL"}))
        s.w.untagged(Atom("LIST"), _attributes(s, info), ".", Mailbox(name), *extras)
    return Result(f"ACL {what} completed.")


def list_extras(s: Session, name: str, options: frozenset[str]) -> list[object]:
    """What LIST (ACL MYRIGHTS POSTADDRESS) adds after a folder: ACL only with "a", MYRIGHTS
    only with a right that lets the user see rights (Courier's ACL2 extension)."""
    mine = rights.myrights(s, name)
    parts: list[object] = []
    if "ACL" in options and "a" in mine:
        try:
            entries, _ = rights.entries(s, name)
        except (acl.AclError, StorageError):
            entries = None
        if entries is not None:
            parts.append(["ACL", [[ident, acl.display(have)] for ident, have in entries]])
    if "MYRIGHTS" in options and any(c in mine for c in rights.SEE_RIGHTS):
        parts.append(["MYRIGHTS", acl.display(mine)])
    if "POSTADDRESS" in options:
        parts.append([Atom("POSTADDRESS"), None])
    return [parts] if parts else []
