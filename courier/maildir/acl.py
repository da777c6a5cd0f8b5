"""Folder ACLs as Courier keeps them (RFC 4314 rights, ACL2=UNION), byte-compatible on disk.

Each folder's ACL is the file ``courierimapacl`` in its directory, one ``<identifier> <rights>``
line per entry, rights as sorted RFC 4314 letters.  A hierarchy level that is not a folder (a
\\Noselect placeholder) keeps its ACL in ``<maildir>/courierimaphieracl/<Name.Sub>``.  INBOX
without a file has the default ``owner`` = all rights.  A folder without a file inherits its
parent's ACL, and (as Courier does) reading it saves that copy to disk.  ``administrators``
always hold all rights; the owner always holds ``a``.

Identifiers: ``owner``, ``anyone`` (``anonymous``), ``administrators`` (``group=administrators``),
``user=<login>``, ``group=<name>``, each possibly prefixed by ``-`` (rights taken away).
Rights are the union of what every matching identifier grants minus the union of what every
matching ``-`` identifier revokes.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable

from courier.frozen import dataclass  # dataclasses costs every session that SELECTs

ACL_FILE = "courierimapacl"
HIER_DIR = "courierimaphieracl"

#: every right Courier stores (RFC 4314 letters, sorted); "d" and "p" are never stored
ALL = "aceilrstwx"
#: the owner's rights when ACLs are disabled for the account (``disableshared``): all but "a"
DISABLED_OWNER = "ceilrstwx"
#: "anyone" and its synonym
ANYONE = frozenset({"anyone", "anonymous"})
ADMINS = ("administrators", "group=administrators")

Entries = list[tuple[str, str]]


class AclError(Exception):
    """An ACL change that Courier refuses, or an unreadable ACL file.

    ``failed`` names the identifier that would lose its minimum rights ("l" and "a"), if that
    is why; Courier then answers with a RIGHTS-INFO response for it.
    """

    def __init__(self, message: str, failed: str | None = None) -> None:
        super().__init__(message)
        self.failed = failed


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is asking: the login id, the account's groups (authlib ``group=`` options)."""

    user: str
    groups: frozenset[str] = frozenset()
    administrator: bool = False

    @classmethod
    def from_options(cls, user: str, options: str | None) -> Identity:
        """From the authlib OPTIONS string (``group=staff,group=administrators,...``)."""
        groups = set()
        for opt in (options or "").split(","):
            if opt.startswith("group="):
                groups.add(opt[6:])
        return cls(user, frozenset(groups), "administrators" in groups)

    def identifiers(self, owner: str) -> frozenset[str]:
        """The identifiers that name this user on a folder owned by the login ``owner``."""
        ids = {"user=" + self.user, *("group=" + g for g in self.groups)}
        if self.user == owner:
            ids.add("owner")
        if self.administrator:
            ids.add("group=administrators")
        return frozenset(ids)


# ----- rights strings ---------------------------------------------------------------------------


def valid_rights(rights: str) -> bool:
    return len(rights) <= 1024 and all(" " < c < "\x7f" for c in rights)


def normalize(rights: str) -> str:
    """Sorted, without duplicates (Courier's collating order)."""
    return "".join(sorted(set(rights)))


def expand_d(rights: str) -> str:
    """RFC 2086's "d" stands for RFC 4314's "x", "t" and "e"."""
    if "d" not in rights:
        return rights
    return rights.replace("d", "") + "xte"


def display(rights: str) -> str:
    """Rights as SELECT's [MYRIGHTS] and LIST (ACL) show them: "e" "t" "x" become "d" only when
    all three are held; otherwise the stored letters are shown as they are."""
    if "e" in rights and "t" in rights and "x" in rights:
        return rights.replace("e", "d", 1).replace("e", "").replace("t", "").replace("x", "")
    return rights


def display_rfc2086(rights: str) -> str:
    """Rights as GETACL and MYRIGHTS show them: "d" for "e"+"t"+"x", and never "e" "t" "x"."""
    if "e" in rights and "t" in rights and "x" in rights:
        rights = rights.replace("e", "d", 1)
    return "".join(c for c in rights if c not in "etx")


# ----- entry lists ------------------------------------------------------------------------------


#: longest identifier accepted (Courier reads ACL files in 8 KB lines: longer ones would break)
MAX_IDENTIFIER = 1024


def valid_identifier(identifier: str) -> bool:
    return 0 < len(identifier) <= MAX_IDENTIFIER and all(c > " " for c in identifier)


def put(entries: Entries, identifier: str, rights: str) -> None:
    """Set an identifier's rights: in place if present, else appended (Courier's list order)."""
    if not valid_identifier(identifier) or not valid_rights(rights):
        raise AclError(f"Invalid ACL entry: {identifier!r} {rights!r}")
    rights = normalize(rights)
    for i, (ident, _) in enumerate(entries):
        if ident == identifier:
            entries[i] = (identifier, rights)
            return
    entries.append((identifier, rights))


def remove(entries: Entries, identifier: str) -> None:
    entries[:] = [e for e in entries if e[0] != identifier]


def find(entries: Entries, identifier: str) -> str | None:
    for ident, rights in entries:
        if ident == identifier:
            return rights
    return None


def _add_default_admin(entries: Entries) -> None:
    """administrators (or group=administrators, if listed) always hold every right, and no
    entry may take rights away from them."""
    name = "group=administrators" if find(entries, "group=administrators") is not None else "administrators"
    put(entries, name, ALL + (find(entries, name) or ""))
    remove(entries, "-administrators")
    remove(entries, "-group=administrators")


def parse(data: bytes) -> Entries:
    """The entries of an ACL file; malformed lines are skipped, as Courier skips them."""
    entries: Entries = []
    text = data.decode("utf-8", "surrogateescape")
    for line in text.split("\n"):
        ident, sep, rest = line.partition(" ")
        rights = rest.lstrip(" ") if sep else ""
        if not line and not sep:
            continue
        with contextlib.suppress(AclError):
            put(entries, ident, rights)
    return entries


def serialize(entries: Iterable[tuple[str, str]]) -> bytes:
    return "".join(f"{i} {r}\n" for i, r in entries).encode("utf-8", "surrogateescape")


# ----- computing rights -------------------------------------------------------------------------


def compute(
    entries: Entries, matches: Callable[[str], bool], *, chkowner: bool = True, disabled: bool = False
) -> str:
    """Rights (sorted letters) of whoever ``matches`` identifies (ACL2=UNION).

    ``anyone`` always matches; an ``administrators`` entry matches whoever matches either
    ``administrators`` or ``group=administrators``.  Whoever matches ``owner`` gets "a" too.
    """

    def applies(ident: str) -> bool:
        if ident in ANYONE:
            return True
        if ident in ADMINS:
            return matches(ADMINS[0]) or matches(ADMINS[1])
        return matches(ident)

    granted: set[str] = set()
    for ident, rights in entries:
        if not ident.startswith("-") and applies(ident):
            granted.update(rights)
    for ident, rights in entries:
        if ident.startswith("-") and applies(ident[1:]):
            granted.difference_update(rights)
    if chkowner and not disabled and matches("owner"):
        granted.add("a")
    return normalize("".join(granted))


def myrights(entries: Entries, who: Identity, owner: str, *, disabled: bool = False) -> str:
    """``who``'s rights (sorted letters) on a folder of the account ``owner`` (a login id)."""
    ids = who.identifiers(owner)
    return compute(entries, ids.__contains__, disabled=disabled)


def rights(entries: Entries, who: Identity, owner: str, *, disabled: bool = False) -> frozenset[str]:
    """``who``'s rights as a set of RFC 4314 letters."""
    return frozenset(myrights(entries, who, owner, disabled=disabled))


def check(entries: Entries, owner: str | None = None) -> None:
    """Courier's rules for a list about to be saved: "owner" (and the owning account, when
    given as a login id) keep "l" and "a"; administrators keep every right."""
    if not {"l", "a"} <= set(compute(entries, lambda i: i == "owner", chkowner=False)):
        raise AclError("Trying to set invalid access rights for owner", "owner")
    if owner is not None:
        user = "user=" + owner
        if not {"l", "a"} <= set(compute(entries, lambda i: i in ("owner", user), chkowner=False)):
            raise AclError(f"Trying to set invalid access rights for {user}", user)
    if not set(ALL) <= set(compute(entries, lambda i: i == ADMINS[0])):
        raise AclError("Trying to set invalid access rights for administrators")


# ----- files ------------------------------------------------------------------------------------


def folder_path(folder: str) -> str:
    """Courier's ".Name.Sub" form of an IMAP name ("." for INBOX); raises AclError if unsafe."""
    from courier.maildir import layout
    from courier.storage import InvalidName

    try:
        parts = layout.parse(folder)
    except InvalidName as exc:
        raise AclError(str(exc)) from None
    return layout.dirname(parts) if parts else "."


def _files(maildir: str, path: str) -> tuple[str, str | None]:
    """(the folder's own ACL file, its courierimaphieracl/ file or None for INBOX)."""
    own = os.path.join(maildir, ACL_FILE) if path == "." else os.path.join(maildir, path, ACL_FILE)
    return own, None if path == "." else os.path.join(maildir, HIER_DIR, path[1:])


def _read_file(maildir: str, path: str, disabled: bool) -> Entries | None:
    """The stored ACL of ``path`` (".Name"), or None when it has no file of its own."""
    if disabled:
        entries: Entries = [("owner", DISABLED_OWNER)]
        _add_default_admin(entries)
        return entries
    own, hier = _files(maildir, path)
    data: bytes | None = None
    try:
        with open(own, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        if hier is None:
            entries = [("owner", ALL)]
            _add_default_admin(entries)
            return entries
        # a hierarchy level's ACL (it stays there once the level is a folder, as with Courier)
        try:
            with open(hier, "rb") as fh:
                data = fh.read()
        except (FileNotFoundError, NotADirectoryError):
            data = None
    except NotADirectoryError:
        data = None
    except OSError as exc:
        raise AclError(f"Cannot read ACLs: {exc.strerror}") from None
    if data is None:
        return None
    entries = parse(data)
    _add_default_admin(entries)
    return entries


def read_path(maildir: str, path: str, *, disabled: bool = False) -> Entries:
    """The effective ACL of ``path`` (".Name.Sub", "." for INBOX), inherited when it has no file
    of its own; the inherited copy is saved for the folder, as Courier saves it."""
    entries = _read_file(maildir, path, disabled)
    if entries is not None:
        return entries
    parent = path[: path.rfind(".")] or "."
    entries = read_path(maildir, parent, disabled=disabled)
    # Courier fails the read when this save fails; a folder we cannot write to (another
    # account's) still gets its inherited rights here.
    with contextlib.suppress(OSError, AclError):
        write_path(maildir, path, entries)
    return entries


def read_acl(maildir: str, folder: str, *, disabled: bool = False) -> Entries:
    """The effective ACL of ``folder`` (IMAP name, e.g. "INBOX.Sent") of the maildir."""
    return read_path(maildir, folder_path(folder), disabled=disabled)


def write_path(maildir: str, path: str, entries: Entries, owner: str | None = None) -> None:
    """Save ``entries`` as the ACL of ``path``: in the folder if it is one, else in
    courierimaphieracl/.  Raises AclError if Courier's rules refuse the list (see check)."""
    if "/" in path or not path.startswith(".") or (path != "." and (".." in path or path.endswith("."))):
        raise AclError(f"Invalid folder path {path!r}")
    check(entries, owner)
    from courier.maildir.names import UniqueName

    own, hier = _files(maildir, path)
    folder_dir = os.path.dirname(own)
    in_folder = hier is None or os.path.isdir(os.path.join(folder_dir, "tmp"))
    tmpdir = os.path.join(folder_dir if in_folder else maildir, "tmp")
    target = own if in_folder or hier is None else hier
    tmp = os.path.join(tmpdir, UniqueName.new(uniq="acl").tmp())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(serialize(entries))
        try:
            os.rename(tmp, target)
        except FileNotFoundError:
            if in_folder:
                raise
            os.mkdir(os.path.dirname(target), 0o755)
            os.rename(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_acl(maildir: str, folder: str, entries: Entries, owner: str | None = None) -> None:
    """Save ``entries`` as the ACL of ``folder`` (IMAP name).  ``owner``, a login id, must also
    keep "l" and "a" (Courier passes the folder's owner when a user changes an ACL)."""
    write_path(maildir, folder_path(folder), entries, owner)


def delete_path(maildir: str, path: str) -> None:
    """Remove the stored ACL of ``path`` (its own file and its courierimaphieracl/ file)."""
    own, hier = _files(maildir, path)
    for f in (own, hier):
        if f is not None:
            with contextlib.suppress(OSError):
                os.unlink(f)


def delete_acl(maildir: str, folder: str) -> None:
    delete_path(maildir, folder_path(folder))


def reset(maildir: str, *, now: float | None = None) -> None:
    """Remove courierimaphieracl/ entries of hierarchy levels that no longer have subfolders
    (only those older than an hour: a folder may be being created meanwhile)."""
    hier_dir = os.path.join(maildir, HIER_DIR)
    try:
        names = [n for n in os.listdir(hier_dir) if not n.startswith(".")]
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            os.mkdir(hier_dir, 0o755)
        return
    folders = [e[1:] for e in os.listdir(maildir) if e.startswith(".") and e not in (".", "..")]
    stale = [n for n in names if not any(f.startswith(n + ".") for f in folders)]
    limit = (time.time() if now is None else now) - 3600
    for n in stale:
        p = os.path.join(hier_dir, n)
        with contextlib.suppress(OSError):
            if os.stat(p).st_mtime < limit:
                os.unlink(p)


# ----- changes as SETACL / DELETEACL / ACL STORE make them ------------------------------------


def modified(entries: Entries, identifier: str, change: str) -> Entries:
    """The list after an IMAP SETACL-style ``change``: "+rights" adds, "-rights" removes
    (dropping the entry when nothing is left), "rights" replaces, "" deletes the entry.
    "d" means "xte" (RFC 2086)."""
    out = list(entries)
    old = find(out, identifier)
    if change.startswith("+"):
        add = expand_d(change[1:])
        if not valid_rights(add):
            raise AclError(f"Invalid rights {change!r}")
        put(out, identifier, add + (old or ""))
    elif change.startswith("-"):
        drop = expand_d(change[1:])
        if not valid_rights(drop):
            raise AclError(f"Invalid rights {change!r}")
        left = "".join(c for c in (old or "") if c not in drop)
        if left:
            put(out, identifier, left)
        else:
            remove(out, identifier)
    elif change == "":
        remove(out, identifier)
    else:
        put(out, identifier, expand_d(change))
    return out


def tool_modified(entries: Entries, identifier: str, change: str) -> Entries:
    """The list after ``maildiracl -set``: like SETACL, but the letters are stored as given
    ("d" stays "d") and an entry left without rights stays in the list."""
    out = list(entries)
    old = find(out, identifier) or ""
    if change.startswith("+"):
        put(out, identifier, old + change[1:])
    elif change.startswith("-"):
        if not valid_rights(change[1:]):
            raise AclError(f"Invalid rights {change!r}")
        put(out, identifier, "".join(c for c in old if c not in change[1:]))
    else:
        put(out, identifier, change)
    return out
