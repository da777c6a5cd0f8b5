"""Sharable maildirs (shared.): names, private copies, and the sync Courier's maildirshared.c does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from courier.maildir import sharable
from courier.maildir.create import make_maildir
from courier.storage import InvalidName


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """(a user's maildir listing "pub", the sharable maildir with folder .Board)."""
    md, pub = tmp_path / "Maildir", tmp_path / "pub"
    make_maildir(str(md))
    make_maildir(str(pub))
    make_maildir(str(pub / ".Board"), folder=True)
    (md / "shared-maildirs").write_text(f"# comment\npub\t{pub}\nbad\n")
    return md, pub


def test_names_never_climb() -> None:
    assert sharable.split("pub.Board.Sub") == ("pub", "Board.Sub")
    for bad in ("pub", "pub.", ".pub.x", "pub..x", "pub.x/../y", "pub.x.", "pub.."):
        with pytest.raises(InvalidName):
            sharable.split(bad)
    with pytest.raises(InvalidName):
        sharable.copy_dir("/m", "../x", "Board")


def test_listing_and_subscribing(pair: tuple[Path, Path]) -> None:
    md, pub = pair
    assert sharable.sharable_maildirs(str(md), system_list="") == [("pub", str(pub))]
    assert list(sharable.list_sharable(str(md), system_list="")) == [("pub", "Board")]
    path = sharable.subscribe(str(md), "pub", "Board", system_list="")
    assert path == str(md / "shared-folders" / "pub" / "Board")
    assert sorted(os.listdir(path)) == ["cur", "new", "shared", "tmp"]
    assert os.readlink(os.path.join(path, "shared")) == str(pub / ".Board")
    assert list(sharable.list_subscribed(str(md))) == [("pub", "Board")]
    with pytest.raises(FileNotFoundError):
        sharable.subscribe(str(md), "pub", "Nope", system_list="")
    assert sharable.unsubscribe(str(md), "pub", "Board")
    assert not (md / "shared-folders" / "pub").exists()
    assert not sharable.unsubscribe(str(md), "pub", "Board")


def test_sync_links_relinks_and_removes(pair: tuple[Path, Path]) -> None:
    md, pub = pair
    path = Path(sharable.subscribe(str(md), "pub", "Board", system_list=""))
    board = pub / ".Board"
    (board / "new" / "100.M1P1.host").write_text("Subject: a\n\nx\n")
    (board / "cur" / "101.M1P1.host:2,S").write_text("Subject: b\n\ny\n")
    sharable.sync(str(path))
    assert sorted(os.listdir(board / "cur")) == ["100.M1P1.host:2,", "101.M1P1.host:2,S"]
    mine = sorted(os.listdir(path / "new"))
    assert mine == ["100.M1P1.host:2,", "101.M1P1.host:2,"]  # no flags of the owner's
    assert os.readlink(path / "new" / mine[1]) == str(board / "cur" / "101.M1P1.host:2,S")
    # my own flags: a rename of my link
    os.rename(path / "new" / mine[0], path / "cur" / "100.M1P1.host:2,FS")
    # the owner renames (flags) one message and removes the other
    os.rename(board / "cur" / "101.M1P1.host:2,S", board / "cur" / "101.M1P1.host:2,RS")
    os.unlink(board / "cur" / "100.M1P1.host:2,")
    os.utime(board / "cur", (0, 2**31))  # past the sync's timestamp
    sharable.sync(str(path))
    assert os.listdir(path / "cur") == []
    assert os.readlink(path / "new" / "101.M1P1.host:2,") == str(board / "cur" / "101.M1P1.host:2,RS")
    assert (path / "new" / "101.M1P1.host:2,").read_text() == "Subject: b\n\ny\n"


def test_expunge_removes_the_shared_message(pair: tuple[Path, Path]) -> None:
    md, pub = pair
    path = Path(sharable.subscribe(str(md), "pub", "Board", system_list=""))
    (pub / ".Board" / "cur" / "1.M1P1.h:2,").write_text("x\n")
    sharable.sync(str(path))
    own = path / "new" / "1.M1P1.h:2,"
    assert sharable.unlink_message(str(own))
    assert not own.exists() and os.listdir(pub / ".Board" / "cur") == []
