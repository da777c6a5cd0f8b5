"""The selected-mailbox view over a real maildir: sequence numbers, pending updates, and
no EXPUNGE while a FETCH, STORE or SEARCH is running."""

from __future__ import annotations

from pathlib import Path

import pytest

from courier.imap.response import Atom
from courier.imap.view import View, flag_list
from courier.maildir import open_store
from courier.maildir.create import make_maildir
from courier.maildir.deliver import deliver


@pytest.fixture
def maildir(tmp_path: Path) -> str:
    md = str(tmp_path / "Maildir")
    make_maildir(md)
    for i in range(5):
        deliver(md, f"Subject: m{i}\n\nbody {i}\n".encode())
    return md


def test_sequence_numbers_and_uid_sets(maildir: str) -> None:
    view = View(open_store(maildir).open("INBOX"))
    assert view.exists == 5 and view.uids == [1, 2, 3, 4, 5]
    assert list(view.resolve([(2, 3), (5, 5)], uid=False)) == [(2, 2), (3, 3), (5, 5)]
    assert list(view.resolve([(None, None)], uid=False)) == [(5, 5)]  # "*"
    assert list(view.resolve([(4, None)], uid=True)) == [(4, 4), (5, 5)]
    assert list(view.resolve([(1, 4294967295)], uid=True))[-1] == (5, 5)  # never expanded number by number
    assert list(view.resolve([(3, 1), (2, 2)], uid=False)) == [(1, 1), (2, 2), (3, 3)]
    assert view.invalid_seqs([(7, 7), (1, 9)]) == [7, 9]
    assert len(view.recent) == 5


def test_other_session_expunge_is_held_back_until_allowed(maildir: str) -> None:
    store = open_store(maildir)
    mine = View(store.open("INBOX"))
    other = store.open("INBOX")
    other.set_flags([2, 4], add=frozenset({"\\Deleted"}), remove=frozenset())
    other.expunge()
    mine.poll()
    # during FETCH/STORE/SEARCH: flags may be told, EXPUNGE may not; numbers stay valid
    held = mine.updates(allow_expunge=False)
    assert all(r[1] != Atom("EXPUNGE") for r in held)
    assert mine.exists == 5 and mine.is_expunged(2) and mine.is_expunged(4)
    # at the next NOOP: each EXPUNGE numbered as the client sees it after the previous one
    told = mine.updates(allow_expunge=True)
    assert told[:2] == [(2, Atom("EXPUNGE")), (3, Atom("EXPUNGE"))]
    assert (3, Atom("EXISTS")) in told
    assert mine.uids == [1, 3, 5]


def test_new_mail_and_flag_changes_are_announced_once(maildir: str) -> None:
    store = open_store(maildir)
    mine = View(store.open("INBOX"))
    other = store.open("INBOX")
    other.set_flags([1], add=frozenset({"\\Flagged"}), remove=frozenset())
    deliver(maildir, b"Subject: new\n\nx\n")
    mine.poll()
    told = mine.updates(allow_expunge=False)
    assert (6, Atom("EXISTS")) in told
    assert (1, Atom("FETCH"), [Atom("FLAGS"), [Atom("\\Flagged"), Atom("\\Recent")]]) in told
    mine.poll()
    assert mine.updates(allow_expunge=True) == []


def test_own_expunge(maildir: str) -> None:
    mine = View(open_store(maildir).open("INBOX"))
    mine.mailbox.set_flags([1, 5], add=frozenset({"\\Deleted"}), remove=frozenset())
    gone = mine.mailbox.expunge()
    told = mine.expunged_here(gone)
    assert told == [(1, Atom("EXPUNGE")), (4, Atom("EXPUNGE")), (3, Atom("EXISTS")), (3, Atom("RECENT"))]
    assert mine.expunged_here([]) == []


def test_flag_order_is_courier_s() -> None:
    flags = {"\\Seen", "\\Deleted", "\\Draft", "\\Answered", "\\Flagged", "zeta", "$Label1"}
    assert flag_list(flags, recent=True) == [
        Atom(x)
        for x in ("\\Draft", "\\Flagged", "\\Answered", "\\Seen", "\\Deleted", "$Label1", "zeta", "\\Recent")
    ]
