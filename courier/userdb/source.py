"""The userdb source: a file, or a directory whose files are read as one.

Courier's rules (makeuserdb): in a directory, every file in it and its
subdirectories counts, except names starting with ``.`` (that is where
``userdb`` keeps its ``.lock.*`` and ``.tmp.*`` files).  Each record
remembers the file it came from, relative to the directory (``example-com/``),
which makeuserdb stores as the ``_`` field.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from courier.userdb.record import Record, RecordError, parse_line

DEFAULT_CONFIG_DIR = "/etc/courier"


def default_userdb(config_dir: str = DEFAULT_CONFIG_DIR) -> str:
    return os.path.join(config_dir, "userdb")


@dataclass(frozen=True, slots=True)
class Located:
    record: Record
    path: str  # the file
    lineno: int
    location: str  # "" for a plain file, "sub/dir/file/" inside a directory


def read_text(path: str) -> str:
    """A file's text with bytes that are not UTF-8 kept (surrogateescape) so they round-trip."""
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def split_lines(text: str) -> list[str]:
    """Lines split on LF only (a CR is data to Courier), each without its LF."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def source_files(top: str) -> list[tuple[str, str]]:
    """(path, location) of every file making up the source, in a stable order."""
    if not os.path.isdir(top):
        return [(top, "")]
    out: list[tuple[str, str]] = []
    dirs = [top]
    while dirs:
        d = dirs.pop(0)
        subdirs: list[str] = []
        for name in sorted(os.listdir(d)):
            if name.startswith("."):
                continue
            p = os.path.join(d, name)
            if os.path.isdir(p):
                subdirs.append(p)
            else:
                out.append((p, os.path.relpath(p, top) + "/"))
        dirs.extend(subdirs)
    return out


def iter_file(path: str, location: str = "") -> Iterator[Located]:
    """Every account of one file; a bad line raises RecordError naming file and line."""
    try:
        text = read_text(path)
    except OSError as e:
        raise RecordError(e.strerror or str(e), path) from None
    for lineno, line in enumerate(split_lines(text), 1):
        try:
            rec = parse_line(line)
        except RecordError as e:
            raise e.at(path, lineno) from None
        if rec is not None:
            yield Located(rec, path, lineno, location)


def iter_source(top: str) -> Iterator[Located]:
    for path, location in source_files(top):
        yield from iter_file(path, location)
