"""Courier's own POP3 transcript, replayed against pop3d over TCP."""

from __future__ import annotations

from pathlib import Path

from tests.pop3 import transcript
from tests.pop3.conftest import MULTI, SIMPLE, TRANSCRIPTS, Pop3Server, deliver

RECORDED = transcript.load((TRANSCRIPTS / "20-pop3.txt").read_text())


def test_fixture_has_the_four_sessions() -> None:
    assert len(RECORDED) == 4
    assert RECORDED[0].disk == ["courierpop3dsizelist", "cur/1700000000.M1P1.lab:2,S"]


def test_transaction_state_as_courier(maildir: Path, preauth_server: Pop3Server) -> None:
    """Session 1 from the login on: every TRANSACTION answer, and the maildir afterwards."""
    deliver(maildir, SIMPLE, "1700000000.M1P1.lab")
    deliver(maildir, MULTI, "1700000001.M2P2.lab")
    exchanges = RECORDED[0].exchanges
    start = next(i for i, ex in enumerate(exchanges) if ex.server == ["+OK logged in."])
    client = transcript.Client(preauth_server.port)
    transcript.replay(client, [transcript.Exchange(None, ["+OK logged in."]), *exchanges[start + 1 :]])
    client.close()
    preauth_server.log()  # wait for the process to finish
    found = sorted(str(p.relative_to(maildir)) for p in maildir.rglob("*") if p.is_file())
    assert [f for f in found if f != "courierpop3dlock"] == RECORDED[0].disk
