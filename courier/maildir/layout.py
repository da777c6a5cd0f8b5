"""Folder names <-> Maildir++ directories, with the validation that keeps every name inside the maildir.

IMAP form (Unicode): ``INBOX`` or ``INBOX.Parent.Child``; INBOX is case-insensitive, also as a
prefix.  On disk: INBOX is the maildir itself, ``INBOX.Parent.Child`` is ``<maildir>/.Parent.Child``
(UTF-8, the flat Maildir++ layout Courier 5 uses).
"""

from __future__ import annotations

import os

from courier.storage import InvalidName

INBOX = "INBOX"
SEP = "."
#: A folder directory name may not exceed NAME_MAX bytes.
MAX_DIR_BYTES = 255
MAX_NAME_CHARS = 1024
#: Characters refused in new names besides controls: path separator and LIST wildcards.
_CREATE_FORBIDDEN = frozenset("/*%")


def _bad_char(ch: str, creating: bool) -> bool:
    o = ord(ch)
    return (
        o < 0x20
        or 0x7F <= o <= 0x9F
        or 0xD800 <= o <= 0xDFFF
        or o in (0xFFFE, 0xFFFF)
        or ch == "/"
        or (creating and ch in _CREATE_FORBIDDEN)
    )


def describe(name: str) -> str:
    """A short printable form of a (possibly hostile) name for error messages."""
    shown = name if len(name) <= 60 else name[:57] + "..."
    return shown.encode("unicode_escape").decode("ascii")


def parse(name: str, *, creating: bool = False) -> tuple[str, ...]:
    """The components below INBOX (``()`` for INBOX itself); raises InvalidName for anything unsafe."""
    if not isinstance(name, str) or not name:
        raise InvalidName("Invalid mailbox name.")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidName(f"Invalid mailbox name: longer than {MAX_NAME_CHARS} characters.")
    if name.upper() == INBOX:
        return ()
    if name[:6].upper() != INBOX + SEP:
        raise InvalidName("Invalid mailbox name.")
    rest = name[6:]
    parts = tuple(rest.split(SEP))
    if any(not p for p in parts):
        raise InvalidName(f"Invalid mailbox name: empty hierarchy level in {describe(name)}.")
    for ch in rest:
        if _bad_char(ch, creating):
            raise InvalidName(f"Invalid mailbox name: character {ch!a} not allowed in {describe(name)}.")
    if len((SEP + rest).encode("utf-8")) > MAX_DIR_BYTES:
        raise InvalidName(f"Invalid mailbox name: longer than {MAX_DIR_BYTES} bytes on disk.")
    return parts


def canonical(name: str) -> str:
    """The canonical spelling: ``INBOX`` upper-case, the rest unchanged."""
    parts = parse(name)
    return SEP.join((INBOX, *parts))


def dirname(parts: tuple[str, ...]) -> str:
    """The directory name of a folder below INBOX (``.A.B``)."""
    return SEP + SEP.join(parts)


def folder_path(maildir: str, name: str) -> str:
    parts = parse(name)
    return maildir if not parts else os.path.join(maildir, dirname(parts))


def name_of_dir(entry: str) -> str | None:
    """The IMAP name for a directory entry of the maildir, or None if it is not a valid folder name."""
    if not entry.startswith(SEP) or entry in (".", ".."):
        return None
    name = INBOX + entry
    try:
        parse(name)
    except InvalidName:
        return None
    return name
