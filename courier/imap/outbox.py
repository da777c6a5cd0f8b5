"""The Outbox: a message APPENDed or COPYed into the OUTBOX folder is also mailed.

As Courier does it: ``SENDMAIL -oi -t -f <login>`` reads the message on its standard input,
with a ``HEADERFROM: <login>`` line put in front; the recipients come from its To, Cc and Bcc
headers (``-t``).  The store calls :func:`send` with the complete file after the quota check
and before the message becomes visible, so a message that could not be sent never shows up
in the folder, and a crash in between leaves at worst an invisible file in tmp/.
"""

from __future__ import annotations

import contextlib
import os

from courier.storage import StorageError

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from typing import NoReturn

    from courier.imap.settings import ImapSettings
    from courier.storage import Submit

SEND_FAILED = "Unable to send E-mail message"
ONE_AT_A_TIME = "Only one message may be sent at a time."
#: Courier keeps this much of what sendmail said.
_MAX_REASON = 512


class SendFailed(StorageError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"{SEND_FAILED}: {reason}", code="ALERT")
        self.reason = reason


def is_outbox(settings: ImapSettings, name: str) -> bool:
    return bool(settings.outbox_folder) and name == settings.outbox_folder


def submitter(settings: ImapSettings, sender: str) -> Submit:
    def submit(path: str) -> None:
        send(settings, sender, path)

    return submit


def send(settings: ImapSettings, sender: str, path: str) -> None:
    """Pipe the message file at ``path`` to SENDMAIL; raises SendFailed with what it said."""
    import subprocess
    import tempfile

    argv = [settings.sendmail, "-oi", "-t"]
    if sender:
        argv += ["-f", sender]
    env = dict(os.environ)
    if sender:
        env.setdefault("AUTHENTICATED", sender)
    # Its output goes to a file, not a pipe: it cannot block on a pipe we are not reading yet.
    with tempfile.TemporaryFile(dir=os.path.dirname(path)) as out, open(path, "rb") as msg:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out, stderr=out, env=env)
        except OSError as exc:
            _failed(sender, f"{settings.sendmail}: {exc.strerror}")
        assert proc.stdin is not None
        # BrokenPipeError: it stopped reading; its exit status says why
        with contextlib.suppress(BrokenPipeError):
            if settings.headerfrom and sender:
                proc.stdin.write(f"{settings.headerfrom}: {sender}\n".encode())
            while data := msg.read(65536):
                proc.stdin.write(data)
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        status = proc.wait()
        if status == 0:
            return
        out.seek(0)
        said = out.read(_MAX_REASON).decode("utf-8", "replace")
    reason = "".join("/" if ord(c) < 32 else c for c in said).strip("/ ")
    if not reason:
        if status < 0:
            reason = f"{settings.sendmail} terminated with signal {-status}"
        else:
            reason = f"{settings.sendmail} exited with status {status} without saying why"
    _failed(sender, reason)


def _failed(sender: str, reason: str) -> NoReturn:
    from courier import log

    log.error(f"error sending a message, user={log.clean(sender)}: {log.clean(reason)}")
    raise SendFailed(reason)
