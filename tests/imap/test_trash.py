"""Courier's Trash handling: IMAP_MOVE_EXPUNGE_TO_TRASH (XMAGICTRASH) over imaplib with a real
account, and IMAP_EMPTYTRASH at login, with the server's clock moved days ahead by libfaketime
(a file's ctime, which is what counts, cannot be set back)."""

from __future__ import annotations

import imaplib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PYTHON, child_env
from tests.imap.conftest import serve_account
from tests.imap.transcript import SIMPLE, THIRD


def _ok(resp: tuple[str, list[object]]) -> list[object]:
    typ, data = resp
    assert typ == "OK", resp
    return data


def test_expunge_moves_to_trash_round_trip(tmp_path: Path, system_user: tuple[str, int, int]) -> None:
    with serve_account(tmp_path, system_user, "IMAP_MOVE_EXPUNGE_TO_TRASH=1\n") as server:
        when = 1577880000  # 2020-01-01 12:00 UTC, the first message's INTERNALDATE
        os.utime(server.maildir / "new" / "1700000000.M1P1.test", (when, when))
        m = imaplib.IMAP4(server.host, server.port, timeout=30)
        assert "XMAGICTRASH" in m.capabilities
        _ok(m.login(server.user, server.password))
        _ok(m.create("INBOX.Work"))
        _ok(m.select("INBOX"))
        _ok(m.store("1", "+FLAGS", r"(\Seen \Flagged \Draft $Work \Deleted)"))
        # the trash does not exist yet: the first expunge creates it, as Courier does
        assert _ok(m.expunge()) == [b"1"]
        assert _ok(m.status("INBOX.Trash", "(MESSAGES)")) == [b'"INBOX.Trash" (MESSAGES 1)']
        # a message this session copied elsewhere (a client's "move") is not kept twice
        _ok(m.copy("1", "INBOX.Work"))
        _ok(m.store("1", "+FLAGS", r"(\Deleted)"))
        assert _ok(m.expunge()) == [b"1"]
        assert _ok(m.status("INBOX.Trash", "(MESSAGES)")) == [b'"INBOX.Trash" (MESSAGES 1)']
        assert _ok(m.status("INBOX.Work", "(MESSAGES)")) == [b'"INBOX.Work" (MESSAGES 1)']
        # CLOSE expunges into the trash too
        _ok(m.append("INBOX", r"(\Deleted)", None, THIRD.replace(b"third@", b"closed@")))
        _ok(m.select("INBOX"))
        _ok(m.close())
        _ok(m.select("INBOX.Trash"))
        data = _ok(m.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[])"))
        msgs = [x for x in data if isinstance(x, tuple)]
        assert len(msgs) == 2
        meta, body = msgs[0]
        # \Deleted and \Draft are dropped, the other flags kept (keywords are not), and the
        # trash sees it as recent: all as Courier
        assert b"FLAGS (\\Flagged \\Seen \\Recent)" in meta and body == SIMPLE
        assert b'INTERNALDATE "01-Jan-2020 12:00:00 +0000"' in meta
        assert msgs[1][1] == THIRD.replace(b"third@", b"closed@")
        # expunging in the trash deletes for real
        _ok(m.store("1:*", "+FLAGS", r"(\Deleted)"))
        assert _ok(m.expunge()) == [b"1", b"1"]
        assert _ok(m.status("INBOX.Trash", "(MESSAGES)")) == [b'"INBOX.Trash" (MESSAGES 0)']
        assert os.listdir(server.maildir / ".Trash" / "cur") == []
        m.logout()


# -- IMAP_EMPTYTRASH -------------------------------------------------------------------------

FAKETIME = shutil.which("faketime")
DAY = 86400


def _session(maildir: Path, etc: Path, commands: list[str], days_ahead: int = 0) -> str:
    """A pre-authenticated imapd, its clock ``days_ahead`` days in the future."""
    argv = [PYTHON, "-m", "courier.cli.imapd", "--config-dir", str(etc), str(maildir)]
    if days_ahead:
        assert FAKETIME is not None
        argv = [FAKETIME, "-f", f"+{days_ahead}d", *argv]
    script = "".join(f"c{i} {c}\r\n" for i, c in enumerate([*commands, "LOGOUT"]))
    r = subprocess.run(
        argv, input=script.encode(), env=child_env(AUTHENTICATED="me"), capture_output=True, timeout=60
    )
    out = r.stdout.decode()
    assert out.endswith(f"c{len(commands)} OK LOGOUT completed\r\n"), out + r.stderr.decode()
    return out


def _count(maildir: Path, folder: str) -> int:
    return sum(len(os.listdir(maildir / folder / sub)) for sub in ("cur", "new"))


@pytest.mark.skipif(FAKETIME is None, reason="faketime is not installed (scripts/apt-packages.txt)")
def test_empty_trash_at_login_per_folder(tmp_path: Path) -> None:
    from courier.maildir import open_store
    from courier.maildir.create import make_maildir

    maildir = tmp_path / "Maildir"
    make_maildir(str(maildir))
    store = open_store(str(maildir))
    for name in ("INBOX.Trash", "INBOX.Sent"):
        store.create(name)
    long_ago = time.time() - 90 * DAY  # delivered three months ago: that does not count
    for folder, n in (("INBOX", 2), ("INBOX.Sent", 1)):
        box = store.open(folder)
        for i in range(n):
            box.append(
                [b"Subject: %d\n\nbody\n" % i],
                frozenset({"\\Deleted"}) if folder == "INBOX" else frozenset(),
                long_ago,
            )
        box.close()
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "imapd").write_text('IMAP_MOVE_EXPUNGE_TO_TRASH=1\nIMAP_EMPTYTRASH="Trash:7,Sent:30"\n')
    # today: the two old messages are deleted from INBOX, into the trash
    _session(maildir, etc, ["SELECT INBOX", "EXPUNGE"])
    assert _count(maildir, ".Trash") == 2
    # six days later they are still there: their age counts from the move, not the delivery
    out = _session(maildir, etc, ["STATUS INBOX.Trash (MESSAGES)"], days_ahead=6)
    assert '* STATUS "INBOX.Trash" (MESSAGES 2)' in out
    # eight days later the login empties the trash (before the first command), not Sent
    out = _session(
        maildir, etc, ["STATUS INBOX.Trash (MESSAGES)", "STATUS INBOX.Sent (MESSAGES)"], days_ahead=8
    )
    assert '* STATUS "INBOX.Trash" (MESSAGES 0)' in out and '* STATUS "INBOX.Sent" (MESSAGES 1)' in out
    assert _count(maildir, ".Trash") == 0 and _count(maildir, ".Sent") == 1
    # a month on, Sent's 30 days are up too
    _session(maildir, etc, [], days_ahead=31)
    assert _count(maildir, ".Sent") == 0


def test_a_trash_that_cannot_take_the_message_loses_nothing(
    tmp_path: Path, system_user: tuple[str, int, int]
) -> None:
    with serve_account(tmp_path, system_user, "IMAP_MOVE_EXPUNGE_TO_TRASH=1\n") as server:
        m = imaplib.IMAP4(server.host, server.port, timeout=30)
        _ok(m.login(server.user, server.password))
        _ok(m.create("INBOX.Trash"))
        os.chmod(server.maildir / ".Trash" / "cur", 0o500)  # the account may not write there
        _ok(m.select("INBOX"))
        _ok(m.store("1", "+FLAGS", r"(\Deleted)"))
        typ, data = m.expunge()
        assert typ == "OK" and data == [None]
        assert m.untagged_responses.get("NO") == [
            b"[ALERT] 1 message(s) could not be moved to INBOX.Trash and stay here."
        ]
        data = _ok(m.fetch("1", "(FLAGS BODY.PEEK[])"))
        assert b"\\Deleted" in data[0][0] and data[0][1] == SIMPLE  # type: ignore[index]
        m.logout()
