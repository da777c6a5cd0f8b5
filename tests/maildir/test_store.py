from __future__ import annotations

from pathlib import Path

import pytest

from courier.maildir import layout
from courier.maildir.deliver import deliver
from courier.maildir.store import MaildirStore
from courier.storage import FolderExists, NoSuchFolder, StorageError


def _names(store: MaildirStore) -> dict[str, tuple[bool, bool]]:
    return {f.name: (f.selectable, f.has_children) for f in store.list_folders()}


def test_create_makes_courier_layout(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.Foo")
    d = maildir / ".Foo"
    for sub in ("cur", "new", "tmp", "courierimapkeywords"):
        assert (d / sub).is_dir()
        assert (d / sub).stat().st_mode & 0o777 == 0o700
    assert (d / "maildirfolder").stat().st_size == 0
    assert (d / "maildirfolder").stat().st_mode & 0o777 == 0o600
    header = (d / "courierimapuiddb").read_text()
    assert header.startswith("1 ") and header.endswith(" 1\n")
    assert not list((maildir / "tmp").iterdir())


def test_create_utf8_name_on_disk(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.ämläut")
    assert (maildir / ".ämläut" / "cur").is_dir()
    assert "INBOX.ämläut" in _names(store)


def test_inbox_prefix_case_insensitive(store: MaildirStore, maildir: Path) -> None:
    store.create("inbox.lower")
    assert (maildir / ".lower").is_dir()
    assert "INBOX.lower" in _names(store)
    with pytest.raises(FolderExists, match="INBOX already exists"):
        store.create("Inbox")


def test_duplicate_create(store: MaildirStore) -> None:
    store.create("INBOX.Foo")
    with pytest.raises(FolderExists, match="Cannot create this folder"):
        store.create("INBOX.Foo")


def test_trailing_separator_creates_nothing(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.Trail.")
    assert not (maildir / ".Trail").exists()


def test_placeholders_and_children(store: MaildirStore) -> None:
    store.create("INBOX.Foo")
    store.create("INBOX.Foo.Bar")
    store.create("INBOX.Deep.Er.Est")
    names = _names(store)
    assert names["INBOX"] == (True, True)
    assert names["INBOX.Foo"] == (True, True)
    assert names["INBOX.Foo.Bar"] == (True, False)
    assert names["INBOX.Deep"] == (False, True)
    assert names["INBOX.Deep.Er"] == (False, True)
    assert names["INBOX.Deep.Er.Est"] == (True, False)
    store.delete("INBOX.Deep.Er.Est")
    assert "INBOX.Deep" not in _names(store)


def test_inbox_marked_when_new_mail(store: MaildirStore, maildir: Path) -> None:
    inbox = next(f for f in store.list_folders() if f.name == "INBOX")
    assert inbox.marked is False
    deliver(str(maildir), b"Subject: x\n\nx\n")
    inbox = next(f for f in store.list_folders() if f.name == "INBOX")
    assert inbox.marked is True


def _marked(store: MaildirStore) -> bool:
    return next(f for f in store.list_folders() if f.name == "INBOX").marked


def test_inbox_marked_while_cur_holds_unseen_mail(store: MaildirStore, maildir: Path) -> None:
    # as Courier: an APPENDed message without \Seen (stored in cur/) marks INBOX too
    box = store.open("INBOX")
    uid = box.append([b"Subject: x\n\nx\n"])
    assert not any((maildir / "new").iterdir()) and _marked(store)
    box.set_flags([uid], add=frozenset({"\\Seen"}), remove=frozenset())
    box.close()
    store.open("INBOX", readonly=True).close()  # leaves an index matching cur/
    assert (maildir / "courierpyindex").exists() and not _marked(store)
    (maildir / "cur" / "1700000000.M1P1.x:2,F").write_bytes(b"Subject: y\n\ny\n")  # not indexed yet
    assert _marked(store)


def test_delete(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.Foo")
    store.create("INBOX.Foo.Bar")
    store.delete("INBOX.Foo")
    names = _names(store)
    assert names["INBOX.Foo"] == (False, True)  # now a \Noselect placeholder
    assert not (maildir / ".Foo").exists()
    with pytest.raises(NoSuchFolder):
        store.delete("INBOX.Foo")
    with pytest.raises(StorageError, match="Cannot delete"):
        store.delete("INBOX")
    assert not [p for p in (maildir / "tmp").iterdir()]


def test_rename_moves_children(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.Foo")
    store.create("INBOX.Foo.Bar")
    deliver(str(maildir), b"Subject: x\n\nx\n", "INBOX.Foo.Bar")
    store.rename("INBOX.Foo", "INBOX.Baz")
    names = _names(store)
    assert "INBOX.Baz" in names and "INBOX.Baz.Bar" in names
    assert "INBOX.Foo" not in names
    assert len(list((maildir / ".Baz.Bar" / "new").iterdir())) == 1
    with pytest.raises(StorageError, match="INBOX rename"):
        store.rename("INBOX", "INBOX.X")
    with pytest.raises(NoSuchFolder):
        store.rename("INBOX.NoSuch", "INBOX.X")
    store.create("INBOX.Other")
    with pytest.raises(FolderExists):
        store.rename("INBOX.Baz", "INBOX.Other")
    with pytest.raises(StorageError):
        store.rename("INBOX.Baz", "INBOX.Baz.Sub")


def test_rename_placeholder_moves_its_children(store: MaildirStore) -> None:
    store.create("INBOX.Deep.Er")
    store.rename("INBOX.Deep", "INBOX.Shallow")
    assert _names(store)["INBOX.Shallow.Er"] == (True, False)


def test_subscriptions(store: MaildirStore, maildir: Path) -> None:
    store.subscribe("INBOX.Foo")
    store.subscribe("inbox.NoSuch")
    store.subscribe("INBOX.Foo")
    assert store.subscriptions() == ["INBOX.Foo", "INBOX.NoSuch"]
    assert (maildir / "courierimapsubscribed").read_text() == "INBOX.Foo\nINBOX.NoSuch\n"
    store.unsubscribe("INBOX.Foo")
    store.unsubscribe("INBOX.NotThere")
    assert store.subscriptions() == ["INBOX.NoSuch"]


def test_status_does_not_touch_folder(store: MaildirStore, maildir: Path) -> None:
    store.create("INBOX.Foo")
    deliver(str(maildir), b"Subject: 1\n\nx\n", "INBOX.Foo")
    deliver(str(maildir), b"Subject: 2\n\nx\n", "INBOX.Foo")
    st = store.status("INBOX.Foo")
    assert (st.messages, st.recent, st.unseen, st.uidnext) == (2, 2, 2, 3)
    assert len(list((maildir / ".Foo" / "new").iterdir())) == 2
    mb = store.open("INBOX.Foo")
    assert mb.uidvalidity == st.uidvalidity
    assert [m.uid for m in mb.messages()] == [1, 2]
    assert store.status("INBOX.Foo").recent == 0
    with pytest.raises(NoSuchFolder):
        store.status("INBOX.Nope")


def test_status_of_maildirmake_folder_fixes_uidvalidity(store: MaildirStore, maildir: Path) -> None:
    from courier.maildir.create import make_maildir

    make_maildir(str(maildir / ".Plain"), folder=True)
    v = store.status("INBOX.Plain").uidvalidity
    assert store.open("INBOX.Plain").uidvalidity == v


def test_folder_path_never_escapes(maildir: Path) -> None:
    for name in ("INBOX.a", "INBOX.a.b", "inbox.ä"):
        assert Path(layout.folder_path(str(maildir), name)).parent == maildir
