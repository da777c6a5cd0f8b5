"""Debian's real Courier binaries, for differential and interoperability tests.

The packages are fetched with ``apt-get download`` and unpacked with ``dpkg -x``
into a cache directory (never installed: our own package is also called
courier-imap).  Programs with compiled-in paths (/etc/courier, /run/courier,
/usr/lib/courier) run in a private mount namespace where those paths are bind
mounts of test directories: see :func:`namespace_command`.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("COURIER_TEST_CACHE", "/var/cache/courier-imap-tests"))
PACKAGES = [
    "courier-imap", "courier-pop", "courier-base", "courier-authdaemon", "courier-authlib",
    "courier-authlib-userdb", "libcourier-unicode4", "libgamin0", "gamin", "libidn12", "libpcre3",
]  # fmt: skip


def root() -> Path:
    """The unpacked tree (downloaded once per machine, shared by parallel test workers)."""
    dest = CACHE / "real-courier"
    stamp = dest / ".complete"
    if stamp.exists():
        return dest
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "real-courier.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return dest
        debs = CACHE / "debs"
        debs.mkdir(exist_ok=True)
        os.chmod(debs, 0o777)  # apt's download sandbox user must be able to write here
        r = subprocess.run(
            ["apt-get", "-o", "DPkg::Lock::Timeout=600", "download", *PACKAGES],
            cwd=debs,
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            pytest.skip(f"cannot download Debian's Courier packages: {r.stderr.strip()[-300:]}")
        for deb in sorted(debs.glob("*.deb")):
            subprocess.run(["dpkg", "-x", str(deb), str(dest)], check=True)
        stamp.touch()
    return dest


def env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment that lets the unpacked binaries find their libraries."""
    r = root()
    libs = [
        r / "lib/x86_64-linux-gnu",
        r / "usr/lib/x86_64-linux-gnu",
        r / "usr/lib",
        r / "usr/lib/courier-authlib",
    ]
    e = {
        "PATH": f"{r}/usr/bin:{r}/usr/sbin:/usr/bin:/usr/sbin:/bin:/sbin",
        "LD_LIBRARY_PATH": ":".join(str(p) for p in libs),
        "LANG": "C.UTF-8",
    }
    e.update(extra or {})
    return e


def binary(rel: str) -> str:
    """Path of a program inside the unpacked tree, e.g. ``usr/bin/imapd``."""
    return str(root() / rel)


def namespace_command(argv: Sequence[str], binds: Mapping[str, str | Path]) -> list[str]:
    """Wrap ``argv`` to run in a private mount namespace with ``target -> source`` bind mounts.

    ``/usr/lib/courier`` is always bound to the unpacked tree so that scripts with
    compiled-in paths (makeuserdb -> makedatprog, authdaemond) find their helpers.
    """
    all_binds: dict[str, str] = {"/usr/lib/courier": str(root() / "usr/lib/courier")}
    all_binds.update({t: str(s) for t, s in binds.items()})
    script = []
    for target, source in all_binds.items():
        script.append(f"mkdir -p {shlex.quote(target)}")
        script.append(f"mount --bind {shlex.quote(source)} {shlex.quote(target)}")
    script.append("exec " + shlex.join(argv))
    return ["unshare", "-m", "--propagation", "private", "sh", "-ec", "; ".join(script)]
