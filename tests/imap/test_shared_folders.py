"""Shared folders over IMAP, with real accounts (authdaemond + userdb) and imaplib on loopback.

Virtual shared folders (``#shared.``): alice and bob are virtual accounts on one system uid
(Courier's constraint for this kind); alice grants rights with SETACL, and what bob may do in
her folder follows them, command by command.  Sharable maildirs (``shared.``): two system uids, filesystem
permissions decide, and bob's flags stay his own.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.imap.conftest import CAPABILITY, start_imapd

MSG = b"From: alice@example.com\r\nSubject: plans\r\n\r\nthe plans\r\n"


@dataclass
class Site:
    port: int
    homes: dict[str, Path]
    etc: Path  # the directory of the shared index files

    def maildir(self, user: str) -> Path:
        return self.homes[user] / "Maildir"

    def login(self, user: str) -> imaplib.IMAP4:
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(user, "pw-" + user)
        return m


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(top):
        for n in [dirpath, *(os.path.join(dirpath, f) for f in dirnames + filenames)]:
            os.lchown(n, uid, gid)


@contextmanager
def site(tmp_path: Path, users: dict[str, tuple[int, int, str]], index: str) -> Iterator[Site]:
    """imapd + authdaemond; ``users``: login -> (uid, gid, account options); ``index``: the
    shared index text, with {home:<login>} placeholders."""
    from courier.maildir.create import make_maildir
    from tests.authfixtures import Account, start_authdaemond

    top = Path(tempfile.mkdtemp(prefix="cimap-shared-", dir="/var/tmp"))
    try:
        os.chmod(top, 0o755)
        homes: dict[str, Path] = {}
        accounts = []
        for user, (uid, gid, options) in users.items():
            home = top / user
            home.mkdir()
            make_maildir(str(home / "Maildir"))
            _chown_tree(home, uid, gid)
            homes[user] = home
            accounts.append(Account(user, "pw-" + user, str(home), uid=uid, gid=gid, options=options))
        sock = start_authdaemond(tmp_path, accounts)
        etc = tmp_path / "etc"
        etc.mkdir()
        # read after the login has become the account: world-readable, as /etc/courier/shared
        (top / "shared").mkdir(mode=0o755)
        for user, home in homes.items():
            index = index.replace("{home:" + user + "}", str(home))
        (top / "shared" / "index").write_text(index)
        (etc / "imapd").write_text(
            CAPABILITY + f"IMAP_LOGIN_DELAY=0.3\nIMAP_SHAREDINDEXFILE={top}/shared/index\n"
        )
        (etc / "authdaemonrc").write_text(f"authdaemonvar={os.path.dirname(sock)}\n")
        tcpd, port = start_imapd(etc)
        try:
            yield Site(port, homes, top / "shared")
        finally:
            tcpd.terminate()
            tcpd.wait(timeout=15)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def ok(resp: tuple[str, list[object]]) -> list[object]:
    typ, data = resp
    assert typ == "OK", data
    return data


def no(resp: tuple[str, list[object]]) -> str:
    typ, data = resp
    assert typ == "NO", data
    return b" ".join(d for d in data if isinstance(d, bytes)).decode()


def names(m: imaplib.IMAP4, pattern: str) -> dict[str, str]:
    """LIST "" pattern -> {name: attributes}."""
    out = {}
    for line in ok(m.list('""', pattern)):
        if line is None:
            continue
        assert isinstance(line, bytes)
        hit = re.match(rb'\(([^)]*)\) "\." (?:"(.*)"|(\S+))$', line)
        assert hit, line
        out[(hit.group(2) or hit.group(3)).decode()] = hit.group(1).decode()
    return out


def subscribed(m: imaplib.IMAP4) -> str:
    return " ".join(x.decode() for x in ok(m.lsub('""', "*")) if isinstance(x, bytes))


def select_read_only(m: imaplib.IMAP4, name: str) -> None:
    """SELECT (not EXAMINE) that the server answers READ-ONLY (imaplib raises for that)."""
    with pytest.raises(imaplib.IMAP4.readonly):
        m.select(name)
    assert m.state == "SELECTED"
    m.is_readonly = True


@pytest.fixture
def one_uid(system_user: tuple[str, int, int]) -> tuple[int, int]:
    return system_user[1], system_user[2]


def test_virtual_shared_folder_rights(tmp_path: Path, one_uid: tuple[int, int]) -> None:
    uid, gid = one_uid
    users = {"alice": (uid, gid, ""), "bob": (uid, gid, "")}
    index = f"alice\t{uid}\t{gid}\t{{home:alice}}\nbob\t{uid}\t{gid}\t{{home:bob}}\tMaildir\n"
    with site(tmp_path, users, index) as s:
        alice = s.login("alice")
        ok(alice.create("INBOX.Projects"))
        ok(alice.append("INBOX.Projects", "", None, MSG))
        bob = s.login("bob")
        assert ok(bob.namespace()) == [b'(("INBOX." ".")) NIL (("#shared." ".")("shared." "."))']
        # nothing granted: nothing to see, nothing to open
        assert names(bob, "#shared.*") == {}
        assert "Access denied" in no(bob.select('"#shared.alice.Projects"'))

        ok(alice.setacl("INBOX.Projects", "bob", "lr"))
        listed = names(bob, "#shared.*")
        assert listed == {
            "#shared.alice": "\\Noselect \\HasChildren",
            "#shared.alice.Projects": "\\HasNoChildren",
        }
        assert "#shared.bob" not in names(bob, "#shared.%")  # never oneself
        select_read_only(bob, '"#shared.alice.Projects"')  # "lr": nothing to change, so READ-ONLY
        assert bob.untagged_responses.get("EXISTS") == [b"1"]
        assert ok(bob.fetch("1", "(BODY.PEEK[])"))[0][1] == MSG.replace(b"\r\n", b"\r\n")
        no(bob.store("1", "+FLAGS", "(\\Seen)"))
        no(bob.expunge())
        no(bob.append('"#shared.alice.Projects"', "", None, MSG))
        no(bob.delete('"#shared.alice.Projects"'))
        ok(bob.close())  # the failed DELETE left the folder selected
        assert len(os.listdir(s.maildir("alice") / ".Projects" / "cur")) == 1

        ok(alice.setacl("INBOX.Projects", "bob", "lrswite"))
        assert "user=bob eilrstw\n" in (s.maildir("alice") / ".Projects" / "courierimapacl").read_text()
        ok(bob.select('"#shared.alice.Projects"'))  # now READ-WRITE
        ok(bob.store("1", "+FLAGS", "(\\Seen \\Flagged)"))
        cur = s.maildir("alice") / ".Projects" / "cur"
        assert [f.split(":2,")[1] for f in os.listdir(cur)] == ["FS"]  # one folder, one set of flags
        ok(bob.append('"#shared.alice.Projects"', "", None, b"Subject: from bob\r\n\r\nhi\r\n"))
        assert len(os.listdir(cur)) == 2
        ok(bob.copy("1", "INBOX"))
        ok(bob.store("1", "+FLAGS", "(\\Deleted)"))
        ok(bob.expunge())
        assert len(os.listdir(cur)) == 1
        assert "Access denied" in no(bob.delete('"#shared.alice.Projects"'))  # "x" was not granted
        assert os.path.isdir(s.maildir("alice") / ".Projects")
        ok(bob.select("INBOX"))
        assert bob.untagged_responses.get("EXISTS") == [b"1"]
        # names that try to leave the shared roots
        for bad in ('"#shared.alice.."', '"#shared.alice../../bob"', '"#shared../etc"', '"#shared.nobody.x"'):
            no(bob.select(bad))
        for m in (alice, bob):
            m.logout()


def test_sharedgroup_and_disableshared(tmp_path: Path, one_uid: tuple[int, int]) -> None:
    uid, gid = one_uid
    users = {
        "alice": (uid, gid, ""),
        "carol": (uid, gid, "sharedgroup=2"),
        "dave": (uid, gid, "disableshared=1"),
    }
    index = f"alice\t{uid}\t{gid}\t{{home:alice}}\n"
    with site(tmp_path, users, index) as s:
        # carol's universe: index2, whose group "team" lists alice in a sub-index
        (s.etc / "index2").write_text("team\t*\tteam.idx\n")
        (s.etc / "team.idx").write_text(f"alice\t{uid}\t{gid}\t{s.homes['alice']}\n")
        alice = s.login("alice")
        ok(alice.create("INBOX.Pub"))
        ok(alice.setacl("INBOX.Pub", "anyone", "lr"))
        carol = s.login("carol")
        assert "#shared.team.alice.Pub" in names(carol, "#shared.*")
        assert "#shared.alice.Pub" not in names(carol, "#shared.*")
        select_read_only(carol, '"#shared.team.alice.Pub"')
        dave = s.login("dave")
        assert ok(dave.namespace()) == [b'(("INBOX." ".")) NIL (("shared." "."))']
        assert names(dave, "#shared.*") == {}
        no(dave.select('"#shared.alice.Pub"'))
        for m in (alice, carol, dave):
            m.logout()


@pytest.fixture
def second_user() -> Iterator[tuple[int, int]]:
    name = "cimap" + uuid.uuid4().hex[:8]
    subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "-s", "/usr/sbin/nologin", name],
        check=True,
    )
    try:
        pw = pwd.getpwnam(name)
        yield pw.pw_uid, pw.pw_gid
    finally:
        subprocess.run(["userdel", name], check=False)


def maildirmake(*args: str) -> None:
    from courier.cli.maildirmake import main

    assert main(list(args)) == 0


def test_sharable_maildir_read_only_and_writable(
    tmp_path: Path, one_uid: tuple[int, int], second_user: tuple[int, int]
) -> None:
    a_uid, a_gid = one_uid
    b_uid, b_gid = second_user
    users = {"alice": (a_uid, a_gid, ""), "bob": (b_uid, b_gid, "")}
    with site(tmp_path, users, "") as s:
        pub = s.homes["alice"] / "Maildir-shared"
        old = os.umask(0o022)
        try:
            maildirmake("-S", str(pub))
            maildirmake("-s", "read", "-f", "Notices", str(pub))
            maildirmake("-s", "write", "-f", "Board", str(pub))
        finally:
            os.umask(old)
        _chown_tree(pub, a_uid, a_gid)
        for user in ("alice", "bob"):
            maildirmake("--add", f"pub={pub}", str(s.maildir(user)))
            os.chown(s.maildir(user) / "shared-maildirs", *(users[user][:2]))
        alice = s.login("alice")
        ok(alice.append("shared.pub.Notices", "", None, MSG))
        ok(alice.append("shared.pub.Board", "", None, MSG))
        bob = s.login("bob")
        listed = names(bob, "shared.*")
        assert listed["shared.pub.Notices"] == "\\HasNoChildren"
        assert listed["shared.pub.Board"] == "\\HasNoChildren"
        assert "\\Noselect" in listed["shared.pub"]

        # read-only public folder: bob reads, cannot add or remove
        select_read_only(bob, "shared.pub.Notices")
        assert bob.untagged_responses.get("EXISTS") == [b"1"]
        assert ok(bob.fetch("1", "(BODY.PEEK[])"))[0][1] == MSG
        no(bob.append("shared.pub.Notices", "", None, MSG))
        no(bob.store("1", "+FLAGS", "(\\Deleted)"))

        # writable (sticky) public folder: bob's flags are his own
        ok(bob.select("shared.pub.Board"))
        ok(bob.store("1", "+FLAGS", "(\\Seen \\Flagged)"))
        board = pub / ".Board" / "cur"
        assert all(":2," not in f or f.endswith(":2,") for f in os.listdir(board))
        ok(alice.select("shared.pub.Board"))
        flags = ok(alice.fetch("1", "(FLAGS)"))[0]
        assert b"\\Seen" not in flags and b"\\Flagged" not in flags
        ok(bob.append("shared.pub.Board", "", None, b"Subject: from bob\r\n\r\nhi\r\n"))
        assert len(os.listdir(board)) == 2
        ok(alice.noop())
        assert alice.untagged_responses.get("EXISTS")  # alice sees bob's message arrive
        # bob may remove his own message, not alice's (sticky directory)
        ok(bob.store("1:2", "+FLAGS", "(\\Deleted)"))
        ok(bob.expunge())
        assert len(os.listdir(board)) == 1
        # alice removes her message: it disappears from bob's copy too
        ok(alice.store("1", "+FLAGS", "(\\Deleted)"))
        ok(alice.expunge())
        assert os.listdir(board) == []
        ok(bob.noop())
        ok(bob.select("shared.pub.Board"))
        assert bob.untagged_responses.get("EXISTS") == [b"0"]
        # opening made bob's private copy; UNSUBSCRIBE removes it, SUBSCRIBE makes it again
        copy = s.maildir("bob") / "shared-folders" / "pub" / "Board"
        assert copy.is_dir() and "shared.pub.Board" in subscribed(bob)
        ok(bob.close())
        ok(bob.unsubscribe("shared.pub.Board"))
        assert not copy.exists()
        assert "shared.pub.Board" not in subscribed(bob)
        ok(bob.subscribe("shared.pub.Board"))
        assert (copy / "shared").is_symlink()
        no(bob.subscribe("shared.nosuch.Board"))
        for m in (alice, bob):
            m.logout()
