"""RFC 5256 SORT: base subjects and sort keys, as pure functions over per-message data."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_WSP = re.compile(r"[ \t\r\n]+")
_BLOBS = re.compile(r"(?:\[[^\[\]]*\][ \t]*)*")
_REFWD_TAIL = re.compile(r"(?:re|fwd?)[ \t]*(?:\[[^\[\]]*\][ \t]*)?:", re.IGNORECASE)
#: Longer subjects are compared on their first this many characters (bounds the work).
MAX_SUBJECT = 4096


def base_subject(subject: str) -> tuple[str, bool]:
    """RFC 5256 section 2.1: (base subject, was it a reply or forward).

    ``subject`` is the decoded Subject text.  The base subject is returned
    case-folded, ready for comparison.
    """
    s = _WSP.sub(" ", subject[:MAX_SUBJECT])
    is_reply = False
    while True:
        # (2) trailers
        while True:
            if s.endswith((" ", "\t")):
                s = s.rstrip(" \t")
            elif s[-5:].lower() == "(fwd)":
                s = s[:-5]
                is_reply = True
            else:
                break
        # (3)-(5) leaders and blobs, in linear time: a run of blobs is either followed
        # by re/fw/fwd and ":" (a leader: drop it all) or stripped up to its last blob
        while True:
            s = s.lstrip(" \t")
            run_end = _BLOBS.match(s).end()  # type: ignore[union-attr]
            m = _REFWD_TAIL.match(s, run_end)
            if m is not None:
                s = s[m.end() :]
                is_reply = True
                continue
            if run_end == 0:
                break
            rest = s[run_end:]
            # blobs before text go; if only blobs are left, the last one stays
            s = rest if rest.strip(" \t") else s[s.rindex("[", 0, run_end) :]
            break
        # (6) [fwd: ...]
        if s[:5].lower() == "[fwd:" and s.endswith("]"):
            s = s[5:-1]
            is_reply = True
            continue
        break
    return s.casefold(), is_reply


class SortData:
    """What SORT needs to know about one message (all keys already normalised)."""

    __slots__ = ("arrival", "cc", "date", "from_", "seq", "size", "subject", "to")

    def __init__(
        self,
        seq: int,  # sequence number (or UID) that the client sees
        arrival: float,  # INTERNALDATE, epoch seconds
        date: float,  # sent date: Date header in UTC, or INTERNALDATE when it has none
        size: int,  # RFC822.SIZE
        subject: str,  # base subject (case-folded)
        from_: str,  # first From mailbox, case-folded ("" if none)
        to: str,
        cc: str,
    ) -> None:
        self.seq, self.arrival, self.date, self.size = seq, arrival, date, size
        self.subject, self.from_, self.to, self.cc = subject, from_, to, cc


_KEYS: dict[str, Callable[[SortData], str | float]] = {
    "ARRIVAL": lambda d: d.arrival,
    "DATE": lambda d: d.date,
    "SIZE": lambda d: d.size,
    "SUBJECT": lambda d: d.subject,
    "FROM": lambda d: d.from_,
    "TO": lambda d: d.to,
    "CC": lambda d: d.cc,
}
SORT_KEYS = frozenset(_KEYS)


def sort_messages(messages: Sequence[SortData], criteria: Sequence[tuple[str, bool]]) -> list[int]:
    """Sequence numbers ordered by ``criteria`` = [(key, reverse), ...] (key as in SORT_KEYS).

    Messages equal on every criterion stay in ascending sequence order, as
    RFC 5256 asks (Courier lists them in descending order; see docs/differences.md).
    """
    order = sorted(messages, key=lambda d: d.seq)
    for key, reverse in reversed(criteria):
        getter = _KEYS[key.upper()]
        order.sort(key=getter, reverse=reverse)  # stable: earlier criteria dominate
    return [d.seq for d in order]
