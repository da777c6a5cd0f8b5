"""Sample mail for courier-demo: plain, multipart, HTML, attachments, threads, 8-bit and encoded headers."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

_PEOPLE = [
    ("Alice Example", "alice@example.org"),
    ("Bob Builder", "bob@example.net"),
    ("Carol Zhang", "carol@example.com"),
    ("Dave O'Neil", "dave@example.org"),
    ("Jürgen Müller", "juergen@example.de"),
]
_TOPICS = [
    "Quarterly report",
    "Lunch on Friday?",
    "Server migration plan",
    "Photos from the trip",
    "Invoice 2026-117",
    "Meeting notes",
]


def _word(text: str) -> str:
    """An RFC 2047 encoded-word when the text is not ASCII."""
    if text.isascii():
        return text
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def _addr(person: tuple[str, str]) -> str:
    name, mail = person
    return f"{_word(name)} <{mail}>" if name.isascii() is False else f'"{name}" <{mail}>'


def _date(ts: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(ts))


def _message(
    n: int, sender: tuple[str, str], subject: str, body: str, ts: float, extra: str = "", ctype: str = ""
) -> bytes:
    head = [
        f"From: {_addr(sender)}",
        "To: Demo User <demo@example.com>",
        f"Subject: {_word(subject)}",
        f"Date: {_date(ts)}",
        f"Message-ID: <demo{n}@example.com>",
    ]
    if extra:
        head.append(extra)
    if ctype:
        head += ["MIME-Version: 1.0", ctype]
    return ("\n".join(head) + "\n\n" + body).encode("utf-8")


def samples() -> Iterator[tuple[str, bytes, set[str], float]]:
    """(folder, message, flags, internal date) for about thirty messages."""
    now = time.time()
    day = 86400.0
    n = 0
    for i in range(18):
        n += 1
        who = _PEOPLE[i % len(_PEOPLE)]
        topic = _TOPICS[i % len(_TOPICS)]
        ts = now - (18 - i) * day / 2
        flags: set[str] = set()
        if i % 3 == 0:
            flags.add("\\Seen")
        if i % 7 == 0:
            flags.add("\\Flagged")
        kind = i % 6
        if kind == 0:
            msg = _message(
                n,
                who,
                topic,
                f"Hello,\n\nthis is message {n} about {topic.lower()}.\n\nRegards,\n{who[0]}\n",
                ts,
            )
        elif kind == 1:
            boundary = f"=_alt{n}"
            body = (
                f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\nPlain text version of {topic}.\n"
                f"--{boundary}\nContent-Type: text/html; charset=utf-8\n\n"
                f"<p>HTML version of <b>{topic}</b>.</p>\n"
                f"--{boundary}--\n"
            )
            msg = _message(
                n, who, topic, body, ts, ctype=f'Content-Type: multipart/alternative; boundary="{boundary}"'
            )
        elif kind == 2:
            boundary = f"=_mix{n}"
            data = base64.encodebytes(bytes(range(256)) * 4).decode()
            body = (
                f"--{boundary}\nContent-Type: text/plain; charset=us-ascii\n\nThe file is attached.\n"
                f'--{boundary}\nContent-Type: application/octet-stream; name="data{n}.bin"\n'
                "Content-Transfer-Encoding: base64\n"
                f'Content-Disposition: attachment; filename="data{n}.bin"\n\n'
                f"{data}--{boundary}--\n"
            )
            msg = _message(
                n, who, topic, body, ts, ctype=f'Content-Type: multipart/mixed; boundary="{boundary}"'
            )
        elif kind == 3:
            body = "Gr=C3=BC=C3=9Fe aus M=C3=BCnchen! Sch=C3=B6nes Wetter heute.\n"
            msg = _message(
                n, _PEOPLE[4], "Grüße aus München", body, ts,
                ctype="Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable",
            )  # fmt: skip
        elif kind == 4:
            parent = n - 4 if n > 4 else 1
            msg = _message(
                n, who, f"Re: {_TOPICS[(i - 4) % len(_TOPICS)]}", "> earlier text\n\nAgreed.\n", ts,
                extra=f"In-Reply-To: <demo{parent}@example.com>\nReferences: <demo{parent}@example.com>",
            )  # fmt: skip
            flags.add("\\Answered")
        else:
            lines = "".join(f"Line {k} of a longer message.\n" for k in range(400))
            msg = _message(n, who, f"{topic} (long)", lines, ts)
        yield "INBOX", msg, flags, ts
    for i in range(6):
        n += 1
        ts = now - (40 + i) * day
        msg = _message(
            n, _PEOPLE[i % 5], f"Project status, week {i + 1}", f"Status update {i + 1}: on track.\n", ts
        )
        yield "INBOX.Projects", msg, {"\\Seen"} | ({"$Important"} if i == 0 else set()), ts
    for i in range(6):
        n += 1
        ts = now - (400 + 30 * i) * day
        msg = _message(n, _PEOPLE[(i + 2) % 5], f"Old newsletter #{i + 1}", "Archived newsletter text.\n", ts)
        yield "INBOX.Archive", msg, {"\\Seen"}, ts
