"""``courierimapkeywords/``: IMAP keywords, compatible with Courier's maildirkeywords.

On disk, per folder:
* ``:list``: keyword names one per line, a blank line, then ``<base>:<i> <j>...`` (0-based
  indexes into the names) for every message that has keywords; absent when none has.
* update files written by a session that changed one message's keywords, the message's
  full keyword set one per line: ``<base>`` (newest), ``.<N>.<base>`` (older; N = time/300,
  larger is newer), and ``.tmp.<time><name>`` scratch files.  A reader applies the newest
  update, folds it into ``:list`` and retires the update files, as Courier does.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Container, Iterable, Mapping

from .names import UniqueName

KWDIR = "courierimapkeywords"
LIST = ":list"


class RetryRead(Exception):
    """An update file vanished under us (another reader folded it): read again."""


def kwdir(folder: str) -> str:
    return os.path.join(folder, KWDIR)


def ensure_dir(folder: str) -> None:
    path = kwdir(folder)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return  # a read-only folder: reading works without the directory
        raise
    with contextlib.suppress(OSError):
        os.chmod(path, os.stat(folder).st_mode & 0o777)


def _read_lines(path: str) -> list[str] | None:
    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return None
    return text.split("\n")


def _parse_list(lines: list[str]) -> tuple[dict[str, frozenset[str]], bool]:
    names: list[str] = []
    i = 0
    while i < len(lines) and lines[i]:
        names.append(lines[i])
        i += 1
    result: dict[str, frozenset[str]] = {}
    damaged = False
    for line in lines[i + 1 :]:
        if not line:
            continue
        base, sep, idx = line.rpartition(":")
        if not sep or not base:
            damaged = True
            continue
        kws = set()
        for tok in idx.split():
            if tok.isdigit() and int(tok) < len(names):
                kws.add(names[int(tok)])
        if kws:
            result[base] = frozenset(kws)
    return result, damaged


def _write_list(folder: str, state: Mapping[str, frozenset[str]], host: str | None) -> None:
    path = os.path.join(kwdir(folder), LIST)
    used = sorted({k for kws in state.values() for k in kws})
    if not used:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    index = {k: i for i, k in enumerate(used)}
    out = [k + "\n" for k in used]
    out.append("\n")
    for base in sorted(state):
        kws = state[base]
        if kws:
            out.append(
                base + ":" + " ".join(str(index[k]) for k in sorted(kws, key=index.__getitem__)) + "\n"
            )
    _atomic_write(folder, path, "".join(out).encode("utf-8", "surrogateescape"), host)


def _atomic_write(folder: str, path: str, data: bytes, host: str | None) -> None:
    tmp = os.path.join(folder, "tmp", UniqueName.new(host).tmp())
    with open(tmp, "wb") as fh:
        fh.write(data)
    try:
        os.rename(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read(
    folder: str, known: Container[str], *, now: float | None = None, host: str | None = None
) -> dict[str, frozenset[str]]:
    """Keywords of the messages in ``known`` (base names), folding pending updates into ``:list``."""
    ensure_dir(folder)
    for _attempt in range(20):
        try:
            return _read_once(folder, known, time.time() if now is None else now, host)
        except RetryRead:
            continue
    return _read_once(folder, known, time.time() if now is None else now, host)


def _read_once(folder: str, known: Container[str], t: float, host: str | None) -> dict[str, frozenset[str]]:
    d = kwdir(folder)
    tn = int(t) // 300
    lines = _read_lines(os.path.join(d, LIST))
    state: dict[str, frozenset[str]] = {}
    update_needed = False
    if lines is not None:
        listed, damaged = _parse_list(lines)
        update_needed = damaged
        for base, kws in listed.items():
            if base in known:
                state[base] = kws
            else:
                update_needed = True  # stale line: the message is gone
    # base -> [highestN, highestT, total, found_newest]
    updates: dict[str, list[int]] = {}
    try:
        entries = os.listdir(d)
    except FileNotFoundError:
        entries = []
    for entry in entries:
        if entry.startswith(":"):
            continue
        x = 0
        if not entry.startswith("."):
            base = entry
        else:
            num, sep, base = entry[1:].partition(".")
            if not num.isdigit() or not sep or int(num) == 0:
                if entry.startswith(".tmp."):
                    stamp = "".join(c for c in entry[5:15] if c.isdigit())
                    if not (stamp and int(stamp) >= t - 120):
                        _unlink(os.path.join(d, entry))
                continue
            x = int(num)
        if base not in known:
            path = os.path.join(d, entry)
            try:
                if os.stat(path).st_mtime < t - 15 * 60:
                    _unlink(path)
            except FileNotFoundError:
                pass
            continue
        u = updates.setdefault(base, [0, 0, 0, 0])
        if not entry.startswith("."):
            x = tn + 1
            u[3] = 1
        u[2] += 1
        if x >= tn:
            u[1] = max(u[1], x)
        elif u[0] < x:
            if u[0] > 0:
                _unlink(os.path.join(d, f".{u[0]}.{base}"))
            u[0] = x
        elif x < u[0]:
            _unlink(os.path.join(d, entry))
    for base, u in updates.items():
        n = max(u[0], u[1])
        path = os.path.join(d, base) if u[3] else os.path.join(d, f".{n}.{base}")
        kw_lines = _read_lines(path)
        if kw_lines is None:
            raise RetryRead()
        kws = frozenset(k for k in kw_lines if k)
        if state.get(base, frozenset()) != kws:
            update_needed = True
            if kws:
                state[base] = kws
            else:
                state.pop(base, None)
    if update_needed:
        # Folding updates is housekeeping: a folder we may only read is read as it is.
        with contextlib.suppress(OSError):
            _write_list(folder, state, host)
    for base, u in updates.items():
        if u[3]:
            with contextlib.suppress(OSError):
                os.rename(os.path.join(d, base), os.path.join(d, f".{tn + 1}.{base}"))
        elif u[2] == 1 and u[0]:
            _unlink(os.path.join(d, f".{u[0]}.{base}"))
    return state


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):  # housekeeping; a read-only folder keeps its files
        os.unlink(path)


def save(folder: str, base: str, keywords: Iterable[str], *, atomic: bool, host: str | None = None) -> bool:
    """Record ``keywords`` as the full set of message ``base``.

    Atomic mode (IMAP_KEYWORDS=1) returns False when another update for this message is
    still pending; the caller re-reads (which folds it) and tries again.
    """
    ensure_dir(folder)
    d = kwdir(folder)
    data = "".join(k + "\n" for k in sorted(keywords)).encode("utf-8", "surrogateescape")
    uname = UniqueName.new(host)
    tmp = os.path.join(folder, "tmp", uname.tmp())
    with open(tmp, "wb") as fh:
        fh.write(data)
    target = os.path.join(d, base)
    if not atomic:
        os.rename(tmp, target)
        return True
    scratch = os.path.join(d, f".tmp.{int(time.time())}{uname.tmp()}")
    os.rename(tmp, scratch)
    try:
        os.link(scratch, target)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            return False
        raise
    finally:
        _unlink(scratch)
    return True
