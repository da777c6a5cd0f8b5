"""Debian packages unpacked (never installed) into the benchmark cache, and a mount namespace to run them.

Our own package is also called courier-imap, and Dovecot's imap/pop3 packages
conflict with Courier's, so the reference servers are fetched with
``apt-get download`` and unpacked with ``dpkg -x``.  Programs with compiled-in
paths (/etc/courier, /run/courier, /usr/lib/courier, /usr/lib/dovecot) run in a
private mount namespace where those paths are bind mounts (``unshare -m``).
"""

from __future__ import annotations

import fcntl
import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

CACHE = Path(os.environ.get("COURIER_BENCH_CACHE", "/var/cache/courier-imap-bench"))

COURIER = [
    "courier-imap", "courier-pop", "courier-base", "courier-authdaemon", "courier-authlib",
    "courier-authlib-userdb", "libcourier-unicode4", "libgamin0", "gamin", "libidn12", "libpcre3",
]  # fmt: skip
DOVECOT = ["dovecot-core", "dovecot-imapd", "dovecot-pop3d", "libexttextcat-2.0-0", "liblua5.4-0"]


class Unavailable(RuntimeError):
    """The packages cannot be fetched (no network, no apt): that server is left out of the run."""


def unpacked(name: str, packages: Sequence[str]) -> Path:
    """CACHE/<name>: the packages unpacked once per machine (a lock serialises parallel runs)."""
    dest = CACHE / name
    stamp = dest / ".complete"
    if stamp.exists():
        return dest
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return dest
        debs = CACHE / f"{name}-debs"
        debs.mkdir(exist_ok=True)
        os.chmod(debs, 0o777)  # apt's download sandbox user writes here
        download = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "download", *packages]
        r = subprocess.run(download, cwd=debs, capture_output=True, text=True)
        if r.returncode != 0:  # a fresh machine may have no package lists yet
            subprocess.run(["apt-get", "-q", "update"], capture_output=True)
            r = subprocess.run(download, cwd=debs, capture_output=True, text=True)
        if r.returncode != 0:
            raise Unavailable(f"apt-get download {' '.join(packages)} failed: {r.stderr.strip()[-300:]}")
        for deb in sorted(debs.glob("*.deb")):
            subprocess.run(["dpkg", "-x", str(deb), str(dest)], check=True)
        stamp.touch()
    return dest


def library_env(root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment in which the unpacked programs find the unpacked libraries."""
    libs = [root / "lib/x86_64-linux-gnu", root / "usr/lib/x86_64-linux-gnu", root / "usr/lib"]
    env = {
        "PATH": f"{root}/usr/bin:{root}/usr/sbin:/usr/bin:/usr/sbin:/bin:/sbin",
        "LD_LIBRARY_PATH": ":".join(str(p) for p in libs),
        "LANG": "C.UTF-8",
    }
    env.update(extra or {})
    return env


def namespace_script(
    script: str, binds: Mapping[str, str | Path], overlays: Mapping[str, str | Path] | None = None
) -> list[str]:
    """argv running the shell ``script`` in a private mount namespace with ``target -> source`` binds
    and read-only overlays (``target`` shows the files of ``source`` over its own)."""
    lines = []
    for target, source in (overlays or {}).items():
        t, src = shlex.quote(target), shlex.quote(str(source))
        lines.append(f"mount -t overlay overlay -o lowerdir={src}:{t} {t}")
    for target, source in binds.items():
        lines.append(f"[ -e {shlex.quote(target)} ] || mkdir -p {shlex.quote(target)}")
        lines.append(f"mount --bind {shlex.quote(str(source))} {shlex.quote(target)}")
    lines.append(script)
    return ["unshare", "-m", "--propagation", "private", "sh", "-ec", "\n".join(lines)]
