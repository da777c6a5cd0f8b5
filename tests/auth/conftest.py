"""Real system accounts and PAM service files for the auth tests (root only, unique names)."""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class SystemUser:
    name: str
    password: str
    uid: int
    gid: int
    home: str


@pytest.fixture
def system_user() -> Iterator[SystemUser]:
    """A real passwd/shadow account whose password chpasswd stores (yescrypt on Debian 12)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a system user")
    name = f"ctest{secrets.token_hex(4)}"
    password = "Pa55-" + secrets.token_hex(4)
    subprocess.run(
        [
            "useradd",
            "-M",
            "-d",
            f"/nonexistent/{name}",
            "-c",
            "Test User,,,",
            "-s",
            "/usr/sbin/nologin",
            name,
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True, capture_output=True)
        pw = pwd.getpwnam(name)
        yield SystemUser(name, password, pw.pw_uid, pw.pw_gid, pw.pw_dir)
    finally:
        subprocess.run(["userdel", name], capture_output=True)


@pytest.fixture
def pam_services() -> Iterator[dict[str, str]]:
    """PAM service files: unix (pam_unix nodelay), permit, deny; name -> service name."""
    if os.geteuid() != 0:
        pytest.skip("needs root to write /etc/pam.d")
    tag = secrets.token_hex(4)
    bodies = {
        "unix": "auth required pam_unix.so nodelay\naccount required pam_unix.so\n",
        "permit": "auth required pam_permit.so\naccount required pam_permit.so\n",
        "deny": "auth required pam_deny.so\naccount required pam_deny.so\n",
    }
    names = {k: f"ctest-{tag}-{k}" for k in bodies}
    for k, body in bodies.items():
        Path("/etc/pam.d", names[k]).write_text(body)
    try:
        yield names
    finally:
        for n in names.values():
            Path("/etc/pam.d", n).unlink(missing_ok=True)
