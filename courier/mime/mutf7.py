"""Modified UTF-7 (RFC 3501 section 5.1.3) for mailbox names on the wire."""

from __future__ import annotations

# base64 and re are imported when a name needs them: most names (INBOX) are plain ASCII,
# and this module is on every IMAP session's path.


class MUTF7Error(ValueError):
    """A name is not valid modified UTF-7."""


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",")


def encode(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            out.append("&" + _b64("".join(pending).encode("utf-16-be")) + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def decode(name: str) -> str:
    """Decode, rejecting what RFC 3501 forbids (so two spellings never name one folder)."""
    for ch in name:
        if not 0x20 <= ord(ch) <= 0x7E:
            raise MUTF7Error(f"character {ch!r} must be encoded in modified UTF-7")
    if "&" not in name:
        return name
    import base64
    import re

    out: list[str] = []
    pos = 0
    for m in re.finditer(r"&([^-]*)-", name):
        out.append(name[pos : m.start()])
        pos = m.end()
        body = m.group(1)
        if body == "":
            out.append("&")
            continue
        if not re.fullmatch(r"[A-Za-z0-9+,]+", body) or len(body) % 4 == 1:
            raise MUTF7Error(f"bad modified UTF-7 sequence &{body}-")
        raw = base64.b64decode(body.replace(",", "/") + "=" * (-len(body) % 4))
        if len(raw) % 2:
            raise MUTF7Error(f"odd-length UTF-16 in &{body}-")
        try:
            text = raw.decode("utf-16-be")
        except UnicodeDecodeError as exc:
            raise MUTF7Error(f"bad UTF-16 in &{body}-") from exc
        if any(0x20 <= ord(c) <= 0x7E for c in text):
            raise MUTF7Error(f"&{body}- encodes printable ASCII")
        if _b64(raw) != body:
            raise MUTF7Error(f"non-canonical base64 in &{body}-")
        out.append(text)
    rest = name[pos:]
    if "&" in rest:
        raise MUTF7Error("unterminated '&' in mailbox name")
    out.append(rest)
    return "".join(out)
