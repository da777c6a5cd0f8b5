"""makeuserdb: compile the userdb source into userdb.dat and userdbshadow.dat.

Keys and values as Courier's makeuserdb writes them: a record's ``*pw`` fields
go only to the shadow database (0600); everything else, plus ``_=<location>``,
to userdb.dat (0644).  The whole source is read and checked first; then both
databases are written to temporary files and renamed into place, so an error
changes nothing and a reader never sees half a database.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat
from dataclasses import dataclass

from courier.userdb.dat import write_tmp
from courier.userdb.record import RecordError, format_fields
from courier.userdb.source import iter_source

_SHADOW_FIELD = re.compile(r"[^=]*pw=")


class MakeuserdbError(Exception):
    """Why makeuserdb refused; nothing was written."""


@dataclass(frozen=True, slots=True)
class Paths:
    source: str
    dat: str
    shadow: str
    lock: str
    tmp: str
    shadow_tmp: str

    @classmethod
    def for_source(cls, source: str) -> Paths:
        source = source.rstrip("/") or "/"
        return cls(
            source=source,
            dat=source + ".dat",
            shadow=source + "shadow.dat",
            lock=source + ".lock",
            tmp=source + ".tmp",
            shadow_tmp=source + "shadow.tmp",
        )


@dataclass(frozen=True, slots=True)
class Result:
    accounts: int
    shadow_entries: int


def is_shadow_field(text: str) -> bool:
    return _SHADOW_FIELD.match(text) is not None


def compile_source(source: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(userdb.dat items, userdbshadow.dat items); RecordError on the first bad line or duplicate."""
    seen: dict[str, tuple[str, int]] = {}
    main: list[tuple[str, str]] = []
    shadow: list[tuple[str, str]] = []
    for loc in iter_source(source):
        name = loc.record.name
        first = seen.get(name)
        if first is not None:
            raise RecordError(
                f"duplicate account {name!r} (first defined at {first[0]}:{first[1]})", loc.path, loc.lineno
            )
        seen[name] = (loc.path, loc.lineno)
        if loc.record.bare:
            # Courier hands the bare line to makedat, which stores the value "1" in both databases
            main.append((name, "1"))
            shadow.append((name, "1"))
            continue
        public: list[str] = []
        secret: list[str] = []
        for field in loc.record.fields:
            text = format_fields([field])
            (secret if is_shadow_field(text) else public).append(text)
        public.append(f"_={loc.location}")
        main.append((name, "|".join(public)))
        if secret:
            shadow.append((name, "|".join(secret)))
    return main, shadow


def check_source(paths: Paths) -> None:
    try:
        st = os.stat(paths.source)
    except FileNotFoundError:
        raise MakeuserdbError(f"{paths.source}: not found.") from None
    if st.st_mode & 0o077:
        raise MakeuserdbError(
            f"{paths.source}: MAY NOT HAVE GROUP OR WORLD PERMISSIONS!!"
            f" (fix with: chmod go-rwx {paths.source})"
        )
    for p in (paths.source, paths.dat, paths.shadow):
        if os.path.islink(p):
            raise MakeuserdbError(f"ERROR: Wrong makeuserdb command.\n       ({p} is a symbolic link)")


def makeuserdb(source: str, *, use_ctypes: bool | None = None) -> Result:
    """Compile ``source`` (file or directory) next to itself; raises MakeuserdbError or RecordError."""
    paths = Paths.for_source(source)
    check_source(paths)
    old = os.umask(0o022)
    try:
        lock_fd = os.open(paths.lock, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    finally:
        os.umask(old)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        main, shadow = compile_source(paths.source)
        try:
            write_tmp(paths.tmp, main, mode=0o644, use_ctypes=use_ctypes)
            write_tmp(paths.shadow_tmp, shadow, mode=0o600, use_ctypes=use_ctypes)
            os.rename(paths.tmp, paths.dat)
            os.rename(paths.shadow_tmp, paths.shadow)
        except BaseException:
            for p in (paths.tmp, paths.shadow_tmp):
                with contextlib.suppress(OSError):
                    os.unlink(p)
            raise
        _fsync_dir(os.path.dirname(os.path.abspath(paths.dat)))
        return Result(len(main), len(shadow))
    finally:
        os.close(lock_fd)


def _fsync_dir(path: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def mode_problem(path: str) -> str | None:
    """Why makeuserdb would refuse this source's permissions (for userdb's warning)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_IMODE(st.st_mode) & 0o077:
        mode = stat.S_IMODE(st.st_mode)
        return f"{path} has group or world permissions ({mode:o}); makeuserdb will refuse it"
    return None
