from __future__ import annotations

from pathlib import Path

import pytest

from courier.maildir import MaildirSettings, open_store
from courier.maildir.create import make_maildir
from courier.maildir.store import MaildirStore


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    return md


@pytest.fixture
def store(maildir: Path) -> MaildirStore:
    return open_store(str(maildir), MaildirSettings(fsync=False))
