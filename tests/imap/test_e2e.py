"""End to end over TCP through courier-tcpd, with real clients: imaplib and imapclient."""

from __future__ import annotations

import imaplib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import imapclient
import pytest

from courier.maildir.deliver import deliver
from tests.imap.conftest import ImapServer, serve_account
from tests.imap.transcript import SIMPLE, lf


def _ok(resp: tuple[str, list[object]]) -> list[object]:
    typ, data = resp
    assert typ == "OK", resp
    return data


@pytest.fixture(params=[False, True], ids=["exec", "preload"])
def launched_server(
    request: pytest.FixtureRequest, tmp_path: Path, system_user: tuple[str, int, int]
) -> Iterator[ImapServer]:
    """The server with each imapd exec'd by courier-tcpd, and forked from a preloading one."""
    with serve_account(tmp_path, system_user, preload=request.param) as server:
        yield server


def test_imaplib_every_command(launched_server: ImapServer) -> None:
    imap_server = launched_server
    m = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=20)
    assert "IMAP4REV1" in m.capabilities and "IDLE" in m.capabilities
    assert "STARTTLS" not in m.capabilities  # not offered until TLS is wired in
    _ok(m.noop())
    with pytest.raises(imaplib.IMAP4.error, match="Login failed"):
        m.login(imap_server.user, "wrong")
    _ok(m.login(imap_server.user, imap_server.password))
    _ok(m.capability())
    assert _ok(m.namespace()) == [b'(("INBOX." ".")) NIL (("#shared." ".")("shared." "."))']
    _ok(m.create("INBOX.Work"))
    _ok(m.create("INBOX.Work.Sub"))
    listing = _ok(m.list('""', "*"))
    assert any(b'"INBOX.Work.Sub"' in x for x in listing if isinstance(x, bytes))
    _ok(m.subscribe("INBOX.Work"))
    assert any(b"INBOX.Work" in x for x in _ok(m.lsub('""', "*")) if isinstance(x, bytes))
    _ok(m.unsubscribe("INBOX.Work"))
    status = _ok(m.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)"))
    assert b"MESSAGES 2" in status[0]  # type: ignore[operator]
    typ, data = m.append("INBOX.Work", r"(\Seen)", imaplib.Time2Internaldate(time.time()), SIMPLE)
    assert typ == "OK" and b"APPENDUID" in data[0]  # type: ignore[operator]
    assert _ok(m.select("INBOX", readonly=True))[0] == b"2"
    _ok(m.select("INBOX"))
    _ok(m.check())
    data = _ok(m.fetch("1:*", "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)"))
    assert b"ENVELOPE" in data[0] and b"BODYSTRUCTURE" in data[0]  # type: ignore[operator]
    body = _ok(m.fetch("1", "(BODY.PEEK[])"))
    assert body[0][1] == SIMPLE  # type: ignore[index]
    assert _ok(m.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])"))[0][1] == b"Subject: Hello world\r\n\r\n"  # type: ignore[index]
    _ok(m.store("2", "+FLAGS", r"(\Flagged $Label1)"))
    assert b"$Label1" in _ok(m.fetch("2", "(FLAGS)"))[0]  # type: ignore[operator]
    typ, data = m.copy("1:2", "INBOX.Work")
    assert typ == "OK" and b"COPYUID" in data[0]  # type: ignore[operator]
    _ok(m.uid("COPY", "1", "INBOX.Work.Sub"))
    _ok(m.uid("STORE", "1", "+FLAGS", r"(\Deleted)"))
    _ok(m.uid("EXPUNGE", "1"))
    _ok(m.store("1", "+FLAGS", r"(\Deleted)"))
    _ok(m.expunge())
    _ok(m.select("INBOX.Work"))
    _ok(m.store("1", "+FLAGS", r"(\Deleted)"))
    _ok(m.close())
    assert b"MESSAGES 2" in _ok(m.status("INBOX.Work", "(MESSAGES)"))[0]  # type: ignore[operator]
    _ok(m.rename("INBOX.Work.Sub", "INBOX.Moved"))
    _ok(m.delete("INBOX.Moved"))
    quota = _ok(m.getquotaroot("INBOX"))
    assert quota[0] == [b'"INBOX" "ROOT"']  # type: ignore[comparison-overlap]
    _ok(m.getquota('"ROOT"'))
    assert m.setquota('"ROOT"', "(STORAGE 10)")[0] == "NO"
    _ok(m.enable("UTF8=ACCEPT"))
    with pytest.raises(imaplib.IMAP4.error, match="Error in IMAP command"):
        m.xatom("FROBNICATE")
    assert m.logout()[0] == "BYE"


def test_imaplib_search_sort_thread(imap_server: ImapServer) -> None:
    m = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=20)
    _ok(m.login(imap_server.user, imap_server.password))
    _ok(m.select("INBOX"))
    _ok(m.fetch("1", "(BODY[TEXT])"))
    assert _ok(m.search(None, "SEEN")) == [b"1"]  # the non-PEEK fetch set \Seen
    assert _ok(m.search("UTF-8", "BODY", "zebra")) == [b"1"]
    assert _ok(m.uid("SEARCH", "FROM", "bob")) != [b""]
    _ok(m.store("2", "+FLAGS", r"($Label1)"))
    assert _ok(m.search(None, "KEYWORD", "$Label1")) == [b"2"]
    assert _ok(m.sort("(REVERSE SIZE)", "UTF-8", "ALL")) == [b"2 1"]
    assert _ok(m.thread("REFERENCES", "UTF-8", "ALL")) == [b"(1 2)"]
    m.logout()


def test_authenticate_plain_and_failure_delay(imap_server: ImapServer) -> None:
    m = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=20)
    t = time.monotonic()
    with pytest.raises(imaplib.IMAP4.error):
        m.authenticate("PLAIN", lambda _: b"\0user@example.com\0nope")
    assert time.monotonic() - t >= 0.3  # IMAP_LOGIN_DELAY
    _ok(m.authenticate("PLAIN", lambda _: b"\0user@example.com\0secret pass"))
    _ok(m.select())
    m.logout()


def test_disableimap_account_is_refused(imap_server: ImapServer) -> None:
    m = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=20)
    with pytest.raises(imaplib.IMAP4.error, match="disabled"):
        m.login("noimap@example.com", "pw")
    m.logout()


def test_process_is_the_account_after_login(launched_server: ImapServer) -> None:
    imap_server = launched_server
    m = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=20)
    _ok(m.login(imap_server.user, imap_server.password))
    _ok(m.noop())
    # the launcher's own probe connection may still be finishing: wait for ours alone
    deadline = time.monotonic() + 10
    while len(kids := imap_server.children()) != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    (pid,) = kids
    status = Path(f"/proc/{pid}/status").read_text()
    uids = re.search(r"^Uid:\s+(.*)$", status, re.M)
    gids = re.search(r"^Gid:\s+(.*)$", status, re.M)
    groups = re.search(r"^Groups:\s*(.*)$", status, re.M)
    assert uids and gids and groups
    assert set(map(int, uids.group(1).split())) == {imap_server.uid}  # real, effective, saved, fs
    assert set(map(int, gids.group(1).split())) == {imap_server.gid}
    assert set(map(int, groups.group(1).split())) <= {imap_server.gid}
    m.logout()


def test_imapclient_session_and_idle(imap_server: ImapServer) -> None:
    c = imapclient.IMAPClient(imap_server.host, port=imap_server.port, ssl=False, timeout=20)
    c.login(imap_server.user, imap_server.password)
    assert b"UIDPLUS" in c.capabilities()
    assert c.namespace().personal == (("INBOX.", "."),)
    c.create_folder("INBOX.Client")
    assert any(name == "INBOX.Client" for _, _, name in c.list_folders())
    info = c.select_folder("INBOX")
    assert info[b"EXISTS"] == 2
    msgs = [1]
    fetched = c.fetch(msgs, ["ENVELOPE", "FLAGS", "RFC822.SIZE"])
    env = fetched[msgs[0]][b"ENVELOPE"]
    assert env.subject == b"Hello world"
    c.add_flags(msgs, [imapclient.SEEN])
    assert imapclient.SEEN in c.get_flags(msgs)[msgs[0]]
    uid = c.append("INBOX.Client", SIMPLE, flags=[imapclient.FLAGGED])
    assert uid
    c.copy(msgs, "INBOX.Client")
    assert c.folder_status("INBOX.Client", ["MESSAGES"])[b"MESSAGES"] == 2

    c.idle()
    t = time.monotonic()
    threading.Timer(0.2, deliver, (str(imap_server.maildir), lf(SIMPLE.replace(b"Hello", b"Idle")))).start()
    responses = c.idle_check(timeout=5)
    seen = time.monotonic() - t
    c.idle_done()
    assert (3, b"EXISTS") in responses
    assert seen < 1.2  # announced within a second of the delivery (0.2 s after IDLE began)
    assert c.fetch([3], ["FLAGS"])
    c.logout()


def test_autologout(tmp_path: Path) -> None:
    """With a short IMAP_AUTOLOGOUT an idle client is told BYE and the process ends."""
    from courier.maildir.create import make_maildir
    from tests.imap.transcript import Server

    md = tmp_path / "Maildir"
    make_maildir(str(md))
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "imapd").write_text("IMAP_AUTOLOGOUT=1\n")
    srv = Server(md, tmp_path / "etc")
    try:
        assert srv.readline(timeout=5) == "* BYE Autologout; idle for too long"
        assert srv.proc.wait(timeout=5) == 0
    finally:
        srv.close()


def test_account_quota_reaches_the_store(tmp_path: Path, system_user: tuple[str, int, int]) -> None:
    # userdb quota= (authlib's QUOTA) limits the account: 2 messages are there, 3 allowed
    with serve_account(tmp_path, system_user, userdb={"quota": "100000S,3C"}) as srv:
        m = imaplib.IMAP4(srv.host, srv.port, timeout=20)
        _ok(m.login(srv.user, srv.password))
        data = _ok(m.getquotaroot("INBOX"))
        assert re.fullmatch(rb"\"ROOT\" \(STORAGE \d+ 98 MESSAGE 2 3\)", data[1][0]), data  # type: ignore[arg-type,index]
        _ok(m.append("INBOX", "", imaplib.Time2Internaldate(time.time()), SIMPLE))
        typ, resp = m.append("INBOX", "", imaplib.Time2Internaldate(time.time()), SIMPLE)
        assert typ == "NO" and resp[0].startswith(b"[OVERQUOTA]"), resp  # type: ignore[union-attr]
        assert _ok(m.select("INBOX"))[0] == b"3"  # the refused message is nowhere
        m.logout()


def test_imap_keywords_off_reaches_the_store(tmp_path: Path, system_user: tuple[str, int, int]) -> None:
    with serve_account(tmp_path, system_user, imapd_config="IMAP_KEYWORDS=0\n") as srv:
        m = imaplib.IMAP4(srv.host, srv.port, timeout=20)
        _ok(m.login(srv.user, srv.password))
        # the store itself refuses (imapd's own check covers only STORE)
        typ, resp = m.append("INBOX", r"(\Flagged $Label1)", imaplib.Time2Internaldate(time.time()), SIMPLE)
        assert typ == "NO" and b"Keywords are not enabled" in resp[0], resp  # type: ignore[operator]
        _ok(m.append("INBOX", r"(\Flagged)", imaplib.Time2Internaldate(time.time()), SIMPLE))
        assert _ok(m.select("INBOX"))[0] == b"3"
        assert b"\\Flagged" in _ok(m.fetch("3", "(FLAGS)"))[0]  # type: ignore[operator]
        with pytest.raises(imaplib.IMAP4.error):  # BAD, as Courier answers
            m.store("1", "+FLAGS", "($Label1)")
        m.logout()
