"""Maildir++ quota: the ``maildirsize`` file, as Courier's maildirquota reads and writes it.

    <bytes>S,<count>C          quota definition (either part optional)
    %12d %12d                  byte and message deltas, one line per change

The file is recalculated (rebuilt from a scan of every counted folder) when it is
missing its totals, when it has grown past 5120 bytes, when a total went negative, or
when a delivery would exceed the quota and the file has more than one line or is
older than 15 minutes, exactly Courier's rules.
"""

from __future__ import annotations

import contextlib
import os
import time

from courier.frozen import dataclass

from .flags import has_letter
from .names import UniqueName, size_from_name, split_name

MAILDIRSIZE = "maildirsize"
MAX_FILE = 5120


@dataclass(frozen=True, slots=True)
class QuotaSpec:
    bytes: int  # 0 = no byte limit
    messages: int  # 0 = no message limit

    @property
    def active(self) -> bool:
        return self.bytes > 0 or self.messages > 0

    def format(self) -> str:
        parts = []
        if self.bytes > 0:
            parts.append(f"{self.bytes}S")
        if self.messages > 0:
            parts.append(f"{self.messages}C")
        return ",".join(parts)


class QuotaSyntaxError(ValueError):
    pass


def parse_spec(text: str, *, strict: bool = False) -> QuotaSpec:
    """Parse ``1000000S,100C``.  Courier skips junk; ``strict`` rejects it (for maildirmake -q)."""
    nbytes = nmsgs = 0
    i = 0
    while i < len(text):
        if not text[i].isdigit():
            if strict and text[i] not in ", ":
                raise QuotaSyntaxError(f"invalid quota {text!r}: expected <bytes>S,<count>C")
            i += 1
            continue
        j = i
        while j < len(text) and text[j].isdigit():
            j += 1
        value = int(text[i:j])
        unit = text[j] if j < len(text) else ""
        if unit == "S":
            nbytes = value
        elif unit == "C":
            nmsgs = value
        elif strict:
            raise QuotaSyntaxError(f"invalid quota {text!r}: a number must be followed by S or C")
        i = j + 1
    return QuotaSpec(nbytes, nmsgs)


@dataclass(slots=True)
class Usage:
    spec: QuotaSpec
    bytes: int
    messages: int
    lines: int
    mtime: float
    needs_recalc: bool


def root_of(folder: str) -> str:
    """The maildir holding ``maildirsize``: a folder's parent (folders contain ``maildirfolder``)."""
    if os.path.exists(os.path.join(folder, "maildirfolder")):
        return os.path.dirname(os.path.abspath(folder))
    return folder


def counts_folder(dirname: str, settings_trash: str, trash_quota: bool) -> bool:
    if trash_quota:
        return True
    return dirname.rstrip("/") != "." + settings_trash


def counts_file(filename: str, trash_quota: bool) -> bool:
    if trash_quota:
        return True
    info = split_name(filename)[1]
    return not has_letter(info, "T")


def read(maildir: str) -> Usage | None:
    path = os.path.join(maildir, MAILDIRSIZE)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE + 1)
            st = os.fstat(fh.fileno())
    except FileNotFoundError:
        return None
    text = data.decode("ascii", "replace")
    lines = text.split("\n")
    spec = parse_spec(lines[0])
    if len(data) > MAX_FILE:
        return Usage(spec, 0, 0, 0, st.st_mtime, True)
    nbytes = nmsgs = nlines = 0
    for line in lines[1:]:
        fields = line.split()
        if not line.strip():
            continue
        try:
            nbytes += int(fields[0])
            nmsgs += int(fields[1]) if len(fields) > 1 else 0
        except (ValueError, IndexError):
            pass
        nlines += 1
    return Usage(spec, nbytes, nmsgs, nlines, st.st_mtime, nbytes < 0 or nmsgs < 0 or nlines == 0)


def _over(used: int, limit: int) -> bool:
    return limit > 0 and used > limit


def scan(maildir: str, trash: str, trash_quota: bool) -> tuple[int, int, int]:
    """(bytes, messages, newest directory mtime_ns) over INBOX and every counted folder."""
    total = count = 0
    newest = 0
    dirs = [maildir]
    try:
        with os.scandir(maildir) as it:
            for e in it:
                if (
                    e.name.startswith(".")
                    and e.name not in (".", "..")
                    and e.is_dir(follow_symlinks=False)
                    and counts_folder(e.name, trash, trash_quota)
                ):
                    dirs.append(e.path)
    except FileNotFoundError:
        pass
    for d in dirs:
        for sub in ("new", "cur"):
            p = os.path.join(d, sub)
            try:
                newest = max(newest, os.stat(p).st_mtime_ns)
                names = os.listdir(p)
            except FileNotFoundError:
                continue
            for n in names:
                if n.startswith(".") or not counts_file(n, trash_quota):
                    continue
                s = size_from_name(n)
                if s is None:
                    try:
                        s = os.stat(os.path.join(p, n)).st_size
                    except FileNotFoundError:
                        continue
                total += s
                count += 1
    return total, count, newest


def _newest(maildir: str, trash: str, trash_quota: bool) -> int:
    newest = 0
    dirs = [maildir]
    with contextlib.suppress(FileNotFoundError):
        dirs += [
            os.path.join(maildir, n)
            for n in os.listdir(maildir)
            if n.startswith(".") and n not in (".", "..") and counts_folder(n, trash, trash_quota)
        ]
    for d in dirs:
        for sub in ("new", "cur"):
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                newest = max(newest, os.stat(os.path.join(d, sub)).st_mtime_ns)
    return newest


def recalculate(maildir: str, spec: QuotaSpec, trash: str = "Trash", trash_quota: bool = False) -> Usage:
    """Rebuild ``maildirsize`` from a scan (temp file in tmp/, renamed over the old one)."""
    for _attempt in range(5):
        total, count, before = scan(maildir, trash, trash_quota)
        body = f"{spec.format()}\n{total:12d} {count:12d}\n"
        tmp = os.path.join(
            maildir, "tmp", f"{int(time.time())}.{os.getpid()}_NeWmAiLdIrSiZe.{UniqueName.new().host}"
        )
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(body)
        os.chmod(tmp, 0o644)
        os.rename(tmp, os.path.join(maildir, MAILDIRSIZE))
        if _newest(maildir, trash, trash_quota) == before:
            break  # nothing moved while we counted
    return Usage(spec, total, count, 1, time.time(), False)


def add(maildir: str, nbytes: int, nmsgs: int) -> None:
    """Append a delta line (no-op when there is no maildirsize)."""
    path = os.path.join(maildir, MAILDIRSIZE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        os.write(fd, f"{nbytes:12d} {nmsgs:12d}\n".encode("ascii"))
    finally:
        os.close(fd)


def current(
    maildir: str, account_quota: str | None, trash: str = "Trash", trash_quota: bool = False
) -> Usage | None:
    """The maildir's usage, creating or redefining ``maildirsize`` when the account carries a quota."""
    usage = read(maildir)
    if account_quota:
        spec = parse_spec(account_quota)
        if spec.active and (usage is None or usage.spec != spec):
            return recalculate(maildir, spec, trash, trash_quota)
    if usage is None or not usage.spec.active:
        return None
    if usage.needs_recalc:
        return recalculate(maildir, usage.spec, trash, trash_quota)
    return usage


def check(
    maildir: str,
    nbytes: int,
    nmsgs: int,
    account_quota: str | None = None,
    trash: str = "Trash",
    trash_quota: bool = False,
) -> bool:
    """True if adding ``nbytes``/``nmsgs`` keeps the maildir within its quota (Courier's docheckquota)."""
    usage = current(maildir, account_quota, trash, trash_quota)
    if usage is None:
        return True
    spec = usage.spec
    if not (_over(usage.bytes + nbytes, spec.bytes) or _over(usage.messages + nmsgs, spec.messages)):
        return True
    if usage.lines == 1 and time.time() < usage.mtime + 15 * 60:
        return False
    usage = recalculate(maildir, spec, trash, trash_quota)
    return not (_over(usage.bytes + nbytes, spec.bytes) or _over(usage.messages + nmsgs, spec.messages))
