"""ACLs against Debian's real Courier imapd: the same ACL commands on twin maildirs give the
same answers and the same courierimapacl / courierimaphieracl files; and a maildir whose ACLs
one server set is read and enforced by the other."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from courier.maildir.create import make_maildir
from courier.maildir.deliver import deliver
from tests import realcourier
from tests.aclfiles import acl_files
from tests.conftest import PYTHON, child_env

pytestmark = pytest.mark.slow

USER = "tester"

SCRIPT = [
    "CREATE INBOX.Shared",
    "CREATE INBOX.Deep.Er.Est",
    "CREATE INBOX.Trail.",
    "GETACL INBOX",
    "GETACL INBOX.Shared",
    "MYRIGHTS INBOX.Shared",
    "LISTRIGHTS INBOX.Shared anyone",
    f"LISTRIGHTS INBOX.Shared {USER}",
    f"LISTRIGHTS INBOX.Shared -{USER}",
    "LISTRIGHTS INBOX.Shared -anyone",
    "SETACL INBOX.Shared user=other lr",
    "SETACL INBOX.Shared anyone +r",
    "SETACL INBOX.Shared other lrsd",
    "SETACL INBOX.Shared -other w",
    "SETACL INBOX.Shared group=staff r",
    "GETACL INBOX.Shared",
    "SETACL INBOX.Shared owner -x",
    "GETACL INBOX.Shared",
    "MYRIGHTS INBOX.Shared",
    "SETACL INBOX.Shared owner -a",
    "SETACL INBOX.Shared owner r",
    "SETACL INBOX.Shared administrators lr",
    "SETACL INBOX.Shared -administrators r",
    "DELETEACL INBOX.Shared -other",
    "DELETEACL INBOX.Shared nosuch",
    "ACL STORE INBOX.Shared anyone lr",
    "ACL STORE INBOX.Shared user=z +rd",
    "ACL STORE INBOX.Shared owner -a",
    "ACL DELETE INBOX.Shared user=z",
    "ACL STORE (INBOX.D*) anyone +l",
    "GETACL INBOX.NoSuch",
    "GETACL INBOX.Deep",
    "SELECT INBOX.Shared",
    "SETACL INBOX.Shared owner +x",
    "SETACL INBOX.Shared owner -e",
    "EXPUNGE",
    "STATUS INBOX.Deep.Er.Est (MESSAGES)",
    "DELETE INBOX.Deep.Er.Est",
    'LIST "" "*"',
    "CREATE INBOX.Deep.Er",
    "ACL SET INBOX.Shared owner al administrators aceilrstwx anyone r",
    "ACL SET INBOX.Shared owner r",
    "GETACL INBOX.Shared",
    "SUBSCRIBE INBOX.Shared",
    'LSUB "" "*"',
    "RENAME INBOX.Shared INBOX.Moved",
    "GETACL INBOX.Moved",
    "CREATE INBOX.Moved.Sub",
    "GETACL INBOX.Moved.Sub",
    "SELECT INBOX.Moved",
    "STATUS INBOX.Moved (MESSAGES)",
    "ACL BOGUS INBOX",
    'LIST (ACL MYRIGHTS) "" "*"',
    'LIST (MYRIGHTS POSTADDRESS) "" "INBOX.Moved"',
    'LSUB (myrights) "" "*"',
]


def _courier(maildir: Path, commands: list[str]) -> str:
    lines = [f"c{i} {c}" for i, c in enumerate(commands)] + ["z LOGOUT"]
    env = realcourier.env(
        {
            "AUTHENTICATED": USER,
            "MAILDIR": str(maildir),
            "HOME": str(maildir.parent),
            "IMAP_KEYWORDS": "1",
            "IMAP_ACL": "1",
            "IMAP_BROKENUIDV": "1",  # no 2 s sleep on DELETE
            "GAMIN_DEBUG_SERVER": "/bin/false",
        }
    )
    r = subprocess.run(
        [realcourier.binary("usr/bin/imapd"), str(maildir)],
        input="".join(line + "\r\n" for line in lines).encode(),
        env=env,
        capture_output=True,
        timeout=60,
    )
    return r.stdout.decode("utf-8", "replace")


def _ours(maildir: Path, commands: list[str]) -> str:
    etc = maildir.parent / "etc"
    etc.mkdir(exist_ok=True)
    caps = "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE QUOTA IDLE"
    (etc / "imapd").write_text(f'IMAP_CAPABILITY="{caps}"\nIMAP_ACL=1\n')
    lines = [f"c{i} {c}" for i, c in enumerate(commands)] + ["z LOGOUT"]
    env = child_env(AUTHENTICATED=USER, MAILDIR=str(maildir), HOME=str(maildir.parent))
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.imapd", "--config-dir", str(etc), str(maildir)],
        input="".join(line + "\r\n" for line in lines).encode(),
        env=env,
        capture_output=True,
        timeout=60,
    )
    return r.stdout.decode("utf-8", "replace")


def _by_tag(out: str, n: int) -> list[list[str]]:
    """Each command's response lines (untagged ones first, LIST lines sorted), normalised."""
    per: list[list[str]] = []
    cur: list[str] = []
    for line in out.split("\r\n"):
        if line.startswith(("* OK [UIDNEXT", "* PREAUTH", "* OK [ALERT] Filesystem")):
            continue
        line = re.sub(r"UIDVALIDITY \d+", "UIDVALIDITY <V>", line)
        cur.append(line)
        if re.match(r"c\d+ ", line):
            listed = sorted(x for x in cur if x.startswith("* LIST"))
            per.append(listed + [x for x in cur if not x.startswith("* LIST")])
            cur = []
    assert len(per) == n, out
    return per


def _maildir(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir()
    md = tmp_path / name / "Maildir"
    make_maildir(str(md))
    deliver(str(md), b"Subject: one\n\nx\n")
    return md


def test_same_answers_and_files_as_courier(tmp_path: Path) -> None:
    theirs, ours = _maildir(tmp_path, "theirs"), _maildir(tmp_path, "ours")
    want = _by_tag(_courier(theirs, SCRIPT), len(SCRIPT))
    got = _by_tag(_ours(ours, SCRIPT), len(SCRIPT))
    pairs = zip(SCRIPT, want, got, strict=True)
    diffs = [f"C: {cmd}\n  Courier: {w}\n  ours:    {g}" for cmd, w, g in pairs if w != g]
    assert not diffs, "\n".join(diffs)
    assert acl_files(theirs) == acl_files(ours)
    assert acl_files(ours)  # the script leaves files behind: the comparison is not empty


def test_acls_set_by_one_are_enforced_by_the_other(tmp_path: Path) -> None:
    md = _maildir(tmp_path, "both")
    for run, other in ((_courier, _ours), (_ours, _courier)):
        # one server takes "l" "r" away from the owner's "e" "t" "w" "i" on INBOX
        out = run(md, ["SETACL INBOX owner -eitw"])
        assert "c0 OK ACLs updated." in out, out
        script = ["MYRIGHTS INBOX", "SELECT INBOX", "STORE 1 +FLAGS (\\Deleted)", "EXPUNGE", "GETACL INBOX"]
        out = other(md, script)
        # "e" and "t" gone: MYRIGHTS hides "x" (no "d" without all three), SELECT shows it
        assert '* MYRIGHTS "INBOX" "aclrs"' in out, out
        assert '* OK [MYRIGHTS "aclrsx"] ACL' in out, out
        assert "c1 OK [READ-WRITE] Ok" in out, out  # "s" still allows a change
        assert 'c3 NO Access denied for EXPUNGE on current mailbox (ACL "e" required)' in out, out
        assert '* ACL "INBOX" "owner" "aclrs" "administrators" "acdilrsw"' in out, out
        assert not any(":2," in n and "T" in n.partition(":2,")[2] for n in os.listdir(md / "cur"))
        out = other(md, ["SETACL INBOX owner +eitw"])
        assert "c0 OK ACLs updated." in out, out
        assert (md / "courierimapacl").read_bytes() == b"owner aceilrstwx\nadministrators aceilrstwx\n"
