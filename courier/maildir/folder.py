"""One open folder: scan, UIDs, flags, keywords, append, copy, expunge.

Concurrency model (shared with real Courier):
* messages arrive in new/ (MTA) or cur/ (APPEND/COPY) by link(2) of a complete file;
* UIDs are assigned only under the folder lock (see lock.py), after re-reading the
  UID database, and the database is replaced atomically, so no UID is given twice;
* flag changes are single rename(2)s and need no lock; expunge is unlink(2).
A message missing from one directory listing may just be mid-rename, so nothing is
dropped (from the view or the UID database) until a second listing confirms it.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import os
import time
from collections.abc import Collection, Container, Iterable, Sequence

from courier.storage import (
    Changes,
    MessageInfo,
    NoSuchFolder,
    OverQuota,
    StorageError,
    Submit,
    UidValidityChanged,
)

from . import index, uiddb
from . import keywords as kwmod
from . import quota as quotamod
from .flags import DELETED, DRAFT, RECENT, SYSTEM_FLAGS, canonical_system_flag, info_flags, make_info
from .lock import FolderLock
from .names import UniqueName, size_from_name, sort_key, split_name
from .settings import MaildirSettings
from .tmpfile import TmpMessage, publish, write_tmp

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from typing import BinaryIO

    from .store import MaildirStore

_flagsets: dict[frozenset[str], frozenset[str]] = {}
_NOFLAGS: frozenset[str] = frozenset()
_usual: dict[str, bool] = {}


def _usual_info(info: str) -> bool:
    """Whether ``info`` is exactly what make_info() writes for its flags (then we need not remember it)."""
    hit = _usual.get(info)
    if hit is None:
        hit = make_info(info_flags(info)) == info
        if len(_usual) < 4096:
            _usual[info] = hit
    return hit


def _intern(flags: frozenset[str]) -> frozenset[str]:
    hit = _flagsets.get(flags)
    if hit is None:
        if len(_flagsets) > 10000:
            _flagsets.clear()
        _flagsets[flags] = flags
        hit = flags
    return hit


# A listing: base -> (subdir, filename); subdir is "cur" or "new".
Listing = dict[str, tuple[str, str]]


class MaildirFolder:
    def __init__(
        self, store: MaildirStore, name: str, path: str, readonly: bool, settings: MaildirSettings
    ) -> None:
        self.name = name
        self.readonly = readonly
        self.path = path
        self._store = store
        self._settings = settings
        self._msgs: list[MessageInfo] = []
        self._uids: list[int] = []
        self._where: dict[
            str, tuple[str, str]
        ] = {}  # base -> (subdir, filename) when not the usual cur/base:info
        self._kw: dict[str, frozenset[str]] = {}
        self._kw_stamp: tuple[int, int] | None = None
        self._dir_stamp: tuple[int, int] | None = None
        self._recent: set[str] = set()
        self._uidvalidity = 0
        self._uidnext = 1
        self._closed = False
        if not os.path.isdir(os.path.join(path, "cur")):
            raise NoSuchFolder("Mailbox does not exist, or must be subscribed to.")
        if not readonly:
            from .tmpclean import clean_tmp

            clean_tmp(path, settings.tmp_max_age)
        self._load()

    # ----- properties -------------------------------------------------------------------------
    @property
    def uidvalidity(self) -> int:
        return self._uidvalidity

    @property
    def uidnext(self) -> int:
        return self._uidnext

    @property
    def keywords_enabled(self) -> bool:
        return self._settings.keywords != 0

    def messages(self) -> Sequence[MessageInfo]:
        return self._msgs

    def keywords(self) -> Sequence[str]:
        return sorted({k for kws in self._kw.values() for k in kws})

    # ----- directory listing ------------------------------------------------------------------
    def _stamp(self) -> tuple[int, int]:
        return (
            os.stat(os.path.join(self.path, "new")).st_mtime_ns,
            os.stat(os.path.join(self.path, "cur")).st_mtime_ns,
        )

    def _list(self) -> Listing:
        found: Listing = {}
        for sub in ("new", "cur"):
            try:
                names = os.listdir(os.path.join(self.path, sub))
            except FileNotFoundError:
                raise NoSuchFolder("Mailbox does not exist, or must be subscribed to.") from None
            for fn in names:
                if fn[:1] == ".":
                    continue
                if sub == "cur":
                    i = fn.rfind(":")
                    base = fn[:i] if i > 0 else fn
                    found[base] = ("cur", fn)
                else:
                    base = fn.partition(":")[0]
                    if base and base not in found:
                        found[base] = ("new", fn)
        return found

    def _confirm(self, listing: Listing, missing: Iterable[str]) -> set[str]:
        """Of ``missing``, those absent from a second listing too (the rest were mid-rename)."""
        missing = set(missing)
        if not missing:
            return missing
        again = self._list()
        for base in list(missing):
            hit = again.get(base)
            if hit is not None:
                listing[base] = hit
                missing.discard(base)
        return missing

    def _move_new(self, listing: Listing) -> None:
        """new/ -> cur/ with an empty info, claiming those messages as recent for this session."""
        for base, (sub, fn) in list(listing.items()):
            if sub != "new":
                continue
            target = fn if ":" in fn else fn + ":2,"
            try:
                os.rename(os.path.join(self.path, "new", fn), os.path.join(self.path, "cur", target))
            except FileNotFoundError:
                continue  # another session moved it; it shows up in cur/ on the next listing
            listing[base] = ("cur", target)
            self._recent.add(base)

    # ----- UID assignment ---------------------------------------------------------------------
    def _lock(self) -> FolderLock:
        return FolderLock(self.path, dotlock=self._settings.uselocks, timeout=self._settings.lock_timeout)

    def _assign(self, listing: Listing, *, claim_recent: bool) -> dict[str, int]:
        """Under the lock: read the UID database, number unnumbered messages, save. Returns base -> uid."""
        with self._lock():
            if claim_recent:
                # Re-list under the lock so two sessions never both move (and claim) one message.
                listing.clear()
                listing.update(self._list())
                self._move_new(listing)
            db, old = uiddb.read(self.path)
            dirty = False
            if db is None:
                db = uiddb.UidDb(uiddb.new_uidvalidity(old), 1, [])
                dirty = True
            if self._uidvalidity and db.uidvalidity != self._uidvalidity:
                raise UidValidityChanged("UIDVALIDITY changed: the folder was reset by another program.")
            uids: dict[str, int] = {}
            for uid, base in db.entries:
                uids[base] = uid
            gone = self._confirm(listing, (b for b in uids if b not in listing))
            if gone:
                db.entries = [(u, b) for u, b in db.entries if b not in gone]
                for b in gone:
                    del uids[b]
                dirty = True
            fresh = sorted((b for b in listing if b not in uids), key=sort_key)
            for base in fresh:
                uids[base] = db.nextuid
                db.entries.append((db.nextuid, base))
                db.nextuid += 1
                if claim_recent:
                    self._recent.add(base)
            if fresh:
                dirty = True
            if dirty:
                # A folder we may only read keeps its numbering in this session only.
                with contextlib.suppress(PermissionError):
                    uiddb.write(self.path, db, fsync=self._settings.fsync, host=self._settings.hostname)
            self._uidvalidity = db.uidvalidity
            self._uidnext = db.nextuid
            return uids

    # ----- building the view ------------------------------------------------------------------
    def _info_for(self, base: str, sub: str, fn: str, cached: tuple[int, float] | None) -> tuple[int, float]:
        if cached is not None:
            return cached
        path = os.path.join(self.path, sub, fn)
        size = size_from_name(base)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return size or 0, time.time()
        return (size if size is not None else st.st_size), st.st_mtime

    def _flags_of(self, base: str, sub: str, fn: str) -> frozenset[str]:
        flags = info_flags(fn[len(base) + 1 :]) if sub == "cur" and len(fn) > len(base) else _NOFLAGS
        kws = self._kw.get(base)
        if kws:
            flags = _intern(flags | kws)
        return flags

    def _remember_location(self, base: str, sub: str, fn: str, flags: frozenset[str]) -> None:
        if sub == "cur" and len(fn) > len(base) and _usual_info(fn[len(base) + 1 :]):
            if self._where:
                self._where.pop(base, None)
        else:
            self._where[base] = (sub, fn)

    def _read_keywords(self, known: Container[str], force: bool = False) -> bool:
        """Re-read keywords if their directory changed; returns True if it did."""
        if not self.keywords_enabled:
            kwmod.ensure_dir(self.path)
            return False
        d = kwmod.kwdir(self.path)
        stamp = _kw_stamp(d)
        if not force and stamp == self._kw_stamp:
            return False
        self._kw = kwmod.read(self.path, known, host=self._settings.hostname)
        self._kw_stamp = _kw_stamp(d)
        return True

    def _load(self) -> None:
        stamp = self._stamp()
        idx = index.load(self.path)
        if (
            idx is not None
            and idx.stamp is not None
            and idx.stamp == stamp
            and idx.uiddb_key == uiddb.stat_key(self.path)
            and (self.readonly or not any(e[2] == "new" for e in idx.entries))
        ):
            self._load_index(idx, stamp)
            return
        if (
            idx is not None
            and idx.uiddb_key == uiddb.stat_key(self.path)
            and _listing_matches(listing := self._list(), idx.entries, new_ok=self.readonly)
        ):
            # Changed too recently to trust the mtimes (or changed and back), but the listing is
            # exactly what the index describes and no UID was given since: no need to renumber.
            self._load_index(idx, stamp)
            if not _settled(stamp):
                self._dir_stamp = None
            elif idx.stamp != stamp:
                idx.stamp = stamp
                index.save(self.path, idx)
            return
        cached = {e[1]: (e[4], e[5]) for e in idx.entries} if idx is not None else {}
        del idx
        if self.readonly:
            listing = self._list()
            uids = self._assign(listing, claim_recent=False)
            self._recent = {b for b, (sub, _) in listing.items() if sub == "new"}
        else:
            listing = {}
            uids = self._assign(listing, claim_recent=True)  # lists under the lock
        self._read_keywords(uids, force=True)
        order = sorted((base for base in uids if base in listing), key=uids.__getitem__)
        msgs: list[MessageInfo] = []
        recent = self._recent
        entries: list[index.Entry] = []
        suffixes: dict[str, str] = {}  # one object per distinct suffix: marshal then stores references
        for base in order:
            uid = uids[base]
            sub, fn = listing[base]
            size, mtime = self._info_for(base, sub, fn, cached.get(base))
            flags = self._flags_of(base, sub, fn)
            msgs.append(MessageInfo(uid, base, flags, size, mtime, base in recent))
            self._remember_location(base, sub, fn, flags)
            suffix = fn[len(base) :]
            entries.append((uid, base, sub, suffixes.setdefault(suffix, suffix), size, mtime))
        self._msgs = msgs
        self._uids = [m.uid for m in msgs]
        self._dir_stamp = stamp if _settled(stamp) else None
        after = self._stamp()
        index.save(
            self.path,
            index.Index(
                after if _settled(after) else None,
                uiddb.stat_key(self.path),
                self._uidvalidity,
                self._uidnext,
                entries,
            ),
        )

    def _load_index(self, idx: index.Index, stamp: tuple[int, int]) -> None:
        """An unchanged folder: everything comes from the index (keywords are still read)."""
        self._uidvalidity = idx.uidvalidity
        self._uidnext = idx.nextuid
        if self.readonly:
            self._recent = {e[1] for e in idx.entries if e[2] == "new"}
        self._read_keywords(_Bases(idx.entries), force=True)
        recent = self._recent
        kw = self._kw
        where = self._where
        msgs: list[MessageInfo] = []
        append = msgs.append
        uids: list[int] = []
        append_uid = uids.append
        # One (flags, written as make_info writes it) per distinct suffix: the index shares them.
        per_suffix: dict[str, tuple[frozenset[str], bool]] = {}
        for uid, base, sub, suffix, size, mtime in idx.entries:
            # The loop of _flags_of and _remember_location, inlined: this runs once per message.
            if sub == "cur":
                hit = per_suffix.get(suffix)
                if hit is None:
                    info = suffix[1:]
                    hit = per_suffix[suffix] = (info_flags(info), _usual_info(info))
                flags, usual = hit
                if not usual:
                    where[base] = (sub, base + suffix)
            else:
                flags = _NOFLAGS
                where[base] = (sub, base + suffix)
            if kw:
                k = kw.get(base)
                if k:
                    flags = _intern(flags | k)
            append(MessageInfo(uid, base, flags, size, mtime, base in recent))
            append_uid(uid)
        self._msgs = msgs
        self._uids = uids
        self._dir_stamp = stamp

    def refresh(self) -> Changes:
        self._check_open()
        stamp = self._stamp()
        current = {m.key: m for m in self._msgs}
        kw_changed = False
        if stamp == self._dir_stamp:
            kw_changed = self._read_keywords(current)
            if not kw_changed:
                return Changes((), (), ())
            listing: Listing = {m.key: self._location(m) for m in self._msgs}
        else:
            listing = self._list()
        uids: dict[str, int] = {}
        has_new = not self.readonly and any(sub == "new" for sub, _ in listing.values())
        if has_new or any(b not in current for b in listing):
            uids = self._assign(listing, claim_recent=not self.readonly)
            if self.readonly:
                self._recent |= {b for b, (sub, _) in listing.items() if sub == "new"}
        missing = self._confirm(listing, (k for k in current if k not in listing))
        if not kw_changed:
            self._read_keywords(set(listing) | set(current))
        expunged: list[int] = []
        flag_changes: list[MessageInfo] = []
        kept: list[MessageInfo] = []
        for m in self._msgs:
            hit = listing.get(m.key)
            if m.key in missing or hit is None:
                expunged.append(m.uid)
                self._where.pop(m.key, None)
                continue
            sub, fn = hit
            flags = self._flags_of(m.key, sub, fn)
            if flags != m.flags:
                m = MessageInfo(m.uid, m.key, flags, m.size, m.internaldate, m.recent)
                flag_changes.append(m)
            self._remember_location(m.key, sub, fn, flags)
            kept.append(m)
        added: list[MessageInfo] = []
        fresh = [b for b in listing if b not in current and b in uids]
        for base in sorted(fresh, key=uids.__getitem__):
            sub, fn = listing[base]
            size, mtime = self._info_for(base, sub, fn, None)
            flags = self._flags_of(base, sub, fn)
            info = MessageInfo(uids[base], base, flags, size, mtime, base in self._recent)
            self._remember_location(base, sub, fn, flags)
            added.append(info)
        if added and kept and added[0].uid < kept[-1].uid:  # pragma: no cover - UIDs only grow
            kept = sorted(kept + added, key=lambda m: m.uid)
        else:
            kept.extend(added)
        self._msgs = kept
        self._uids = [m.uid for m in kept]
        self._dir_stamp = stamp if _settled(stamp) else None
        return Changes(expunged, added, flag_changes)

    # ----- lookups ----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("Mailbox is closed.")

    def _index(self, uid: int) -> int:
        i = bisect.bisect_left(self._uids, uid)
        if i == len(self._uids) or self._uids[i] != uid:
            raise StorageError(f"No message with UID {uid}.")
        return i

    def _location(self, m: MessageInfo) -> tuple[str, str]:
        hit = self._where.get(m.key)
        if hit is not None:
            return hit
        return "cur", m.key + ":" + make_info(m.flags & SYSTEM_FLAGS)

    def _relocate(self, m: MessageInfo) -> tuple[str, str] | None:
        """Find a message whose file was renamed by someone else."""
        listing = self._list()
        hit = listing.get(m.key)
        if hit is not None:
            self._where[m.key] = hit
        return hit

    def message_path(self, uid: int) -> str:
        m = self._msgs[self._index(uid)]
        sub, fn = self._location(m)
        path = os.path.join(self.path, sub, fn)
        if os.path.exists(path):
            return path
        hit = self._relocate(m)
        if hit is None:
            raise StorageError("Message was expunged by another session.")
        return os.path.join(self.path, *hit)

    def message_stat(self, uid: int) -> tuple[str, os.stat_result]:
        m = self._msgs[self._index(uid)]
        sub, fn = self._location(m)
        path = f"{self.path}/{sub}/{fn}"  # os.path.join costs as much as the stat here
        try:
            return path, os.stat(path)
        except FileNotFoundError:
            hit = self._relocate(m)
            if hit is None:
                raise StorageError("Message was expunged by another session.") from None
        path = os.path.join(self.path, *hit)
        return path, os.stat(path)

    def metadata_path(self, name: str) -> str:
        # a plain file name that cannot be mistaken for a folder (.name), a message or a maildir
        # subdirectory; e.g. imapd's MIME summaries, "courierpymime"
        if not name or "/" in name or name.startswith(".") or name in ("cur", "new", "tmp"):
            raise ValueError(f"not a metadata file name: {name!r}")
        return os.path.join(self.path, name)

    def open_message(self, uid: int) -> BinaryIO:
        self._check_open()
        for _attempt in range(3):
            path = self.message_path(uid)
            try:
                return open(path, "rb")
            except FileNotFoundError:
                self._relocate(self._msgs[self._index(uid)])
        raise StorageError("Message was expunged by another session.")

    # ----- flags ------------------------------------------------------------------------------
    def _rename_flags(self, m: MessageInfo, system: frozenset[str]) -> None:
        for _attempt in range(5):
            sub, fn = self._location(m)
            info = split_name(fn)[1] if sub == "cur" else ""
            target = m.key + ":" + make_info(system, info)
            if sub == "cur" and fn == target:
                return
            try:
                os.rename(os.path.join(self.path, sub, fn), os.path.join(self.path, "cur", target))
            except FileNotFoundError:
                if self._relocate(m) is None:
                    raise StorageError("Message was expunged by another session.") from None
                continue
            if target == m.key + ":" + make_info(system):
                self._where.pop(m.key, None)
            else:
                self._where[m.key] = ("cur", target)
            return
        raise StorageError("Message is being changed by another session; try again.")

    def _quota_root(self) -> str:
        return self._store.maildir

    def _counted_folder(self) -> bool:
        return self._store.counts_folder(self.path)

    def set_flags(
        self,
        uids: Iterable[int],
        add: frozenset[str],
        remove: frozenset[str],
        replace: frozenset[str] | None = None,
    ) -> Sequence[MessageInfo]:
        self._check_open()
        add_sys, add_kw = _split_flags(add)
        rem_sys, rem_kw = _split_flags(remove)
        rep_sys, rep_kw = _split_flags(replace) if replace is not None else (frozenset(), frozenset())
        if (add_kw or rep_kw) and not self.keywords_enabled:
            raise StorageError("Keywords are not enabled on this server.")
        out: list[MessageInfo] = []
        kw_touched = False
        for uid in uids:
            i = self._index(uid)
            m = self._msgs[i]
            old_sys = m.flags & SYSTEM_FLAGS
            old_kw = m.flags - SYSTEM_FLAGS
            if replace is not None:
                new_sys, new_kw = rep_sys, rep_kw
            else:
                new_sys = (old_sys | add_sys) - rem_sys
                new_kw = _kw_union(old_kw, add_kw, rem_kw)
            if new_sys != old_sys:
                self._quota_deleted_toggle(m, DELETED in old_sys, DELETED in new_sys)
                self._rename_flags(m, new_sys)
            if self.keywords_enabled and new_kw != old_kw:
                new_kw = self._save_keywords(m.key, old_kw, new_kw, add_kw, rem_kw, replace is not None)
                kw_touched = True
            flags = _intern(frozenset(new_sys | new_kw))
            if flags != m.flags:
                m = MessageInfo(m.uid, m.key, flags, m.size, m.internaldate, m.recent)
                self._msgs[i] = m
            out.append(m)
        if kw_touched:
            self._kw_stamp = None
        return out

    def _save_keywords(
        self,
        base: str,
        old: frozenset[str],
        new: frozenset[str],
        add: frozenset[str],
        rem: frozenset[str],
        replacing: bool,
    ) -> frozenset[str]:
        atomic = self._settings.keywords == 1
        for _attempt in range(50):
            if kwmod.save(self.path, base, new, atomic=atomic, host=self._settings.hostname):
                break
            # Another update for this message is pending: fold it in and recompute from it.
            self._kw = kwmod.read(self.path, {m.key for m in self._msgs}, host=self._settings.hostname)
            current = self._kw.get(base, frozenset())
            new = new if replacing else _kw_union(current, add, rem)
        else:
            raise StorageError("An error occured while updating keywords: busy.")
        if new:
            self._kw[base] = new
        else:
            self._kw.pop(base, None)
        return new

    def _quota_deleted_toggle(self, m: MessageInfo, was: bool, now: bool) -> None:
        """Courier takes \\Deleted messages off the quota (unless trash is counted)."""
        if was == now or self._settings.trash_quota or not self._counted_folder():
            return
        root = self._quota_root()
        if now:
            quotamod.add(root, -m.size, -1)
        else:
            if not quotamod.check(
                root, m.size, 1, self._settings.quota, self._settings.trash_folder, self._settings.trash_quota
            ):
                raise OverQuota("Mailbox over quota: cannot undelete.", code="OVERQUOTA")
            quotamod.add(root, m.size, 1)

    # ----- expunge ----------------------------------------------------------------------------
    def expunge(
        self, uids: Iterable[int] | None = None, trash: str | None = None, purge: Collection[int] = ()
    ) -> Sequence[int]:
        self._check_open()
        if self.readonly:
            raise StorageError("Cannot expunge read-only mailbox.")
        wanted = None if uids is None else set(uids)
        trash_dir = self._trash_dir(trash)
        removed: list[int] = []
        gone_keys: set[str] = set()
        freed_bytes = freed_msgs = 0
        for m in self._msgs:
            if DELETED not in m.flags or (wanted is not None and m.uid not in wanted):
                continue
            to_trash = trash_dir if m.uid not in purge else None
            stays = False
            for _attempt in range(5):
                sub, fn = self._location(m)
                try:
                    if to_trash is None:
                        stays = not self._remove(os.path.join(self.path, sub, fn))
                    elif not self._move_to_trash(sub, fn, m, to_trash):
                        stays = True  # the trash cannot take it
                    break
                except FileNotFoundError:
                    if self._relocate(m) is None:
                        break  # already gone
            else:
                continue
            if stays:
                continue
            # Without trash quota \\Deleted already took it off; one moved still counts in the trash.
            if self._settings.trash_quota and to_trash is None:
                freed_bytes += m.size
                freed_msgs += 1
            removed.append(m.uid)
            gone_keys.add(m.key)
        if not removed:
            return removed
        if freed_msgs and self._counted_folder():
            quotamod.add(self._quota_root(), -freed_bytes, -freed_msgs)
        self._msgs = [m for m in self._msgs if m.key not in gone_keys]
        self._uids = [m.uid for m in self._msgs]
        for k in gone_keys:
            self._where.pop(k, None)
            if self._kw.pop(k, None) is not None and self.keywords_enabled:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(kwmod.kwdir(self.path), k))
        self._dir_stamp = None
        return removed

    def _remove(self, path: str) -> bool:
        """Remove one expunged message's file; False if it has to stay (a shared folder's)."""
        os.unlink(path)
        return True

    def _trash_dir(self, trash: str | None) -> str | None:
        """The trash folder's directory (created when missing, as Courier does); None when
        expunging deletes (no trash given, or this folder is the trash)."""
        if trash is None:
            return None
        path = self._store.folder_dir(trash)
        if os.path.abspath(path) == os.path.abspath(self.path):
            return None
        if not os.path.isdir(os.path.join(path, "cur")):
            # if it cannot be made, the renames fail and the messages stay
            with contextlib.suppress(StorageError, OSError):
                self._store.create(trash)
        return path

    def _move_to_trash(self, sub: str, fn: str, m: MessageInfo, trash_dir: str) -> bool:
        """One rename into the trash's cur/, keeping the file name and the flags but \\Deleted
        and \\Draft (as Courier).  False if the trash cannot take it: it stays, still \\Deleted."""
        info = split_name(fn)[1] if sub == "cur" else ""
        target = m.key + ":" + make_info(info_flags(info) - {DELETED, DRAFT}, info)
        try:
            os.rename(os.path.join(self.path, sub, fn), os.path.join(trash_dir, "cur", target))
        except FileNotFoundError:
            raise
        except OSError:
            return False
        return True

    # ----- append / copy ----------------------------------------------------------------------
    def _writer(self) -> FolderWriter:
        return FolderWriter(self._store, self.path, self._settings, self._uidvalidity)

    def _adopt(
        self, bases: list[str], uids: list[int], files: list[str], flags: list[frozenset[str]]
    ) -> None:
        """Add messages we numbered ourselves to the view (not recent)."""
        for base, uid, fn, fl in zip(bases, uids, files, flags, strict=True):
            if fl - SYSTEM_FLAGS:
                self._kw[base] = fl - SYSTEM_FLAGS
            size, mtime = self._info_for(base, "cur", fn, None)
            info = MessageInfo(uid, base, _intern(fl), size, mtime, False)
            self._remember_location(base, "cur", fn, info.flags)
            if self._uids and uid <= self._uids[-1]:
                pos = bisect.bisect_left(self._uids, uid)
                if pos < len(self._uids) and self._uids[pos] == uid:
                    continue
                self._msgs.insert(pos, info)
                self._uids.insert(pos, uid)
            else:
                self._msgs.append(info)
                self._uids.append(uid)
        self._uidnext = max(self._uidnext, max(uids, default=0) + 1)
        self._kw_stamp = None
        self._dir_stamp = None

    def append(
        self,
        chunks: Iterable[bytes],
        flags: frozenset[str] = frozenset(),
        internaldate: float | None = None,
        submit: Submit | None = None,
    ) -> int:
        self._check_open()
        writer = self._writer()
        base, fn, uid, stored = writer.append(chunks, flags, internaldate, submit)
        self._adopt([base], [uid], [fn], [stored])
        return uid

    def copy_to(
        self, uids: Sequence[int], target: str, submit: Submit | None = None
    ) -> Sequence[tuple[int, int]]:
        self._check_open()
        dest_store, dest_path = self._store.copy_target(target)
        if not os.path.isdir(os.path.join(dest_path, "cur")):
            raise NoSuchFolder("Mailbox does not exist.", code="TRYCREATE")
        same = os.path.abspath(dest_path) == os.path.abspath(self.path)
        dest = self._writer() if same else dest_store.writer_for(dest_path)
        tmps: list[TmpMessage] = []
        src_uids: list[int] = []
        sys_flags: list[frozenset[str]] = []
        kw_flags: list[frozenset[str]] = []
        try:
            for uid in uids:
                m = self._msgs[self._index(uid)]
                s, k = _split_flags(m.flags)
                if not self._settings.keywords:
                    k = frozenset()
                src = self.message_path(uid)
                uname = UniqueName.new(self._settings.hostname)
                tmp_path = os.path.join(dest_path, "tmp", uname.tmp())
                try:
                    os.link(src, tmp_path)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                        raise
                    _copy_file(src, tmp_path, self._settings.fsync)
                tmps.append(TmpMessage(dest_path, uname, tmp_path, m.size, os.stat(tmp_path)))
                src_uids.append(uid)
                sys_flags.append(s)
                kw_flags.append(k)
            if not tmps:
                return []
            dest.check_quota(tmps, sys_flags)
            if submit is not None:
                for t in tmps:
                    submit(t.path)
            bases, files, new_uids = dest.link_and_number(tmps, sys_flags, kw_flags)
        finally:
            for t in tmps:
                t.discard()
        if not same:
            new_uids = dest_store.numbered_as(target, bases, new_uids)
        if same:
            self._adopt(bases, new_uids, files, [s | k for s, k in zip(sys_flags, kw_flags, strict=True)])
        return list(zip(src_uids, new_uids, strict=True))

    def close(self) -> None:
        self._closed = True


class FolderWriter:
    """Adds complete messages to a folder (its own or a COPY target) without loading its view."""

    def __init__(
        self,
        store: MaildirStore,
        path: str,
        settings: MaildirSettings,
        uidvalidity: int,
        *,
        number_waiting: bool = False,
    ) -> None:
        self.store = store
        self.path = path
        self.settings = settings
        self.uidvalidity = uidvalidity
        # Number messages already waiting unnumbered (an MTA's, in new/) before ours, as a scan
        # would: ours come last.  Not for the folder a session has open: its view only grows at
        # the end, and it numbers those itself on its next refresh.
        self.number_waiting = number_waiting

    def _counted(self) -> bool:
        return self.store.counts_folder(self.path)

    def append(
        self,
        chunks: Iterable[bytes],
        flags: frozenset[str],
        internaldate: float | None,
        submit: Submit | None = None,
    ) -> tuple[str, str, int, frozenset[str]]:
        """Write, check quota, link and number one message; returns (base, file name, uid, flags
        stored).  Touches only tmp/, cur/ and the UID database: the folder is not scanned."""
        sys_flags, kw_flags = _split_flags(flags)
        if kw_flags and not self.settings.keywords:
            raise StorageError("Keywords are not enabled on this server.")
        s = self.settings
        tmp = write_tmp(self.path, chunks, host=s.hostname, fsync=s.fsync, mtime=internaldate)
        try:
            self.check_quota([tmp], [sys_flags])
            if submit is not None:
                submit(tmp.path)
            bases, files, uids = self.link_and_number([tmp], [sys_flags], [kw_flags])
        finally:
            tmp.discard()
        return bases[0], files[0], uids[0], sys_flags | kw_flags

    def quota_delta(self, tmps: Sequence[TmpMessage], sys_flags: Sequence[frozenset[str]]) -> tuple[int, int]:
        nbytes = nmsgs = 0
        for t, s in zip(tmps, sys_flags, strict=True):
            if DELETED in s and not self.settings.trash_quota:
                continue
            nbytes += t.size
            nmsgs += 1
        return nbytes, nmsgs

    def check_quota(self, tmps: Sequence[TmpMessage], sys_flags: Sequence[frozenset[str]]) -> None:
        if not self._counted():
            return
        nbytes, nmsgs = self.quota_delta(tmps, sys_flags)
        s = self.settings
        if nmsgs and not quotamod.check(
            self.store.maildir, nbytes, nmsgs, s.quota, s.trash_folder, s.trash_quota
        ):
            raise OverQuota("Mailbox over quota", code="OVERQUOTA")

    def link_and_number(
        self,
        tmps: Sequence[TmpMessage],
        sys_flags: Sequence[frozenset[str]],
        kw_flags: Sequence[frozenset[str]],
    ) -> tuple[list[str], list[str], list[int]]:
        """Make the messages visible in cur/ and number them, under the folder lock so no
        other session can number them first."""
        s = self.settings
        for t, k in zip(tmps, kw_flags, strict=True):
            if k:  # keywords first: a message is never visible without them
                kwmod.save(self.path, t.base(), k, atomic=False, host=s.hostname)
        bases: list[str] = []
        files: list[str] = []
        with FolderLock(self.path, dotlock=s.uselocks, timeout=s.lock_timeout):
            db, old = uiddb.read(self.path)
            if db is None:
                if self.uidvalidity:
                    raise UidValidityChanged("UIDVALIDITY changed: the folder was reset by another program.")
                db = uiddb.UidDb(uiddb.new_uidvalidity(old), 1, [])
            if self.uidvalidity and db.uidvalidity != self.uidvalidity:
                raise UidValidityChanged("UIDVALIDITY changed: the folder was reset by another program.")
            self.uidvalidity = db.uidvalidity
            if self.number_waiting:
                self._number_waiting(db)
            for t, sf in zip(tmps, sys_flags, strict=True):
                files.append(publish(t, "cur", make_info(sf)))
                bases.append(t.base())
            # No fsync of cur/ itself (Courier does none at all): the message data was fsynced
            # before the link, and the UID database's fsync below commits the file system's
            # journal, link included, on ext4/xfs; a lost link on other file systems loses an
            # unacknowledged message, never reuses a UID.
            uids = []
            for base in bases:
                uids.append(db.nextuid)
                db.entries.append((db.nextuid, base))
                db.nextuid += 1
            uiddb.write(self.path, db, fsync=s.fsync, host=s.hostname)
        if self._counted():
            nbytes, nmsgs = self.quota_delta(tmps, sys_flags)
            if nmsgs:
                quotamod.add(self.store.maildir, nbytes, nmsgs)
        return bases, files, uids

    def _number_waiting(self, db: uiddb.UidDb) -> None:
        """Give UIDs to mail waiting in new/ (an MTA's) before ours: names only, no stat, no
        moving to cur/ (a session that opens the folder still claims it as recent).  cur/ is not
        listed: a message there without a UID (left by a crash) is numbered by the next scan."""
        waiting: list[str] = []
        for fn in os.listdir(os.path.join(self.path, "new")):
            if not fn.startswith("."):
                base = fn.partition(":")[0]
                if base:
                    waiting.append(base)
        if not waiting:
            return
        numbered = {base for _, base in db.entries}
        for base in sorted(set(waiting) - numbered, key=sort_key):
            db.entries.append((db.nextuid, base))
            db.nextuid += 1


def _listing_matches(listing: Listing, entries: Sequence[index.Entry], *, new_ok: bool) -> bool:
    """True when ``listing`` holds exactly the files the index entries name (new/ only if allowed)."""
    if len(listing) != len(entries):
        return False
    get = listing.get
    for _uid, base, sub, suffix, _size, _mtime in entries:
        hit = get(base)
        if hit is None or hit[0] != sub or hit[1] != base + suffix or (sub == "new" and not new_ok):
            return False
    return True


def _settled(stamp: tuple[int, int]) -> bool:
    """A directory mtime is trusted only once it is old enough that a change in the same clock
    tick cannot hide behind it."""
    return max(stamp) < time.time_ns() - 2_000_000_000


def _split_flags(flags: frozenset[str] | None) -> tuple[frozenset[str], frozenset[str]]:
    if not flags:
        return frozenset(), frozenset()
    sys: set[str] = set()
    kws: set[str] = set()
    for f in flags:
        if f.startswith("\\"):
            c = canonical_system_flag(f)
            if c is None:
                if f.lower() == RECENT.lower():
                    continue  # \Recent is per session, never stored
                raise StorageError(f"Unknown system flag {f}.")
            sys.add(c)
        else:
            kws.add(f)
    return frozenset(sys), frozenset(kws)


def _kw_union(old: frozenset[str], add: frozenset[str], rem: frozenset[str]) -> frozenset[str]:
    """Keywords compare case-insensitively; an existing spelling is kept."""
    drop = {k.lower() for k in rem}
    result = {k for k in old if k.lower() not in drop}
    have = {k.lower() for k in result}
    for k in add:
        if k.lower() not in have:
            result.add(k)
            have.add(k.lower())
    return frozenset(result)


def _copy_file(src: str, dst: str, fsync: bool) -> None:
    with open(src, "rb") as fi, open(dst, "xb") as fo:
        while True:
            buf = fi.read(1 << 16)
            if not buf:
                break
            fo.write(buf)
        fo.flush()
        if fsync:
            os.fsync(fo.fileno())
        st = os.fstat(fi.fileno())
        os.utime(fo.fileno(), (st.st_atime, st.st_mtime))


class _Bases:
    """The index's base names as a set, built only if the keywords file is consulted."""

    __slots__ = ("_entries", "_names")

    def __init__(self, entries: list[index.Entry]) -> None:
        self._entries = entries
        self._names: set[str] | None = None

    def __contains__(self, base: object) -> bool:
        if self._names is None:
            self._names = {e[1] for e in self._entries}
        return base in self._names


def _kw_stamp(kwdir: str) -> tuple[int, int]:
    """mtimes of the keywords directory and of its list file, 0 for one that is missing.

    Each counts on its own: a directory without a list file yet (what Courier and a fresh
    folder have) is unchanged while its mtime is, instead of "changed" on every poll."""
    out = []
    for path in (kwdir, os.path.join(kwdir, kwmod.LIST)):
        try:
            out.append(os.stat(path).st_mtime_ns)
        except FileNotFoundError:
            out.append(0)
    return out[0], out[1]
