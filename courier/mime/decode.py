"""Turning header and body bytes into text: RFC 2047 words, charsets, QP and base64.

Everything here is lenient: unknown charsets fall back to UTF-8/Latin-1,
broken encodings decode as far as they go.  Codec modules are imported by
``codecs`` on first use only.
"""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Iterable, Iterator

from courier.mime.message import Buffer, Entity

_WORD = re.compile(rb"=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(rb"\?=[ \t\r\n]+=\?")
CHUNK = 1 << 16


def charset_codec(name: str) -> str | None:
    """The Python codec name for a MIME charset (RFC 2231 language suffix allowed), or None."""
    name = name.split("*", 1)[0].strip().strip('"').lower()
    if not name:
        return None
    if name in ("us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        return "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def raw_text(data: bytes) -> str:
    """Undeclared 8-bit text is taken as UTF-8 (invalid octets match nothing, as in Courier)."""
    return data.decode("utf-8", "replace")


def _decode_word(charset: bytes, enc: bytes, text: bytes) -> str | None:
    codec = charset_codec(charset.decode("ascii", "replace"))
    if codec is None:
        return None
    if enc in (b"q", b"Q"):
        raw = binascii.a2b_qp(text.replace(b"_", b" "))
    else:
        text = text.rstrip(b"=")
        try:
            raw = binascii.a2b_base64(text + b"=" * (-len(text) % 4))
        except binascii.Error:
            return None
    return raw.decode(codec, "replace")


def decode_header(value: bytes) -> str:
    """RFC 2047 decoding of a header value; whitespace between adjacent encoded-words is dropped."""
    if b"=?" not in value:
        return raw_text(value)
    if _BETWEEN_WORDS.search(value):
        value = _BETWEEN_WORDS.sub(b"?==?", value)
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(value):
        word = _decode_word(m.group(1), m.group(2), m.group(3))
        if word is None:
            continue
        out.append(raw_text(value[pos : m.start()]))
        out.append(word)
        pos = m.end()
    out.append(raw_text(value[pos:]))
    return "".join(out)


# -- bodies ----------------------------------------------------------------------------------


def _raw_chunks(buf: Buffer, start: int, end: int) -> Iterator[bytes]:
    """The bytes of [start, end) in pieces that end on a line boundary (when lines allow)."""
    pos = start
    while pos < end:
        stop = min(pos + CHUNK, end)
        if stop < end:
            nl = buf.rfind(b"\n", pos, stop)
            if nl >= 0:
                stop = nl + 1
        yield bytes(buf[pos:stop])
        pos = stop


def _decoded_bytes(buf: Buffer, ent: Entity) -> Iterator[bytes]:
    enc = ent.encoding
    chunks = _raw_chunks(buf, ent.bstart, ent.end)
    if enc == "quoted-printable":
        for c in chunks:
            yield binascii.a2b_qp(c)
    elif enc == "base64":
        carry = b""
        for c in chunks:
            data = carry + c.translate(None, b" \t\r\n")
            cut = len(data) - len(data) % 4
            carry = data[cut:]
            try:
                yield binascii.a2b_base64(data[:cut])
            except binascii.Error:
                return
    else:
        yield from chunks


def part_text(buf: Buffer, ent: Entity) -> Iterator[str]:
    """Decoded text of a text/* leaf, in chunks (charset from its parameters)."""
    charset = None
    for name, value in ent.params:
        if name == "charset":
            charset = charset_codec(value)
    decoder = codecs.getincrementaldecoder(charset or "utf-8")("replace")
    for data in _decoded_bytes(buf, ent):
        yield decoder.decode(data)
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def header_block_text(fields: list[tuple[str, bytes]]) -> str:
    return "\n".join(f"{name}: {decode_header(value)}" for name, value in fields)


def body_texts(buf: Buffer, ent: Entity, headers: bool) -> Iterator[str]:
    """Text chunks searched by SEARCH BODY (``headers=False``) or TEXT (``True``).

    Text parts are decoded; encapsulated messages contribute their headers
    (for TEXT) and text parts; other parts are not searched.
    """
    if headers:
        yield header_block_text(ent.fields)
    stack = [ent]
    while stack:
        e = stack.pop()
        if e.children:
            stack.extend(reversed(e.children))
        elif e.message is not None:
            if headers:
                yield header_block_text(e.message.fields)
            stack.append(e.message)
        elif e.type == "text":
            yield from part_text(buf, e)


def fold(text: str) -> str:
    """Case folding for SEARCH: character by character, as Courier does ("ß" is not "SS")."""
    return text.lower()


def contains(chunks: Iterable[str], needle: str) -> bool:
    """Case-insensitive substring search over text chunks (matches across chunk edges)."""
    needle = fold(needle)
    if not needle:
        return True
    keep = len(needle) - 1
    tail = ""
    for chunk in chunks:
        text = tail + fold(chunk)
        if needle in text:
            return True
        tail = text[-keep:] if keep else ""
    return False
