"""A user's maildir as a ``courier.storage.Store``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator

from courier.storage import (
    AclSource,
    FolderExists,
    FolderInfo,
    FolderStatus,
    InvalidName,
    NoSuchFolder,
    Quota,
    StorageError,
    Submit,
)

from . import index, layout, uiddb
from . import keywords as kwmod
from . import quota as quotamod
from . import subscriptions as subs
from .create import make_maildir
from .flags import SEEN, info_flags
from .folder import FolderWriter, MaildirFolder
from .lock import FolderLock
from .names import UniqueName, size_from_name, split_name
from .settings import MaildirSettings
from .tmpclean import SCRATCH_PREFIX

NO_MAILBOX = "Mailbox does not exist, or must be subscribed to."


class MaildirStore:
    def __init__(self, maildir: str, settings: MaildirSettings | None = None) -> None:
        self.maildir = os.path.abspath(maildir)
        self.settings = settings or MaildirSettings()
        #: The login that owns this maildir (the ACL identifier "owner"); set at login.
        self.owner = ""
        #: Set by the namespace store: where COPY targets outside this maildir live.
        self.router: Callable[[str], tuple[MaildirStore, str]] | None = None
        if not os.path.isdir(os.path.join(self.maildir, "cur")):
            raise NoSuchFolder(f"{maildir}: not a maildir (no cur/ directory)")
        if self.settings.umask is not None:
            os.umask(self.settings.umask)

    # ----- names ------------------------------------------------------------------------------
    def folder_dir(self, name: str) -> str:
        return layout.folder_path(self.maildir, name)

    def copy_target(self, name: str) -> tuple[MaildirStore, str]:
        """The store and directory that a COPY to ``name`` writes into (shared folders are
        routed elsewhere by courier.maildir.namespace)."""
        if self.router is not None:
            return self.router(name)
        return self, self.folder_dir(name)

    def writer_for(self, path: str) -> FolderWriter:
        """What adds messages to the folder at ``path`` of this store (a COPY target)."""
        return FolderWriter(self, path, self.settings, 0, number_waiting=True)

    def numbered_as(self, name: str, bases: list[str], uids: list[int]) -> list[int]:
        """The UIDs that messages written by a COPY to ``name`` have there (the same here)."""
        return uids

    def counts_folder(self, path: str) -> bool:
        """Whether messages in the folder at ``path`` count against the quota."""
        if self.settings.trash_quota:
            return True
        return os.path.basename(os.path.normpath(path)) != "." + self.settings.trash_folder

    def _existing(self) -> dict[str, str]:
        """IMAP name -> directory of every real folder below INBOX."""
        found: dict[str, str] = {}
        with os.scandir(self.maildir) as it:
            for e in it:
                name = layout.name_of_dir(e.name)
                if name is None or not e.is_dir(follow_symlinks=False):
                    continue
                if os.path.isdir(os.path.join(e.path, "cur")):
                    found[name] = e.path
        return found

    # ----- listing ----------------------------------------------------------------------------
    def list_folders(self, virtual: bool = False) -> Iterator[FolderInfo]:
        if virtual:
            return
        existing = self._existing()
        placeholders: set[str] = set()
        parents: set[str] = set()
        for name in existing:
            parts = name.split(layout.SEP)
            for i in range(1, len(parts)):
                prefix = layout.SEP.join(parts[:i])
                parents.add(prefix)
                if i > 1 and prefix not in existing:
                    placeholders.add(prefix)
        yield FolderInfo(layout.INBOX, True, layout.INBOX in parents, self._has_new(self.maildir))
        for name in sorted(existing.keys() | placeholders):
            yield FolderInfo(name, name in existing, name in parents)

    @staticmethod
    def _has_new(path: str) -> bool:
        """INBOX's \\Marked, as Courier: mail in new/, or a message in cur/ without \\Seen."""
        try:
            with os.scandir(os.path.join(path, "new")) as it:
                if any(not e.name.startswith(".") for e in it):
                    return True
            stamp = (
                os.stat(os.path.join(path, "new")).st_mtime_ns,
                os.stat(os.path.join(path, "cur")).st_mtime_ns,
            )
        except FileNotFoundError:
            return False
        idx = index.load(path)
        if idx is not None and idx.stamp == stamp:  # cur/ unchanged since the index: no listing
            return any(SEEN not in info_flags(split_name(e[1] + e[3])[1]) for e in idx.entries)
        try:
            names = os.listdir(os.path.join(path, "cur"))
        except FileNotFoundError:
            return False
        return any(not fn.startswith(".") and SEEN not in info_flags(split_name(fn)[1]) for fn in names)

    def exists(self, name: str) -> bool:
        try:
            path = self.folder_dir(name)
        except InvalidName:
            return False
        return os.path.isdir(os.path.join(path, "cur"))

    # ----- open / status ----------------------------------------------------------------------
    def open(self, name: str, readonly: bool = False) -> MaildirFolder:
        path = self.folder_dir(name)
        if not os.path.isdir(os.path.join(path, "cur")):
            raise NoSuchFolder(NO_MAILBOX)
        try:
            return MaildirFolder(self, layout.canonical(name), path, readonly, self.settings)
        except PermissionError as exc:
            raise StorageError(f"Permission denied: {exc.filename or path}") from None

    def append(
        self,
        name: str,
        chunks: Iterable[bytes],
        flags: frozenset[str] = frozenset(),
        internaldate: float | None = None,
        submit: Submit | None = None,
    ) -> tuple[int, int]:
        """Store a message in a folder that is not open: (uidvalidity, uid), without scanning it."""
        path = self.folder_dir(name)
        if not os.path.isdir(os.path.join(path, "cur")):
            raise NoSuchFolder("Mailbox does not exist.", code="TRYCREATE")
        writer = FolderWriter(self, path, self.settings, 0, number_waiting=True)
        uid = writer.append(chunks, flags, internaldate, submit)[2]
        return writer.uidvalidity, uid

    def status(self, name: str) -> FolderStatus:
        """Counts without touching the folder (as Courier: no new -> cur, no numbering)."""
        path = self.folder_dir(name)
        if not os.path.isdir(os.path.join(path, "cur")):
            raise NoSuchFolder(NO_MAILBOX)
        db, old = uiddb.read(path)
        if db is None:
            # Fix the UIDVALIDITY now, so that STATUS and a later SELECT agree.
            s = self.settings
            with FolderLock(path, dotlock=s.uselocks, timeout=s.lock_timeout):
                db, old = uiddb.read(path)
                if db is None:
                    db = uiddb.UidDb(uiddb.new_uidvalidity(old), 1, [])
                    with contextlib.suppress(PermissionError):
                        uiddb.write(path, db, fsync=s.fsync, host=s.hostname)
        numbered = {base for _, base in db.entries}
        messages = recent = unseen = unnumbered = 0
        for sub in ("new", "cur"):
            for fn in os.listdir(os.path.join(path, sub)):
                if fn.startswith("."):
                    continue
                base, info = split_name(fn) if sub == "cur" else (fn.partition(":")[0], "")
                messages += 1
                if base not in numbered:
                    unnumbered += 1
                if sub == "new" or base not in numbered:
                    recent += 1
                if SEEN not in info_flags(info):
                    unseen += 1
        return FolderStatus(messages, recent, db.nextuid + unnumbered, db.uidvalidity, unseen)

    # ----- create / delete / rename -----------------------------------------------------------
    def create(self, name: str) -> None:
        if len(name) > 7 and name.endswith(layout.SEP) and not name.endswith(layout.SEP * 2):
            # "INBOX.a." declares a hierarchy: valid, nothing to create (Courier does the same).
            layout.parse(name[:-1], creating=True)
            return
        parts = layout.parse(name, creating=True)
        if not parts:
            raise FolderExists("INBOX already exists!")
        target = os.path.join(self.maildir, layout.dirname(parts))
        if os.path.lexists(target):
            raise FolderExists("Cannot create this folder.")
        scratch = os.path.join(self.maildir, "tmp", SCRATCH_PREFIX + "create-" + UniqueName.new().tmp())
        make_maildir(scratch, 0o700, 0o700, folder=True)
        try:
            kwmod.ensure_dir(scratch)
            db = uiddb.UidDb(uiddb.new_uidvalidity(), 1, [])
            uiddb.write(scratch, db, fsync=self.settings.fsync)
            if os.path.lexists(target):
                raise FolderExists("Cannot create this folder.")
            os.rename(scratch, target)
        except BaseException:
            _rmtree(scratch)
            raise

    def delete(self, name: str) -> None:
        parts = layout.parse(name)
        if not parts:
            raise StorageError("Cannot delete this folder.")
        path = os.path.join(self.maildir, layout.dirname(parts))
        if not os.path.isdir(os.path.join(path, "cur")):
            raise NoSuchFolder(NO_MAILBOX)
        nbytes, nmsgs = self._usage_of(path) if self.counts_folder(path) else (0, 0)
        scratch = os.path.join(self.maildir, "tmp", SCRATCH_PREFIX + "deleted-" + UniqueName.new().tmp())
        os.rename(path, scratch)  # gone from view at once; the rest is cleanup
        _rmtree(scratch)
        if nmsgs:
            quotamod.add(self.maildir, -nbytes, -nmsgs)

    def _usage_of(self, path: str) -> tuple[int, int]:
        nbytes = nmsgs = 0
        for sub in ("new", "cur"):
            d = os.path.join(path, sub)
            for fn in os.listdir(d):
                if fn.startswith(".") or not quotamod.counts_file(fn, self.settings.trash_quota):
                    continue
                size = size_from_name(fn)
                if size is None:
                    try:
                        size = os.stat(os.path.join(d, fn)).st_size
                    except FileNotFoundError:
                        continue
                nbytes += size
                nmsgs += 1
        return nbytes, nmsgs

    def rename(self, old: str, new: str) -> None:
        old_parts = layout.parse(old)
        if not old_parts:
            raise StorageError("INBOX rename not implemented.")
        new_parts = layout.parse(new, creating=True)
        if not new_parts:
            raise FolderExists("Invalid destination folder name")
        if new_parts[: len(old_parts)] == old_parts:
            raise InvalidName("Cannot rename a folder into itself.")
        old_dir = layout.dirname(old_parts)
        new_dir = layout.dirname(new_parts)
        moves: list[tuple[str, str]] = []
        for entry in sorted(os.listdir(self.maildir)):
            if entry == old_dir or entry.startswith(old_dir + layout.SEP):
                if layout.name_of_dir(entry) is None:
                    continue
                target = new_dir + entry[len(old_dir) :]
                layout.parse(layout.INBOX + target, creating=False)
                moves.append((entry, target))
        if not moves:
            raise NoSuchFolder(NO_MAILBOX)
        for _, target in moves:
            if os.path.lexists(os.path.join(self.maildir, target)):
                raise FolderExists("Folder already exists.")
        for src, target in moves:
            os.rename(os.path.join(self.maildir, src), os.path.join(self.maildir, target))

    # ----- subscriptions ----------------------------------------------------------------------
    def subscriptions(self) -> list[str]:
        return subs.read(self.maildir)

    def subscribe(self, name: str) -> None:
        subs.add(self.maildir, layout.canonical(name))

    def unsubscribe(self, name: str) -> None:
        subs.remove(self.maildir, layout.canonical(name))

    def acl_source(self, name: str) -> AclSource:
        return AclSource(self.maildir, layout.canonical(name), self.owner)

    # ----- quota ------------------------------------------------------------------------------
    def quota(self) -> Quota | None:
        s = self.settings
        usage = quotamod.current(self.maildir, s.quota, s.trash_folder, s.trash_quota)
        if usage is None:
            return None
        spec = usage.spec
        return Quota(
            storage_used=max(usage.bytes, 0),
            storage_limit=spec.bytes or None,
            messages_used=max(usage.messages, 0),
            messages_limit=spec.messages or None,
        )


def _rmtree(path: str) -> None:
    import shutil  # not at module level: it imports zlib, bz2 and lzma, and few sessions delete

    shutil.rmtree(path, ignore_errors=True)
