"""Sharable maildirs (the ``shared.`` namespace), kept the way Courier's maildirshared.c keeps them.

``<maildir>/shared-maildirs`` (and the system-wide ``maildirshared`` file) name sharable
maildirs: ``name<whitespace>/path/to/maildir``.  Their folders (``.Folder`` with group/world
permissions, made by ``maildirmake -s``) appear as ``shared.<name>.<Folder>``.

A user who opens one gets a private copy: ``<maildir>/shared-folders/<name>/<Folder>/``
with cur/ new/ tmp/, a ``shared`` symlink to the sharable folder and, in cur/, one symlink
per shared message whose own ``:2,`` flags are this user's alone.  Syncing (on open and on
every refresh) links new messages, relinks messages the owner renamed, and removes links
whose message is gone.  Adding a message writes it into the sharable folder itself;
expunging removes the shared message if the filesystem lets this user, else just this
user's link (as Courier, the ``T`` flag is then dropped and the link kept).
Filesystem permissions decide who may read and write (sticky write folders let a
user remove only the messages they added).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from courier.storage import InvalidName

from .names import UniqueName

SHARED_MAILDIRS = "shared-maildirs"
SHARED_FOLDERS = "shared-folders"
LINK = "shared"
TIMESTAMP = "shared-timestamp"
#: Courier's system-wide list of sharable maildirs (read before the user's own).
SYSTEM_LIST = "/etc/courier/maildirshared"
MAX_LIST_BYTES = 1024 * 1024


def parse_line(line: str) -> tuple[str, str] | None:
    """Courier's maildir_shared_fparse: name, whitespace, path; ``#`` starts a comment."""
    line = line.rstrip("\n").split("#", 1)[0]
    parts = line.split(None, 1)
    if len(parts) < 2:
        return None
    return parts[0], parts[1].strip()


def sharable_maildirs(maildir: str, system_list: str = SYSTEM_LIST) -> list[tuple[str, str]]:
    """(name, path) of every sharable maildir this maildir may use, system-wide ones first."""
    out: list[tuple[str, str]] = []
    for path in (system_list, os.path.join(maildir, SHARED_MAILDIRS)):
        if not path:
            continue
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_LIST_BYTES).decode("utf-8", "surrogateescape")
        except OSError:
            continue
        for raw in data.splitlines():
            hit = parse_line(raw)
            if hit is not None:
                out.append(hit)
    return out


def lookup(maildir: str, name: str, system_list: str = SYSTEM_LIST) -> str | None:
    return next((p for n, p in sharable_maildirs(maildir, system_list) if n == name), None)


def valid_folder(folder: str) -> bool:
    """A folder of a sharable maildir as Courier accepts it ("A" or "A.B", nothing that climbs)."""
    if not folder or "/" in folder or folder.startswith(".") or folder.endswith("."):
        return False
    if ".." in folder or "\x00" in folder:
        return False
    return all(ord(c) >= 0x20 for c in folder)


def split(rest: str) -> tuple[str, str]:
    """``name.Folder.Sub`` (the part after ``shared.``) -> (name, "Folder.Sub"); raises InvalidName."""
    name, sep, folder = rest.partition(".")
    if not name or not sep or not valid_folder(folder) or name in (".", ".."):
        raise InvalidName("Invalid mailbox name.")
    return name, folder


def copy_dir(maildir: str, name: str, folder: str) -> str:
    """The user's private copy of ``shared.<name>.<folder>`` (Courier's maildir_shareddir)."""
    if not name or "/" in name or name.startswith(".") or not valid_folder(folder):
        raise InvalidName("Invalid mailbox name.")
    return os.path.join(maildir, SHARED_FOLDERS, name, folder)


def list_sharable(maildir: str, system_list: str = SYSTEM_LIST) -> Iterator[tuple[str, str]]:
    """(name, folder) of every folder of every sharable maildir that this user can read."""
    seen: set[tuple[str, str]] = set()
    for name, path in sharable_maildirs(maildir, system_list):
        if "/" in name or name.startswith("."):
            continue
        try:
            entries = sorted(os.listdir(path))
        except OSError:
            continue
        for entry in entries:
            if not entry.startswith(".") or entry in (".", "..") or not valid_folder(entry[1:]):
                continue
            try:
                os.stat(os.path.join(path, entry, "cur", "."))
            except OSError:
                continue
            if (name, entry[1:]) not in seen:
                seen.add((name, entry[1:]))
                yield name, entry[1:]


def list_subscribed(maildir: str) -> Iterator[tuple[str, str]]:
    """(name, folder) of every private copy (Courier's maildir_list_shared)."""
    top = os.path.join(maildir, SHARED_FOLDERS)
    try:
        names = sorted(os.listdir(top))
    except OSError:
        return
    for name in names:
        if name.startswith("."):
            continue
        try:
            folders = sorted(os.listdir(os.path.join(top, name)))
        except OSError:
            continue
        for folder in folders:
            if not folder.startswith(".") and valid_folder(folder):
                yield name, folder


def subscribe(maildir: str, name: str, folder: str, system_list: str = SYSTEM_LIST) -> str:
    """Make the private copy of ``shared.<name>.<folder>``; returns its directory.

    Raises FileNotFoundError when ``name`` is not a sharable maildir of this user or the
    folder does not exist there."""
    target_root = lookup(maildir, name, system_list)
    if target_root is None:
        raise FileNotFoundError(f"{name}: not a sharable maildir of this account")
    target = os.path.join(target_root, "." + folder)
    if not os.path.isdir(os.path.join(target, "cur")):
        raise FileNotFoundError(f"{target}: no such sharable folder")
    path = copy_dir(maildir, name, folder)
    top = os.path.join(maildir, SHARED_FOLDERS)
    for d in (top, os.path.dirname(path)):
        with contextlib.suppress(FileExistsError):
            os.mkdir(d, 0o700)
    if os.path.isdir(os.path.join(path, "cur")):
        return path
    # built under a dot name (list_subscribed skips those), then renamed into place
    scratch = os.path.join(os.path.dirname(path), "." + UniqueName.new(uniq="subscribe").tmp())
    os.mkdir(scratch, 0o700)
    try:
        for sub in ("tmp", "cur", "new"):
            os.mkdir(os.path.join(scratch, sub), 0o700)
        os.symlink(target, os.path.join(scratch, LINK))
        try:
            os.rename(scratch, path)
        except OSError:
            if not os.path.isdir(os.path.join(path, "cur")):  # someone else made it meanwhile: fine
                raise
    finally:
        if os.path.lexists(scratch):
            import shutil  # only on failure (shutil's imports are costly)

            shutil.rmtree(scratch, ignore_errors=True)
    return path


def unsubscribe(maildir: str, name: str, folder: str) -> bool:
    """Remove the private copy; False if there was none."""
    path = copy_dir(maildir, name, folder)
    if not os.path.lexists(path):
        return False
    scratch = os.path.join(os.path.dirname(path), "." + UniqueName.new().tmp())
    os.rename(path, scratch)
    import shutil  # not at module level: it imports zlib, bz2 and lzma

    shutil.rmtree(scratch, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(path))  # the last folder of that maildir: remove its level too
    return True


def target_of(path: str) -> str | None:
    """The sharable folder a private copy links to (None if the link is gone)."""
    try:
        link = os.readlink(os.path.join(path, LINK))
    except OSError:
        return None
    return link if os.path.isabs(link) else os.path.normpath(os.path.join(path, link))


def writable(path: str) -> bool:
    """Whether this user may add and remove messages in the sharable folder (its cur/)."""
    target = target_of(path)
    return target is not None and os.access(os.path.join(target, "cur"), os.W_OK)


def _move_new(folder: str) -> None:
    """maildir_getnew: everything in new/ goes to cur/ (a ":2," suffix added)."""
    new = os.path.join(folder, "new")
    try:
        names = os.listdir(new)
    except OSError:
        return
    for fn in names:
        if fn.startswith("."):
            continue
        dest = fn if ":" in fn else fn + ":2,"
        with contextlib.suppress(OSError):
            os.rename(os.path.join(new, fn), os.path.join(folder, "cur", dest))


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def sync(path: str) -> None:
    """Bring the private copy at ``path`` up to date with its sharable folder."""
    shared = target_of(path)
    if shared is None:
        return
    if os.access(os.path.join(shared, "cur"), os.W_OK):
        _move_new(shared)  # the first reader moves deliveries into cur/, as Courier's getnew
    stamp_file = os.path.join(path, TIMESTAMP)
    stamp = _mtime(stamp_file)
    cur_m, new_m = _mtime(os.path.join(shared, "cur")), _mtime(os.path.join(shared, "new"))
    if stamp is not None and cur_m is not None and new_m is not None and max(cur_m, new_m) < stamp - 1:
        return  # nothing changed since the last sync (a second's margin for coarse clocks)
    fd = os.open(stamp_file, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, b"\0")
    finally:
        os.close(fd)
    os.utime(stamp_file)
    source: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for fn in os.listdir(os.path.join(shared, "cur")):
            if not fn.startswith("."):
                source[fn.split(":", 1)[0]] = fn
    for sub in ("cur", "new"):
        d = os.path.join(path, sub)
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for fn in names:
            if fn.startswith("."):
                continue
            own = os.path.join(d, fn)
            real = source.pop(fn.split(":", 1)[0], None)
            if real is None:  # gone from the sharable folder
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(own)
                continue
            want = os.path.join(shared, "cur", real)
            try:
                have = os.readlink(own)
            except OSError:
                have = None
            if have != want:
                _relink(path, own, want)
    for base, real in source.items():
        tmp = os.path.join(path, "tmp", UniqueName.new(uniq="newlink").tmp())
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.symlink(os.path.join(shared, "cur", real), tmp)
        os.rename(tmp, os.path.join(path, "new", base + ":2,"))


def _relink(path: str, own: str, want: str) -> None:
    tmp = os.path.join(path, "tmp", UniqueName.new(uniq="relink").tmp())
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(want, tmp)
    os.rename(tmp, own)


def unlink_message(own: str) -> bool:
    """Expunge one message of a private copy; False if it had to stay (see module doc)."""
    try:
        real = os.readlink(own)
    except OSError:
        real = None
    if real is not None:
        try:
            os.unlink(real)
        except FileNotFoundError:
            pass
        except OSError:
            if os.path.exists(real):
                base, sep, info = os.path.basename(own).partition(":")
                if sep and info.startswith("2,") and "T" in info:
                    kept = os.path.join(os.path.dirname(own), base + ":" + info.replace("T", ""))
                    with contextlib.suppress(OSError):
                        os.rename(own, kept)
                return False
    with contextlib.suppress(FileNotFoundError):
        os.unlink(own)
    return True
