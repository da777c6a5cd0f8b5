"""Run Debian's real Courier imapd (pre-authenticated) over message files and collect its FETCH lines."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from tests import realcourier

CORPUS = Path(__file__).parent / "corpus"
RECORDED = Path(__file__).parent / "courier_fetch.txt"
ITEMS = b"RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY"


def fetch_lines(messages: list[bytes]) -> list[str]:
    """One ``* n FETCH (...)`` line per message, in order."""
    with tempfile.TemporaryDirectory() as tmp:
        md = Path(tmp) / "Maildir"
        subprocess.run(
            [realcourier.binary("usr/bin/maildirmake.courier"), str(md)], env=realcourier.env(), check=True
        )
        for i, data in enumerate(messages):
            (md / "cur" / f"{1_000_000_000 + i}.M1P1.test:2,").write_bytes(data)
        script = b"a1 EXAMINE INBOX\r\na2 FETCH 1:* (" + ITEMS + b")\r\na3 LOGOUT\r\n"
        out = subprocess.run(
            [realcourier.binary("usr/bin/imapd"), str(md)],
            input=script,
            env=realcourier.env({"AUTHENTICATED": "probe", "MAILDIR": str(md), "HOME": tmp}),
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    lines = [ln for ln in out.decode("utf-8", "replace").split("\r\n") if " FETCH (" in ln]
    assert len(lines) == len(messages), out[-500:]
    return lines


def corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.eml"))


if __name__ == "__main__":  # re-record: python -m tests.mime.courier_oracle
    files = corpus()
    lines = fetch_lines([p.read_bytes() for p in files])
    RECORDED.write_text("".join(f"{p.name} {line}\n" for p, line in zip(files, lines, strict=True)))
