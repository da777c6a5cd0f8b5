"""sharedindexinstall: install new shared folder index files (Courier's tool).

The new files are built in ``<config>/shared.tmp``; this moves each into ``<config>/shared``
(one rename per file, so a running imapd reads either the old or the new file, never half of
one) and removes files that the new set no longer has.
"""

from __future__ import annotations

import argparse
import os


def install(config_dir: str) -> str | None:
    """Move shared.tmp/* into shared/; returns an error message, or None."""
    shared = os.path.join(config_dir, "shared")
    new = os.path.join(config_dir, "shared.tmp")
    try:
        incoming = sorted(os.listdir(new))
    except OSError:
        incoming = []
    if not incoming:
        return f"{new} is empty!"
    if not os.path.isdir(shared):
        return f"{shared} does not exist!"
    for name in os.listdir(shared):
        if not os.path.isfile(os.path.join(new, name)):
            path = os.path.join(shared, name)
            if os.path.isfile(path) or os.path.islink(path):
                os.unlink(path)
    for name in incoming:
        os.replace(os.path.join(new, name), os.path.join(shared, name))
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="sharedindexinstall",
        description="Replace the shared folder index files in CONFIG/shared with those built in "
        "CONFIG/shared.tmp, file by file, while imapd keeps running.",
    )
    p.add_argument("--config-dir", default="/etc/courier", help="Courier's configuration directory")
    args = p.parse_args(argv)
    try:
        error = install(args.config_dir)
    except OSError as exc:
        error = f"{exc.filename}: {exc.strerror}"
    if error is not None:
        print(error)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
