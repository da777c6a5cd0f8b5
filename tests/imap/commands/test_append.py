"""APPEND through a real server: the stored message, the spool file, and the target folder's state."""

from __future__ import annotations

import imaplib
import os
import re
from pathlib import Path

from courier.maildir import uiddb
from tests.imap.conftest import serve_account
from tests.imap.transcript import SIMPLE, lf


def _ok(resp: tuple[str, list[object]]) -> list[object]:
    typ, data = resp
    assert typ == "OK", data
    return data


def test_append_to_unselected_folder_keeps_its_new_mail_recent_and_numbered_first(
    tmp_path: Path, system_user: tuple[str, int, int]
) -> None:
    with serve_account(tmp_path, system_user) as srv:
        inbox_new = sorted(os.listdir(srv.maildir / "new"))
        assert len(inbox_new) == 2
        m = imaplib.IMAP4(srv.host, srv.port, timeout=20)
        _ok(m.login(srv.user, srv.password))
        data = _ok(m.append("INBOX", r"(\Flagged)", None, SIMPLE))
        code = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
        assert code and code.group(2) == b"3"  # after the two waiting messages
        # not rescanned: the MTA's mail is still in new/, so the next SELECT reports it \Recent
        assert sorted(os.listdir(srv.maildir / "new")) == inbox_new
        assert os.listdir(srv.maildir / "tmp") == []  # the spooled literal became the message
        exists = _ok(m.select("INBOX"))
        assert m.untagged_responses.get("RECENT") == [b"2"], m.untagged_responses
        assert exists == [b"3"]
        uids = _ok(m.fetch("1:3", "(UID FLAGS)"))
        assert [re.search(rb"UID (\d+)", u).group(1) for u in uids] == [b"1", b"2", b"3"]  # type: ignore[union-attr,arg-type]
        assert b"\\Flagged" in uids[2]  # type: ignore[operator]
        body = _ok(m.fetch("3", "(BODY.PEEK[])"))
        assert body[0][1] == SIMPLE  # type: ignore[index]
        m.logout()
        files = os.listdir(srv.maildir / "cur")
        stored = [f for f in files if f.endswith(":2,F")]
        assert len(stored) == 1
        assert (srv.maildir / "cur" / stored[0]).read_bytes() == lf(SIMPLE)  # LF line ends on disk
        db, _ = uiddb.read(str(srv.maildir))
        assert db is not None and db.nextuid == 4


def test_refused_append_leaves_no_spool_file(tmp_path: Path, system_user: tuple[str, int, int]) -> None:
    with serve_account(tmp_path, system_user, userdb={"quota": "100S"}) as srv:
        m = imaplib.IMAP4(srv.host, srv.port, timeout=20)
        _ok(m.login(srv.user, srv.password))
        typ, data = m.append("INBOX", None, None, SIMPLE * 4)
        assert typ == "NO" and b"OVERQUOTA" in data[0], data  # type: ignore[operator]
        assert os.listdir(srv.maildir / "tmp") == []
        assert len(os.listdir(srv.maildir / "cur")) == 0
        m.logout()
