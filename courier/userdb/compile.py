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
import signal
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from courier.userdb.dat import DatWriter
from courier.userdb.record import RecordError, parse_line
from courier.userdb.source import iter_source, source_files

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


def compile_line(line: str, location: str = "") -> tuple[str, str, str | None] | None:
    """(name, userdb.dat value, userdbshadow.dat value or None) of one line; None for comments.

    The same rules as :func:`courier.userdb.record.parse_line`, on a fast path
    for the common well-formed line (makeuserdb sees every account).
    """
    if not line or line[0] == "#":
        return None
    name, tab, text = line.partition("\t")
    if not tab or not name or "\r" in line or "\0" in line:
        rec = parse_line(line)  # raises RecordError with the reason, or is a bare name
        if rec is None or not rec.bare:
            return None
        # Courier hands the bare line to makedat, which stores the value "1" in both databases
        return rec.name, "1", "1"
    parts = text.split("|")
    while parts and not parts[-1]:  # Perl's split drops trailing empty fields
        parts.pop()
    public: list[str] = []
    secret: list[str] = []
    for part in parts:
        eq = part.find("=")
        if eq >= 2 and part.startswith("pw", eq - 2):  # /^[^=]*pw=/
            secret.append(part)
        else:
            public.append(part)
    public.append(f"_={location}")
    return name, "|".join(public), "|".join(secret) if secret else None


def iter_compiled(source: str) -> Iterator[tuple[str, int, str, str, str | None]]:
    """(file, line number, name, dat value, shadow value) for every account, streaming."""
    for path, location in source_files(source):
        try:
            f = open(path, "rb")  # noqa: SIM115 (closed below; errors must name the file)
        except OSError as e:
            raise RecordError(e.strerror or str(e), path) from None
        with f:
            for lineno, raw in enumerate(f, 1):
                line = raw.decode("utf-8", "surrogateescape").removesuffix("\n")
                try:
                    out = compile_line(line, location)
                except RecordError as e:
                    raise e.at(path, lineno) from None
                if out is not None:
                    yield path, lineno, *out


def _first_definition(source: str, name: str) -> tuple[str, int]:
    for loc in iter_source(source):
        if loc.record.name == name:
            return loc.path, loc.lineno
    return "?", 0


def _check_unique(source: str) -> Iterator[tuple[str, str, str | None]]:
    seen: set[str] = set()
    for path, lineno, name, public, secret in iter_compiled(source):
        if name in seen:
            first = _first_definition(source, name)
            raise RecordError(
                f"duplicate account {name!r} (first defined at {first[0]}:{first[1]})", path, lineno
            )
        seen.add(name)
        yield name, public, secret


def compile_source(source: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(userdb.dat items, userdbshadow.dat items); RecordError on the first bad line or duplicate."""
    main: list[tuple[str, str]] = []
    shadow: list[tuple[str, str]] = []
    for name, public, secret in _check_unique(source):
        main.append((name, public))
        if secret is not None:
            shadow.append((name, secret))
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
        # Stream into both temporary databases (the shadow one in a child process, as
        # Courier's two makedat pipes do); they are renamed only once all is read.
        main = DatWriter(paths.tmp, mode=0o644, use_ctypes=use_ctypes)
        try:
            shadow = _ShadowWriter(paths.shadow_tmp, use_ctypes)
        except BaseException:
            main.abort()
            raise
        try:
            for name, public, secret in _check_unique(paths.source):
                main.add(name, public)
                if secret is not None:
                    shadow.add(name, secret)
            main.finish()
            shadow.finish()
            os.rename(paths.tmp, paths.dat)
            os.rename(paths.shadow_tmp, paths.shadow)
        except BaseException:
            main.abort()
            shadow.abort()
            raise
        _fsync_dir(os.path.dirname(os.path.abspath(paths.dat)))
        return Result(main.count, shadow.count)
    finally:
        os.close(lock_fd)


class _ShadowWriter:
    """A DatWriter in a forked child fed through a pipe, so both databases are built at once."""

    def __init__(self, tmp: str, use_ctypes: bool | None) -> None:
        self.tmp = tmp
        self.count = 0
        r, w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # child: never returns
            code = 1
            try:
                os.close(w)
                writer = DatWriter(tmp, mode=0o600, use_ctypes=use_ctypes)
                with os.fdopen(r, "rb", buffering=1 << 16) as f:
                    for line in f:
                        key, _, value = line.removesuffix(b"\n").partition(b"\t")
                        writer.add(
                            key.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape")
                        )
                writer.finish()
                code = 0
            except BaseException:
                with contextlib.suppress(BaseException):
                    writer.abort()
            finally:
                os._exit(code)
        os.close(r)
        self._pipe: BinaryIO | None = os.fdopen(w, "wb", buffering=1 << 16)

    def add(self, key: str, value: str) -> None:
        assert self._pipe is not None
        try:
            self._pipe.write(f"{key}\t{value}\n".encode("utf-8", "surrogateescape"))
        except BrokenPipeError:
            raise MakeuserdbError(f"{self.tmp}: the process writing it failed") from None
        self.count += 1

    def finish(self) -> None:
        if self._pipe is None:
            return
        with contextlib.suppress(BrokenPipeError):
            self._pipe.close()
        self._pipe = None
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if os.waitstatus_to_exitcode(status) != 0:
            raise MakeuserdbError(f"{self.tmp}: could not be written (disk full?)")

    def abort(self) -> None:
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                self._pipe.close()
            self._pipe = None
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


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
