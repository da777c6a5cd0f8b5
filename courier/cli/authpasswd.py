"""authpasswd: print the stored form of a password, as Courier's authpasswd does."""

from __future__ import annotations

import argparse
import sys

METHODS = "md5, md5raw, sha, ssha, sha256, sha512, or a crypt prefix such as '$y$', '$6$', '$2b$'"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="authpasswd",
        description="Read a password from standard input (twice on a terminal) and print its "
        f"encrypted form.  METHOD: {METHODS}; none gives md5-crypt ($1$); other names give {{SSHA}}, "
        "as Courier's authpasswd does.",
    )
    p.add_argument("method", nargs="?", default="", help="hash method (default: md5-crypt)")
    args = p.parse_args(argv)
    from courier.auth import hashes

    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Password: ")
        if getpass.getpass("Reenter password: ") != first:
            print("authpasswd: passwords do not match", file=sys.stderr)
            return 1
    else:
        first = sys.stdin.readline().rstrip("\r\n")
    if not first:
        print("authpasswd: empty password", file=sys.stderr)
        return 1
    try:
        print(hashes.make(first, args.method))
    except ValueError as exc:
        print(f"authpasswd: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
