"""Reading a command's arguments from parser tokens; any mismatch is a syntax error (BAD)."""

from __future__ import annotations

from courier.imap.parser import Atom
from courier.mime.mutf7 import MUTF7Error
from courier.mime.mutf7 import decode as mutf7_decode

# IMAP's month names are English whatever the locale (calendar.month_abbr follows it).
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}
SeqSet = list[tuple[int | None, int | None]]

# re and calendar are imported by the date parsers that need them (SEARCH, APPEND), not by
# every session.
_DATE = r"(\d{1,2})-([A-Za-z]{3})-(\d{4})"
_DATETIME = r" ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"
MAX_NUMBER = 4294967295


class Bad(Exception):
    """Syntax error or a command that is not valid now: tagged BAD."""


class No(Exception):
    """The command is understood but failed: tagged NO with this text (and code)."""

    def __init__(self, text: str, code: object | None = None) -> None:
        super().__init__(text)
        self.code = code


class InvalidMailboxName(No):
    def __init__(self) -> None:
        super().__init__("Invalid mailbox name.")


def number(tok: object, allow_zero: bool = False) -> int:
    if not isinstance(tok, Atom) or not tok.isdigit() or not tok.isascii() or len(tok) > 10:
        raise Bad("expected a number")
    v = int(tok)
    if v > MAX_NUMBER or (v == 0 and not allow_zero):
        raise Bad("number out of range")
    return v


def seqset(tok: object) -> SeqSet:
    if not isinstance(tok, Atom) or not tok:
        raise Bad("expected a sequence set")
    out: SeqSet = []
    for part in tok.split(","):
        first, colon, last = part.partition(":")
        if not _seq_number(first) or (colon and not _seq_number(last)):
            raise Bad("invalid sequence set")
        a = None if first == "*" else number(Atom(first))
        b = a if not colon else (None if last == "*" else number(Atom(last)))
        out.append((a, b))
    return out


def _seq_number(text: str) -> bool:
    return text == "*" or (text.isascii() and text.isdigit())


def is_seqset(tok: object) -> bool:
    return (
        isinstance(tok, Atom)
        and bool(tok)
        and all(
            _seq_number(first) and (not colon or _seq_number(last))
            for first, colon, last in (p.partition(":") for p in tok.split(","))
        )
    )


def search_date(tok: object) -> tuple[int, int, int]:
    import calendar
    import re

    text = _text(tok)
    m = re.fullmatch(_DATE, text)
    if m is None or m.group(2).title() not in MONTHS:
        raise Bad("invalid date")
    day, year = int(m.group(1)), int(m.group(3))
    month = MONTHS[m.group(2).title()]
    if not (1 <= year <= 9999 and 1 <= day <= calendar.monthrange(year, month)[1]):
        raise Bad("invalid date")
    return year, month, day


def date_time(text: str) -> float | None:
    """APPEND's date-time as epoch seconds; None if it does not parse (Courier then uses now)."""
    import calendar
    import re

    m = re.fullmatch(_DATETIME, text)
    if m is None or m.group(2).title() not in MONTHS:
        return None
    day, year = int(m.group(1)), int(m.group(3))
    hh, mm, ss = int(m.group(4)), int(m.group(5)), int(m.group(6))
    month = MONTHS[m.group(2).title()]
    if not (1970 <= year <= 9999 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    if hh > 23 or mm > 59 or ss > 60:
        return None
    offset = (int(m.group(8)) * 60 + int(m.group(9))) * 60
    if m.group(7) == "-":
        offset = -offset
    return float(calendar.timegm((year, month, day, hh, mm, ss, 0, 0, 0)) - offset)


def _text(tok: object) -> str:
    if isinstance(tok, Atom):
        return str(tok)
    if isinstance(tok, bytes):
        try:
            return tok.decode("utf-8")
        except UnicodeDecodeError:
            raise Bad("invalid UTF-8") from None
    raise Bad("expected a string")


class Args:
    def __init__(self, items: list[object], utf8: bool = False) -> None:
        self.items = items
        self.i = 0
        self.utf8 = utf8

    def more(self) -> bool:
        return self.i < len(self.items)

    def peek(self) -> object:
        return self.items[self.i] if self.more() else None

    def next(self) -> object:
        if not self.more():
            raise Bad("missing argument")
        tok = self.items[self.i]
        self.i += 1
        return tok

    def end(self) -> None:
        if self.more():
            raise Bad("too many arguments")

    def atom(self) -> str:
        tok = self.next()
        if not isinstance(tok, Atom):
            raise Bad("expected an atom")
        return str(tok)

    def astring_bytes(self) -> bytes:
        tok = self.next()
        if isinstance(tok, Atom):
            return str(tok).encode("utf-8")
        if isinstance(tok, bytes):
            return tok
        raise Bad("expected a string")

    def astring(self) -> str:
        return _text(self.next())

    def nstring(self) -> str | None:
        tok = self.next()
        if isinstance(tok, Atom) and tok.upper() == "NIL":
            return None
        return _text(tok)

    def list(self) -> list[object]:
        tok = self.next()
        if not isinstance(tok, list):
            raise Bad("expected a parenthesised list")
        return tok

    def number(self) -> int:
        return number(self.next())

    def seqset(self) -> SeqSet:
        return seqset(self.next())

    def mailbox(self) -> str:
        return mailbox_name(self.next(), self.utf8)

    def pattern(self) -> str:
        """A LIST pattern or reference: like a mailbox name, but INBOX is not folded."""
        raw = self.next()
        text = _text(raw)
        if self.utf8 and not text.isascii():
            return text
        try:
            return mutf7_decode(text)
        except MUTF7Error:
            raise No("Invalid mailbox name.") from None


def mailbox_name(tok: object, utf8: bool) -> str:
    text = _text(tok)
    if not (utf8 and not text.isascii()):
        try:
            text = mutf7_decode(text)
        except MUTF7Error:
            raise InvalidMailboxName() from None
    return fold_inbox(text)


def fold_inbox(name: str) -> str:
    """INBOX is case-insensitive, also as the first level of a hierarchy."""
    if name.upper() == "INBOX":
        return "INBOX"
    if name[:6].upper() == "INBOX.":
        return "INBOX." + name[6:]
    return name
