"""The selected mailbox as one session sees it.

Keeps the sequence-number <-> UID map and the updates the client has not been
told about.  Changes found on disk are collected by :meth:`View.poll`; they
reach the client only through :meth:`View.updates`, which withholds EXPUNGE
while a FETCH, STORE or SEARCH is running (RFC 3501 7.4.1) and announces new
messages (EXISTS) before any response may mention their sequence numbers.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from courier.imap.response import Atom
from courier.imap.summaries import Summaries
from courier.storage import Mailbox, MessageInfo

SYSTEM_ORDER = {"\\Draft": 0, "\\Flagged": 1, "\\Answered": 2, "\\Seen": 3, "\\Deleted": 4}
SYSTEM_FLAGS = ("\\Draft", "\\Answered", "\\Flagged", "\\Deleted", "\\Seen")


def flag_list(flags: Iterable[str], recent: bool = False) -> list[Atom]:
    """Flags in Courier's order: system flags by maildir letter (DFRST), then keywords sorted."""
    system = sorted((f for f in flags if f in SYSTEM_ORDER), key=SYSTEM_ORDER.__getitem__)
    keywords = sorted(f for f in flags if f not in SYSTEM_ORDER)
    out = [Atom(f) for f in system + keywords]
    if recent:
        out.append(Atom("\\Recent"))
    return out


class View:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self.summaries = Summaries(mailbox)
        msgs = mailbox.messages()
        self.uids: list[int] = [m.uid for m in msgs]
        self.info: dict[int, MessageInfo] = {m.uid: m for m in msgs}
        self.recent: set[int] = {m.uid for m in msgs if m.recent}
        self.keywords: tuple[str, ...] = tuple(mailbox.keywords())
        self._gone: set[int] = set()  # expunged on disk, not yet announced
        self._new: list[MessageInfo] = []  # delivered, not yet announced
        self._flags: set[int] = set()  # flags changed elsewhere, not yet announced
        self.copied: set[int] = set()  # COPYed by this session: expunged, not moved to the trash
        self._sent_exists = len(self.uids)
        self._sent_recent = len(self.recent)

    # -- reading --------------------------------------------------------------------
    @property
    def exists(self) -> int:
        return len(self.uids)

    @property
    def readonly(self) -> bool:
        return self.mailbox.readonly

    def seq_of(self, uid: int) -> int | None:
        i = bisect_left(self.uids, uid)
        if i < len(self.uids) and self.uids[i] == uid:
            return i + 1
        return None

    def uid_of(self, seq: int) -> int:
        return self.uids[seq - 1]

    def flags_of(self, uid: int) -> list[Atom]:
        return flag_list(self.info[uid].flags, uid in self.recent)

    def is_expunged(self, uid: int) -> bool:
        return uid in self._gone

    def resolve(
        self, ranges: Sequence[tuple[int | None, int | None]], uid: bool
    ) -> Iterator[tuple[int, int]]:
        """(seq, uid) pairs for a sequence set (``None`` = ``*``), in order, without duplicates.

        Never expands a range number by number: huge sets cost only what the mailbox holds.
        """
        n = len(self.uids)
        if n == 0:
            return iter(())
        spans: list[tuple[int, int]] = []
        top = self.uids[-1] if uid else n
        for lo, hi in ranges:
            a = top if lo is None else lo
            b = top if hi is None else hi
            if a > b:
                a, b = b, a
            if uid:
                i = bisect_left(self.uids, a)
                j = bisect_left(self.uids, b + 1)
            else:
                i, j = max(a, 1) - 1, min(b, n)
            if i < j:
                spans.append((i, j))
        spans.sort()
        merged: list[list[int]] = []
        for i, j in spans:
            if merged and i <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], j)
            else:
                merged.append([i, j])
        return ((k + 1, self.uids[k]) for i, j in merged for k in range(i, j))

    def invalid_seqs(self, ranges: Sequence[tuple[int | None, int | None]]) -> list[int]:
        """Explicit sequence numbers beyond the mailbox (Courier reports them, once each)."""
        n = len(self.uids)
        bad = []
        for lo, hi in ranges:
            for v in (lo, hi):
                if v is not None and v > n and v not in bad:
                    bad.append(v)
        return bad

    # -- changes made by this session ---------------------------------------------------
    def updated(self, infos: Iterable[MessageInfo]) -> None:
        for m in infos:
            if m.uid in self.info:
                self.info[m.uid] = m
                self._flags.discard(m.uid)

    def appended_here(self) -> None:
        """After APPEND/COPY into the selected folder: pick the message up now."""
        self.poll()

    def expunged_here(self, uids: Iterable[int]) -> list[tuple[object, ...]]:
        """EXPUNGE done by this session: remove at once and say so."""
        gone = [u for u in uids if u in self.info]
        self._gone.update(gone)
        return self.updates(allow_expunge=True, force_counts=bool(gone))

    # -- changes found on disk ------------------------------------------------------------
    def poll(self) -> None:
        changes = self.mailbox.refresh()
        for uid in changes.expunged:
            if uid in self.info:
                self._gone.add(uid)
        known = set(self.info)
        for m in changes.added:
            if m.uid not in known and all(m.uid != x.uid for x in self._new):
                self._new.append(m)
        for m in changes.flag_changes:
            old = self.info.get(m.uid)
            if old is not None and m.uid not in self._gone:
                if old.flags != m.flags:
                    self._flags.add(m.uid)
                self.info[m.uid] = m

    def updates(self, allow_expunge: bool, force_counts: bool = False) -> list[tuple[object, ...]]:
        out: list[tuple[object, ...]] = []
        changed = force_counts
        if allow_expunge and self._gone:
            for uid in sorted(self._gone, reverse=True):
                seq = self.seq_of(uid)
                if seq is None:
                    continue
                del self.uids[seq - 1]
                del self.info[uid]
                self.recent.discard(uid)
                self._flags.discard(uid)
                out.append((seq, Atom("EXPUNGE")))
            out.reverse()
            # Courier numbers each EXPUNGE as if the earlier ones already happened
            out = _renumber(out)
            self._gone.clear()
            changed = True
        if self._new:
            for m in sorted(self._new, key=lambda m: m.uid):
                if self.uids and m.uid <= self.uids[-1]:
                    continue
                self.uids.append(m.uid)
                self.info[m.uid] = m
                if m.recent:
                    self.recent.add(m.uid)
            self._new.clear()
        if changed or len(self.uids) != self._sent_exists:
            out.append((len(self.uids), Atom("EXISTS")))
            out.append((len(self.recent), Atom("RECENT")))
            self._sent_exists = len(self.uids)
            self._sent_recent = len(self.recent)
        for uid in sorted(self._flags):
            seq = self.seq_of(uid)
            if seq is not None:
                out.append((seq, Atom("FETCH"), [Atom("FLAGS"), self.flags_of(uid)]))
        self._flags.clear()
        return out

    def keywords_changed(self) -> bool:
        now = tuple(self.mailbox.keywords())
        if now != self.keywords:
            self.keywords = now
            return True
        return False


def _renumber(expunges: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Sequence numbers computed before removal, ascending -> numbers as sent one by one."""
    out: list[tuple[object, ...]] = []
    for k, (seq, word) in enumerate(expunges):
        assert isinstance(seq, int)
        out.append((seq - k, word))
    return out
