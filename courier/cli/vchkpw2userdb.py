"""vchkpw2userdb: convert a vpopmail tree (users/vpasswd, domains/*/vpasswd) to userdb lines."""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import sys
from collections.abc import Sequence

from courier.userdb.passwd import read_passwd, userdb_lines
from courier.userdb.record import RecordError


def _write_atomic(path: str, text: str) -> None:
    tmp = os.path.join(os.path.dirname(path), f".tmp.{os.path.basename(path)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, text.encode("utf-8", "surrogateescape"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="vchkpw2userdb",
        description="Convert vpopmail's users/vpasswd and domains/DOMAIN/vpasswd files to userdb "
        "lines (DOMAIN accounts become name@DOMAIN), all with the vpopmail account's uid and gid.",
    )
    p.add_argument("--vpopmailhome", metavar="DIR", help="vpopmail's top directory (default: its home)")
    p.add_argument("--todir", metavar="DIR", help="write one userdb file per vpasswd into DIR (made 0700)")
    p.add_argument("--uid", type=int, help="uid for every account (default: the vpopmail account's)")
    p.add_argument("--gid", type=int, help="gid for every account (default: the vpopmail account's)")
    args = p.parse_args(argv)

    uid, gid, home = args.uid, args.gid, args.vpopmailhome
    if uid is None or gid is None or home is None:
        try:
            pw = pwd.getpwnam("vpopmail")
        except KeyError:
            sys.stderr.write(
                "vchkpw2userdb: there is no vpopmail account: give --vpopmailhome, --uid and --gid.\n"
            )
            return 1
        uid = pw.pw_uid if uid is None else uid
        gid = pw.pw_gid if gid is None else gid
        home = pw.pw_dir if home is None else home
    if not os.path.isdir(home):
        sys.stderr.write(f"vchkpw2userdb: {home}: not found.\n")
        return 1

    sources: list[tuple[str, str, str]] = []  # (output name, vpasswd, domain)
    users = os.path.join(home, "users", "vpasswd")
    if os.path.isfile(users):
        sources.append(("users-vpasswd", users, ""))
    domains = os.path.join(home, "domains")
    try:
        names = sorted(os.listdir(domains))
    except OSError as e:
        sys.stderr.write(f"vchkpw2userdb: {domains}: {e.strerror}\n")
        return 1
    for d in names:
        vpasswd = os.path.join(domains, d, "vpasswd")
        if not d.startswith(".") and os.path.isfile(vpasswd):
            sources.append((d, vpasswd, d))

    outputs: list[tuple[str, list[str]]] = []
    try:
        for outname, vpasswd, domain in sources:
            entries = read_passwd(vpasswd, numeric_ids=False)
            lines, _ = userdb_lines(entries, None, domain=domain, reverse=False, fixed_ids=(uid, gid))
            outputs.append((outname, lines))
    except RecordError as e:
        sys.stderr.write(f"vchkpw2userdb: {e}\nvchkpw2userdb: nothing was written.\n")
        return 1

    if args.todir is None:
        sys.stdout.write("".join(line + "\n" for _, lines in outputs for line in lines))
        return 0
    try:
        if not os.path.isdir(args.todir):
            os.mkdir(args.todir, 0o700)
        for outname, lines in outputs:
            _write_atomic(os.path.join(args.todir, outname), "".join(line + "\n" for line in lines))
    except OSError as e:
        sys.stderr.write(f"vchkpw2userdb: {e.filename or args.todir}: {e.strerror}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
