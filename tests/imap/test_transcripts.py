"""Courier's recorded sessions (tests/imap/transcripts, from real Courier 5.0.13) replayed
against our imapd in PREAUTH mode on an equivalent maildir.

The lab steps between the recorded sessions (a fresh maildir, a message dropped
into new/, a quota set with maildirmake -q) are repeated here.  Commands whose
answers differ on purpose are listed in SKIP with the reason; each reason has
its section in docs/differences.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from courier.maildir.create import make_maildir
from tests.imap.transcript import HERE, SIMPLE, THIRD, normalise, replay, sessions

CAPABILITY = (
    'IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT '
    'THREAD=REFERENCES SORT QUOTA IDLE"\nIMAP_ACL=1\n'
)

NONSYNC = "non-synchronising literals are accepted (differences.md: LITERAL+)"
READONLY = "STORE in a read-only (EXAMINEd) folder is refused (differences.md: STORE after EXAMINE)"
RENAME_MISSING = "RENAME of a missing folder fails (differences.md: RENAME of a missing folder)"
QUOTA_EMPTY = 'an empty QUOTA response carries "()" (differences.md: Empty QUOTA list)'
SORT_TIES = "SORT ties are broken by sequence number (differences.md: SORT ties)"
UNKNOWN_LATER = "Courier ended the session here"

#: (file, session number) -> {tag: reason}
SKIP: dict[tuple[str, int], dict[str, str]] = {
    ("04-folders.txt", 1): {"a018": RENAME_MISSING},
    ("05-append.txt", 0): {"a008": NONSYNC, "a009": NONSYNC, "a010": UNKNOWN_LATER, "a011": UNKNOWN_LATER},
    ("09-copy-expunge.txt", 0): {"a027": READONLY},
    ("11-sort-thread.txt", 0): {"a006": SORT_TIES, "a008": SORT_TIES, "a009": SORT_TIES},
    ("13-quota-acl-enable.txt", 0): {"a002": QUOTA_EMPTY, "a003": QUOTA_EMPTY, "a004": QUOTA_EMPTY},
}


def _deliver(maildir: Path, data: bytes, name: str) -> None:
    (maildir / "new" / name).write_bytes(data.replace(b"\r\n", b"\n"))


class Lab:
    """The recorded lab: one maildir, reset and changed between sessions as the recording was."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.n = 0
        self.config = root / "etc"
        self.config.mkdir()
        (self.config / "imapd").write_text(CAPABILITY)
        self.reset()

    def reset(self) -> None:
        self.n += 1
        self.maildir = self.root / f"Maildir{self.n}"
        make_maildir(str(self.maildir))

    def run(self, name: str, index: int, hooks: dict[str, Callable[[], None]] | None = None) -> None:
        rec = sessions(name)[index]
        results = replay(rec, self.maildir, self.config, SKIP.get((name, index), {}), hooks)
        problems = []
        for command, expect, got in results:
            e, g = normalise(expect, ours=False), normalise(got, ours=True)
            if e != g:
                problems.append(f"C: {command}\n  Courier: {e}\n  ours:    {g}")
        assert not problems, f"{name} session {index + 1}:\n" + "\n".join(problems)


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return Lab(tmp_path)


# Each test replays one chain of recorded sessions in the recording's order, each session
# continuing from the maildir the previous one left (chains start with a fresh maildir).


def test_03_04_namespace_list_folders(lab: Lab) -> None:
    lab.run("03-namespace-list.txt", 0)
    lab.run("04-folders.txt", 0)
    lab.run("04-folders.txt", 1)


def test_05_to_09_append_select_fetch_store_copy(lab: Lab) -> None:
    lab.run("05-append.txt", 0)
    _deliver(lab.maildir, THIRD.replace(b"third@", b"fourth@"), "1700000000.M1P1.lab")
    lab.run("06-select-examine.txt", 0)
    lab.run("07-fetch.txt", 0)
    lab.run("07-fetch.txt", 1)
    lab.run("08-store.txt", 0)
    lab.run("08-store.txt", 1)
    lab.run("09-copy-expunge.txt", 0)


def test_10_to_14_search_sort_idle_quota_errors(lab: Lab) -> None:
    lab.run("10-search.txt", 0)
    lab.run("11-sort-thread.txt", 0)

    def deliver() -> None:
        _deliver(lab.maildir, SIMPLE.replace(b"simple1@", b"idle1@"), "1700000100.M2P2.lab")

    lab.run("12-idle.txt", 0, {"now delivering a file into new/ (as vmail) while IDLE": deliver})
    lab.run("13-quota-acl-enable.txt", 0)
    (lab.maildir / "maildirsize").write_text("1000000S,100C\n")
    lab.run("13-quota-acl-enable.txt", 1)
    # the ACL file Courier left after these commands (shown in the recording), byte for byte
    acl_file = (lab.maildir / ".Shared" / "courierimapacl").read_bytes()
    assert acl_file == b"owner aceilrstw\nadministrators aceilrstwx\nanyone r\nuser=other@example.com lrs\n"
    assert not (lab.maildir / "courierimapacl").exists()
    for i in range(3):
        lab.run("14-errors.txt", i)


CANCEL = "a cancelled AUTHENTICATE is BAD (differences.md: AUTHENTICATE cancelled)"


def test_02_login_failures(lab: Lab, tmp_path: Path) -> None:
    """The login sessions, through our authdaemond, with a short failed-login delay."""
    from tests.authfixtures import Account, start_authdaemond

    sock = start_authdaemond(tmp_path, [Account("bench@example.com", "benchpass", str(lab.maildir.parent))])
    (lab.config / "authdaemonrc").write_text(f"authdaemonvar={Path(sock).parent}\n")
    with (lab.config / "imapd").open("a") as f:
        f.write(f"IMAP_LOGIN_DELAY=0.1\nMAILDIRPATH={lab.maildir.name}\n")
    for i in range(3):
        rec = sessions("02-login-failures.txt")[i]
        results = replay(rec, lab.maildir, lab.config, {}, preauth=False)
        problems = []
        for command, expect, got in results:
            if command == "*":
                assert got == [f"{got[0].split()[0]} BAD Error in IMAP command received by server."], CANCEL
                continue
            e, g = normalise(expect, ours=False), normalise(got, ours=True)
            if e != g:
                problems.append(f"C: {command}\n  Courier: {e}\n  ours:    {g}")
        assert not problems, f"02 session {i + 1}:\n" + "\n".join(problems)


# -- transcript 15: Outbox and magic Trash, imapd run directly with the whole script on stdin ----------

# Debian's imapd file sets IMAP_ACL=1 (the recorded CAPABILITY has ACL ACL2=UNION)
OUTBOX_ENV = {"OUTBOX": ".Outbox", "IMAP_MOVE_EXPUNGE_TO_TRASH": "1", "IMAP_ACL": "1"}
FAKE_SENDMAIL = '#!/bin/sh\n{{ echo "ARGS: $*"; cat; }} > {out}\n'


def _script15() -> tuple[bytes, list[str], list[str]]:
    """(what the client sent, what imapd answered, what SENDMAIL received) as recorded."""
    lines = (HERE / "15-outbox-trash-preauth.txt").read_text(encoding="utf-8").split("\n")
    client = [x[3:] for x in lines if x.startswith("C: ") or x == "C:"]
    server: list[str] = []
    for x in lines:
        if x.rstrip() == "S:" and server:
            break  # what follows is imapd's log (stderr)
        if x.startswith("S: "):
            server.append(x[3:])
    sent = lines[lines.index("# what SENDMAIL received:") + 1 :]
    while sent and not sent[-1]:
        sent.pop()
    return "\r\n".join(client).encode(), server, sent


def _maildir15(path: Path) -> Path:
    """The recording's maildir: INBOX had held two messages (its next UID was 3)."""
    from courier.maildir import open_store

    make_maildir(str(path))
    box = open_store(str(path)).open("INBOX")
    for _ in range(2):
        box.append([b"Subject: earlier\n\nx\n"], frozenset({"\\Deleted"}))
    box.expunge()
    box.close()
    return path


def test_15_outbox_trash_preauth(tmp_path: Path) -> None:
    import subprocess

    from tests.conftest import PYTHON, child_env

    script, recorded, recorded_sent = _script15()
    maildir = _maildir15(tmp_path / "Maildir")
    (tmp_path / "etc").mkdir()
    sendmail = tmp_path / "fakesendmail"
    sendmail.write_text(FAKE_SENDMAIL.format(out=tmp_path / "sent"))
    sendmail.chmod(0o755)
    env = child_env(AUTHENTICATED="bench@example.com", SENDMAIL=str(sendmail), **OUTBOX_ENV)
    out = subprocess.run(
        [PYTHON, "-m", "courier.cli.imapd", "--config-dir", str(tmp_path / "etc"), str(maildir)],
        input=script,
        env=env,
        capture_output=True,
        timeout=60,
    ).stdout.decode()
    got = out.split("\r\n")[:-1]
    assert normalise(got, ours=True) == normalise(recorded, ours=False)
    assert (tmp_path / "sent").read_text().split("\n")[:-1] == recorded_sent
    # the expunged INBOX message went to the trash; the sent one stays in the outbox
    assert len(os.listdir(maildir / ".Trash" / "cur")) == 1
    assert len(os.listdir(maildir / ".Outbox" / "cur")) == 1


@pytest.mark.slow
def test_15_same_as_debians_imapd(tmp_path: Path) -> None:
    """The script of transcript 15 through Debian's real imapd and ours, each on a fresh copy
    of the same maildir with its own fake SENDMAIL: the same answers, the same mail sent."""
    import subprocess

    from tests import realcourier
    from tests.conftest import PYTHON, child_env

    script, _, _ = _script15()
    runs: dict[str, tuple[list[str], str]] = {}
    for who in ("courier", "ours"):
        top = tmp_path / who
        top.mkdir()
        maildir = _maildir15(top / "Maildir")
        sendmail = top / "fakesendmail"
        sendmail.write_text(FAKE_SENDMAIL.format(out=top / "sent"))
        sendmail.chmod(0o755)
        common = {"AUTHENTICATED": "bench@example.com", "SENDMAIL": str(sendmail), **OUTBOX_ENV}
        if who == "courier":
            argv = [realcourier.binary("usr/bin/imapd"), str(maildir)]
            # Debian's imapd file sets these; the start script exports them to imapd
            env = realcourier.env(
                {**common, "HEADERFROM": "X-IMAP-Sender", "IMAP_KEYWORDS": "1",
                 "IMAP_CAPABILITY": "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE QUOTA IDLE",
                 "HOME": str(top), "GAMIN_DEBUG_SERVER": "/bin/false"}
            )  # fmt: skip
        else:
            (top / "etc").mkdir()
            argv = [PYTHON, "-m", "courier.cli.imapd", "--config-dir", str(top / "etc"), str(maildir)]
            env = child_env(**common)
        out = subprocess.run(argv, input=script, env=env, capture_output=True, timeout=60).stdout.decode()
        lines = [x for x in out.split("\r\n")[:-1] if "Filesystem notification initialization" not in x]
        runs[who] = (normalise(lines, ours=True), (top / "sent").read_text())
    assert runs["ours"][0] == runs["courier"][0]
    assert runs["ours"][1] == runs["courier"][1]


@pytest.mark.slow
def test_magic_trash_same_as_debians_imapd(tmp_path: Path) -> None:
    """Expunged into the trash and expunged inside it: the same answers from Debian's imapd and
    ours (the flags a message keeps in the trash, \\Recent there, STATUS on the way)."""
    import subprocess

    from tests import realcourier
    from tests.conftest import PYTHON, child_env

    msg = b"Subject: gone\r\n\r\nbody\r\n"
    script = b"".join(
        line + b"\r\n"
        for line in [
            b"a1 APPEND INBOX (\\Seen \\Draft \\Flagged \\Deleted) {%d}\r\n" % len(msg) + msg,
            b"a2 APPEND INBOX {%d}\r\n" % len(msg) + msg,
            b"a3 SELECT INBOX",
            b"a4 STORE 2 +FLAGS (\\Answered \\Deleted)",
            b"a5 EXPUNGE",
            b"a6 STATUS INBOX.Trash (MESSAGES RECENT UNSEEN)",
            b"a7 SELECT INBOX.Trash",
            b"a8 FETCH 1:* (FLAGS)",
            b"a9 STORE 1 +FLAGS (\\Deleted)",
            b"b1 EXPUNGE",
            b"b2 STATUS INBOX.Trash (MESSAGES)",
            b"b3 LOGOUT",
        ]
    )
    runs: dict[str, list[str]] = {}
    for who in ("courier", "ours"):
        top = tmp_path / who
        top.mkdir()
        maildir = top / "Maildir"
        make_maildir(str(maildir))
        common = {"AUTHENTICATED": "bench@example.com", "IMAP_MOVE_EXPUNGE_TO_TRASH": "1", "IMAP_ACL": "1"}
        if who == "courier":
            argv = [realcourier.binary("usr/bin/imapd"), str(maildir)]
            env = realcourier.env(
                {**common, "IMAP_KEYWORDS": "1", "HOME": str(top), "GAMIN_DEBUG_SERVER": "/bin/false",
                 "IMAP_CAPABILITY": "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE QUOTA IDLE"}
            )  # fmt: skip
        else:
            (top / "etc").mkdir()
            argv = [PYTHON, "-m", "courier.cli.imapd", "--config-dir", str(top / "etc"), str(maildir)]
            env = child_env(**common)
        out = subprocess.run(argv, input=script, env=env, capture_output=True, timeout=60).stdout.decode()
        lines = [x for x in out.split("\r\n")[:-1] if "Filesystem notification initialization" not in x]
        runs[who] = normalise(lines, ours=True)
    assert runs["ours"] == runs["courier"]
    assert '* STATUS "INBOX.Trash" (MESSAGES 2 RECENT 2 UNSEEN 1)' in runs["ours"]
    assert "* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))" in runs["ours"]
    assert "* 2 FETCH (FLAGS (\\Answered \\Recent))" in runs["ours"]
