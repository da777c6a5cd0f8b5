"""The courierpyindex cache: used only for an unchanged folder, never hiding a change."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from courier.maildir import index
from courier.maildir.deliver import deliver
from courier.maildir.folder import MaildirFolder
from courier.maildir.store import MaildirStore


def _age(md: Path, seconds: float) -> None:
    """Make new/ and cur/ look last changed ``seconds`` ago (as between two real sessions)."""
    t = time.time() - seconds
    for sub in ("new", "cur"):
        os.utime(md / sub, (t, t))


def _no_listing(self: MaildirFolder) -> dict[str, tuple[str, str]]:
    raise AssertionError("listed the directories although nothing changed")


def test_unchanged_folder_opens_from_index(
    store: MaildirStore, maildir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        deliver(str(maildir), f"Subject: {i}\n\nx\n".encode())
    first = store.open("INBOX")
    first.set_flags([2], frozenset({"\\Seen", "Kw"}), frozenset())
    _age(maildir, 10)
    second = store.open("INBOX")  # rescans, then trusts what it saw
    assert index.load(str(maildir)) is not None
    monkeypatch.setattr(MaildirFolder, "_list", _no_listing)
    third = store.open("INBOX")
    assert [(m.uid, m.key, m.flags, m.size, m.internaldate) for m in third.messages()] == [
        (m.uid, m.key, m.flags, m.size, m.internaldate) for m in second.messages()
    ]
    assert third.uidvalidity == first.uidvalidity and third.uidnext == 4
    assert not any(m.recent for m in third.messages())
    with third.open_message(2) as fh:
        assert fh.read().startswith(b"Subject: 1")


def test_changes_invalidate_index(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    deliver(str(maildir), b"Subject: b\n\nx\n")
    store.open("INBOX")
    _age(maildir, 20)
    store.open("INBOX")
    # Another program flags a message (a rename in cur/).
    name = sorted(os.listdir(maildir / "cur"))[0]
    os.rename(maildir / "cur" / name, maildir / "cur" / (name[: -len(":2,")] + ":2,S"))
    _age(maildir, 10)
    assert store.open("INBOX").messages()[0].flags == {"\\Seen"}
    # A delivery to new/ is claimed as recent even if the index looked fresh.
    _age(maildir, 5)
    store.open("INBOX")
    deliver(str(maildir), b"Subject: c\n\nx\n")
    _age(maildir, 3)
    mb = store.open("INBOX")
    assert [(m.uid, m.recent) for m in mb.messages()] == [(1, False), (2, False), (3, True)]


def test_foreign_uiddb_rewrite_invalidates_index(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    v = store.open("INBOX").uidvalidity
    _age(maildir, 10)
    store.open("INBOX")
    db = maildir / "courierimapuiddb"
    text = db.read_text().replace(f"1 {v} ", f"1 {v + 7} ", 1)
    db.unlink()
    db.write_text(text)
    assert store.open("INBOX").uidvalidity == v + 7


def test_damaged_index_is_ignored(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    store.open("INBOX")
    (maildir / index.INDEX).write_bytes(b"\x00garbage")
    assert [m.uid for m in store.open("INBOX").messages()] == [1]


def test_recent_change_checks_listing_instead_of_renumbering(
    store: MaildirStore, maildir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        deliver(str(maildir), f"Subject: {i}\n\nx\n".encode())
    store.open("INBOX")
    _age(maildir, 10)
    before = [(m.uid, m.key, m.flags) for m in store.open("INBOX").messages()]
    os.utime(maildir / "cur")  # touched just now: the mtimes cannot be trusted yet

    def _no_assign(self: MaildirFolder, *a: object, **k: object) -> dict[str, int]:
        raise AssertionError("renumbered a folder whose listing equals the index")

    with monkeypatch.context() as m:
        m.setattr(MaildirFolder, "_assign", _no_assign)
        assert [(x.uid, x.key, x.flags) for x in store.open("INBOX").messages()] == before
    # Within the same window, a flag set by another program (a rename) is still seen.
    name = sorted(os.listdir(maildir / "cur"))[1]
    os.rename(maildir / "cur" / name, maildir / "cur" / (name[: -len(":2,")] + ":2,F"))
    assert store.open("INBOX").messages()[1].flags == {"\\Flagged"}
