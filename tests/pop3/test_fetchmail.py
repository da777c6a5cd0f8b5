"""fetchmail, a real POP3 client, against pop3d: keep mode honours UIDLs, nokeep empties the maildir."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON, child_env
from tests.pop3.conftest import MULTI, SIMPLE, deliver, make_maildir

pytestmark = pytest.mark.skipif(shutil.which("fetchmail") is None, reason="fetchmail is not installed")


class Fetchmail:
    """fetchmail talking to a pre-authenticated pop3d through its ``plugin`` (``auth ssh``)."""

    def __init__(self, tmp: Path, maildir: Path, keep: bool) -> None:
        self.tmp, self.maildir = tmp, maildir
        self.out = tmp / "fetched"
        self.out.mkdir(exist_ok=True)
        mda = tmp / "mda.sh"
        mda.write_text('#!/bin/sh\nexec cat > "$1/$(date +%s%N).$$"\n')
        mda.chmod(0o755)
        plugin = f"{PYTHON} -m courier.cli.pop3d --config-dir {tmp}"
        self.rc = tmp / "fetchmailrc"
        self.rc.write_text(
            "set no bouncemail\n"
            f'poll localhost with proto POP3 plugin "{plugin}" auth ssh uidl\n'
            f'  user "bench" is "{os.environ.get("USER", "root")}" here\n'
            f"  {'keep' if keep else 'nokeep'} sslproto ''\n"
            f'  mda "{mda} {self.out}"\n'
        )
        self.rc.chmod(0o600)

    def run(self) -> subprocess.CompletedProcess[str]:
        env = child_env(
            AUTHENTICATED="bench", MAILDIR=str(self.maildir), HOME=str(self.tmp), FETCHMAILHOME=str(self.tmp)
        )
        return subprocess.run(
            [
                "fetchmail",
                "-f",
                str(self.rc),
                "-i",
                str(self.tmp / "fetchids"),
                "--nosyslog",
                "-v",
                "--pidfile",
                str(self.tmp / "fetchmail.pid"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def fetched(self) -> list[bytes]:
        return sorted(p.read_bytes() for p in self.out.iterdir())


def test_keep_then_nothing_new(tmp_path: Path) -> None:
    md = make_maildir(tmp_path / "Maildir")
    deliver(md, SIMPLE, "1700000000.M1P1.lab")
    deliver(md, MULTI, "1700000001.M2P2.lab")
    fm = Fetchmail(tmp_path, md, keep=True)
    r = fm.run()
    assert r.returncode == 0, r.stderr
    got = fm.fetched()
    assert len(got) == 2
    assert any(SIMPLE in g for g in got) and any(MULTI in g for g in got)
    # In keep mode fetchmail reads with TOP, which (as in Courier) does not set Seen.
    assert sorted(os.listdir(md / "cur")) == ["1700000000.M1P1.lab:2,", "1700000001.M2P2.lab:2,"]

    r = fm.run()
    assert r.returncode == 1, r.stderr  # 1 = no new mail
    assert len(fm.fetched()) == 2

    deliver(md, b"Subject: third\n\nnew one\n", "1700000002.M3P3.lab")
    r = fm.run()
    assert r.returncode == 0, r.stderr
    got = fm.fetched()
    assert len(got) == 3 and any(b"new one" in g for g in got)


def test_nokeep_empties_the_maildir(tmp_path: Path) -> None:
    md = make_maildir(tmp_path / "Maildir")
    for i in range(5):
        deliver(md, SIMPLE.replace(b"zebra", b"zebra %d" % i), f"170000000{i}.M{i}.lab")
    fm = Fetchmail(tmp_path, md, keep=False)
    r = fm.run()
    assert r.returncode == 0, r.stderr
    assert len(fm.fetched()) == 5
    assert os.listdir(md / "cur") == [] and os.listdir(md / "new") == []
