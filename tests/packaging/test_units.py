"""The systemd units are valid and sandboxed (checked offline: systemd is not PID 1 here)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO

UNITS = sorted(p.name for p in (REPO / "systemd").iterdir() if p.suffix in (".socket", ".service"))
SERVICES = [u for u in UNITS if u.endswith(".service")]

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")


def test_every_unit_verifies() -> None:
    r = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *UNITS],
        cwd=REPO / "systemd",
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_services_are_sandboxed(service: str) -> None:
    r = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", service],
        cwd=REPO / "systemd",
        capture_output=True,
        text=True,
    )
    m = re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    # 10 is an unsandboxed unit; these must stay in systemd's "OK" band.
    assert float(m.group(1)) <= 4.0


def test_sockets_match_courier_limits() -> None:
    text = {u: (REPO / "systemd" / u).read_text() for u in UNITS}
    for sock, port, perip in (("imapd", 143, 20), ("imapds", 993, 20), ("pop3d", 110, 4), ("pop3ds", 995, 4)):
        t = text[f"{sock}.socket"]
        assert f"ListenStream={port}\n" in t
        assert "Accept=yes" in t and "NoDelay=true" in t and "BindIPv6Only=both" in t
        assert "MaxConnections=40" in t and f"MaxConnectionsPerSource={perip}" in t
        svc = text[f"{sock}@.service"]
        assert "StandardInput=socket" in svc and "StandardOutput=socket" in svc
        assert re.search(r"^ExecStart=/usr/bin/python3 -IS /usr/libexec/courier-imap/\S+", svc, re.M)
        assert ("--tls" in svc) == sock.endswith("s")
    assert "Type=notify" in text["authdaemond.service"]
    assert "ListenStream=/run/courier/authdaemon/socket" in text["authdaemond.socket"]
