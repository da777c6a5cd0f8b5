"""The Outbox through a real sendmail: msmtp (Debian's package) hands the message to an SMTP
sink (aiosmtpd) in the test; imapd runs behind courier-tcpd as a real account, driven by imaplib.

SENDMAIL is a two-line wrapper that writes down its arguments and execs ``msmtp -C <rc>``, so
the test sees both what Courier's protocol asks of sendmail and what a real MTA made of it.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import PYTHON, child_env, free_port
from tests.imap.conftest import ImapServer, serve_account

MSMTP = shutil.which("msmtp")
pytestmark = pytest.mark.skipif(MSMTP is None, reason="msmtp is not installed (scripts/apt-packages.txt)")

MESSAGE = (
    "From: User <user@example.com>\r\n"
    "To: Ann <ann@example.net>, bob@example.net\r\n"
    "Cc: carol@example.org\r\n"
    "Bcc: dave@example.com\r\n"
    "Subject: outbox \u2713\r\n"
    "Date: Wed, 25 Nov 2026 12:00:00 +0000\r\n"
    "Message-ID: <outbox1@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "First line\r\n"
    ".\r\n"
    "..two dots survive SMTP transparency\r\n"
    "From the start of a line\r\n"
    "\u00dcmlaut \u2713 " + "x" * 900 + "\r\n"
).encode()
SENDER = "user@example.com"


@dataclass
class Sink:
    """What the SMTP server received; ``refuse``: recipients it answers 550."""

    mails: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: object, session: object, envelope: object, address: str, options: object
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        e = envelope
        self.mails.append((e.mail_from, list(e.rcpt_tos), e.content))  # type: ignore[attr-defined]
        return "250 2.0.0 Ok: queued"


@dataclass
class Outbox:
    server: ImapServer
    sink: Sink
    args: Path  # the wrapper's record of its arguments


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    from aiosmtpd.controller import Controller

    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def outbox(tmp_path: Path, system_user: tuple[str, int, int], sink: tuple[Sink, int]) -> Iterator[Outbox]:
    handler, port = sink
    _, uid, gid = system_user
    # where the account (sendmail runs as the account) can read it
    top = Path(tempfile.mkdtemp(prefix="cimap-mta-", dir="/var/tmp"))
    try:
        os.chmod(top, 0o755)
        rc = top / "msmtprc"
        rc.write_text(f"account default\nhost 127.0.0.1\nport {port}\nauth off\ntls off\nsyslog off\n")
        args = top / "args"
        args.write_text("")
        for p in (rc, args):
            os.chown(p, uid, gid)
            os.chmod(p, 0o600)
        wrapper = top / "sendmail"
        wrapper.write_text(f'#!/bin/sh\nprintf \'%s\\n\' "$@" > {args}\nexec {MSMTP} -C {rc} "$@"\n')
        wrapper.chmod(0o755)
        with serve_account(tmp_path, system_user, f"OUTBOX=.Outbox\nSENDMAIL={wrapper}\n") as server:
            yield Outbox(server, handler, args)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _login(server: ImapServer) -> imaplib.IMAP4:
    m = imaplib.IMAP4(server.host, server.port, timeout=30)
    m.login(server.user, server.password)
    return m


def _without_bcc(message: bytes) -> bytes:
    head, body = message.split(b"\r\n\r\n", 1)
    kept = [h for h in head.split(b"\r\n") if not h.lower().startswith(b"bcc:")]
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def _outbox_files(server: ImapServer) -> list[str]:
    d = server.maildir / ".Outbox"
    return [f"{sub}/{n}" for sub in ("tmp", "new", "cur") for n in os.listdir(d / sub)]


def test_append_sends_to_every_recipient_without_disclosing_bcc(outbox: Outbox) -> None:
    m = _login(outbox.server)
    assert "XCOURIEROUTBOX=INBOX.OUTBOX" in m.capabilities  # imaplib upper-cases them
    assert m.create("INBOX.Outbox")[0] == "OK"
    typ, data = m.append("INBOX.Outbox", None, None, MESSAGE)
    assert typ == "OK", data
    assert outbox.args.read_text().split("\n")[:-1] == ["-oi", "-t", "-f", SENDER]
    [(mail_from, rcpts, content)] = outbox.sink.mails
    assert mail_from == SENDER
    assert sorted(rcpts) == ["ann@example.net", "bob@example.net", "carol@example.org", "dave@example.com"]
    # HEADERFROM's line first, then the message as appended, less its Bcc header, byte for byte
    assert content == b"X-IMAP-Sender: " + SENDER.encode() + b"\r\n" + _without_bcc(MESSAGE)
    assert b"dave@" not in content
    # the folder keeps the message as the client wrote it
    m.select("INBOX.Outbox")
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == MESSAGE  # type: ignore[index]
    m.logout()


def test_copy_sends_one_message_at_a_time(outbox: Outbox) -> None:
    m = _login(outbox.server)
    m.create("INBOX.Outbox")
    m.select("INBOX")
    typ, data = m.copy("1:2", "INBOX.Outbox")
    assert typ == "NO" and b"[ALERT] Only one message may be sent at a time." in data[0]  # type: ignore[operator]
    assert outbox.sink.mails == [] and _outbox_files(outbox.server) == []
    typ, data = m.copy("1", "INBOX.Outbox")
    assert typ == "OK" and b"COPYUID" in data[0], data  # type: ignore[operator]
    [(mail_from, rcpts, content)] = outbox.sink.mails
    assert (mail_from, rcpts) == (SENDER, ["bench@example.com"])  # To: of the first message
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    original = data[0][1]  # type: ignore[index]
    assert content == b"X-IMAP-Sender: " + SENDER.encode() + b"\r\n" + original
    assert m.status("INBOX.Outbox", "(MESSAGES)")[1] == [b'"INBOX.Outbox" (MESSAGES 1)']
    m.logout()


def test_refused_by_the_mta_nothing_sent_nothing_kept(outbox: Outbox) -> None:
    outbox.sink.refuse.add("carol@example.org")
    m = _login(outbox.server)
    m.create("INBOX.Outbox")
    typ, data = m.append("INBOX.Outbox", None, None, MESSAGE)
    assert typ == "NO"
    text = data[0].decode()  # type: ignore[union-attr]
    assert text.startswith("[ALERT] Unable to send E-mail message: ") and "carol@example.org" in text, text
    # COPY of a message with a refused recipient fails the same way
    m.select("INBOX")
    outbox.sink.refuse.add("bench@example.com")
    typ, data = m.copy("1", "INBOX.Outbox")
    assert typ == "NO" and b"Unable to send E-mail message" in data[0]  # type: ignore[operator]
    assert outbox.sink.mails == []
    assert m.status("INBOX.Outbox", "(MESSAGES)")[1] == [b'"INBOX.Outbox" (MESSAGES 0)']
    assert _outbox_files(outbox.server) == []
    m.logout()


# -- failures of the sendmail program itself, and the settings, on a pre-authenticated imapd ------


def _preauth(maildir: Path, config: Path, script: list[bytes], **env: str) -> str:
    make = not (maildir / "cur").is_dir()
    if make:
        from courier.maildir.create import make_maildir

        make_maildir(str(maildir))
    data = b"".join(line + b"\r\n" for line in [*script, b"z LOGOUT"])
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.imapd", "--config-dir", str(config), str(maildir)],
        input=data,
        env=child_env(AUTHENTICATED="me@example.com", OUTBOX=".Outbox", **env),
        capture_output=True,
        timeout=60,
    )
    return r.stdout.decode()


def _append(name: str, message: bytes) -> bytes:
    return f"a APPEND {name} {{{len(message)}}}\r\n".encode() + message


@pytest.mark.parametrize(
    ("program", "said"),
    [
        ("#!/bin/sh\necho 'queue file write error' >&2\nexit 75\n", "queue file write error"),
        ("#!/bin/sh\ncat >/dev/null\nkill -9 $$\n", "terminated with signal 9"),
        ("#!/bin/sh\nexit 1\n", "exited with status 1 without saying why"),
        (None, "No such file or directory"),
    ],
)
def test_sendmail_failure_is_no_and_leaves_nothing(tmp_path: Path, program: str | None, said: str) -> None:
    sendmail = tmp_path / "sendmail"
    if program is not None:
        sendmail.write_text(program)
        sendmail.chmod(0o755)
    (tmp_path / "etc").mkdir()
    maildir = tmp_path / "Maildir"
    out = _preauth(
        maildir,
        tmp_path / "etc",
        [b"c CREATE INBOX.Outbox", _append("INBOX.Outbox", MESSAGE), b"s STATUS INBOX.Outbox (MESSAGES)"],
        SENDMAIL=str(sendmail),
    )
    assert "\r\na NO [ALERT] Unable to send E-mail message: " in out and said in out, out
    assert '* STATUS "INBOX.Outbox" (MESSAGES 0)' in out
    assert [n for sub in ("tmp", "new", "cur") for n in os.listdir(maildir / ".Outbox" / sub)] == []


def test_multiple_send_and_no_headerfrom(tmp_path: Path) -> None:
    sent = tmp_path / "sent"
    sendmail = tmp_path / "sendmail"
    sendmail.write_text(f'#!/bin/sh\n{{ echo "ARGS: $*"; cat; echo END; }} >> {sent}\n')
    sendmail.chmod(0o755)
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "imapd").write_text("OUTBOX_MULTIPLE_SEND=1\nHEADERFROM=\n")
    msg = b"To: a@example.net\r\nSubject: m\r\n\r\nbody\r\n"
    out = _preauth(
        tmp_path / "Maildir",
        etc,
        [b"c CREATE INBOX.Outbox", _append("INBOX", msg), _append("INBOX", msg), b"s SELECT INBOX",
         b"k COPY 1:2 INBOX.Outbox"],
        SENDMAIL=str(sendmail),
    )  # fmt: skip
    assert "\r\nk OK [COPYUID " in out, out
    one = "ARGS: -oi -t -f me@example.com\nTo: a@example.net\nSubject: m\n\nbody\nEND\n"
    assert sent.read_text() == one * 2
