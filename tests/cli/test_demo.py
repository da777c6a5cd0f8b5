"""make demo's program: a working server on free ports, stopped cleanly by SIGTERM."""

from __future__ import annotations

import imaplib
import poplib
import signal
import subprocess
from pathlib import Path

from tests.conftest import PYTHON, child_env, free_port


def test_demo_serves_imap_and_pop3_and_stops(tmp_path: Path) -> None:
    imap_port, pop3_port = free_port(), free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "courier.cli.demo", "--dir", str(tmp_path / "demo"),
         "--imap-port", str(imap_port), "--pop3-port", str(pop3_port)],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=open(tmp_path / "demo.log", "wb"),  # noqa: SIM115 - the child owns it
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line.strip())
            if line.strip() == "ready":
                break
        assert lines[-1] == "ready", lines
        assert any(f"127.0.0.1:{imap_port}" in x and x.startswith("IMAP") for x in lines)
        try:
            m = imaplib.IMAP4("127.0.0.1", imap_port, timeout=20)
        except imaplib.IMAP4.abort as exc:
            raise AssertionError((tmp_path / "demo.log").read_text(errors="replace")) from exc
        m.login("demo@example.com", "demo")
        typ, data = m.select("INBOX")
        assert typ == "OK" and int(data[0]) >= 15
        typ, listing = m.list()
        names = b" ".join(x for x in listing if isinstance(x, bytes))
        assert b"INBOX.Projects" in names and b"INBOX.Archive" in names
        m.logout()
        p = poplib.POP3("127.0.0.1", pop3_port, timeout=20)
        assert p.getwelcome().startswith(b"+OK")
        p.quit()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    # nothing it started is left listening
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", imap_port))
