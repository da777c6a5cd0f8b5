"""Hostile mailbox names: each rejected with a clear error, and nothing is created anywhere."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from courier.maildir import layout
from courier.maildir.store import MaildirStore
from courier.mime import mutf7
from courier.storage import InvalidName, StorageError

HOSTILE = [
    "",
    "Toplevel",
    "../etc",
    "/etc/passwd",
    "INBOX/../../etc",
    "INBOX./etc",
    "INBOX.a/b",
    "INBOX.a/../../x",
    "INBOX..x",
    "INBOX.x..y",
    "INBOX.",
    "INBOX...",
    ".x",
    "..",
    ".",
    "INBOX.\x00",
    "INBOX.a\x00b",
    "INBOX.a\nb",
    "INBOX.a\rb",
    "INBOX.a\tb",
    "INBOX.\x1b[31m",
    "INBOX.a\x7fb",
    "INBOX.a\x85b",
    "INBOX.\ud800",
    "INBOX.\uffff",
    "INBOX." + "x" * 255,
    "INBOX." + "ä" * 128,
    "INBOX." + "x" * 5000,
    "INBOX.a.b." + "c/" * 10,
    "INBOX.*",
    "INBOX.%",
    "INBOX.a*b",
    "#shared.x",
    "shared.x",
    "~root",
    "INBOXX",
]


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("name", HOSTILE, ids=lambda n: layout.describe(n)[:40])
def test_hostile_name_rejected_and_nothing_created(store: MaildirStore, maildir: Path, name: str) -> None:
    outside = maildir.parent
    before = _tree(outside)
    with pytest.raises(InvalidName) as info:
        store.create(name)
    assert str(info.value).startswith("Invalid mailbox name")
    with pytest.raises(StorageError):
        store.rename("INBOX.Existing" if False else "INBOX.NoSuch", name)
    assert _tree(outside) == before
    assert not store.exists(name)


def test_table_is_big_enough() -> None:
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("wire", ["INBOX.&Jjo", "INBOX.&AGE-", "INBOX.&-&", "INBOX.&U,BTFw-&ZeVnLIqe-x&"])
def test_invalid_modified_utf7_never_reaches_the_disk(store: MaildirStore, maildir: Path, wire: str) -> None:
    before = _tree(maildir)
    with pytest.raises((mutf7.MUTF7Error, InvalidName)):
        store.create(mutf7.decode(wire))
    assert _tree(maildir) == before


def test_inbox_is_case_insensitive() -> None:
    assert layout.canonical("inbox") == "INBOX"
    assert layout.canonical("iNbOx.Foo") == "INBOX.Foo"
    assert layout.folder_path("/m", "inbox.Ä.b") == os.path.join("/m", ".Ä.b")


def test_name_of_dir() -> None:
    assert layout.name_of_dir(".Foo.Bar") == "INBOX.Foo.Bar"
    assert layout.name_of_dir("..x") is None
    assert layout.name_of_dir("cur") is None
    assert layout.name_of_dir(".") is None
