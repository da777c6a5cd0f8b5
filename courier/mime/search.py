"""SEARCH helpers: decoded, case-insensitive matching of headers and bodies.

Header keys (FROM, TO, CC, BCC, SUBJECT, HEADER name) match the RFC 2047-decoded
field text; BODY matches the decoded text of the text/* parts (including those
of encapsulated messages); TEXT matches that plus the decoded header blocks.
Other parts (attachments) are not searched, as in Courier.  Needles are
Unicode strings (the imap layer decodes them from the SEARCH CHARSET).
"""

from __future__ import annotations

from courier.mime.decode import body_texts, contains, decode_header
from courier.mime.headers import Fields
from courier.mime.message import Buffer, Entity


def header_matches(fields: Fields, name: str, needle: str) -> bool:
    """SEARCH HEADER <name> <needle> (also FROM/TO/CC/BCC/SUBJECT): false when the field is absent."""
    name = name.lower()
    values = [v for n, v in fields if n == name]
    if not values:
        return False
    return any(contains((decode_header(v),), needle) for v in values)


def body_matches(buf: Buffer, root: Entity, needle: str) -> bool:
    """SEARCH BODY <needle>."""
    return contains(body_texts(buf, root, headers=False), needle)


def text_matches(buf: Buffer, root: Entity, needle: str) -> bool:
    """SEARCH TEXT <needle>."""
    return contains(body_texts(buf, root, headers=True), needle)


def text_contains(text: str, needle: str) -> bool:
    """Match a needle against already decoded text (e.g. a cached Summary's from_/subject)."""
    return contains((text,), needle)
