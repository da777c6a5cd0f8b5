"""imapd as a program: what it imports before the greeting (every connection pays for it)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.conftest import PYTHON, REPO

# Run as systemd, inetd and courier-tcpd run it: the client's socket on fd 0 and 1.
# os.write is watched: the first write is the greeting, and sys.modules is noted then.
SPY = """
import os, sys
sys.path.insert(0, {repo!r})
bare = set(sys.modules)
write = os.write
def spy(fd, data):
    if not getattr(spy, "done", False):
        spy.done = True
        sys.stderr.write(" ".join(sorted(set(sys.modules) - bare)) + "\\n")
    return write(fd, data)
os.write = spy
sys.argv[1:] = ["--config-dir", {etc!r}]
from courier.cli.imapd import main
raise SystemExit(main())
"""

# What may be imported before the greeting (beyond what a bare interpreter has).
ALLOWED = {
    "__future__",
    "courier",
    "courier.cli",
    "courier.cli.imapd",
    "courier.config",
    "courier.frozen",
    "courier.imap",
    "courier.imap.capability",
    "courier.imap.settings",
    "courier.log",
    "courier.maildir",
    "courier.maildir.settings",
}


def test_greeting_needs_only_the_settings(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    for name in ("imapd", "imapd-ssl"):  # the full shipped files: every variable parsed
        (etc / name).write_text((REPO / "etc" / f"{name}.dist").read_text())
    ours, theirs = socket.socketpair()
    with ours, theirs:
        proc = subprocess.Popen(
            [PYTHON, "-I", "-S", "-c", SPY.format(repo=str(REPO), etc=str(etc))],
            stdin=theirs,
            stdout=theirs,
            stderr=subprocess.PIPE,
        )
        theirs.close()
        ours.settimeout(30)
        greeting = ours.recv(4096)
        ours.sendall(b"a LOGOUT\r\n")
        _, err = proc.communicate(timeout=30)
    assert greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    imported = set(err.decode().splitlines()[0].split())
    assert imported <= ALLOWED, f"imported before the greeting: {sorted(imported - ALLOWED)}"
    assert proc.returncode == 0


def test_wrapper_runs_without_site(tmp_path: Path) -> None:
    """bin/imapd as systemd and courier-tcpd start it (-IS): it finds the package by itself."""
    assert (REPO / "bin/imapd").read_text().startswith("#!/usr/bin/python3 -IS\n")
    r = subprocess.run(
        [PYTHON, "-IS", str(REPO / "bin/imapd"), "--config-dir", str(tmp_path)],
        input=b"a LOGOUT\r\n",
        capture_output=True,
        cwd=tmp_path,
        timeout=30,
        check=True,
    )
    assert r.stdout.startswith(b"* OK [CAPABILITY IMAP4rev1 ") and b"a OK LOGOUT completed" in r.stdout
