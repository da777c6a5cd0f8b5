"""SEARCH, SORT and THREAD."""

from __future__ import annotations

import functools
import re
import time

from courier.imap.args import MONTHS, Args, Bad
from courier.imap.response import Atom
from courier.imap.searchkeys import Node, check_charset, parse_search
from courier.imap.table import SELECTED, Result, command
from courier.storage import StorageError

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.session import Session
    from courier.imap.view import View
    from courier.mime.message import Message

_DATE_HDR = re.compile(rb"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{2,4})")


class _Ctx:
    """One message under test; the file is opened only if a key needs it."""

    def __init__(self, view: View, seq: int, uid: int) -> None:
        self.view = view
        self.seq = seq
        self.uid = uid
        self.info = view.info[uid]
        self._msg: Message | None = None
        self._failed = False

    def msg(self) -> Message | None:
        if self._msg is None and not self._failed:
            from courier.imap.commands.fetch import load_message

            try:
                self._msg = load_message(self.view.mailbox, self.uid)
            except (OSError, KeyError):
                self._failed = True
        return self._msg

    def column(self, name: str) -> bytes | None:
        """One of the summary file's columns (courier.imap.summaries.COLUMNS)."""
        if self._failed:
            return None
        try:
            return self.view.summaries.column(self.info, name)
        except (OSError, KeyError, StorageError):
            self._failed = True
            return None

    def close(self) -> None:
        if self._msg is not None:
            self._msg.close()


#: SEARCH keys whose header text the summary holds (decoded, repeated fields joined with ", ")
_SUMMARY_FIELDS = frozenset({"from", "to", "cc", "bcc", "subject"})


@functools.lru_cache(maxsize=32)
def _folded(needle: str) -> bytes:
    from courier.imap.summaries import folded

    return folded(needle)


def _header_from_summary(c: _Ctx, name: str, needle: str) -> bool | None:
    """The answer from the summary when it is certainly the parsed one's, else None.

    Absent and single fields decode alike; a needle without "," cannot match across the ", "
    that joins repeated fields; an empty needle must tell an absent field from an empty one.
    """
    name = name.lower()
    if name not in _SUMMARY_FIELDS or not needle:
        return None
    text = c.column(name)
    if text is None:
        return None
    found = _folded(needle) in text
    return found if not found or "," not in needle else None


def _sent_date(msg: Message) -> tuple[int, int, int] | None:
    from courier.mime.headers import first

    value = first(msg.root.fields, "date")
    if value is None:
        return None
    m = _DATE_HDR.search(value)
    if m is None or m.group(2).decode().title() not in MONTHS:
        return None
    year = int(m.group(3))
    if year < 100:
        year += 1900 if year >= 50 else 2000
    return year, MONTHS[m.group(2).decode().title()], int(m.group(1))


def _cmp(op: object, have: tuple[int, int, int], want: object) -> bool:
    assert isinstance(want, tuple)
    if op == "<":
        return have < want
    if op == "=":
        return have == want
    return have >= want


def matches(node: Node, c: _Ctx) -> bool:
    kind = node[0]
    if kind == "ALL":
        return True
    if kind == "AND":
        nodes = node[1]
        assert isinstance(nodes, list)
        return all(matches(n, c) for n in nodes)
    if kind == "OR":
        return matches(node[1], c) or matches(node[2], c)  # type: ignore[arg-type]
    if kind == "NOT":
        return not matches(node[1], c)  # type: ignore[arg-type]
    if kind == "FLAG":
        return (node[1] in c.info.flags) == node[2]
    if kind == "RECENT":
        return (c.uid in c.view.recent) == node[1]
    if kind in ("SEQ", "UID"):
        ranges = node[1]
        assert isinstance(ranges, list)
        for lo, hi in ranges:
            top = c.view.exists if kind == "SEQ" else (c.view.uids[-1] if c.view.uids else 0)
            a = top if lo is None else lo
            b = top if hi is None else hi
            if a > b:
                a, b = b, a
            if a <= (c.seq if kind == "SEQ" else c.uid) <= b:
                return True
        return False
    if kind == "DATE":
        t = time.gmtime(c.info.internaldate)
        return _cmp(node[1], (t.tm_year, t.tm_mon, t.tm_mday), node[2])
    if kind in ("LARGER", "SMALLER"):
        size = c.column("RFC822.SIZE")
        if size is None:
            return False
        return int(size) > node[1] if kind == "LARGER" else int(size) < node[1]  # type: ignore[operator]
    if kind == "HEADER":
        name, needle = node[1], node[-1]
        assert isinstance(name, str) and isinstance(needle, str)
        known = _header_from_summary(c, name, needle)
        if known is not None:
            return known
    msg = c.msg()
    if msg is None:
        return False
    if kind == "SENT":
        sent = _sent_date(msg)
        return sent is not None and _cmp(node[1], sent, node[2])
    from courier.mime.search import body_matches, header_matches, text_matches

    needle = node[-1]
    assert isinstance(needle, str)
    if kind == "HEADER":
        name = node[1]
        assert isinstance(name, str)
        return header_matches(msg.root.fields, name, needle)
    if kind == "BODY":
        return body_matches(msg.buf, msg.root, needle)
    if kind == "TEXT":
        return text_matches(msg.buf, msg.root, needle)
    raise AssertionError(f"unknown search node {kind}")


def run_search(s: Session, tree: Node, uid: bool) -> list[tuple[int, int]]:
    view = s.view
    assert view is not None
    found: list[tuple[int, int]] = []
    for seq, msg_uid in list(enumerate(view.uids, 1)):
        c = _Ctx(view, seq, msg_uid)
        try:
            if matches(tree, c):
                found.append((seq, msg_uid))
        finally:
            c.close()
    return found


@command("SEARCH", SELECTED, uid=True, expunge_ok=False)
def search(s: Session, tag: str, a: Args, uid: bool) -> Result:
    _, tree = parse_search(a)
    hits = run_search(s, tree, uid)
    s.w.untagged(Atom("SEARCH"), *(u if uid else n for n, u in hits))
    return Result("SEARCH done.")


def _summaries(s: Session, hits: list[tuple[int, int]], uid: bool) -> list[tuple[int, float, object]]:
    """(number the client sees, INTERNALDATE, mime summary) for each hit."""
    view = s.view
    assert view is not None
    out: list[tuple[int, float, object]] = []
    for seq, msg_uid in hits:
        info = view.info[msg_uid]
        try:
            summ = view.summaries.get(info)
        except (OSError, KeyError, StorageError):
            continue
        out.append((msg_uid if uid else seq, info.internaldate, summ))
    return out


@command("SORT", SELECTED, uid=True, capability="SORT", expunge_ok=False)
def sort(s: Session, tag: str, a: Args, uid: bool) -> Result:
    from courier.mime.sort import SORT_KEYS, sort_messages
    from courier.mime.summary import Summary

    crit_tokens = a.list()
    criteria: list[tuple[str, bool]] = []
    reverse = False
    for tok in crit_tokens:
        word = str(tok).upper() if isinstance(tok, str) else ""
        if word == "REVERSE" and not reverse:
            reverse = True
            continue
        if word not in SORT_KEYS:
            raise Bad("unknown SORT key")
        criteria.append((word, reverse))
        reverse = False
    if reverse or not criteria:
        raise Bad("SORT needs keys")
    charset = check_charset(a.astring())
    _, tree = parse_search(a, charset=charset)
    hits = run_search(s, tree, uid)
    data = []
    for num, arrival, summ in _summaries(s, hits, uid):
        assert isinstance(summ, Summary)
        data.append(summ.sort_data(num, arrival))
    s.w.untagged(Atom("SORT"), *sort_messages(data, criteria))
    return Result("SORT done.")


@command("THREAD", SELECTED, uid=True, capability="THREAD=", expunge_ok=False)
def thread(s: Session, tag: str, a: Args, uid: bool) -> Result:
    from courier.mime.summary import Summary
    from courier.mime.thread import orderedsubject, references

    algorithm = a.atom().upper()
    if algorithm not in ("ORDEREDSUBJECT", "REFERENCES") or not s.has_cap("THREAD=" + algorithm):
        raise Bad("unknown THREAD algorithm")
    charset = check_charset(a.astring())
    _, tree = parse_search(a, charset=charset)
    hits = run_search(s, tree, uid)
    data = []
    for num, arrival, summ in _summaries(s, hits, uid):
        assert isinstance(summ, Summary)
        data.append(summ.thread_data(num, arrival))
    threads = orderedsubject(data) if algorithm == "ORDEREDSUBJECT" else references(data)
    s.w.untagged(Atom("THREAD"), *threads)
    return Result("THREAD done.")
