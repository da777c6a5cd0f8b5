"""Header blocks as bytes: field splitting, unfolding, MIME parameters.

Header values stay bytes (8-bit headers are common); callers decide how to
turn them into text.  Field names are lowercased ASCII ``str``.
"""

from __future__ import annotations

import re

#: A parsed header block: (lowercased name, unfolded value without the name).
Fields = list[tuple[str, bytes]]

_WS = b" \t\r\n"


# A field: a name (no colon, not starting with white space), ":", the value and its
# continuation lines.  Lines without a colon match nothing and are skipped, as in Courier.
_FIELD = re.compile(rb"^([^: \t\n][^:\n]*):(.*(?:\n[ \t].*)*)", re.MULTILINE)


def split_fields(block: bytes) -> Fields:
    """Split a raw header block (LF or CRLF line ends) into unfolded fields.

    Lines without a colon are ignored, as Courier does; continuation lines
    (leading space or tab) are joined with their line break removed.
    """
    fields: Fields = []
    for m in _FIELD.finditer(block):
        name = m.group(1).strip(_WS)
        if not name:
            continue
        value = m.group(2)
        if b"\n" in value:
            value = value.replace(b"\r\n", b"").replace(b"\n", b"")
        fields.append((name.decode("latin-1").lower(), value.strip(_WS)))
    return fields


def first(fields: Fields, name: str) -> bytes | None:
    for n, v in fields:
        if n == name:
            return v
    return None


def strip_comments(value: bytes) -> bytes:
    """Remove RFC 5322 comments (nested parentheses), leaving quoted strings alone."""
    if b"(" not in value:
        return value
    out = bytearray()
    depth = 0
    quoted = False
    i = 0
    n = len(value)
    while i < n:
        c = value[i]
        if quoted:
            out.append(c)
            if c == 0x5C and i + 1 < n:  # backslash
                i += 1
                out.append(value[i])
            elif c == 0x22:
                quoted = False
        elif depth:
            if c == 0x5C:
                i += 1
            elif c == 0x28:
                depth += 1
            elif c == 0x29:
                depth -= 1
        elif c == 0x28:
            depth = 1
            out.append(0x20)
        else:
            if c == 0x22:
                quoted = True
            out.append(c)
        i += 1
    return bytes(out)


def mime_version_ok(value: bytes | None) -> bool:
    """True when MIME-Version says 1.0 (comments and spacing allowed)."""
    if value is None:
        return False
    return strip_comments(value).replace(b" ", b"").replace(b"\t", b"") == b"1.0"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        if "\\" in inner:
            out = []
            it = iter(inner)
            for ch in it:
                out.append(next(it, "") if ch == "\\" else ch)
            return "".join(out)
        return inner
    return value


def _quotes_closed(text: str) -> bool:
    if "\\" not in text:
        return text.count('"') % 2 == 0
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
    return not quoted


def _split_semicolons(text: str) -> list[str]:
    """Split on ';' outside quoted strings."""
    parts = text.split(";")
    if '"' not in text:
        return parts
    items: list[str] = []
    cur: str | None = None
    for p in parts:
        cur = p if cur is None else cur + ";" + p
        if _quotes_closed(cur):
            items.append(cur)
            cur = None
    if cur is not None:
        items.append(cur)
    return items


def parse_params(value: bytes) -> tuple[str, list[tuple[str, str]]]:
    """``type/sub; a=b; c="d"`` -> ("type/sub", [("a", "b"), ("c", "d")]).

    The leading value is lowercased and stripped; parameter names are
    lowercased, values keep their case (RFC 2231 forms are passed through).
    """
    text = strip_comments(value).decode("latin-1") if b"(" in value else value.decode("latin-1")
    if ";" not in text:
        return text.strip().lower(), []
    items = _split_semicolons(text)
    params: list[tuple[str, str]] = []
    for item in items[1:]:
        eq = item.find("=")
        if eq <= 0:
            continue
        pname = item[:eq].strip().lower()
        if not pname:
            continue
        params.append((pname, _unquote(item[eq + 1 :].strip())))
    return items[0].strip().lower(), params


def param(params: list[tuple[str, str]], name: str) -> str | None:
    for n, v in params:
        if n == name:
            return v
    return None
