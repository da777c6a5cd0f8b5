"""The ``userdb`` command's edits: set/unset fields, delete and show accounts.

Same files and rules as Courier's ``userdb`` script: an exclusive flock on
``.lock.<file>`` next to the file, the new text written to ``.tmp.<file>``
(created 0600, then given the old file's mode) and renamed over the file;
other lines are kept byte for byte.  Where Courier rewrites an edited record
in Perl hash order we keep the fields where they were and append new ones.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from courier.userdb.record import Field, RecordError, check_name, format_record, split_fields
from courier.userdb.source import read_text, split_lines


class EditError(Exception):
    """The edit could not be made; the file is unchanged."""


@dataclass(frozen=True, slots=True)
class Target:
    """The file an edit goes to, and the account name inside it."""

    path: str
    name: str | None

    @property
    def lock_path(self) -> str:
        d, base = os.path.split(self.path)
        return os.path.join(d, f".lock.{base}")

    @property
    def tmp_path(self) -> str:
        d, base = os.path.split(self.path)
        return os.path.join(d, f".tmp.{base}")


def resolve(userdb: str, name: str | None, explicit_file: str | None) -> Target:
    """``-f file name``, or ``[sub/dir/]name`` relative to the userdb source (file or directory).

    Symbolic links to the file are followed (relative ones from the link's own
    directory) so the edit replaces the file the link points to, not the link.
    """
    if explicit_file is not None:
        path = explicit_file
    elif name is not None and "/" in name:
        sub, _, name = name.rpartition("/")
        path = f"{userdb}/{sub}"
    else:
        path = userdb
    for _ in range(40):
        try:
            link = os.readlink(path)
        except OSError:
            break
        path = os.path.join(os.path.dirname(path), link)
    else:
        raise EditError(f"{path}: too many levels of symbolic links")
    return Target(path, name)


@contextlib.contextmanager
def locked(target: Target) -> Iterator[None]:
    try:
        fd = os.open(target.lock_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise EditError(f"Can't open {target.lock_path}: {e.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read_lines(target: Target) -> list[str] | None:
    try:
        st = os.stat(target.path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise EditError(f"{target.path}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise EditError(f"{target.path}: not a file.")
    try:
        return split_lines(read_text(target.path))
    except OSError as e:
        raise EditError(f"{target.path}: {e.strerror}") from None


def _record_name(line: str) -> str | None:
    """The name a line defines, by Courier's match ``^([^\\t]+)(\\t(.*))?$``."""
    name = line.split("\t", 1)[0]
    return name or None


def _commit(target: Target, lines: Sequence[str], had_final_newline: bool = True) -> None:
    """Write ``.tmp.<file>`` (0600, then the old file's mode) and rename it over the file."""
    data = "".join(line + "\n" for line in lines)
    if not had_final_newline and data.endswith("\n"):
        data = data[:-1]
    try:
        old_mode: int | None = stat.S_IMODE(os.stat(target.path).st_mode)
    except OSError:
        old_mode = None
    tmp = target.tmp_path
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data.encode("utf-8", "surrogateescape"))
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            if old_mode is not None:
                os.fchmod(fd, old_mode)
        finally:
            os.close(fd)
        os.rename(tmp, target.path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise EditError(f"{e.filename or target.path}: {e.strerror}") from None


def _final_newline(target: Target) -> bool:
    try:
        with open(target.path, "rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() == 0:
                return True
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"
    except OSError:
        return True


def _merge(old: list[Field], updates: Sequence[Field], remove: Sequence[str] = ()) -> list[Field]:
    """Courier's hash semantics in a stable order: one field per name, later values win."""
    merged: dict[str, str | None] = {}
    for n, v in old:
        merged[n] = v
    for n, v in updates:
        merged[n] = v
    for n in remove:
        merged.pop(n, None)
    return list(merged.items())


def set_fields(target: Target, fields: Sequence[Field]) -> None:
    """Add the account or update its fields (``fields`` already have their values)."""
    name = _require_name(target)
    with locked(target):
        lines = _read_lines(target) or []
        tail_newline = _final_newline(target)
        for i, line in enumerate(lines):
            if _record_name(line) == name:
                _, _, text = line.partition("\t")
                lines[i] = format_record(name, _merge(split_fields(text), fields))
                # Courier rewrites lines up to the match and copies the rest verbatim
                _commit(target, lines, tail_newline or i == len(lines) - 1)
                return
        lines.append(format_record(name, fields))
        _commit(target, lines)


def unset_fields(target: Target, names: Sequence[str]) -> bool:
    """Remove fields from the account; False (file untouched) if there is no such account."""
    return _edit_existing(target, names, delete=False)


def delete(target: Target) -> bool:
    """Remove the account's line; False (file untouched) if there is no such account."""
    return _edit_existing(target, (), delete=True)


def _edit_existing(target: Target, names: Sequence[str], *, delete: bool) -> bool:
    name = _require_name(target)
    with locked(target):
        lines = _read_lines(target)
        if lines is None:
            return False
        tail_newline = _final_newline(target)
        for i, line in enumerate(lines):
            if _record_name(line) == name:
                keep_tail = tail_newline or i == len(lines) - 1
                if delete:
                    del lines[i]
                else:
                    _, _, text = line.partition("\t")
                    lines[i] = format_record(name, _merge(split_fields(text), (), names))
                _commit(target, lines, keep_tail)
                return True
        return False


def show(target: Target) -> list[str]:
    """``-show``: the account's fields one per line, or every account name of the file."""
    with locked(target):
        lines = _read_lines(target) or []
    out: list[str] = []
    for line in lines:
        if line.startswith("#"):
            continue
        name = _record_name(line)
        if name is None:
            continue
        if target.name is None:
            out.append(name)
        elif name == target.name:
            _, _, text = line.partition("\t")
            return text.split("|")
    return out


def _require_name(target: Target) -> str:
    if not target.name:
        raise EditError("no account name given")
    try:
        check_name(target.name)
    except RecordError as e:
        raise EditError(str(e)) from None
    return target.name
