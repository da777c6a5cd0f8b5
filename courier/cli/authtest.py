"""authtest: ask authdaemond about an account, check a password, or change it (Courier's tool)."""

from __future__ import annotations

import argparse
import sys

from courier.config import DEFAULT_CONFIG_DIR, ConfigError

USAGE = "authtest [-s service] userid [ password [ newpassword ] ]"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="authtest",
        usage=USAGE,
        description="Look up an account through authdaemond (no password), check a password, "
        "or change it (old and new password).  Exit status 0 on success, 1 on failure.",
    )
    p.add_argument(
        "-s", "--service", default="login", help="service name sent to the modules (default: login)"
    )
    p.add_argument("--config-dir", default=str(DEFAULT_CONFIG_DIR), help="directory of authdaemonrc")
    p.add_argument("--socket", help="authdaemond socket (default: $authdaemonvar/socket from authdaemonrc)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for authdaemond")
    p.add_argument("userid")
    p.add_argument("password", nargs="?")
    p.add_argument("newpassword", nargs="?")
    return p


def socket_path(config_dir: str, override: str | None) -> str:
    if override:
        return override
    from courier.authdaemon.settings import load_settings

    return str(load_settings(config_dir).socket_path)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from courier.auth.module import TempFail
    from courier.authdaemon.client import AuthClient

    try:
        client = AuthClient(socket_path(args.config_dir, args.socket), args.timeout)
    except ConfigError as exc:
        print(f"authtest: {exc}", file=sys.stderr)
        return 1
    try:
        if args.newpassword is not None:
            ok = client.passwd(args.service, args.userid, args.password or "", args.newpassword)
            if not ok:
                print("Authentication FAILED: Operation not permitted", file=sys.stderr)
                return 1
            print("Password change succeeded.", file=sys.stderr)  # Courier writes it to stderr
            return 0
        if args.password is None:
            info = client.pre(args.service, args.userid)
        else:
            info = client.login(args.service, args.userid, args.password)
    except TempFail:
        # Courier's wording: its client reports a temporary failure as EIO.
        print("Authentication FAILED: Input/output error", file=sys.stderr)
        return 1
    if info is None:
        print("Authentication FAILED: Operation not permitted", file=sys.stderr)
        return 1
    if info.uid is not None:
        who = f"(uid {info.uid}, gid {info.gid})"
    else:
        who = f"(system username: {info.sysusername})"
    opts = ",".join(f"{k}={v}" for k, v in info.options.items())
    print("Authentication succeeded.")
    print()
    print(f"     Authenticated: {info.address}  {who}")
    print(f"    Home Directory: {info.home}")
    print(f"           Maildir: {info.maildir or '(none)'}")
    print(f"             Quota: {info.quota or '(none)'}")
    print(f"Encrypted Password: {info.passwd or '(none)'}")
    print(f"Cleartext Password: {info.clearpw or '(none)'}")
    print(f"           Options: {opts or '(none)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
