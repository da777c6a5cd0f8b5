"""A folder the user may only read (e.g. a shared folder) can still be EXAMINEd."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from courier.maildir import MaildirSettings, open_store
from courier.maildir.create import make_maildir
from courier.maildir.deliver import deliver
from tests.conftest import PYTHON, REPO, child_env

SCRIPT = """
import sys
from courier.maildir import open_store
from courier.storage import StorageError
store = open_store(sys.argv[1])
mb = store.open("INBOX", readonly=True)
print(len(mb.messages()), sorted(mb.messages()[0].flags))
try:
    store.open("INBOX")
except StorageError as exc:
    print("rw:", exc)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run as another user")
def test_examine_without_write_permission() -> None:
    root = Path(tempfile.mkdtemp(prefix="ro-maildir-"))
    try:
        os.chmod(root, 0o755)
        md = root / "Maildir"
        make_maildir(str(md), 0o755, 0o755)
        deliver(str(md), b"Subject: a\n\nx\n")
        mb = open_store(str(md), MaildirSettings(fsync=False)).open("INBOX")
        mb.set_flags([1], frozenset({"\\Seen", "Shared"}), frozenset())
        deliver(str(md), b"Subject: b\n\nx\n")
        for p in [md, *md.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        r = subprocess.run(
            [PYTHON, "-c", SCRIPT, str(md)],
            user=65534,
            group=65534,
            env=child_env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == "2 ['Shared', '\\\\Seen']"
        assert lines[1].startswith("rw: Permission denied")
    finally:
        shutil.rmtree(root)
