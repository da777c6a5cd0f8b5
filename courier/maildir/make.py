"""What ``maildirmake`` does: maildirs, folders, sharable folders, quotas, shared-maildirs, UTF-8 names."""

from __future__ import annotations

import os
import re
import stat

from courier.mime import mutf7

from . import layout
from . import quota as quotamod
from . import subscriptions as subs
from .create import make_maildir
from .names import UniqueName

SHARED_MAILDIRS = "shared-maildirs"


class MakeError(Exception):
    """A failure with a message naming the path or value at fault; ``status`` is the exit code."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def check_folder_name(folder: str) -> None:
    if folder.startswith("."):
        raise MakeError(f"Invalid folder name: {folder}")
    try:
        layout.parse(layout.INBOX + layout.SEP + folder, creating=True)
    except Exception as exc:  # InvalidName
        raise MakeError(f"{layout.describe(folder)}: {exc}") from None


def share_modes(spec: str) -> int:
    """``-s read|write[,group]`` -> Courier's permission bits (before the 022 mask)."""
    perm = 0o755
    for word in re.split(r"[\s,]+", spec.strip()):
        if not word:
            continue
        if word.startswith("r"):
            perm = 0o755
        elif word.startswith("w"):
            perm = 0o777 | stat.S_ISVTX
        elif word.startswith("g"):
            perm &= ~0o007
        else:
            raise MakeError(f"invalid sharing mode {word!r}: use read, write and optionally group")
    return perm


def make(maildir: str, folder: str | None = None, perm: int = 0o700) -> str:
    """Create a maildir, or a folder in an existing one; returns the created path."""
    if folder is not None:
        check_folder_name(folder)
        if not os.path.isdir(maildir):
            raise MakeError(f"maildirmake: {maildir}: No such file or directory")
        path = os.path.join(maildir, "." + folder)
        subdir_perm = perm
    else:
        path = maildir
        subdir_perm = 0o700
    try:
        make_maildir(path, perm & ~0o022, subdir_perm, folder=folder is not None)
    except FileExistsError:
        raise MakeError(f"maildirmake: {path}: File exists") from None
    except OSError as exc:
        raise MakeError(f"maildirmake: {path}: {exc.strerror}") from None
    return path


def set_quota(maildir: str, spec_text: str, folder: str | None = None, perm: int = 0o700) -> None:
    try:
        spec = quotamod.parse_spec(spec_text, strict=True)
    except quotamod.QuotaSyntaxError as exc:
        raise MakeError(str(exc)) from None
    if not spec.active:
        raise MakeError(f"invalid quota {spec_text!r}: expected <bytes>S,<count>C with a non-zero limit")
    path = maildir if folder is None else os.path.join(maildir, "." + folder)
    if folder is not None:
        check_folder_name(folder)
    if not os.path.exists(path):
        make(maildir, folder, perm)
    quotamod.recalculate(quotamod.root_of(path), spec)


def _shared_lines(maildir: str) -> list[str]:
    try:
        with open(os.path.join(maildir, SHARED_MAILDIRS), encoding="utf-8", errors="surrogateescape") as fh:
            return fh.read().splitlines()
    except FileNotFoundError:
        return []


def _shared_name(line: str) -> str | None:
    name, sep, _ = line.partition("\t")
    return name.strip() if sep and name.strip() and not line.startswith("#") else None


def add_shared(maildir: str, spec: str) -> None:
    name, sep, target = spec.partition("=")
    if not sep or not target.startswith("/"):
        raise MakeError(f"--add {spec}: expected name=/absolute/path/to/sharable/maildir")
    if not name or "." in name or "/" in name or any(ord(c) < 0x20 for c in name):
        raise MakeError(f"{name}: invalid name")
    try:
        os.stat(target)
    except OSError as exc:
        raise MakeError(f"{target}: {exc.strerror}") from None
    if not os.access(target, os.R_OK):
        raise MakeError(f"{target}: cannot read this maildir")
    if not os.path.isdir(maildir):
        raise MakeError(f"{maildir}: No such file or directory")
    if any(_shared_name(line) == name for line in _shared_lines(maildir)):
        raise MakeError(f"{name}: already defined as a sharable maildir.", status=2)
    fd = os.open(os.path.join(maildir, SHARED_MAILDIRS), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, f"{name}\t{target}\n".encode("utf-8", "surrogateescape"))
    finally:
        os.close(fd)


def del_shared(maildir: str, name: str) -> None:
    lines = _shared_lines(maildir)
    path = os.path.join(maildir, SHARED_MAILDIRS)
    if not lines and not os.path.exists(path):
        raise MakeError(f"{maildir if not os.path.isdir(maildir) else path}: No such file or directory")
    kept = [line for line in lines if _shared_name(line) != name]
    if len(kept) == len(lines):
        raise MakeError(f"{name}: not found.")
    tmp = os.path.join(maildir, "tmp", UniqueName.new(uniq="shared").tmp())
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as fh:
        fh.write("".join(line + "\n" for line in kept))
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def convert_utf8(maildir: str, mailfilter: str | None, apply: bool, out: list[str]) -> int:
    """Find folders still named in modified UTF-7 (before Courier 5) and rename them to UTF-8.

    Also rewrites ``courierimapsubscribed`` and folder paths in a mail filter file.  With
    ``apply`` False only reports.  Returns the exit status.
    """
    if not os.path.isdir(os.path.join(maildir, "cur")):
        raise MakeError(f"{maildir}: not a maildir")
    out.append(f"Checking {maildir}:")
    renames: list[tuple[str, str]] = []
    status = 0
    for entry in sorted(os.listdir(maildir)):
        if not entry.startswith(".") or entry in (".", "..") or "&" not in entry or not entry.isascii():
            continue
        try:
            converted = mutf7.decode(entry[1:])
        except mutf7.MUTF7Error:
            out.append(f"Error: INBOX{entry}: does not appear to be valid modified-UTF7")
            status = 1
            continue
        if converted != entry[1:]:
            renames.append((entry, "." + converted))
    new_subs: list[str] | None = None
    if os.path.exists(os.path.join(maildir, subs.SUBSCRIBED)):
        new_subs = []
        for name in subs.read(maildir):
            try:
                converted = mutf7.decode(name) if name.isascii() else name
            except mutf7.MUTF7Error:
                out.append(f"Error: courierimapsubscribed: {name}: does not appear to be valid modified-UTF7")
                status = 1
                continue
            if converted != name:
                out.append(f"Subscription to {name} changed to {converted}")
            new_subs.append(converted)
    filter_text: str | None = None
    if mailfilter:
        try:
            with open(mailfilter, encoding="utf-8", errors="surrogateescape") as fh:
                filter_text = fh.read()
        except OSError:
            raise MakeError(f"Error: cannot load {mailfilter}") from None
        for old, new in renames:
            filter_text = filter_text.replace(f"/{old}/", f"/{new}/").replace(f'/{old}"', f'/{new}"')
    if status:
        return status
    for old, new in renames:
        out.append(f"Rename INBOX{old} to INBOX{new}")
        if apply:
            if os.path.lexists(os.path.join(maildir, new)):
                out.append(f"FATAL ERROR RENAMING {old} to {new}: target exists")
                status = 1
                continue
            os.rename(os.path.join(maildir, old), os.path.join(maildir, new))
    if new_subs is not None:
        if apply:
            out.append(f"Updating {os.path.join(maildir, subs.SUBSCRIBED)}")
            subs.write(maildir, new_subs)
        else:
            out.append(f"Verified {os.path.join(maildir, subs.SUBSCRIBED)}")
    if mailfilter and filter_text is not None:
        if apply:
            out.append(f"Updating {mailfilter}")
            st = os.stat(mailfilter)
            tmp = mailfilter + ".new"
            with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as fh:
                fh.write(filter_text)
            os.chmod(tmp, st.st_mode & 0o7777)
            if os.geteuid() == 0:
                os.chown(tmp, st.st_uid, st.st_gid)
            os.rename(tmp, mailfilter)
        else:
            out.append(f"Verified {mailfilter}")
    return status
