"""sharedindexsplit: split a shared folder index into several files (Courier's tool).

The whole index (``authenumerate -s`` output; with ``-o``, a sixth column of account
options) comes on standard input.  With LETTERS > 0 the accounts are split by the first
LETTERS characters of their names into ``index<prefix>`` files, and ``group<TAB>*<TAB>file``
levels lead to them from ``index``; otherwise by their ``sharedgroup`` option, into
``index<sharedgroup>`` (``index`` without one): each is then a separate universe.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence

#: Files kept open at once (Courier's script recycles four the same way).
MAX_OPEN = 4


def _safe(key: str) -> str:
    # a key becomes part of a file name: nothing may lead out of the output directory
    return key.replace("/", "_").replace("\x00", "_")


def key_of(fields: Sequence[str], letters: int) -> str:
    if letters > 0:
        return fields[0][:letters].ljust(letters, "_")
    for opt in (fields[5] if len(fields) > 5 else "").split(","):
        name, sep, value = opt.partition("=")
        if sep and name == "sharedgroup" and value:
            return value
    return ""


def split(lines: Iterable[str], outdir: str, letters: int) -> None:
    """Write the index files into ``outdir`` (appending, as Courier's script does)."""
    files: dict[str, object] = {}
    open_files: dict[str, object] = {}
    seen: list[str] = []
    try:
        for raw in lines:
            line = raw.rstrip("\n").split("#", 1)[0]
            fields = line.split("\t")
            if len(fields) < 4:
                continue
            key = _safe(key_of(fields, letters))
            fh = open_files.get(key)
            if fh is None:
                if len(open_files) >= MAX_OPEN:
                    oldest = next(iter(open_files))
                    open_files.pop(oldest).close()  # type: ignore[attr-defined]
                path = os.path.join(outdir, "index" + key)
                # kept open across lines (at most MAX_OPEN), closed in the finally below
                fh = open_files[key] = open(path, "a", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
                files[key] = True
                if key not in seen:
                    seen.append(key)
            else:
                open_files[key] = open_files.pop(key)  # most recently used last
            del fields[5:6]  # the options stay private
            fh.write("\t".join(fields) + "\n")  # type: ignore[attr-defined]
    finally:
        for fh in open_files.values():
            fh.close()  # type: ignore[attr-defined]
    keys = set(seen)
    while letters > 0:
        letters -= 1
        groups: dict[str, list[str]] = {}
        for k in sorted(keys):
            groups.setdefault(k[:letters], []).append(k)
        for prefix, members in groups.items():
            with open(
                os.path.join(outdir, "index" + prefix), "w", encoding="utf-8", errors="surrogateescape"
            ) as fh2:
                fh2.write("".join(f"{k}\t*\tindex{k}\n" for k in members))
        keys = set(groups)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="sharedindexsplit",
        description="Split the shared folder index read on standard input into index files in OUTPUTDIR: "
        "by the first LETTERS characters of the account names, or (LETTERS 0 or omitted) by each "
        "account's sharedgroup option (sixth column, authenumerate -o).",
    )
    p.add_argument("outputdir", help="an existing (normally empty) directory, e.g. /etc/courier/shared.tmp")
    p.add_argument("letters", nargs="?", type=int, default=0, help="characters of the name to split on")
    args = p.parse_args(argv)
    if not os.path.isdir(args.outputdir):
        print(
            f"Usage: sharedindexsplit outputdir [ letters ]: {args.outputdir} is not a directory",
            file=sys.stderr,
        )
        return 2
    if args.letters < 0:
        p.error("LETTERS must be 0 or more")
    try:
        with open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape", closefd=False) as stdin:
            split(stdin, args.outputdir, args.letters)
    except OSError as exc:
        print(f"sharedindexsplit: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
