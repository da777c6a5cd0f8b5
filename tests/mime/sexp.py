"""Read IMAP response data (as real Courier printed it) into the plain data the mime package returns."""

from __future__ import annotations


def parse(text: str) -> object:
    """``("a" NIL 3 ("b"))`` -> ``["a", None, 3, ["b"]]`` (one value)."""
    value, pos = _value(text, 0)
    if text[pos:].strip():
        raise ValueError(f"trailing data at {pos}: {text[pos : pos + 20]!r}")
    return value


def parse_fetch(line: str) -> dict[str, object]:
    """``* 1 FETCH (ENVELOPE (...) BODY (...))`` -> {"ENVELOPE": ..., "BODY": ...} (no literals)."""
    start = line.index("FETCH (") + 7
    items: dict[str, object] = {}
    pos = start
    while True:
        while line[pos] == " ":
            pos += 1
        if line[pos] == ")":
            return items
        end = pos
        while line[end] not in " (":
            end += 1
        name = line[pos:end]
        value, pos = _value(line, end + 1 if line[end] == " " else end)
        items[name] = value


def _value(text: str, pos: int) -> tuple[object, int]:
    while text[pos] == " ":
        pos += 1
    ch = text[pos]
    if ch == "(":
        out: list[object] = []
        pos += 1
        while True:
            while text[pos] == " ":
                pos += 1
            if text[pos] == ")":
                return out, pos + 1
            v, pos = _value(text, pos)
            out.append(v)
    if ch == '"':
        buf = []
        pos += 1
        while text[pos] != '"':
            if text[pos] == "\\":
                pos += 1
            buf.append(text[pos])
            pos += 1
        return "".join(buf), pos + 1
    end = pos
    while end < len(text) and text[end] not in " ()":
        end += 1
    atom = text[pos:end]
    if atom == "NIL":
        return None, end
    if atom.isdigit():
        return int(atom), end
    return atom, end
