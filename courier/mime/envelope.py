"""ENVELOPE (RFC 3501 7.4.2) from a header block, as plain data.

Result shapes: None = NIL, str = string, list = parenthesised list.  Strings
are what Courier sends: encoded-words untouched; raw 8-bit text becomes
``=?utf-8?B?...?=`` words (invalid UTF-8 octets dropped) unless the client
enabled UTF8=ACCEPT (``utf8=True``), when the UTF-8 text is returned as is.
"""

from __future__ import annotations

import base64
import re

from courier.mime.headers import Fields

#: One address: [name, adl, mailbox, host].
Address = list[str | None]


def _b_word(text: str) -> str:
    return "=?utf-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def header_text(value: bytes, utf8: bool = False, whole: bool = False) -> str:
    """A header value as an IMAP string the way Courier shows it.

    8-bit text becomes one encoded-word per space-separated word (``whole``:
    one for the entire value, as Courier does for names and parameters).
    """
    if b"\0" in value:  # Courier's C strings end there; IMAP strings cannot carry NUL
        value = value[: value.index(b"\0")].rstrip()
    if value.isascii():
        return value.decode("ascii")
    text = value.decode("utf-8", "ignore")
    if utf8 or text.isascii():
        return text
    if whole:
        return _b_word(text)
    words = text.split(" ")
    for i, w in enumerate(words):
        if not w.isascii():
            words[i] = _b_word(w)
    return " ".join(words)


# -- address lists ---------------------------------------------------------------------------

_SPECIALS = frozenset(',:;<>@"()')


_TOKEN = re.compile(r'[ \t\r\n]+|"((?:[^"\\]|\\.)*)("?)|([,:;<>@])|([^ \t\r\n,:;<>@"()]+)|(\()', re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _tokens(text: str) -> list[tuple[str, str]]:
    """Tokenise an address list: kinds 'a' atom run, 'q' quoted, 'c' comment, or a special."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    match = _TOKEN.match
    while i < n:
        m = match(text, i)
        if m is None:  # a stray ')'
            i += 1
            continue
        quoted, _, special, atom, paren = m.groups()
        if atom is not None:
            out.append(("a", atom))
        elif special is not None:
            out.append((special, special))
        elif quoted is not None:
            out.append(("q", _UNESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted))
        elif paren is not None:
            depth, j = 1, i + 1
            while j < n and depth:
                c = text[j]
                if c == "\\":
                    j += 1
                elif c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                j += 1
            out.append(("c", text[i + 1 : j - 1] if depth == 0 else text[i + 1 : j]))
            i = j
            continue
        i = m.end()
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
    """Display name: words and quoted strings, comments kept in parentheses (as Courier)."""
    words = [f"({v})" if k == "c" else v for k, v in tokens if k in ("a", "q", "c")]
    name = " ".join(w for w in words if w)
    return name or None


def _mailbox(phrase: list[tuple[str, str]], route: list[tuple[str, str]] | None) -> Address | None:
    """Build [name, adl, mailbox, host] from the tokens before/inside angle brackets."""
    if route is None:
        spec = _spec_text(phrase)
        name = " ".join(v for k, v in phrase if k == "c" and v) or None
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
        if route is not None and kind not in (",", ";"):
            continue  # after <addr>: a trailing comment is not part of the name
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
    if not value:
        return None
    addrs = parse_addresses(value.decode("latin-1"))
    if not addrs:
        return None
    for a in addrs:
        for i in (0, 2, 3):
            s = a[i]
            if s is not None and not s.isascii():
                a[i] = header_text(s.encode("latin-1"), utf8, whole=i == 0)
    return addrs


def combined(fields: Fields, name: str) -> bytes | None:
    """All occurrences of a field joined with ", " (how Courier reads repeated fields)."""
    found = [v for n, v in fields if n == name]
    if not found:
        return None
    return found[0] if len(found) == 1 else b", ".join(found)


ENVELOPE_FIELDS = frozenset(
    ["date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc", "in-reply-to", "message-id"]
)


def _index(fields: Fields) -> dict[str, bytes]:
    """The envelope fields of a header block, repeated ones joined as :func:`combined` does."""
    found: dict[str, bytes] = {}
    for n, v in fields:
        if n in ENVELOPE_FIELDS:
            found[n] = found[n] + b", " + v if n in found else v
    return found


def _text(fields: dict[str, bytes], name: str, utf8: bool) -> str | None:
    v = fields.get(name)
    return header_text(v, utf8) if v else None


def envelope(fields: Fields, utf8: bool = False) -> list[object]:
    """ENVELOPE data for a parsed header block (see :func:`courier.mime.headers.split_fields`).

    Sender and Reply-To default to From only when the field is absent; an
    empty field is NIL, as in Courier.
    """
    idx = _index(fields)
    frm = _addresses(idx.get("from"), utf8)
    sender_raw = idx.get("sender")
    sender = frm if sender_raw is None else _addresses(sender_raw, utf8)
    reply_raw = idx.get("reply-to")
    reply_to = frm if reply_raw is None else _addresses(reply_raw, utf8)
    return [
        _text(idx, "date", utf8),
        _text(idx, "subject", utf8),
        frm,
        sender,
        reply_to,
        _addresses(idx.get("to"), utf8),
        _addresses(idx.get("cc"), utf8),
        _addresses(idx.get("bcc"), utf8),
        _text(idx, "in-reply-to", utf8),
        _text(idx, "message-id", utf8),
    ]
