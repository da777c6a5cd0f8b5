"""ACLs enforced command by command, over TCP with imaplib: two logins on one maildir, the
second kept to "l" "r" (and the owner's inevitable "a") by negative rights on its user= name."""

from __future__ import annotations

import imaplib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.imap.conftest import ImapServer, serve_account
from tests.imap.transcript import SIMPLE

OTHER = "other@example.com"


@pytest.fixture
def server(tmp_path: Path, system_user: tuple[str, int, int]) -> Iterator[ImapServer]:
    with serve_account(tmp_path, system_user, "IMAP_ACL=1\n", others={OTHER: "group=staff"}) as srv:
        yield srv


def _login(srv: ImapServer, user: str) -> imaplib.IMAP4:
    m = imaplib.IMAP4(srv.host, srv.port, timeout=20)
    typ, _ = m.login(user, srv.password)
    assert typ == "OK"
    return m


def _ok(resp: tuple[str, list[object]]) -> list[object]:
    assert resp[0] == "OK", resp
    return resp[1]


def _no(m: imaplib.IMAP4, *args: str) -> str:
    """Send a raw command; return the text of its NO answer."""
    tag = m._new_tag().decode()  # type: ignore[attr-defined]
    m.send(f"{tag} {' '.join(args)}\r\n".encode())
    while True:
        line = m.readline().decode()
        if line.startswith(tag + " "):
            assert line.split()[1] == "NO", line
            return line.split(" ", 2)[2].strip()


def _flags(md: Path, folder: str) -> list[str]:
    return sorted(n.partition(":2,")[2] for n in os.listdir(md / folder / "cur"))


def test_lr_user_cannot_change_anything(server: ImapServer) -> None:
    owner = _login(server, server.user)
    assert "ACL" in owner.capabilities and "ACL2=UNION" in owner.capabilities
    _ok(owner.create("INBOX.Limited"))
    _ok(owner.append("INBOX.Limited", "", imaplib.Time2Internaldate(time.time()), SIMPLE))
    _ok(owner._simple_command("SETACL", "INBOX.Limited", "-" + OTHER, "ceistwx"))  # type: ignore[attr-defined]
    typ, data = owner._simple_command("GETACL", "INBOX.Limited")  # type: ignore[attr-defined]
    assert typ == "OK"
    acl_line = owner.untagged_responses.pop("ACL")[0]
    assert acl_line == (
        b'"INBOX.Limited" "owner" "acdilrsw" "administrators" "acdilrsw" "-other@example.com" "cdisw"'
    )
    md = server.maildir
    assert (md / ".Limited" / "courierimapacl").read_bytes() == (
        b"owner aceilrstwx\nadministrators aceilrstwx\n-user=other@example.com ceistwx\n"
    )
    before = (_flags(md, ".Limited"), sorted(os.listdir(md)))

    m = _login(server, OTHER)
    typ, _ = m._simple_command("MYRIGHTS", "INBOX.Limited")  # type: ignore[attr-defined]
    assert typ == "OK" and m.untagged_responses.pop("MYRIGHTS") == [b'"INBOX.Limited" "alr"']
    # imaplib refuses a SELECT answered READ-ONLY: send it by hand
    typ, data = m._simple_command("SELECT", "INBOX.Limited")  # type: ignore[attr-defined]
    m.state = "SELECTED"
    m.is_readonly = True
    assert typ == "OK" and data == [b"[READ-ONLY] Ok"]
    assert b'[MYRIGHTS "alr"] ACL' in b" ".join(m.untagged_responses.get("OK", []))  # type: ignore[arg-type]

    # STORE answers OK (as Courier) but no flag changes without "s", "t" or "w"
    for flag in (r"\Deleted", r"\Seen", r"\Flagged", "$Label"):
        _ok(m.store("1", "+FLAGS", f"({flag})"))
    _ok(m.store("1", "FLAGS", r"(\Answered)"))
    _ok(m.fetch("1", "(BODY[])"))  # reading does not mark it \Seen either
    assert _ok(m.fetch("1", "(FLAGS)"))[0] == b"1 (FLAGS ())"
    assert _no(m, "EXPUNGE") == 'Access denied for EXPUNGE on current mailbox (ACL "e" required)'
    assert _no(m, "UID EXPUNGE 1") == 'Access denied for EXPUNGE on current mailbox (ACL "e" required)'
    assert _no(m, "APPEND INBOX.Limited {3+}\r\nx\r\n") in (
        'Access denied for APPEND on INBOX.Limited (ACL "i" required)',
    )
    assert _no(m, "COPY 1 INBOX.Limited") == 'Access denied for COPY on INBOX.Limited (ACL "i" required)'
    _ok(m.close())
    assert _no(m, "DELETE INBOX.Limited") == 'Access denied for DELETE on INBOX.Limited (ACL "x" required)'
    assert _no(m, "RENAME INBOX.Limited INBOX.Other") == (
        'Access denied for RENAME on INBOX.Limited (ACL "x" required)'
    )
    denied_create = 'Access denied for CREATE on INBOX.Limited (ACL "c" required)'
    assert _no(m, "CREATE INBOX.Limited.Sub") == denied_create
    m.logout()
    assert (_flags(md, ".Limited"), sorted(os.listdir(md))) == before

    # the owner's own session is not affected
    _ok(owner.select("INBOX.Limited"))
    _ok(owner.store("1", "+FLAGS", r"(\Deleted \Flagged)"))
    _ok(owner.expunge())
    assert _flags(md, ".Limited") == []
    owner.logout()


def test_folder_without_l_is_invisible_but_readable(server: ImapServer) -> None:
    owner = _login(server, server.user)
    _ok(owner.create("INBOX.Hidden"))
    _ok(owner._simple_command("SETACL", "INBOX.Hidden", "-" + OTHER, "l"))  # type: ignore[attr-defined]
    owner.logout()
    m = _login(server, OTHER)
    listed = b"".join(x for x in _ok(m.list('""', "*")) if isinstance(x, bytes))
    assert b"INBOX.Hidden" not in listed and b'"INBOX"' in listed
    assert _ok(m.status("INBOX.Hidden", "(MESSAGES)")) == [b'"INBOX.Hidden" (MESSAGES 0)']
    typ, _ = m._simple_command("MYRIGHTS", "INBOX.Hidden")  # type: ignore[attr-defined]
    assert typ == "OK" and m.untagged_responses.pop("MYRIGHTS") == [b'"INBOX.Hidden" "acdirsw"']
    m.logout()


def test_flags_limited_to_rights_on_append_and_copy(server: ImapServer) -> None:
    """ "s" lets \\Seen through, "w" the other flags and keywords; without them they are dropped."""
    owner = _login(server, server.user)
    _ok(owner.create("INBOX.Drop"))
    _ok(owner._simple_command("SETACL", "INBOX.Drop", "-" + OTHER, "w"))  # type: ignore[attr-defined]
    owner.logout()
    m = _login(server, OTHER)
    when = imaplib.Time2Internaldate(time.time())
    _ok(m.append("INBOX.Drop", r"(\Seen \Flagged $Work)", when, SIMPLE))
    _ok(m.select("INBOX"))
    _ok(m.store("1", "+FLAGS", r"(\Answered \Seen)"))
    _ok(m.copy("1", "INBOX.Drop"))
    m.logout()
    assert _flags(server.maildir, ".Drop") == ["S", "S"]
    assert not (server.maildir / ".Drop" / "courierimapkeywords" / ":list").exists()


def test_setacl_on_the_selected_folder_announces_new_rights(server: ImapServer) -> None:
    m = _login(server, server.user)
    _ok(m.select("INBOX"))
    _ok(m._simple_command("SETACL", "INBOX", "owner", "-e"))  # type: ignore[attr-defined]
    oks = b" ".join(x for x in m.untagged_responses.get("OK", []) if isinstance(x, bytes))
    assert re.search(rb'\[MYRIGHTS "acilrstwx"\] ACL', oks), oks
    assert _no(m, "EXPUNGE") == 'Access denied for EXPUNGE on current mailbox (ACL "e" required)'
    assert (server.maildir / "courierimapacl").read_bytes() == (
        b"owner acilrstwx\nadministrators aceilrstwx\n"
    )
    assert _no(m, "SETACL INBOX owner -a") == "Cannot modify ACLs as requested."
    assert _no(m, "SETACL INBOX administrators lr") == "Cannot modify ACLs on this mailbox."
    assert _no(m, "SETACL INBOX user=x lr") == "Invalid ACL identifier."
    m.logout()
