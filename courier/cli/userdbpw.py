"""userdbpw: read a password, print the value for a userdb password field."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence

from courier.userdb.cryptgen import CryptError, crypt_hash, hmac_states

# option -> (kind, scheme)
OPTIONS: dict[str, tuple[str, str]] = {
    "-yescrypt": ("crypt", "yescrypt"),
    "-sha512": ("crypt", "sha512"),
    "-sha256": ("crypt", "sha256"),
    "-md5": ("crypt", "md5"),
    "-des": ("crypt", "des"),
    "-hmac-md5": ("hmac", "md5"),
    "-hmac-sha1": ("hmac", "sha1"),
    "-hmac-sha256": ("hmac", "sha256"),
}
DEFAULT = "-yescrypt"

HELP = """\
Usage: userdbpw [-yescrypt | -sha512 | -sha256 | -md5 | -des | -hmac-md5 | -hmac-sha1 | -hmac-sha256]

Reads a password (twice, without echo, from a terminal; one line from a pipe)
and prints the value to store in a userdb password field, for example:

    userdbpw | userdb john@example.com set systempw
    userdbpw -hmac-md5 | userdb john@example.com set hmac-md5pw

The default is -yescrypt ($y$, as Debian's /etc/shadow), not Courier's
traditional DES crypt.  -hmac-* print the precomputed HMAC states Courier
needs for CRAM-MD5, CRAM-SHA1 and CRAM-SHA256.
"""


def _read_password() -> str | None:
    if sys.stdin.isatty():
        try:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Reenter password: ")
        except (EOFError, KeyboardInterrupt):
            return None
        if first != second:
            sys.stderr.write("Passwords don't match.\n")
            return None
        return first
    line = sys.stdin.readline()
    if not line:
        sys.stderr.write("userdbpw: no password on standard input.\n")
        return None
    return line.removesuffix("\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        sys.stdout.write(HELP)
        return 0
    if len(args) > 1 or any(a not in OPTIONS for a in args):
        sys.stderr.write("userdbpw: invalid argument.\n" + HELP.split("\n\n", 1)[0] + "\n")
        return 1
    kind, scheme = OPTIONS[args[0] if args else DEFAULT]
    password = _read_password()
    if password is None:
        return 1
    if password == "":
        sys.stderr.write("userdbpw: empty password refused.\n")
        return 1
    try:
        out = hmac_states(password, scheme) if kind == "hmac" else crypt_hash(password, scheme)
    except CryptError as e:
        sys.stderr.write(f"userdbpw: {e}\n")
        return 1
    sys.stdout.write(out + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
