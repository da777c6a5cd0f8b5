"""pw2userdb: print /etc/passwd and /etc/shadow as userdb lines."""

from __future__ import annotations

import argparse
import os
import pwd
import sys
from collections.abc import Sequence

from courier.userdb.passwd import read_passwd, read_shadow, userdb_lines
from courier.userdb.record import RecordError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pw2userdb",
        description="Print every account of a passwd file (with passwords from the shadow file) "
        "as userdb lines, each followed by its reverse uid record '<uid>=<TAB><name>'.",
    )
    p.add_argument(
        "--passwd", default="/etc/passwd", metavar="FILE", help="passwd file (default %(default)s)"
    )
    p.add_argument(
        "--shadow", default="/etc/shadow", metavar="FILE", help="shadow file (default %(default)s)"
    )
    p.add_argument("--noshadow", action="store_true", help="do not read the shadow file")
    p.add_argument("--nouid", action="store_true", help="no reverse uid records")
    p.add_argument("--domain", default="", help="append @DOMAIN to every account name")
    p.add_argument(
        "--vpopuid", action="store_true", help="give every account the uid/gid of the vpopmail account"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        fixed: tuple[int, int] | None = None
        if args.vpopuid:
            try:
                pw = pwd.getpwnam("vpopmail")
            except KeyError:
                sys.stderr.write("pw2userdb: --vpopuid: there is no vpopmail account.\n")
                return 1
            fixed = (pw.pw_uid, pw.pw_gid)
        entries = read_passwd(args.passwd, numeric_ids=not args.vpopuid)
        shadow = None
        if not args.noshadow and os.path.isfile(args.shadow):
            shadow = read_shadow(args.shadow)
        lines, warnings = userdb_lines(
            entries, shadow, domain=args.domain, reverse=not args.nouid, fixed_ids=fixed
        )
    except RecordError as e:
        sys.stderr.write(f"pw2userdb: {e}\n")
        return 1
    for w in warnings:
        sys.stderr.write(f"pw2userdb: warning: {w}\n")
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
