"""Folders that belong to someone else: another account's (``#shared.``) and sharable ones (``shared.``)."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence

from courier.frozen import replace
from courier.storage import Changes, MessageInfo, StorageError, Submit

from . import sharable
from .flags import DELETED, SEEN, make_info
from .folder import FolderWriter, MaildirFolder, _split_flags
from .settings import MaildirSettings
from .store import MaildirStore
from .tmpfile import TmpMessage, fsync_dir, publish, write_tmp


def denied(command: str, name: str, letters: str) -> StorageError:
    """Courier's wording for a missing access right."""
    return StorageError(f'Access denied for {command} on {name} (ACL "{letters}" required)')


def flag_right(flag: str) -> str:
    """The right that setting or clearing ``flag`` needs (Courier's acl_flags_adjust)."""
    if flag == DELETED:
        return "t"
    if flag == SEEN:
        return "s"
    return "w"


def allowed_flags(flags: frozenset[str], rights: frozenset[str]) -> frozenset[str]:
    return frozenset(f for f in flags if flag_right(f) in rights)


class GuardedFolder(MaildirFolder):
    """Another account's folder: each change is checked against the rights its ACL gives us."""

    rights: frozenset[str] = frozenset()

    def set_flags(
        self,
        uids: Iterable[int],
        add: frozenset[str],
        remove: frozenset[str],
        replace: frozenset[str] | None = None,
    ) -> Sequence[MessageInfo]:
        r = self.rights
        if replace is None:
            return super().set_flags(uids, allowed_flags(add, r), allowed_flags(remove, r))
        # flags we may not change keep their state, message by message
        out: list[MessageInfo] = []
        for uid in uids:
            m = self.messages()[self._index(uid)]
            frozen = frozenset(f for f in m.flags if flag_right(f) not in r)
            out += super().set_flags([uid], frozenset(), frozenset(), allowed_flags(replace, r) | frozen)
        return out

    def expunge(
        self, uids: Iterable[int] | None = None, trash: str | None = None, purge: Collection[int] = ()
    ) -> Sequence[int]:
        if "e" not in self.rights:
            raise denied("EXPUNGE", self.name, "e")
        return super().expunge(uids, trash, purge)  # a trash is the owner's

    def append(
        self,
        chunks: Iterable[bytes],
        flags: frozenset[str] = frozenset(),
        internaldate: float | None = None,
        submit: Submit | None = None,
    ) -> int:
        if "i" not in self.rights:
            raise denied("APPEND", self.name, "i")
        return super().append(chunks, allowed_flags(flags, self.rights), internaldate, submit)


class ForeignStore(MaildirStore):
    """Another account's maildir, reached through the shared index; ``name`` prefixes map
    our IMAP names (``#shared.bob.Sent``) to its own (``INBOX.Sent``)."""

    def __init__(self, maildir: str, settings: MaildirSettings, prefix: str) -> None:
        super().__init__(maildir, replace(settings, quota=None))
        self.prefix = prefix  # e.g. "#shared.bob"


class SharableWriter(FolderWriter):
    """Adds messages to a sharable folder: into cur/, unnumbered (UIDs belong to each
    reader's private copy; the folder itself need not be writable, only cur/ and tmp/)."""

    def link_and_number(
        self,
        tmps: Sequence[TmpMessage],
        sys_flags: Sequence[frozenset[str]],
        kw_flags: Sequence[frozenset[str]],
    ) -> tuple[list[str], list[str], list[int]]:
        bases: list[str] = []
        files: list[str] = []
        for t in tmps:
            files.append(publish(t, "cur", make_info(frozenset())))  # flags are the reader's own
            bases.append(t.base())
        if self.settings.fsync:
            fsync_dir(os.path.join(self.path, "cur"))
        return bases, files, [0] * len(bases)


class SharableRoot(MaildirStore):
    """A sharable maildir as a COPY/APPEND target: messages go into its folder, and the UIDs
    reported are those of the user's private copy."""

    def __init__(self, root: str, settings: MaildirSettings, copy_path: str, personal: MaildirStore) -> None:
        super().__init__(root, replace(settings, quota=None))
        self.copy_path = copy_path
        self.personal = personal

    def counts_folder(self, path: str) -> bool:
        return False  # sharable maildirs carry no quota (README.sharedfolders)

    def writer_for(self, path: str) -> FolderWriter:
        return SharableWriter(self, path, self.settings, 0)

    def numbered_as(self, name: str, bases: list[str], uids: list[int]) -> list[int]:
        box = SharableFolder(self.personal, name, self.copy_path, False, self.personal.settings)
        try:
            by_key = {m.key: m.uid for m in box.messages()}
            return [by_key.get(b, 0) for b in bases]
        finally:
            box.close()


class SharableFolder(MaildirFolder):
    """The user's private copy of a sharable folder (see courier.maildir.sharable)."""

    def __init__(
        self, store: MaildirStore, name: str, path: str, readonly: bool, settings: MaildirSettings
    ) -> None:
        sharable.sync(path)
        self._pending: list[Changes] = []
        super().__init__(store, name, path, readonly, settings)

    def refresh(self) -> Changes:
        sharable.sync(self.path)
        ch = super().refresh()
        if not self._pending:
            return ch
        parts, self._pending = [*self._pending, ch], []
        return Changes(
            expunged=[u for c in parts for u in c.expunged],
            added=[m for c in parts for m in c.added],
            flag_changes=[m for c in parts for m in c.flag_changes],
        )

    def _counted_folder(self) -> bool:
        return False  # messages of shared folders count towards nobody's quota

    def _remove(self, path: str) -> bool:
        return sharable.unlink_message(path)

    def _trash_dir(self, trash: str | None) -> str | None:
        return None  # as Courier: a sharable folder's messages are never moved to a trash

    def _target(self) -> str:
        target = sharable.target_of(self.path)
        if target is None or not os.access(os.path.join(target, "cur"), os.W_OK):
            raise denied("APPEND", self.name, "i")
        return target

    def append(
        self,
        chunks: Iterable[bytes],
        flags: frozenset[str] = frozenset(),
        internaldate: float | None = None,
        submit: Submit | None = None,
    ) -> int:
        self._check_open()
        target = self._target()
        sys_flags, kw_flags = _split_flags(flags)
        root = SharableRoot(os.path.dirname(target), self._settings, self.path, self._store)
        writer = root.writer_for(target)
        tmp = write_tmp(
            target, chunks, host=self._settings.hostname, fsync=self._settings.fsync, mtime=internaldate
        )
        try:
            if submit is not None:
                submit(tmp.path)
            # the flags given are this user's: they go on the link, not the shared file
            bases, _files, _uids = writer.link_and_number([tmp], [sys_flags], [kw_flags])
        finally:
            tmp.discard()
        self._pending.append(self.refresh_after_sync())
        by_key = {m.key: m.uid for m in self.messages()}
        uid = by_key.get(bases[0])
        if uid is None:
            raise StorageError("The message was removed from the shared folder at once.")
        if sys_flags or kw_flags:
            self.set_flags([uid], sys_flags | kw_flags, frozenset())
        return uid

    def refresh_after_sync(self) -> Changes:
        sharable.sync(self.path)
        return MaildirFolder.refresh(self)
