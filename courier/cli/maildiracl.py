"""maildiracl: list, set, delete and compute folder ACLs, with Courier's command line.

    maildiracl -reset maildir
    maildiracl -list maildir INBOX[.folder]
    maildiracl -set maildir INBOX[.folder] [-]identifier [+|-]rights
    maildiracl -delete maildir INBOX[.folder] [-]identifier
    maildiracl -compute maildir INBOX[.folder] identifier...

Identifiers are Courier's own (``owner``, ``anyone``, ``administrators``, ``user=<login>``,
``group=<name>``); rights are stored as given (no RFC 2086 "d" translation).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = "Usage: maildiracl [ options ] maildir [INBOX[.folder] [identifier rights]]"
COMMANDS = ("-reset", "-list", "-set", "-delete", "-compute")
EINVAL = "Invalid argument"


def _usage() -> int:
    print(USAGE)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    from courier.maildir import acl

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        print(__doc__.split("\n\n", 2)[1].rstrip("\n") if __doc__ else "")
        return 0
    if len(args) < 2 or args[0] not in COMMANDS:
        return _usage()
    cmd, maildir = args[0], args[1]
    if cmd == "-reset":
        try:
            acl.reset(maildir)
        except OSError as exc:
            return _fail(f"{maildir}: {exc.strerror}")
        return 0
    if len(args) < 3:
        return _usage()
    folder = args[2]
    if folder != "INBOX" and not folder.startswith("INBOX."):
        return _fail(f"{folder}: {EINVAL}")
    need = {"-list": 3, "-set": 5, "-delete": 4, "-compute": 4}[cmd]
    if len(args) < need:
        return _usage()
    try:
        entries = acl.read_acl(maildir, folder)
    except acl.AclError:
        return _fail(f"{maildir}: {EINVAL}")
    except OSError as exc:
        return _fail(f"{maildir}: {exc.strerror}")
    if cmd == "-list":
        for ident, have in entries:
            print(f"{ident}\t{have}")
        return 0
    if cmd == "-compute":
        me = frozenset(args[3:])
        print(acl.compute(entries, me.__contains__))
        return 0
    try:
        if cmd == "-set":
            entries = acl.tool_modified(entries, args[3], args[4])
        else:
            acl.remove(entries, args[3])
    except acl.AclError:
        return _fail(f"maildiracl: {EINVAL}")
    try:
        acl.write_acl(maildir, folder, entries)
    except acl.AclError as exc:
        if exc.failed is not None:
            return _fail(f"Trying to set invalid access rights for {exc.failed}")
        return _fail(f"{maildir}: {EINVAL}")
    except OSError as exc:
        return _fail(f"{maildir}: {exc.strerror}")
    return 0


def _fail(message: str) -> int:
    sys.stderr.write(message + "\n")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
