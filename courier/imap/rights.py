"""The one place that decides what a session may do to a folder: Courier's ACLs.

Every command asks here (Courier checks the same rights at the same points): SELECT/EXAMINE and
STATUS need "r"; APPEND and COPY need "i" on the target and keep only the flags the rights allow
("s" for \\Seen, "t" for \\Deleted, "w" for the rest and keywords); CREATE needs "c" on the parent;
DELETE needs "x", RENAME "x" on the folder and "c" on the new parent; EXPUNGE needs "e"; LIST and
LSUB show only folders with "l"; the ACL commands need "a".  Refusals read as Courier's:
``NO Access denied for <command> on <folder> (ACL "<right>" required)``.
"""

from __future__ import annotations

from courier.imap.args import No
from courier.imap.response import Code
from courier.maildir import acl
from courier.storage import AclSource, StorageError

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.session import Session

#: rights any one of which lets a user see a folder's rights (MYRIGHTS, LISTRIGHTS)
SEE_RIGHTS = "lricxea"
#: rights any one of which makes a SELECT read-write
WRITE_RIGHTS = "iestw"


def denied(cmd: str, shown: str, need: str) -> No:
    return No(f'Access denied for {cmd} on {shown} (ACL "{need}" required)')


def identity(s: Session) -> acl.Identity:
    who = s.identity
    if who is None or who.user != s.user:
        who = s.identity = acl.Identity.from_options(s.user, s.options)
    return who


def disabled(s: Session) -> bool:
    """The account's ``disableshared`` option: Courier then ignores ACL files altogether."""
    from courier.auth.info import parse_options

    return parse_options(s.options).get("disableshared", "") not in ("", "0")


def source(s: Session, name: str) -> AclSource:
    """Where the ACL of the folder called ``name`` (IMAP form) lives (the store knows: another
    account's maildir for #shared., a fixed list for special folders)."""
    src = s.require_store().acl_source(name)
    if not src.owner:  # a store that does not know its login (a bare maildir): this session's
        return AclSource(src.maildir, src.folder, s.user, src.fixed)
    return src


def entries(s: Session, name: str) -> tuple[acl.Entries, AclSource]:
    """The folder's effective ACL (raises acl.AclError or StorageError)."""
    src = source(s, name)
    if src.maildir is None:
        return [(i, r) for i, r in src.fixed], src
    return acl.read_acl(src.maildir, src.folder, disabled=disabled(s)), src


def myrights(s: Session, name: str) -> str:
    """The session's rights on ``name`` as sorted letters ("" when they cannot be read)."""
    try:
        lst, src = entries(s, name)
    except (acl.AclError, StorageError):
        return ""
    mine = acl.myrights(lst, identity(s), src.owner, disabled=disabled(s))
    view = s.view
    if view is not None and view.mailbox.name == name and mine != s.myrights:
        # the selected folder's ACL changed: Courier tells the client at once
        s.myrights = mine
        s.w.status("*", "OK", "ACL", myrights_code(mine))
    return mine


def myrights_code(rights: str) -> Code:
    """SELECT's ``[MYRIGHTS "..."]`` (RFC 2086's "d" only when "e", "t" and "x" are all held)."""
    return Code("MYRIGHTS", (acl.display(rights),))


def require(s: Session, name: str, need: str, cmd: str, shown: str | None = None) -> str:
    """The session's rights on ``name``; raises NO (Courier's wording) unless they include
    the right ``need``."""
    mine = myrights(s, name)
    if need not in mine:
        raise denied(cmd, name if shown is None else shown, need)
    return mine


def may(s: Session, name: str, right: str) -> bool:
    return right in myrights(s, name)


def selected(s: Session, right: str) -> bool:
    """Whether the rights read at SELECT (kept up to date by later checks) include ``right``."""
    return right in s.myrights


def allowed_flags(rights: str, flags: frozenset[str]) -> frozenset[str]:
    """The flags of ``flags`` that ``rights`` let a user set or clear."""
    out = set()
    for f in flags:
        need = {"\\Seen": "s", "\\Deleted": "t"}.get(f, "w")
        if need in rights:
            out.add(f)
    return frozenset(out)


def parent(name: str) -> str | None:
    """The level above ``name`` (None for a top level name)."""
    return name.rpartition(".")[0] or None


def wire(tok: object) -> str:
    """A mailbox argument as the client sent it (for refusals, which quote it as sent)."""
    if isinstance(tok, bytes):
        return tok.decode("utf-8", "replace")
    return str(tok)
