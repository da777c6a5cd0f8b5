"""The SEARCH key grammar (RFC 3501 6.4.4) parsed into a small tree of tuples.

Nodes: ``("ALL",)``, ``("AND", [nodes])``, ``("OR", a, b)``, ``("NOT", a)``,
``("FLAG", name, wanted)``, ``("RECENT", wanted)``, ``("NEW",)``,
``("SEQ", seqset)``, ``("UID", seqset)``, ``("LARGER", n)``, ``("SMALLER", n)``,
``("DATE", op, (y, m, d))`` on INTERNALDATE, ``("SENT", op, (y, m, d))`` on Date:,
``("HEADER", name, text)``, ``("BODY", text)``, ``("TEXT", text)``.
Strings are decoded from the command's CHARSET into ``str``.
"""

from __future__ import annotations

import codecs

from courier.imap.args import Args, Bad, No, is_seqset, number, search_date, seqset
from courier.imap.parser import Atom
from courier.imap.response import Code

Node = tuple[object, ...]
MAX_DEPTH = 64

_FLAGS = {
    "ANSWERED": ("\\Answered", True),
    "DELETED": ("\\Deleted", True),
    "DRAFT": ("\\Draft", True),
    "FLAGGED": ("\\Flagged", True),
    "SEEN": ("\\Seen", True),
    "UNANSWERED": ("\\Answered", False),
    "UNDELETED": ("\\Deleted", False),
    "UNDRAFT": ("\\Draft", False),
    "UNFLAGGED": ("\\Flagged", False),
    "UNSEEN": ("\\Seen", False),
}
_ADDR = {"BCC": "bcc", "CC": "cc", "FROM": "from", "TO": "to", "SUBJECT": "subject"}
_DATES = {"BEFORE": "<", "ON": "=", "SINCE": ">="}
_SENT = {"SENTBEFORE": "<", "SENTON": "=", "SENTSINCE": ">="}


def check_charset(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        raise No("The requested character set is not supported.", Code("BADCHARSET")) from None


class _Reader:
    def __init__(self, a: Args, charset: str) -> None:
        self.a = a
        self.charset = charset

    def string(self) -> str:
        raw = self.a.astring_bytes()
        try:
            return raw.decode(self.charset)
        except (UnicodeDecodeError, LookupError):
            raise Bad("string not in the given charset") from None

    def key(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise Bad("search keys nested too deeply")
        tok = self.a.next()
        if isinstance(tok, list):
            sub = Args(tok, self.a.utf8)
            inner = _Reader(sub, self.charset)
            nodes = []
            if not sub.more():
                raise Bad("empty parenthesised search key")
            while sub.more():
                nodes.append(inner.key(depth + 1))
            return ("AND", nodes)
        if not isinstance(tok, Atom):
            raise Bad("search key expected")
        word = tok.upper()
        if word == "ALL":
            return ("ALL",)
        if word in _FLAGS:
            name, wanted = _FLAGS[word]
            return ("FLAG", name, wanted)
        if word in ("KEYWORD", "UNKEYWORD"):
            kw = self.a.atom()
            return ("FLAG", kw, word == "KEYWORD")
        if word == "RECENT":
            return ("RECENT", True)
        if word == "OLD":
            return ("RECENT", False)
        if word == "NEW":
            return ("AND", [("RECENT", True), ("FLAG", "\\Seen", False)])
        if word in _ADDR:
            return ("HEADER", _ADDR[word], self.string())
        if word == "HEADER":
            name = self.a.astring()
            if not name or any(ord(c) <= 32 or ord(c) > 126 or c == ":" for c in name):
                raise Bad("invalid header name")
            return ("HEADER", name.lower(), self.string())
        if word in ("BODY", "TEXT"):
            return (word, self.string())
        if word in _DATES:
            return ("DATE", _DATES[word], search_date(self.a.next()))
        if word in _SENT:
            return ("SENT", _SENT[word], search_date(self.a.next()))
        if word in ("LARGER", "SMALLER"):
            return (word, number(self.a.next(), allow_zero=True))
        if word == "UID":
            return ("UID", seqset(self.a.next()))
        if word == "NOT":
            return ("NOT", self.key(depth + 1))
        if word == "OR":
            left = self.key(depth + 1)
            return ("OR", left, self.key(depth + 1))
        if is_seqset(tok):
            return ("SEQ", seqset(tok))
        raise Bad(f"unknown search key {word[:30]}")


def parse_search(a: Args, charset: str | None = None, allow_charset: bool = True) -> tuple[str, Node]:
    """``[CHARSET name] key...`` -> (python codec name, tree).  SORT/THREAD pass the charset."""
    if charset is None:
        charset = "utf-8"
        tok = a.peek()
        if allow_charset and isinstance(tok, Atom) and tok.upper() == "CHARSET":
            a.next()
            charset = check_charset(a.astring())
    reader = _Reader(a, charset)
    nodes = []
    if not a.more():
        raise Bad("SEARCH needs a key")
    while a.more():
        nodes.append(reader.key(0))
    return charset, nodes[0] if len(nodes) == 1 else ("AND", nodes)
