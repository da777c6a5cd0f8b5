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


SECTIONS_RECORDED = Path(__file__).parent / "courier_sections.txt"
SECTIONS = [
    "", "HEADER", "TEXT", "1", "1.MIME", "2", "2.MIME", "1.1", "1.2", "1.HEADER", "1.TEXT", "2.HEADER",
    "2.1", "3", "3.MIME", "HEADER.FIELDS (SUBJECT from X-NONE)", "HEADER.FIELDS.NOT (subject From)",
    "1.HEADER.FIELDS (subject)", "TEXT]<3.20", "1]<0.5",
]  # fmt: skip


def section_literals(messages: list[bytes]) -> list[bytes]:
    """Courier's BODY[<section>] bytes for every message and every entry of SECTIONS, in that order."""
    import re

    items = b" ".join(b"BODY.PEEK[" + s.encode() + (b">" if "<" in s else b"]") for s in SECTIONS)
    with tempfile.TemporaryDirectory() as tmp:
        md = Path(tmp) / "Maildir"
        subprocess.run(
            [realcourier.binary("usr/bin/maildirmake.courier"), str(md)], env=realcourier.env(), check=True
        )
        for i, data in enumerate(messages):
            (md / "cur" / f"{1_000_000_000 + i}.M1P1.test:2,").write_bytes(data)
        script = b"a1 EXAMINE INBOX\r\n"
        script += b"".join(b"f%d FETCH %d (%s)\r\n" % (i, i + 1, items) for i in range(len(messages)))
        out = subprocess.run(
            [realcourier.binary("usr/bin/imapd"), str(md)],
            input=script + b"a3 LOGOUT\r\n",
            env=realcourier.env({"AUTHENTICATED": "probe", "MAILDIR": str(md), "HOME": tmp}),
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    found: list[bytes] = []
    pos = 0
    literal = re.compile(rb"BODY\[[^\]]*\](?:<\d+>)? \{(\d+)\}\r\n")
    while (m := literal.search(out, pos)) is not None:
        n = int(m.group(1))
        found.append(out[m.end() : m.end() + n])
        pos = m.end() + n
    assert len(found) == len(messages) * len(SECTIONS), out[-300:]
    return found


def corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.eml"))


if __name__ == "__main__":  # re-record: python -m tests.mime.courier_oracle
    import base64

    files = corpus()
    data = [p.read_bytes() for p in files]
    lines = fetch_lines(data)
    RECORDED.write_text("".join(f"{p.name} {line}\n" for p, line in zip(files, lines, strict=True)))
    sections = iter(section_literals(data))
    SECTIONS_RECORDED.write_text(
        "".join(
            f"{p.name}\t{spec}\t{base64.b64encode(next(sections)).decode()}\n"
            for p in files
            for spec in SECTIONS
        )
    )
