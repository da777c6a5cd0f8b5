"""One login's whole mail store: its own maildir plus Courier's two kinds of shared folders.

* ``INBOX`` / ``INBOX.x``: the account's maildir (courier.maildir.store).
* ``#shared.<account>.x``: virtual shared folders: another account's folder ``INBOX.x``,
  found through the shared index (courier.maildir.sharedindex) and governed by that
  folder's ACL.  ``#shared.<account>`` is that account's INBOX.  All accounts must be
  reachable by this process's uid (virtual accounts sharing one system uid), as with Courier.
* ``shared.<name>.x``: sharable maildirs (courier.maildir.sharable), governed by
  filesystem permissions.

Every name is resolved here, so no name reaches a path outside the maildir, the accounts of
the shared index or the sharable maildirs listed for this account.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from courier.frozen import dataclass
from courier.storage import (
    AclSource,
    FolderInfo,
    FolderStatus,
    InvalidName,
    NoSuchFolder,
    Quota,
    StorageError,
    Submit,
)

from . import layout, sharable
from . import subscriptions as subs
from .folder import MaildirFolder
from .store import NO_MAILBOX, MaildirStore

TYPE_CHECKING = False  # not typing's: imported at every login
if TYPE_CHECKING:
    from .acl import Identity
    from .sharedfolders import ForeignStore
    from .sharedindex import Account, SharedIndex

VIRTUAL = "#shared"
SHARABLE = "shared"
#: Courier's fixed list for the levels above shared folders (#shared, #shared.group, shared.name).
LEVEL_ACL = (("anyone", "l"),)
#: Rights in a sharable folder (Courier's legacy list): read-only, and with write access.
SHARABLE_RO = "lrsw"
SHARABLE_RW = "eilrstwx"
#: The owner of special folders, as Courier names it: no login is, so nobody gets "a" there.
NOBODY = "vendor=courier.internal"
#: Rights that make SELECT read-write (Courier: any of them).
WRITE_RIGHTS = frozenset("iestw")


@dataclass(frozen=True, slots=True)
class SharedSettings:
    """What decides the shared namespaces of one login."""

    index_file: str = ""  # IMAP_SHAREDINDEXFILE + the account's sharedgroup; "" = no #shared
    complex_names: bool = False  # IMAP_SHAREDMUNGENAMES
    disabled: bool = False  # the account's disableshared option: no #shared, ACLs not editable
    system_list: str = sharable.SYSTEM_LIST  # Courier's system-wide list of sharable maildirs


def kind(name: str) -> str:
    """ "personal", "virtual" (#shared.) or "sharable" (shared.) for an IMAP name."""
    if name == VIRTUAL or name.startswith(VIRTUAL + "."):
        return "virtual"
    if name == SHARABLE or name.startswith(SHARABLE + "."):
        return "sharable"
    return "personal"


class NamespaceStore:
    def __init__(self, personal: MaildirStore, who: Identity, shared: SharedSettings | None = None) -> None:
        self.personal = personal
        self.who = who
        self.shared = shared or SharedSettings()
        personal.owner = personal.owner or who.user
        personal.router = self._copy_target
        self._index: SharedIndex | None = None
        self._self_id: tuple[int, int] | None = None

    @property
    def maildir(self) -> str:
        return self.personal.maildir

    @property
    def shared_disabled(self) -> bool:
        return self.shared.disabled

    # ----- #shared: the index and other accounts ----------------------------------------------
    def index(self) -> SharedIndex | None:
        if self.shared.disabled or not self.shared.index_file:
            return None
        if self._index is None:
            from .sharedindex import SharedIndex

            self._index = SharedIndex(self.shared.index_file, self.shared.complex_names)
        return self._index

    def _reachable(self, acct: Account) -> bool:
        """Courier lists only accounts this process can reach, and never the login itself."""
        try:
            st = os.stat(acct.maildir)
        except OSError:
            return False
        if self._self_id is None:
            me = os.stat(self.personal.maildir)
            self._self_id = (me.st_dev, me.st_ino)
        return (st.st_dev, st.st_ino) != self._self_id and os.path.isdir(os.path.join(acct.maildir, "cur"))

    def _foreign(self, acct: Account, prefix: tuple[str, ...]) -> ForeignStore:
        from .sharedfolders import ForeignStore

        store = ForeignStore(acct.maildir, self.personal.settings, ".".join((VIRTUAL, *prefix)))
        store.owner = acct.name
        store.router = self._copy_target
        return store

    def _virtual(self, name: str) -> tuple[ForeignStore, str] | None:
        """(the account's store, the folder's name there); None for a level above accounts."""
        parts = tuple(name.split("."))[1:]
        if any(not p for p in parts) or len(name) > layout.MAX_NAME_CHARS:
            raise InvalidName("Invalid mailbox name.")
        idx = self.index()
        found = idx.find(parts) if idx is not None else None
        if found is None:
            raise NoSuchFolder(NO_MAILBOX)
        if found.account is None:
            return None
        if not self._reachable(found.account):
            raise NoSuchFolder(NO_MAILBOX)
        inner = ".".join((layout.INBOX, *found.rest))
        layout.parse(inner)
        return self._foreign(found.account, found.prefix), inner

    def _rights_on(self, store: MaildirStore, inner: str) -> frozenset[str]:
        from . import acl

        return acl.rights(acl.read_acl(store.maildir, inner), self.who, store.owner)

    def _require_virtual(self, name: str) -> tuple[ForeignStore, str]:
        hit = self._virtual(name)
        if hit is None:
            raise NoSuchFolder(NO_MAILBOX)
        return hit

    # ----- shared.: sharable maildirs ---------------------------------------------------------
    def _sharable(self, name: str, create: bool = True) -> str:
        """The private copy of ``shared.<name>.<folder>`` (made on first use, as Courier)."""
        n, folder = sharable.split(name[len(SHARABLE) + 1 :])
        path = sharable.copy_dir(self.personal.maildir, n, folder)
        if not os.path.isdir(os.path.join(path, "cur")):
            if not create:
                raise NoSuchFolder(NO_MAILBOX)
            try:
                sharable.subscribe(self.personal.maildir, n, folder, self.shared.system_list)
            except FileNotFoundError:
                raise NoSuchFolder(NO_MAILBOX) from None
        return path

    def _sharable_target(self, name: str) -> str | None:
        """The sharable folder itself (None if it is not one of this account's)."""
        try:
            n, folder = sharable.split(name[len(SHARABLE) + 1 :])
        except InvalidName:
            return None
        root = sharable.lookup(self.personal.maildir, n, self.shared.system_list)
        if root is None or not os.path.isdir(os.path.join(root, "." + folder, "cur")):
            return None
        return os.path.join(root, "." + folder)

    # ----- Store interface --------------------------------------------------------------------
    def list_folders(self, virtual: bool = False) -> Iterator[FolderInfo]:
        if virtual:
            yield from self._list_virtual()
            return
        yield from self.personal.list_folders()
        for n, folder in sharable.list_sharable(self.personal.maildir, self.shared.system_list):
            yield FolderInfo(".".join((SHARABLE, n, folder)), True, False)

    def _list_virtual(self) -> Iterator[FolderInfo]:
        idx = self.index()
        if idx is None:
            return
        for levels, acct in idx.accounts():
            if not self._reachable(acct):
                continue
            store = self._foreign(acct, levels)
            for info in store.list_folders():
                try:
                    if "l" not in self._rights_on(store, info.name):
                        continue
                except Exception:  # an unreadable ACL hides the folder, as Courier
                    continue
                shown = store.prefix + info.name[len(layout.INBOX) :]
                yield FolderInfo(shown, info.selectable, info.has_children)

    def exists(self, name: str) -> bool:
        k = kind(name)
        if k == "personal":
            return self.personal.exists(name)
        try:
            if k == "virtual":
                hit = self._virtual(name)
                return hit is not None and hit[0].exists(hit[1])
            return self._sharable_target(name) is not None
        except StorageError:
            return False

    def open(self, name: str, readonly: bool = False) -> MaildirFolder:
        k = kind(name)
        if k == "personal":
            return self.personal.open(name, readonly)
        from .sharedfolders import GuardedFolder, SharableFolder, denied

        if k == "virtual":
            store, inner = self._require_virtual(name)
            path = store.folder_dir(inner)
            if not os.path.isdir(os.path.join(path, "cur")):
                raise NoSuchFolder(NO_MAILBOX)
            rights = self._rights_on(store, inner)
            if "r" not in rights:
                raise denied("SELECT/EXAMINE", name, "r")
            box = GuardedFolder(store, name, path, readonly or not rights & WRITE_RIGHTS, store.settings)
            box.rights = rights
            return box
        path = self._sharable(name)
        ro = readonly or not sharable.writable(path)
        return SharableFolder(self.personal, name, path, ro, self.personal.settings)

    def create(self, name: str) -> None:
        if kind(name) != "personal":
            raise InvalidName("Invalid mailbox name.")
        self.personal.create(name)

    def delete(self, name: str) -> None:
        k = kind(name)
        if k == "personal":
            self.personal.delete(name)
            return
        if k == "virtual":
            from .sharedfolders import denied

            store, inner = self._require_virtual(name)
            if inner == layout.INBOX:
                raise StorageError("Cannot delete this folder.")
            if "x" not in self._rights_on(store, inner):
                raise denied("DELETE", name, "x")
            store.delete(inner)
            return
        raise StorageError("Cannot delete this folder.")

    def rename(self, old: str, new: str) -> None:
        if kind(old) != "personal" or kind(new) != "personal":
            raise StorageError("Cannot rename shared folders.")
        self.personal.rename(old, new)

    def status(self, name: str) -> FolderStatus:
        k = kind(name)
        if k == "personal":
            return self.personal.status(name)
        if k == "virtual":
            # (the STATUS command checks "r"; COPY into a drop box, "i" only, needs the UIDVALIDITY)
            store, inner = self._require_virtual(name)
            return store.status(inner)
        box = self.open(name, readonly=True)
        try:
            msgs = box.messages()
            return FolderStatus(
                messages=len(msgs),
                recent=sum(1 for m in msgs if m.recent),
                uidnext=box.uidnext,
                uidvalidity=box.uidvalidity,
                unseen=sum(1 for m in msgs if "\\Seen" not in m.flags),
            )
        finally:
            box.close()

    def append(
        self,
        name: str,
        chunks: Iterable[bytes],
        flags: frozenset[str] = frozenset(),
        internaldate: float | None = None,
        submit: Submit | None = None,
    ) -> tuple[int, int]:
        k = kind(name)
        if k == "personal":
            return self.personal.append(name, chunks, flags, internaldate, submit)
        from .sharedfolders import allowed_flags, denied

        if k == "virtual":
            store, inner = self._require_virtual(name)
            rights = self._rights_on(store, inner)
            if "i" not in rights:
                raise denied("APPEND", name, "i")
            return store.append(inner, chunks, allowed_flags(flags, rights), internaldate, submit)
        box = self.open(name)
        try:
            return box.uidvalidity, box.append(chunks, flags, internaldate, submit)
        finally:
            box.close()

    def subscriptions(self) -> list[str]:
        names = self.personal.subscriptions()
        names += [".".join((SHARABLE, n, f)) for n, f in sharable.list_subscribed(self.personal.maildir)]
        return names

    def subscribe(self, name: str) -> None:
        k = kind(name)
        if k == "personal":
            self.personal.subscribe(name)
        elif k == "sharable":
            self._sharable(name)
        else:
            if any(not p for p in name.split(".")) or any(c in name for c in "\r\n/"):
                raise InvalidName("Invalid mailbox name.")
            subs.add(self.personal.maildir, name)

    def unsubscribe(self, name: str) -> None:
        k = kind(name)
        if k == "personal":
            self.personal.unsubscribe(name)
        elif k == "sharable":
            n, folder = sharable.split(name[len(SHARABLE) + 1 :])
            sharable.unsubscribe(self.personal.maildir, n, folder)
        else:
            subs.remove(self.personal.maildir, name)

    def quota(self) -> Quota | None:
        return self.personal.quota()

    def acl_source(self, name: str) -> AclSource:
        k = kind(name)
        if k == "personal":
            return self.personal.acl_source(name)
        if k == "virtual":
            hit = self._virtual(name)
            if hit is None:
                return AclSource(None, name, NOBODY, LEVEL_ACL)
            store, inner = hit
            return AclSource(store.maildir, inner, store.owner)
        if name.count(".") < 2:
            return AclSource(None, name, NOBODY, LEVEL_ACL)
        target = self._sharable_target(name)
        if target is None:
            raise NoSuchFolder(NO_MAILBOX)
        letters = SHARABLE_RW if os.access(os.path.join(target, "cur"), os.W_OK) else SHARABLE_RO
        return AclSource(None, name, NOBODY, (("anyone", letters),))

    # ----- COPY targets -----------------------------------------------------------------------
    def _copy_target(self, name: str) -> tuple[MaildirStore, str]:
        k = kind(name)
        if k == "personal":
            return self.personal, self.personal.folder_dir(name)
        from .sharedfolders import SharableRoot, denied

        if k == "virtual":
            store, inner = self._require_virtual(name)
            if "i" not in self._rights_on(store, inner):
                raise denied("COPY", name, "i")
            return store, store.folder_dir(inner)
        path = self._sharable(name)
        target = sharable.target_of(path)
        if target is None or not os.access(os.path.join(target, "cur"), os.W_OK):
            raise denied("COPY", name, "i")
        return SharableRoot(os.path.dirname(target), self.personal.settings, path, self.personal), target
