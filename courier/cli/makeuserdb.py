"""makeuserdb: compile /etc/courier/userdb into userdb.dat and userdbshadow.dat."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from courier.userdb.compile import MakeuserdbError, makeuserdb
from courier.userdb.dat import GdbmError
from courier.userdb.record import RecordError
from courier.userdb.source import DEFAULT_CONFIG_DIR, default_userdb


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="makeuserdb",
        description="Compile the userdb source (a file or a directory of files) into FILE.dat "
        "(0644) and FILEshadow.dat (0600, the *pw fields). Both are replaced atomically; "
        "on any error nothing is changed.",
    )
    p.add_argument(
        "--config-dir", default=DEFAULT_CONFIG_DIR, help="where userdb lives (default %(default)s)"
    )
    p.add_argument("-f", dest="file", metavar="FILE", help="compile FILE instead of CONFIG_DIR/userdb")
    args = p.parse_args(argv)
    source = args.file or default_userdb(args.config_dir)
    try:
        makeuserdb(source)
    except (MakeuserdbError, RecordError, GdbmError, OSError) as e:
        sys.stderr.write(f"makeuserdb: {e}\nmakeuserdb: nothing was changed.\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
