"""ENVELOPE (RFC 3501 7.4.2) from a header block, as plain data.

Result shapes: None = NIL, str = string, list = parenthesised list.  Strings
are what Courier sends: encoded-words untouched; raw 8-bit text becomes
``=?utf-8?B?...?=`` words (invalid UTF-8 octets dropped) unless the client
enabled UTF8=ACCEPT (``utf8=True``), when the UTF-8 text is returned as is.
"""

from __future__ import annotations

import base64

from courier.mime.headers import Fields, first

#: One address: [name, adl, mailbox, host].
Address = list[str | None]


def header_text(value: bytes, utf8: bool = False) -> str:
    """A header value as an IMAP string the way Courier shows it."""
    if value.isascii():
        return value.decode("ascii")
    text = value.decode("utf-8", "ignore")
    if utf8:
        return text
    words = text.split(" ")
    for i, w in enumerate(words):
        if not w.isascii():
            words[i] = "=?utf-8?B?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?="
    return " ".join(words)


# -- address lists ---------------------------------------------------------------------------

_SPECIALS = frozenset(',:;<>@"()')


def _tokens(text: str) -> list[tuple[str, str]]:
    """Tokenise an address list: kinds 'a' atom run, 'q' quoted, 'c' comment, or a special."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
        elif ch == '"':
            j = i + 1
            buf = []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            out.append(("q", "".join(buf)))
            i = j + 1
        elif ch == "(":
            depth, j = 1, i + 1
            while j < n and depth:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "(":
                    depth += 1
                elif text[j] == ")":
                    depth -= 1
                j += 1
            out.append(("c", text[i + 1 : j - 1]))
            i = j
        elif ch in _SPECIALS:
            out.append((ch, ch))
            i += 1
        else:
            j = i
            while j < n and text[j] not in _SPECIALS and text[j] not in " \t\r\n":
                j += 1
            out.append(("a", text[i:j]))
            i = j
    return out


def _spec_text(tokens: list[tuple[str, str]]) -> str:
    """Re-assemble an addr-spec (local part keeps its quotes, as Courier shows it)."""
    parts = []
    for kind, val in tokens:
        if kind == "c":
            continue
        parts.append('"' + val.replace("\\", "\\\\").replace('"', '\\"') + '"' if kind == "q" else val)
    return "".join(parts)


def _phrase(tokens: list[tuple[str, str]]) -> str | None:
    words = [v for k, v in tokens if k in ("a", "q", ".")]
    return " ".join(words) if words else None


def _mailbox(phrase: list[tuple[str, str]], route: list[tuple[str, str]] | None) -> Address | None:
    """Build [name, adl, mailbox, host] from the tokens before/inside angle brackets."""
    if route is None:
        spec = _spec_text(phrase)
        name = None
    else:
        spec = _spec_text(route)
        name = _phrase(phrase)
    if route is None and not spec:
        return None
    at = spec.rfind("@")
    if at < 0:
        return [name, None, spec, ""]
    return [name, None, spec[:at], spec[at + 1 :]]


def parse_addresses(text: str) -> list[Address]:
    """RFC 5322 address list -> IMAP address structures, groups per RFC 3501."""
    result: list[Address] = []
    cur: list[tuple[str, str]] = []
    route: list[tuple[str, str]] | None = None
    in_angle = False
    in_group = False

    def flush() -> None:
        nonlocal cur, route
        addr = _mailbox(cur, route)
        if addr is not None:
            result.append(addr)
        cur, route = [], None

    for kind, val in _tokens(text):
        if in_angle:
            if kind == ">":
                in_angle = False
            elif route is not None:
                route.append((kind, val))
            continue
        if kind == "<":
            in_angle = True
            route = []
        elif kind == ",":
            flush()
        elif kind == ":" and not in_group and route is None:
            name = _phrase(cur)
            result.append([None, None, name or "", None])
            cur = []
            in_group = True
        elif kind == ";" and in_group:
            flush()
            result.append([None, None, None, None])
            in_group = False
        else:
            cur.append((kind, val))
    flush()
    if in_group:
        result.append([None, None, None, None])
    return result


def _addresses(value: bytes | None, utf8: bool) -> list[Address] | None:
    if value is None:
        return None
    addrs = parse_addresses(value.decode("latin-1"))
    if not addrs:
        return None
    for a in addrs:
        for i in (0, 2, 3):
            s = a[i]
            if s is not None and not s.isascii():
                a[i] = header_text(s.encode("latin-1"), utf8)
    return addrs


def _text(fields: Fields, name: str, utf8: bool) -> str | None:
    v = first(fields, name)
    return None if v is None else header_text(v, utf8)


def envelope(fields: Fields, utf8: bool = False) -> list[object]:
    """ENVELOPE data for a parsed header block (see :func:`courier.mime.headers.split_fields`)."""
    frm = _addresses(first(fields, "from"), utf8)
    sender = _addresses(first(fields, "sender"), utf8) or frm
    reply_to = _addresses(first(fields, "reply-to"), utf8) or frm
    return [
        _text(fields, "date", utf8),
        _text(fields, "subject", utf8),
        frm,
        sender,
        reply_to,
        _addresses(first(fields, "to"), utf8),
        _addresses(first(fields, "cc"), utf8),
        _addresses(first(fields, "bcc"), utf8),
        _text(fields, "in-reply-to", utf8),
        _text(fields, "message-id", utf8),
    ]
