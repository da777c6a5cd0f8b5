"""authenumerate: list every account that authdaemond's modules know (Courier's tool)."""

from __future__ import annotations

import argparse
import sys

from courier.cli.authtest import socket_path
from courier.config import DEFAULT_CONFIG_DIR, ConfigError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="authenumerate",
        description="Print user<TAB>uid<TAB>gid<TAB>home<TAB>maildir for every account of every "
        "module in authmodulelist, asking authdaemond.",
    )
    p.add_argument("-m", "--module", help="only the accounts of this module (e.g. authuserdb)")
    p.add_argument("-o", "--options", action="store_true", help="add a sixth column: the account options")
    p.add_argument(
        "-s",
        "--shared",
        action="store_true",
        help="leave out accounts with the disableshared option (for the shared folder index)",
    )
    p.add_argument("--config-dir", default=str(DEFAULT_CONFIG_DIR), help="directory of authdaemonrc")
    p.add_argument("--socket", help="authdaemond socket (default: $authdaemonvar/socket from authdaemonrc)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for authdaemond")
    args = p.parse_args(argv)
    from courier.auth.module import TempFail
    from courier.authdaemon.client import AuthClient

    try:
        client = AuthClient(socket_path(args.config_dir, args.socket), args.timeout)
        sections = list(client.enumerate())
    except ConfigError as exc:
        print(f"authenumerate: {exc}", file=sys.stderr)
        return 1
    except TempFail as exc:
        print(f"authenumerate: {exc}", file=sys.stderr)
        return 1
    out = sys.stdout
    for module, rows in sections:
        if args.module and module != args.module:
            continue
        for row in rows:
            fields = (row + [""] * 6)[:6]
            if args.shared and _no_sharing(fields[5]):
                continue
            out.write("\t".join(fields if args.options else fields[:5]) + "\n")
    return 0


def _no_sharing(options: str) -> bool:
    from courier.auth.info import parse_options

    return parse_options(options).get("disableshared", "") not in ("", "0")


if __name__ == "__main__":
    raise SystemExit(main())
