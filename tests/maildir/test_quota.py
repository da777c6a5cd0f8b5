from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from courier.maildir import MaildirSettings, open_store
from courier.maildir import quota as q
from courier.maildir.deliver import deliver
from courier.maildir.store import MaildirStore
from courier.storage import OverQuota


def test_parse_spec() -> None:
    assert q.parse_spec("1000000S,100C") == q.QuotaSpec(1000000, 100)
    assert q.parse_spec("100C") == q.QuotaSpec(0, 100)
    assert q.parse_spec("5000S").format() == "5000S"
    assert q.parse_spec("junk 5x") == q.QuotaSpec(0, 0)
    with pytest.raises(q.QuotaSyntaxError):
        q.parse_spec("5x", strict=True)


def _maildirsize(md: Path, text: str) -> None:
    (md / "maildirsize").write_text(text)


def test_read_sums_deltas(maildir: Path) -> None:
    _maildirsize(maildir, "1000000S,100C\n        4519            4\n         248            1\n")
    u = q.read(str(maildir))
    assert u is not None and (u.bytes, u.messages, u.lines, u.needs_recalc) == (4767, 5, 2, False)
    _maildirsize(maildir, "1000S\n         -10           -1\n")
    assert q.read(str(maildir)).needs_recalc  # type: ignore[union-attr]
    _maildirsize(maildir, "1000S\n" + "           1            1\n" * 300)
    assert q.read(str(maildir)).needs_recalc  # type: ignore[union-attr]


def test_store_quota_and_append_accounting(store: MaildirStore, maildir: Path) -> None:
    assert store.quota() is None
    _maildirsize(maildir, "1000000S,100C\n           0            0\n")
    mb = store.open("INBOX")
    mb.append([b"Subject: a\n\n" + b"x" * 99 + b"\n"])
    quota = store.quota()
    assert quota is not None
    assert (quota.storage_used, quota.messages_used, quota.storage_limit, quota.messages_limit) == (
        112,
        1,
        1000000,
        100,
    )
    assert (maildir / "maildirsize").read_text().splitlines()[-1] == f"{112:12d} {1:12d}"


def test_over_quota_append_refused_nothing_stored(maildir: Path) -> None:
    store = open_store(str(maildir), MaildirSettings(fsync=False))
    _maildirsize(maildir, "100S,10C\n           0            0\n")
    mb = store.open("INBOX")
    mb.append([b"x" * 60])
    with pytest.raises(OverQuota) as info:
        mb.append([b"y" * 60])
    assert info.value.code == "OVERQUOTA"
    assert len(os.listdir(maildir / "cur")) == 1
    assert os.listdir(maildir / "tmp") == []
    assert [m.uid for m in mb.messages()] == [1]


def test_stale_maildirsize_is_recalculated(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"x" * 50)  # maildirsize absent: nothing recorded
    _maildirsize(maildir, "100S\n           0            0\n")
    os.utime(maildir / "maildirsize", (time.time() - 3600, time.time() - 3600))
    mb = store.open("INBOX")
    mb.append([b"y" * 40])  # under quota by the recorded numbers: no recount (Courier's rule)
    assert (maildir / "maildirsize").read_text().count("\n") == 3
    with pytest.raises(OverQuota):  # over by the records and the file is old: recount, still over
        mb.append([b"z" * 70])
    assert (maildir / "maildirsize").read_text() == "100S\n          90            2\n"


def test_trash_and_deleted_not_counted(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.Trash")
    _maildirsize(maildir, "1000S\n           0            0\n")
    mb = store.open("INBOX")
    mb.append([b"a" * 100])
    store.open("INBOX.Trash").append([b"t" * 500])
    assert store.quota().storage_used == 100  # type: ignore[union-attr]
    mb.set_flags([1], frozenset({"\\Deleted"}), frozenset())
    assert store.quota().storage_used == 0  # type: ignore[union-attr]
    mb.set_flags([1], frozenset(), frozenset({"\\Deleted"}))
    assert store.quota().storage_used == 100  # type: ignore[union-attr]
    mb.set_flags([1], frozenset({"\\Deleted"}), frozenset())
    mb.expunge()
    assert q.recalculate(str(maildir), q.QuotaSpec(1000, 0)).bytes == 0


def test_trash_quota_option_counts_everything(maildir: Path) -> None:
    store = open_store(str(maildir), MaildirSettings(trash_quota=True, fsync=False))
    store.create("INBOX.Trash")
    _maildirsize(maildir, "1000S\n           0            0\n")
    store.open("INBOX.Trash").append([b"t" * 500])
    mb = store.open("INBOX")
    mb.append([b"a" * 100])
    mb.set_flags([1], frozenset({"\\Deleted"}), frozenset())
    assert store.quota().storage_used == 600  # type: ignore[union-attr]
    assert q.recalculate(str(maildir), q.QuotaSpec(1000, 0), trash_quota=True).bytes == 600


def test_account_quota_creates_maildirsize(maildir: Path) -> None:
    deliver(str(maildir), b"x" * 40)
    store = open_store(str(maildir), MaildirSettings(quota="5000S,10C", fsync=False))
    quota = store.quota()
    assert quota is not None and (quota.storage_used, quota.messages_used) == (40, 1)
    assert (maildir / "maildirsize").read_text() == "5000S,10C\n          40            1\n"


def test_copy_checks_target_quota(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.Archive")
    mb = store.open("INBOX")
    mb.append([b"a" * 80])
    _maildirsize(maildir, "100S\n          80            1\n")
    with pytest.raises(OverQuota):
        mb.copy_to([1], "INBOX.Archive")
    assert os.listdir(maildir / ".Archive" / "cur") == []
    assert os.listdir(maildir / ".Archive" / "tmp") == []


def test_delete_folder_gives_back_quota(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.Big")
    _maildirsize(maildir, "10000S\n           0            0\n")
    store.open("INBOX.Big").append([b"b" * 300])
    assert store.quota().storage_used == 300  # type: ignore[union-attr]
    store.delete("INBOX.Big")
    assert store.quota().storage_used == 0  # type: ignore[union-attr]
