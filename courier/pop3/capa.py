"""The CAPA answer (RFC 2449): Courier's list, plus the response codes it lacks."""

from __future__ import annotations

from collections.abc import Sequence

# Courier's fixed lines, in Courier's order; RESP-CODES and AUTH-RESP-CODE are ours.
_FIXED = (
    "TOP",
    "USER",
    "LOGIN-DELAY 10",
    "PIPELINING",
    "UIDL",
    "RESP-CODES",
    "AUTH-RESP-CODE",
    "UTF8 USER",
    "IMPLEMENTATION Courier Mail Server",
)


def capa_lines(*, sasl: Sequence[str], stls: bool) -> list[str]:
    lines = []
    if sasl:
        lines.append("SASL " + " ".join(sasl))
    if stls:
        lines.append("STLS")
    lines.extend(_FIXED)
    return lines


def capa_response(*, sasl: Sequence[str], stls: bool) -> bytes:
    body = "".join(f"{line}\r\n" for line in capa_lines(sasl=sasl, stls=stls))
    return f"+OK Here's what I can do:\r\n{body}.\r\n".encode("ascii")
