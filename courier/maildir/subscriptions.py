"""``courierimapsubscribed``: one subscribed folder name (IMAP form, UTF-8) per line."""

from __future__ import annotations

import contextlib
import os

from .names import UniqueName

SUBSCRIBED = "courierimapsubscribed"


def read(maildir: str) -> list[str]:
    try:
        with open(os.path.join(maildir, SUBSCRIBED), "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return []
    seen: set[str] = set()
    out = []
    for line in text.split("\n"):
        if line and line not in seen:
            seen.add(line)
            out.append(line)
    return out


def write(maildir: str, names: list[str]) -> None:
    path = os.path.join(maildir, SUBSCRIBED)
    tmp = os.path.join(maildir, "tmp", UniqueName.new(uniq="subscribed").tmp())
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("".join(n + "\n" for n in names))
    with contextlib.suppress(FileNotFoundError):
        os.chmod(tmp, os.stat(path).st_mode & 0o777)
    os.rename(tmp, path)


def add(maildir: str, name: str) -> None:
    names = read(maildir)
    if name not in names:
        write(maildir, [*names, name])


def remove(maildir: str, name: str) -> None:
    names = read(maildir)
    if name in names:
        write(maildir, [n for n in names if n != name])
