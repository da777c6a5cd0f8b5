"""The index of virtual shared folders (``#shared.``), in Courier's format.

One record per line, fields separated by a single tab; ``#`` starts a comment:

    name<TAB>uid<TAB>gid<TAB>home[<TAB>maildir]   an account (maildir defaults to ./Maildir)
    group<TAB>*<TAB>file                          a sub-index: ``file`` beside this index lists
                                                  the accounts of ``#shared.group.``

Every account of such an index is reached by the process that reads it only if it has
the same uid (Courier's constraint for virtual shared folders): accounts whose maildir
cannot be reached are left out, as Courier leaves them out.  Names may contain "." or
"/", which IMAP names cannot: they are shown with a space instead (or, with
IMAP_SHAREDMUNGENAMES, as ``\\:`` and ``\\;`` with backslashes doubled).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from courier.frozen import dataclass

#: How deep ``group`` lines may nest.  Courier follows them without limit (a loop between
#: two index files never ends); we stop here.
MAX_DEPTH = 8
#: Index files larger than this are read only this far (a garbage file must not exhaust memory).
MAX_INDEX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    uid: int
    gid: int
    maildir: str  # absolute path of the account's maildir


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    index: str  # path of the sub-index file


Record = Account | Group


def munge(name: str, complex_: bool = False) -> str:
    """An index name as it appears in an IMAP name."""
    if not complex_:
        return name.replace(".", " ").replace("/", " ")
    return name.replace("\\", "\\\\").replace(".", "\\:").replace("/", "\\;")


def location(home: str, maildir: str) -> str:
    """Courier's maildir_location: an absolute maildir as is, else relative to the home."""
    return os.path.normpath(maildir if maildir.startswith("/") else os.path.join(home, maildir))


def parse_line(line: str, index_path: str) -> Record | None:
    """One line of an index file; None for blank lines, comments and malformed lines."""
    line = line.rstrip("\n").split("#", 1)[0]
    fields = line.split("\t")
    if len(fields) < 3 or not fields[0]:
        return None
    name = fields[0]
    if fields[1].startswith("*"):
        target = fields[2]
        if not target:
            return None
        return Group(name, os.path.join(os.path.dirname(index_path), target))
    try:
        uid, gid = int(fields[1]), int(fields[2])
    except ValueError:
        return None
    if uid <= 0 or gid <= 0 or len(fields) < 4 or not fields[3]:
        return None  # as Courier: uid 0 / gid 0 lines are ignored
    maildir = fields[4] if len(fields) > 4 and fields[4] else "./Maildir"
    return Account(name, uid, gid, location(fields[3], maildir))


def read(index_path: str) -> list[Record]:
    """The records of one index file (no file: none)."""
    try:
        with open(index_path, "rb") as fh:
            data = fh.read(MAX_INDEX_BYTES)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return []
    out: list[Record] = []
    for raw in data.decode("utf-8", "surrogateescape").splitlines():
        rec = parse_line(raw, index_path)
        if rec is not None:
            out.append(rec)
    return out


@dataclass(frozen=True, slots=True)
class Found:
    """Where ``#shared.<path>`` leads: an account's folder, or an intermediate level."""

    prefix: tuple[str, ...]  # the IMAP levels below #shared naming the account (groups, then it)
    account: Account | None  # None: the path stops at a group level (or at #shared itself)
    rest: tuple[str, ...]  # the folder levels inside the account's maildir ("" = its INBOX)


class SharedIndex:
    """The shared index one login sees (IMAP_SHAREDINDEXFILE + its ``sharedgroup``)."""

    def __init__(self, index_file: str, complex_names: bool = False) -> None:
        self.index_file = index_file
        self.complex_names = complex_names
        self._cache: dict[str, list[Record]] = {}

    def records(self, path: str) -> list[Record]:
        hit = self._cache.get(path)
        if hit is None:
            hit = self._cache[path] = read(path)
        return hit

    def find(self, parts: tuple[str, ...]) -> Found | None:
        """Resolve the levels after ``#shared``; None when no record matches."""
        index = self.index_file
        prefix: list[str] = []
        for depth, part in enumerate(parts):
            if depth >= MAX_DEPTH:
                return None
            rec = next((r for r in self.records(index) if munge(r.name, self.complex_names) == part), None)
            if rec is None:
                return None
            prefix.append(part)
            if isinstance(rec, Account):
                return Found(tuple(prefix), rec, tuple(parts[depth + 1 :]))
            index = rec.index
        return Found(tuple(prefix), None, ())

    def accounts(self) -> Iterator[tuple[tuple[str, ...], Account]]:
        """Every account with the IMAP levels that name it, depth first, in file order."""
        yield from self._walk(self.index_file, (), 0)

    def groups(self) -> Iterator[tuple[str, ...]]:
        """The IMAP levels of every group (listed as \\Noselect placeholders)."""
        yield from self._groups(self.index_file, (), 0)

    def _walk(
        self, index: str, prefix: tuple[str, ...], depth: int
    ) -> Iterator[tuple[tuple[str, ...], Account]]:
        if depth >= MAX_DEPTH:
            return
        for rec in self.records(index):
            levels = (*prefix, munge(rec.name, self.complex_names))
            if isinstance(rec, Account):
                yield levels, rec
            else:
                yield from self._walk(rec.index, levels, depth + 1)

    def _groups(self, index: str, prefix: tuple[str, ...], depth: int) -> Iterator[tuple[str, ...]]:
        if depth >= MAX_DEPTH:
            return
        for rec in self.records(index):
            if isinstance(rec, Group):
                levels = (*prefix, munge(rec.name, self.complex_names))
                yield levels
                yield from self._groups(rec.index, levels, depth + 1)


def index_file(base: str, sharedgroup: str) -> str:
    """The index a login reads: IMAP_SHAREDINDEXFILE with its ``sharedgroup`` option appended."""
    return base + sharedgroup
