"""The ACL commands given hostile or malformed input: a clear NO or BAD, and the ACL files
unchanged (our imapd in PREAUTH mode on a pipe)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from courier.maildir.create import make_maildir
from tests.conftest import PYTHON, child_env


def _run(tmp_path: Path, *commands: str) -> tuple[Path, list[str]]:
    md = tmp_path / "Maildir"
    if not md.exists():
        make_maildir(str(md))
        make_maildir(str(md / ".Box"), folder=True)
    etc = tmp_path / "etc"
    etc.mkdir(exist_ok=True)
    (etc / "imapd").write_text("IMAP_ACL=1\n")
    lines = [f"c{i} {c}" for i, c in enumerate(commands)] + ["z LOGOUT"]
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.imapd", "--config-dir", str(etc), str(md)],
        input="".join(line + "\r\n" for line in lines).encode(),
        env=child_env(AUTHENTICATED="me"),
        capture_output=True,
        timeout=60,
    )
    tagged = [x for x in r.stdout.decode().split("\r\n") if x.startswith("c")]
    assert len(tagged) == len(commands), r.stdout
    return md, tagged


def test_bad_identifiers_rights_and_names_change_nothing(tmp_path: Path) -> None:
    md, _ = _run(tmp_path, "SETACL INBOX.Box anyone r")
    before = (md / ".Box" / "courierimapacl").read_bytes()
    long_id = "x" * 2000
    _, out = _run(
        tmp_path,
        f"SETACL INBOX.Box {long_id} r",
        'SETACL INBOX.Box "a b" r',
        'SETACL INBOX.Box bob "l r"',
        "SETACL INBOX.Box group=staff r",
        "SETACL INBOX.Box.. bob r",
        "SETACL INBOX/../x bob r",
        "SETACL INBOX.NoSuch bob r",
        "SETACL INBOX.Box bob",
        "ACL STORE ((INBOX)) bob r",
        "ACL FROB INBOX.Box",
        "GETACL",
        "LISTRIGHTS INBOX.Box",
    )
    assert out == [
        "c0 NO Cannot modify ACLs on this mailbox.",
        "c1 NO Cannot modify ACLs on this mailbox.",
        "c2 NO Cannot modify ACLs on this mailbox.",
        "c3 NO Invalid ACL identifier.",
        "c4 NO Mailbox does not exist, or must be subscribed to.",
        "c5 NO Mailbox does not exist, or must be subscribed to.",
        "c6 NO Mailbox does not exist, or must be subscribed to.",
        "c7 BAD Error in IMAP command received by server.",
        "c8 BAD Error in IMAP command received by server.",
        "c9 ACL FAILED: Invalid argument",
        "c10 BAD Error in IMAP command received by server.",
        "c11 BAD Error in IMAP command received by server.",
    ]
    assert (md / ".Box" / "courierimapacl").read_bytes() == before
    assert sorted(os.listdir(md)) == [".Box", "cur", "new", "tmp"]
    assert not os.listdir(md / "tmp") and not os.listdir(md / ".Box" / "tmp")
