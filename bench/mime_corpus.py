"""Deterministic corpus of realistic messages (LF line ends, as stored in a maildir).

``messages(n, seed)`` yields n message byte strings; the same seed and n give
the same bytes.  Mix: plain text, multipart/alternative (text + HTML),
multipart/mixed with base64 attachments, forwarded messages (message/rfc822),
RFC 2047 encoded names and subjects, replies with References; sizes
log-uniform between 2 and 200 KB.  About 1% contain the phrase
"quarterly zephyr report"; about 2% are from "Alice Benchmark".
"""

from __future__ import annotations

import base64
import binascii
import math
import random
from collections.abc import Iterator

WORDS = str.split(
    "the of and to in is that for it as was with be by on not this are or from at which but have an "
    "they you were one all we their has would when if so no will more out up into do any your what "
    "some can only other new time could these two may first then its over also after did many before "
    "must through years where much way well down should because each just those people how too little "
    "meeting invoice project budget release server mailbox folder deadline customer account report "
    "schedule review draft update network backup storage"
)
FIRST = ["John", "Mary", "Pekka", "Jürgen", "Zoë", "Ahmed", "Li", "Sofía", "Olga", "Kenji", "Chloé", "Björn"]
LAST = ["Smith", "Virtanen", "Müller", "García", "Ivanova", "Tanaka", "Chen", "Dubois", "O'Brien", "Øster"]
DOMAINS = ["example.com", "example.org", "example.net", "lists.example.org", "corp.example.com"]
SUBJECTS = [
    "Meeting notes",
    "Re: budget draft",
    "Invoice #{n}",
    "Weekly report",
    "Fwd: server upgrade",
    "Résumé attached",
    "Über die Planung",
    "Ответ: отчёт",
    "会議の件",
    "Release {n} schedule",
    "Re: Re: lunch?",
    "Café opening",
]
PHRASE = "quarterly zephyr report"
ALICE = ("Alice Benchmark", "alice.bench@example.org")


def _word(text: str) -> str:
    if text.isascii():
        return text
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def _name(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    addr = f"{first}.{last}".lower().encode("ascii", "ignore").decode().replace("'", "")
    return f"{first} {last}", f"{addr or 'user'}@{rng.choice(DOMAINS)}"


def _addr(name: str, addr: str) -> str:
    if not name.isascii():
        return f"{_word(name)} <{addr}>"
    return f'"{name}" <{addr}>' if "'" in name else f"{name} <{addr}>"


def _line_pool() -> list[str]:
    rng = random.Random(0)
    return [" ".join(rng.choices(WORDS, k=rng.randint(9, 14))) for _ in range(4096)]


LINES = _line_pool()


def _text(rng: random.Random, size: int, phrase: bool) -> str:
    # Whole lines drawn from a fixed pool: one random number per line keeps 100,000 messages cheap.
    lines: list[str] = []
    total = 0
    bits = rng.getrandbits
    while total < size:
        r = bits(15)
        line = LINES[r & 4095]
        lines.append(line)
        total += len(line) + 1
        if r >> 12 == 0:
            lines.append("")
    if phrase:
        lines.insert(rng.randrange(len(lines) + 1), f"Please see the {PHRASE} attached.")
    return "\n".join(lines) + "\n"


def _qp(text: str) -> str:
    return binascii.b2a_qp(text.encode()).decode("ascii")


def message(rng: random.Random, i: int) -> bytes:
    size = int(math.exp(rng.uniform(math.log(2_000), math.log(200_000))))
    phrase = rng.random() < 0.01
    frm = ALICE if rng.random() < 0.02 else _name(rng)
    to = [_name(rng) for _ in range(rng.randint(1, 3))]
    subject = rng.choice(SUBJECTS).format(n=rng.randint(1, 999))
    day = 1 + i % 28
    headers = [
        f"Return-Path: <{frm[1]}>",
        f"Received: from mx{rng.randint(1, 9)}.example.net by mail.example.com; "
        f"{day} Mar 2024 10:{i % 60:02d}:00 +0000",
        f"From: {_addr(*frm)}",
        "To: " + ", ".join(_addr(*t) for t in to),
        f"Subject: {_word(subject) if not subject.isascii() else subject}",
        f"Date: Fri, {day:02d} Mar 2024 {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00 +0100",
        f"Message-ID: <{i}.{rng.randint(0, 10**9)}@{rng.choice(DOMAINS)}>",
    ]
    if rng.random() < 0.3:
        headers.append(f"Cc: {_addr(*_name(rng))}")
    if subject.startswith("Re:") and i:
        ref = f"<{rng.randrange(i)}.0@example.com>"
        headers += [f"In-Reply-To: {ref}", f"References: {ref}"]
    kind = rng.random()
    body_text = _text(rng, size if kind < 0.4 else min(size, 8000), phrase)
    if kind < 0.4:
        headers += [
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        body = body_text
    elif kind < 0.7:
        b = f"=_alt{i}"
        html = "<html><body><p>" + body_text.replace("\n\n", "</p><p>") + "</p></body></html>\n"
        headers += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{b}"']
        body = (
            f"--{b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
            f"{_qp(body_text)}\n--{b}\nContent-Type: text/html; charset=utf-8\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n{_qp(html)}\n--{b}--\n"
        )
    else:
        b = f"=_mix{i}"
        headers += ["MIME-Version: 1.0", f'Content-Type: multipart/mixed; boundary="{b}"']
        parts = [f"--{b}\nContent-Type: text/plain; charset=utf-8\n\n{body_text}"]
        left = max(size - len(body_text), 1000)
        for k in range(rng.randint(1, 3)):
            blob = rng.randbytes(max(left // 3 * 3 // 4, 100))
            name = rng.choice(["report.pdf", "photo.jpg", "Übersicht.xlsx", "data.bin"])
            parts.append(
                f'--{b}\nContent-Type: application/octet-stream; name="{_word(name)}"\n'
                f"Content-Transfer-Encoding: base64\n"
                f'Content-Disposition: attachment; filename="{_word(name)}"\n\n'
                + base64.encodebytes(blob).decode()
            )
            if k == 0 and rng.random() < 0.2:
                inner = f"From: {_addr(*_name(rng))}\nSubject: forwarded\n\n{_text(rng, 1000, False)}"
                parts.append(f"--{b}\nContent-Type: message/rfc822\n\n{inner}")
        body = "\n".join(p.rstrip("\n") for p in parts) + f"\n--{b}--\n"
    return ("\n".join(headers) + "\n\n" + body).encode()


def message_at(i: int, seed: int = 1) -> bytes:
    """Message number i on its own: each has its own seeded generator, so the first
    10,000 of a 100,000 corpus are the 10,000 corpus, and workers can share the job."""
    return message(random.Random(seed * 1_000_003 + i), i)


def messages(n: int, seed: int = 1) -> Iterator[bytes]:
    for i in range(n):
        yield message_at(i, seed)
