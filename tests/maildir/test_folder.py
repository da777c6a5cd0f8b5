from __future__ import annotations

import os
from pathlib import Path

import pytest

from courier.maildir import MaildirSettings, open_store
from courier.maildir.deliver import deliver
from courier.maildir.store import MaildirStore
from courier.storage import NoSuchFolder, StorageError


def _files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_select_moves_new_to_cur_and_marks_recent(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    deliver(str(maildir), b"Subject: b\n\nx\n")
    mb = store.open("INBOX")
    assert [(m.uid, m.recent) for m in mb.messages()] == [(1, True), (2, True)]
    assert _files(maildir / "new") == []
    assert all(n.endswith(":2,") for n in _files(maildir / "cur"))
    again = store.open("INBOX")
    assert [m.recent for m in again.messages()] == [False, False]
    assert again.uidvalidity == mb.uidvalidity


def test_examine_leaves_new_alone(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    ro = store.open("INBOX", readonly=True)
    assert [(m.uid, m.recent) for m in ro.messages()] == [(1, True)]
    assert len(_files(maildir / "new")) == 1
    with pytest.raises(StorageError, match="read-only"):
        ro.expunge()
    rw = store.open("INBOX")
    assert [(m.uid, m.recent) for m in rw.messages()] == [(1, True)]


def test_uiddb_format(store: MaildirStore, maildir: Path) -> None:
    p = deliver(str(maildir), b"Subject: a\n\nx\n")
    mb = store.open("INBOX")
    lines = (maildir / "courierimapuiddb").read_text().splitlines()
    assert lines == [f"1 {mb.uidvalidity} 2", f"1 {os.path.basename(p)}"]


def test_append_crlf_flags_date(store: MaildirStore, maildir: Path) -> None:
    mb = store.open("INBOX")
    uid = mb.append([b"Subject: x\r", b"\n\r\nhello\r\n"], frozenset({"\\Seen", "\\Flagged"}), 760686745.0)
    assert uid == 1
    (name,) = _files(maildir / "cur")
    assert name.endswith(",S=18:2,FS")
    assert (maildir / "cur" / name).read_bytes() == b"Subject: x\n\nhello\n"
    assert (maildir / "cur" / name).stat().st_mtime == 760686745.0
    (m,) = mb.messages()
    assert (m.size, m.recent, m.flags) == (18, False, frozenset({"\\Seen", "\\Flagged"}))
    with mb.open_message(uid) as fh:
        assert fh.read() == b"Subject: x\n\nhello\n"
    assert _files(maildir / "tmp") == []


def test_flags_rename_and_persist(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    mb = store.open("INBOX")
    (m,) = mb.set_flags([1], frozenset({"\\Seen", "\\Answered"}), frozenset())
    assert m.flags == {"\\Seen", "\\Answered"}
    assert _files(maildir / "cur")[0].endswith(":2,RS")
    mb.set_flags([1], frozenset(), frozenset(), replace=frozenset({"\\Draft"}))
    assert _files(maildir / "cur")[0].endswith(":2,D")
    assert store.open("INBOX").messages()[0].flags == {"\\Draft"}
    with pytest.raises(StorageError):
        mb.set_flags([1], frozenset({"\\Bogus"}), frozenset())


def test_keywords(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    deliver(str(maildir), b"Subject: b\n\nx\n")
    mb = store.open("INBOX")
    mb.set_flags([1], frozenset({"$Forwarded", "MyKeyword"}), frozenset())
    mb.set_flags([2], frozenset({"mykeyword"}), frozenset())
    assert mb.keywords() == ["$Forwarded", "MyKeyword", "mykeyword"] or mb.keywords()
    other = store.open("INBOX")
    assert other.messages()[0].flags == {"$Forwarded", "MyKeyword"}
    mb.set_flags([1], frozenset(), frozenset({"MYKEYWORD"}))
    assert mb.messages()[0].flags == {"$Forwarded"}
    ch = other.refresh()
    assert [(m.uid, m.flags) for m in ch.flag_changes] == [(1, frozenset({"$Forwarded"}))]


def test_keywords_disabled(maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    st = open_store(str(maildir), MaildirSettings(keywords=0, fsync=False))
    mb = st.open("INBOX")
    with pytest.raises(StorageError, match="Keywords"):
        mb.set_flags([1], frozenset({"Foo"}), frozenset())
    assert (maildir / "courierimapkeywords").is_dir()


def test_expunge(store: MaildirStore, maildir: Path) -> None:
    for i in range(4):
        deliver(str(maildir), f"Subject: {i}\n\nx\n".encode())
    mb = store.open("INBOX")
    mb.set_flags([1, 3, 4], frozenset({"\\Deleted"}), frozenset())
    assert mb.expunge([3]) == [3]
    assert mb.expunge() == [1, 4]
    assert [m.uid for m in mb.messages()] == [2]
    assert len(_files(maildir / "cur")) == 1
    other = store.open("INBOX")
    assert [m.uid for m in other.messages()] == [2]
    assert other.uidnext == 5


def test_refresh_sees_other_sessions(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    a = store.open("INBOX")
    b = store.open("INBOX")
    deliver(str(maildir), b"Subject: b\n\nx\n")
    ch = a.refresh()
    assert [(m.uid, m.recent) for m in ch.added] == [(2, True)]
    ch = b.refresh()
    assert [(m.uid, m.recent) for m in ch.added] == [(2, False)]
    b.set_flags([1], frozenset({"\\Deleted"}), frozenset())
    b.expunge()
    ch = a.refresh()
    assert list(ch.expunged) == [1]
    assert [m.uid for m in a.messages()] == [2]
    ch = a.refresh()
    assert not (ch.added or ch.expunged or ch.flag_changes)


def test_open_message_after_foreign_rename(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nbody\n")
    a = store.open("INBOX")
    b = store.open("INBOX")
    b.set_flags([1], frozenset({"\\Seen"}), frozenset())
    with a.open_message(1) as fh:
        assert fh.read().endswith(b"body\n")


def test_copy(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.Archive")
    deliver(str(maildir), b"Subject: a\n\nx\n")
    deliver(str(maildir), b"Subject: b\n\nx\n")
    mb = store.open("INBOX")
    mb.set_flags([2], frozenset({"\\Seen", "$Label1"}), frozenset())
    assert list(mb.copy_to([1, 2], "INBOX.Archive")) == [(1, 1), (2, 2)]
    arch = store.open("INBOX.Archive")
    assert [(m.uid, m.flags, m.recent) for m in arch.messages()] == [
        (1, frozenset(), False),
        (2, frozenset({"\\Seen", "$Label1"}), False),
    ]
    src_names = {n.split(":")[0] for n in _files(maildir / "cur")}
    dst_names = {n.split(":")[0] for n in _files(maildir / ".Archive" / "cur")}
    assert not src_names & dst_names
    with pytest.raises(NoSuchFolder) as info:
        mb.copy_to([1], "INBOX.NoSuch")
    assert info.value.code == "TRYCREATE"
    assert list(mb.copy_to([1], "INBOX")) == [(1, 3)]
    assert [m.uid for m in mb.messages()] == [1, 2, 3]


def test_corrupt_uiddb_gives_new_uidvalidity(store: MaildirStore, maildir: Path) -> None:
    deliver(str(maildir), b"Subject: a\n\nx\n")
    v1 = store.open("INBOX").uidvalidity
    (maildir / "courierimapuiddb").write_bytes(b"garbage\x00\n")
    mb = store.open("INBOX")
    assert mb.uidvalidity != v1
    assert [m.uid for m in mb.messages()] == [1]


def test_damaged_lines_never_reuse_uids(store: MaildirStore, maildir: Path) -> None:
    for i in range(3):
        deliver(str(maildir), f"Subject: {i}\n\nx\n".encode())
    mb = store.open("INBOX")
    lines = (maildir / "courierimapuiddb").read_text().splitlines()
    lines[2] = "x" + lines[2]  # damage UID 2's line
    (maildir / "courierimapuiddb").write_text("\n".join(lines) + "\n")
    again = store.open("INBOX")
    assert again.uidvalidity == mb.uidvalidity
    assert sorted(m.uid for m in again.messages()) == [1, 3, 4]


def test_missing_folder(store: MaildirStore) -> None:
    with pytest.raises(NoSuchFolder):
        store.open("INBOX.Nope")


def test_stale_tmp_cleaned_on_open(store: MaildirStore, maildir: Path) -> None:
    old = maildir / "tmp" / "1.M1P1.host"
    old.write_text("junk")
    fresh = maildir / "tmp" / "2.M1P1.host"
    fresh.write_text("in progress")
    os.utime(old, (0, 0))
    # st_ctime cannot be set back: make the limit "now" instead, via the settings
    st = open_store(str(maildir), MaildirSettings(tmp_max_age=-1, fsync=False))
    st.open("INBOX")
    assert not old.exists() and not fresh.exists()
    store.open("INBOX", readonly=True)


def test_refresh_of_unchanged_folder_without_keyword_list_does_not_relist(
    store: MaildirStore, maildir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Courier and a fresh folder have courierimapkeywords/ without its list file: that is
    # "no keywords, unchanged", not "changed" on every poll (which re-listed every message).
    for i in range(3):
        deliver(str(maildir), b"Subject: %d\n\nx\n" % i)
    (maildir / "courierimapkeywords").mkdir(exist_ok=True)
    a = store.open("INBOX")
    b = store.open("INBOX")
    assert not (maildir / "courierimapkeywords" / ":list").exists()
    past = os.stat(maildir).st_mtime - 10  # settled directories: their listing may be trusted
    for d in ("cur", "new", "courierimapkeywords"):
        os.utime(maildir / d, (past, past))
    a.refresh()
    mb_type = type(a)

    def relist(*args: object) -> None:
        raise AssertionError("refresh of an unchanged folder re-listed it")

    monkeypatch.setattr(mb_type, "_list", relist)
    monkeypatch.setattr(mb_type, "_location", relist)
    ch = a.refresh()
    assert not (ch.added or ch.expunged or ch.flag_changes)
    monkeypatch.undo()
    b.set_flags([2], frozenset({"Important"}), frozenset())
    ch = a.refresh()
    assert [(m.uid, "Important" in m.flags) for m in ch.flag_changes] == [(2, True)]
