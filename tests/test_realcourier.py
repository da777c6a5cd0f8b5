"""The real-Courier fixture itself works: its imapd runs pre-authenticated on a maildir."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import realcourier


@pytest.mark.slow
def test_real_imapd_preauth_creates_folder(tmp_path: Path) -> None:
    md = tmp_path / "Maildir"
    subprocess.run(
        [realcourier.binary("usr/bin/maildirmake.courier"), str(md)], env=realcourier.env(), check=True
    )
    out = subprocess.run(
        [realcourier.binary("usr/bin/imapd"), str(md)],
        input=b"a1 CREATE INBOX.Probe\r\na2 LOGOUT\r\n",
        env=realcourier.env({"AUTHENTICATED": "probe", "MAILDIR": str(md), "HOME": str(tmp_path)}),
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    assert b"* PREAUTH" in out
    assert b'a1 OK "INBOX.Probe" created.' in out
    assert (md / ".Probe" / "maildirfolder").exists()
