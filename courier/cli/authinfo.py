"""authinfo: which authentication modules this install provides, and which authdaemonrc uses."""

from __future__ import annotations

import argparse
import sys

from courier.config import DEFAULT_CONFIG_DIR, ConfigError

DESCRIPTIONS = {
    "authuserdb": "userdb.dat / userdbshadow.dat (makeuserdb)",
    "authpam": "PAM services imap and pop3; uid/gid/home from the passwd entry",
    "authpwd": "getpwnam and the passwd entry's password",
    "authshadow": "getpwnam and /etc/shadow",
    "authvchkpw": "vpopmail vpasswd files",
    "authcustom": "a Python hook (authcustom.py in the config directory)",
    "authldap": "LDAP directory (authldaprc)",
    "authmysql": "MySQL / MariaDB (authmysqlrc)",
    "authpgsql": "PostgreSQL (authpgsqlrc)",
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="authinfo",
        description="List the authentication modules this install provides (one per line, "
        "'*' before those in authmodulelist), then the configured module list.",
    )
    p.add_argument("--config-dir", default=str(DEFAULT_CONFIG_DIR), help="directory of authdaemonrc")
    p.add_argument("--modules", action="store_true", help="print only the available module names")
    args = p.parse_args(argv)
    from courier.auth.chain import available_modules
    from courier.authdaemon.settings import load_settings

    available = available_modules()
    if args.modules:
        print(" ".join(available))
        return 0
    try:
        settings = load_settings(args.config_dir)
    except ConfigError as exc:
        print(f"authinfo: {exc}", file=sys.stderr)
        return 1
    for name in available:
        mark = "*" if name in settings.modules else " "
        print(f"{mark} {name:<11} {DESCRIPTIONS.get(name, '')}")
    missing = [m for m in settings.modules if m not in available]
    print(f"authmodulelist: {' '.join(settings.modules)}")
    if missing:
        print(f"not provided (skipped by authdaemond): {' '.join(missing)}")
    print(f"daemons: {settings.daemons}")
    print(f"socket: {settings.socket_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
