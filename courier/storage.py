"""What the IMAP and POP3 layers may ask of a mail store.

The maildir package implements these Protocols; protocol code sees nothing else.
Folder names here are Unicode in IMAP form: ``INBOX`` or ``INBOX.Parent.Child``
(separator "."), already decoded from modified UTF-7 by the protocol layer.
Flags are IMAP names: ``\\Seen`` ``\\Answered`` ``\\Flagged`` ``\\Deleted``
``\\Draft`` plus keywords (``$Forwarded``); ``\\Recent`` is per-session and never stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence

from courier.frozen import dataclass

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    import os
    from typing import BinaryIO, Protocol
else:
    Protocol = object  # the interfaces are for the type checker only


class StorageError(Exception):
    """An operation failed; ``str(exc)`` is a message fit for the client."""

    #: IMAP response code to attach (e.g. "TRYCREATE", "OVERQUOTA"), if any.
    code: str | None = None

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


#: Called with the path of each complete message file (LF line ends) once the quota allows it
#: and before the message becomes visible; a StorageError it raises leaves nothing behind
#: (the Outbox sends mail here).
Submit = Callable[[str], None]


class NoSuchFolder(StorageError):
    pass


class InvalidName(StorageError):
    pass


class FolderExists(StorageError):
    pass


class OverQuota(StorageError):
    pass


@dataclass(frozen=True, slots=True)
class MessageInfo:
    uid: int
    key: str  # base file name without the ":2,info" suffix; stable across flag changes
    flags: frozenset[str]
    size: int  # size of the file on disk (LF line ends)
    internaldate: float  # epoch seconds (the file's mtime)
    recent: bool = False  # found in new/ by this session


@dataclass(frozen=True, slots=True)
class FolderInfo:
    name: str
    selectable: bool  # False for \Noselect placeholders
    has_children: bool
    marked: bool | None = None  # \Marked / \Unmarked when known


@dataclass(frozen=True, slots=True)
class FolderStatus:
    messages: int
    recent: int
    uidnext: int
    uidvalidity: int
    unseen: int


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed on disk since the last refresh (other sessions, deliveries)."""

    expunged: Sequence[int]  # UIDs gone
    added: Sequence[MessageInfo]  # new messages, UID order
    flag_changes: Sequence[MessageInfo]  # messages whose flags changed


@dataclass(frozen=True, slots=True)
class Quota:
    storage_used: int  # bytes
    storage_limit: int | None
    messages_used: int
    messages_limit: int | None


@dataclass(frozen=True, slots=True)
class AclSource:
    """Where the access control list of a folder is kept, for rights checks."""

    maildir: str | None  # the maildir whose courierimapacl files apply; None: ``fixed`` applies
    folder: str  # the folder's name in that maildir ("INBOX", "INBOX.Sent")
    owner: str  # the login that the "owner" identifier stands for
    fixed: tuple[tuple[str, str], ...] = ()  # Courier's built-in entries for special folders


class Mailbox(Protocol):
    """One open folder as one session sees it."""

    name: str
    readonly: bool

    @property
    def uidvalidity(self) -> int: ...

    @property
    def uidnext(self) -> int: ...

    def messages(self) -> Sequence[MessageInfo]:
        """The messages in UID order, as of the last refresh."""
        ...

    def refresh(self) -> Changes: ...

    def keywords(self) -> Sequence[str]:
        """Keywords in use in this folder (for FLAGS / PERMANENTFLAGS)."""
        ...

    def open_message(self, uid: int) -> BinaryIO:
        """The message file, opened for binary reading (LF line ends)."""
        ...

    def message_path(self, uid: int) -> str:
        """The message file's current path (for caches that check the file's identity)."""
        ...

    def message_stat(self, uid: int) -> tuple[str, os.stat_result]:
        """The message file's current path and its ``os.stat`` (one look at the disk when the
        file is where this session last saw it)."""
        ...

    def metadata_path(self, name: str) -> str:
        """Where a file of the caller's own per-folder data called ``name`` belongs, beside the
        folder's other metadata (the store ignores it and removes it with the folder)."""
        ...

    def set_flags(
        self,
        uids: Iterable[int],
        add: frozenset[str],
        remove: frozenset[str],
        replace: frozenset[str] | None = None,
    ) -> Sequence[MessageInfo]:
        """Change flags; returns the messages as they now are."""
        ...

    def expunge(
        self, uids: Iterable[int] | None = None, trash: str | None = None, purge: Collection[int] = ()
    ) -> Sequence[int]:
        """Remove \\Deleted messages (only those in ``uids`` when given); returns the UIDs removed.

        With ``trash`` (a folder name) they are moved there, without \\Deleted and \\Draft,
        except those in ``purge``, which are deleted."""
        ...

    def append(
        self,
        chunks: Iterable[bytes],
        flags: frozenset[str] = frozenset(),
        internaldate: float | None = None,
        submit: Submit | None = None,
    ) -> int:
        """Store a message (CRLF or LF input; stored with LF) and return its UID."""
        ...

    def copy_to(
        self, uids: Sequence[int], target: str, submit: Submit | None = None
    ) -> Sequence[tuple[int, int]]:
        """Copy to another folder; returns (source uid, new uid) pairs."""
        ...

    def close(self) -> None: ...


class Store(Protocol):
    """A user's whole mail store (one maildir and its folders)."""

    def list_folders(self, virtual: bool = False) -> Iterator[FolderInfo]:
        """The folders; with ``virtual``, the ``#shared.`` namespace instead."""
        ...

    def exists(self, name: str) -> bool: ...

    def open(self, name: str, readonly: bool = False) -> Mailbox: ...

    def create(self, name: str) -> None: ...

    def delete(self, name: str) -> None: ...

    def rename(self, old: str, new: str) -> None: ...

    def status(self, name: str) -> FolderStatus: ...

    def append(
        self,
        name: str,
        chunks: Iterable[bytes],
        flags: frozenset[str] = frozenset(),
        internaldate: float | None = None,
        submit: Submit | None = None,
    ) -> tuple[int, int]:
        """Store a message in a folder that is not selected; returns (uidvalidity, uid).
        Cheaper than ``open(name).append(...)``: the folder is not scanned."""
        ...

    def subscriptions(self) -> list[str]: ...

    def subscribe(self, name: str) -> None: ...

    def unsubscribe(self, name: str) -> None: ...

    def quota(self) -> Quota | None: ...

    def acl_source(self, name: str) -> AclSource:
        """Where ``name``'s ACL lives (raises NoSuchFolder or InvalidName)."""
        ...


class UidValidityChanged(StorageError):
    """The folder's UID database was replaced under an open session; the session must end."""
