"""maildirmake: create maildirs and folders the way Courier's maildirmake does."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="maildirmake",
        description="Create a maildir, a folder in a maildir, a quota, or a shared-maildir entry.",
    )
    p.add_argument("-f", dest="folder", metavar="FOLDER", help="create folder FOLDER (Sent, A.B) in MAILDIR")
    p.add_argument("-F", dest="ufolder", metavar="FOLDER", help="like -f, FOLDER given as UTF-8 text")
    p.add_argument("-S", dest="sharable", action="store_true", help="make a sharable maildir (mode 755)")
    p.add_argument(
        "-s",
        dest="share",
        metavar="MODE",
        help="with -f: public folder; MODE: read|write[,group]",
    )
    p.add_argument("-q", dest="quota", metavar="QUOTA", help="set the quota, e.g. 5000000S,1000C")
    p.add_argument("--add", metavar="NAME=PATH", help="add a sharable maildir to MAILDIR/shared-maildirs")
    p.add_argument("--del", dest="delete", metavar="NAME", help="remove NAME from MAILDIR/shared-maildirs")
    p.add_argument(
        "--checkutf8",
        nargs="+",
        metavar=("MAILDIR", "MAILFILTER"),
        help="report folders still named in modified UTF-7 (pre-5.0 Courier)",
    )
    p.add_argument(
        "--convutf8", nargs="+", metavar=("MAILDIR", "MAILFILTER"), help="rename such folders to UTF-8"
    )
    p.add_argument("maildir", nargs="?", help="the maildir")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from courier.maildir import make

    p = _parser()
    args = p.parse_args(argv)
    try:
        for conv, apply in ((args.checkutf8, False), (args.convutf8, True)):
            if conv:
                if len(conv) > 2:
                    p.error("--checkutf8/--convutf8 take a maildir and an optional mail filter file")
                out: list[str] = []
                try:
                    return make.convert_utf8(conv[0], conv[1] if len(conv) > 1 else None, apply, out)
                finally:
                    print("\n".join(out))
        if not args.maildir:
            p.error("the maildir argument is required")
        maildir: str = args.maildir
        if args.add:
            make.add_shared(maildir, args.add)
            return 0
        if args.delete:
            make.del_shared(maildir, args.delete)
            return 0
        folder = args.folder
        if args.ufolder is not None:
            folder = args.ufolder
            if "\ufffd" in folder or any(0xDC80 <= ord(c) <= 0xDCFF for c in folder):
                raise make.MakeError(f"Cannot convert {folder!a} to maildir encoding")
        perm = 0o700
        if args.sharable:
            perm = 0o755
        if args.share is not None:
            if folder is None:
                raise make.MakeError(
                    "maildirmake: -s needs -f FOLDER (a public folder of a sharable maildir)"
                )
            perm = make.share_modes(args.share)
        if args.quota is not None:
            make.set_quota(maildir, args.quota, folder, perm)
            return 0
        old = os.umask(0)
        try:
            make.make(maildir, folder, perm)
        finally:
            os.umask(old)
        return 0
    except make.MakeError as exc:
        print(str(exc), file=sys.stderr)
        return exc.status


if __name__ == "__main__":
    raise SystemExit(main())
