"""The namespace store: which names reach which maildir, and that none reaches anything else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from courier.maildir import open_store
from courier.maildir.acl import Identity, write_acl
from courier.maildir.create import make_maildir
from courier.maildir.namespace import NOBODY, NamespaceStore, SharedSettings, kind
from courier.storage import InvalidName, NoSuchFolder, StorageError


@pytest.fixture
def site(tmp_path: Path) -> tuple[NamespaceStore, Path, Path]:
    """bob's store; alice's maildir (with .Projects granted "lr" to bob) is in the index."""
    alice, bob = tmp_path / "alice" / "Maildir", tmp_path / "bob" / "Maildir"
    for md in (alice, bob):
        md.parent.mkdir()
        make_maildir(str(md))
    make_maildir(str(alice / ".Projects"), folder=True)
    make_maildir(str(alice / ".Secret"), folder=True)
    all_ = "aceilrstwx"
    write_acl(str(alice), "INBOX.Projects", [("owner", all_), ("administrators", all_), ("user=bob", "lr")])
    index = tmp_path / "index"
    index.write_text(f"alice\t1\t1\t{tmp_path / 'alice'}\nbob\t1\t1\t{tmp_path / 'bob'}\n")
    personal = open_store(str(bob))
    store = NamespaceStore(personal, Identity("bob"), SharedSettings(index_file=str(index), system_list=""))
    return store, alice, bob


def test_kinds() -> None:
    names = ("INBOX.x", "#shared", "#shared.a", "shared", "shared.a.b", "#sharedx", "sharedx")
    assert [kind(n) for n in names] == [
        "personal",
        "virtual",
        "virtual",
        "sharable",
        "sharable",
        "personal",
        "personal",
    ]


def test_rights_and_visibility(site: tuple[NamespaceStore, Path, Path]) -> None:
    store, alice, _ = site
    names = {f.name for f in store.list_folders(virtual=True)}
    assert names == {"#shared.alice.Projects"}  # no "l" on INBOX and Secret; never bob himself
    box = store.open("#shared.alice.Projects")
    assert box.readonly and box.messages() == []
    with pytest.raises(StorageError, match="Access denied for SELECT/EXAMINE"):
        store.open("#shared.alice.Secret")
    with pytest.raises(StorageError, match='ACL "i" required'):
        store.append("#shared.alice.Projects", [b"Subject: x\n\nx\n"])
    with pytest.raises(StorageError, match='ACL "x" required'):
        store.delete("#shared.alice.Projects")
    src = store.acl_source("#shared.alice.Projects")
    assert (src.maildir, src.folder, src.owner) == (str(alice), "INBOX.Projects", "alice")
    assert store.acl_source("#shared.alice").folder == "INBOX"
    level = store.acl_source("#shared")
    assert level.maildir is None and level.owner == NOBODY and level.fixed == (("anyone", "l"),)


def test_copy_into_a_drop_box(site: tuple[NamespaceStore, Path, Path]) -> None:
    """ "i" without "r": messages go in (COPYUID included), nothing can be read back."""
    store, alice, _ = site
    make_maildir(str(alice / ".Drop"), folder=True)
    all_ = "aceilrstwx"
    write_acl(str(alice), "INBOX.Drop", [("owner", all_), ("administrators", all_), ("anyone", "i")])
    inbox = store.open("INBOX")
    uid = inbox.append([b"Subject: for alice\n\nx\n"])
    (pair,) = inbox.copy_to([uid], "#shared.alice.Drop")
    assert pair[0] == uid and store.status("#shared.alice.Drop").messages == 1
    assert len(os.listdir(alice / ".Drop" / "cur")) == 1
    with pytest.raises(StorageError, match="Access denied"):
        store.open("#shared.alice.Drop")


@pytest.mark.parametrize(
    "name",
    ["#shared.alice..", "#shared.alice../x", "#shared..", "#shared.alice.Projects/../../bob",
     "#shared.nobody.x", "#shared.bob", "#shared.alice.Pro\x00jects", "shared.pub..x", "shared./etc",
     "shared.pub.a/b", "shared.pub"],
)  # fmt: skip
def test_names_that_would_leave_the_roots(site: tuple[NamespaceStore, Path, Path], name: str) -> None:
    store, _, bob = site
    before = sorted(os.listdir(bob))
    with pytest.raises((NoSuchFolder, InvalidName, StorageError)):
        store.open(name)
    assert not store.exists(name)
    assert sorted(os.listdir(bob)) == before  # nothing made on the way


def test_disableshared_has_no_virtual_folders(site: tuple[NamespaceStore, Path, Path]) -> None:
    store, _, _ = site
    off = NamespaceStore(
        store.personal, Identity("bob"), SharedSettings(index_file=store.shared.index_file, disabled=True)
    )
    assert list(off.list_folders(virtual=True)) == []
    with pytest.raises(NoSuchFolder):
        off.open("#shared.alice.Projects")
