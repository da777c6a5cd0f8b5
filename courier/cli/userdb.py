"""userdb: edit the userdb source file (/etc/courier/userdb), as Courier's ``userdb`` does."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Sequence

from courier.userdb.compile import mode_problem
from courier.userdb.edit import EditError, Target, delete, resolve, set_fields, show, unset_fields
from courier.userdb.record import Field, RecordError, check_field, parse_assignment
from courier.userdb.source import DEFAULT_CONFIG_DIR, default_userdb

USAGE = """\
Usage: userdb [--config-dir DIR] [path/.../ | -f file ]name set field=value field=value...
       userdb [--config-dir DIR] [path/.../ | -f file ]name unset field field...
       userdb [--config-dir DIR] [path/.../ | -f file ]name del
       userdb [--config-dir DIR] -show [path/... | -f file ] [name]
"""

HELP = (
    USAGE
    + """
Edits the userdb source, DIR/userdb (default /etc/courier/userdb), or the file
given with -f.  If DIR/userdb is a directory, "sub/name" edits the account
"name" in the file DIR/userdb/sub.  A field given without "=value" reads its
value from standard input (so "userdbpw | userdb NAME set systempw" works).
Run makeuserdb afterwards to compile the changes.
"""
)


def _err(msg: str) -> int:
    sys.stderr.write(f"userdb: {msg}\n")
    return 1


def _read_value(name: str, field: str, tty: bool) -> str | None:
    if tty:
        prompt = f"{name}.{field}: "
        try:
            if field.endswith("pw"):
                return getpass.getpass(prompt)
            sys.stdout.write(prompt)
            sys.stdout.flush()
        except (EOFError, KeyboardInterrupt):
            return None
    line = sys.stdin.readline()
    if not line:
        return None
    return line.removesuffix("\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    config_dir = DEFAULT_CONFIG_DIR
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt in ("--help", "-h"):
            sys.stdout.write(HELP)
            return 0
        if opt == "--config-dir" and args:
            config_dir = args.pop(0)
        elif opt.startswith("--config-dir="):
            config_dir = opt.split("=", 1)[1]
        else:
            sys.stderr.write(USAGE)
            return 1
    if args[:1] == ["-h"]:
        sys.stdout.write(HELP)
        return 0
    base = default_userdb(config_dir)

    doshow = bool(args) and args[0] == "-show"
    if doshow:
        args.pop(0)
    explicit: str | None = None
    if args and args[0] == "-f":
        args.pop(0)
        if not args:
            sys.stderr.write(USAGE)
            return 1
        explicit = args.pop(0)
    elif os.path.islink(base):
        return _err(f"ERROR: Wrong userdb command.\n       ({base} is a symbolic link)")
    name = args.pop(0) if args else None

    try:
        target = resolve(base, name, explicit)
        if doshow:
            for line in show(Target(target.path, target.name or None)):
                sys.stdout.write(line + "\n")
            return 0
        verb = args.pop(0) if args else ""
        if not verb or not target.name:
            sys.stderr.write(USAGE)
            return 1
        if verb == "set":
            return _set(target, args)
        if verb == "unset":
            for f in args:
                check_field(f, None)
            if args and not unset_fields(target, args):
                sys.stderr.write(f"userdb: {target.name}: no such account in {target.path}\n")
            return 0
        if verb == "del":
            if args:
                sys.stderr.write(USAGE)
                return 1
            if not delete(target):
                sys.stderr.write(f"userdb: {target.name}: no such account in {target.path}\n")
            return 0
        sys.stderr.write(USAGE)
        return 1
    except (EditError, RecordError) as e:
        return _err(str(e))


def _set(target: Target, args: list[str]) -> int:
    assert target.name is not None
    try:
        parsed = [parse_assignment(a) for a in args]
    except RecordError as e:
        return _err(f"Invalid field or value: {e}")
    tty = sys.stdin.isatty()
    fields: list[Field] = []
    for fname, value in parsed:
        if value is None:
            value = _read_value(target.name, fname, tty)
            if value is None:
                return _err(f"no value for {fname} on standard input; nothing changed")
            try:
                check_field(fname, value)
            except RecordError as e:
                return _err(f"Invalid value: {e}")
        fields.append((fname, value))
    set_fields(target, fields)
    problem = mode_problem(target.path)
    if problem:
        sys.stderr.write(f"userdb: warning: {problem}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
