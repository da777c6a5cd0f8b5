"""RFC 5256 THREAD=ORDEREDSUBJECT and THREAD=REFERENCES as pure functions.

A thread is returned as IMAP's nested list shape: ``[1, [2], [3]]`` is
``(1 (2)(3))`` (message 1 with two replies) and ``[1, 2, 3]`` is ``(1 2 3)``
(a chain); :func:`format_threads` gives the wire text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_MSGID = re.compile(r"<[^<>\s]*>")

Thread = list[object]

#: Only the last this many References of a message are linked (bounds hostile headers).
MAX_REFERENCES = 1000


class ThreadData:
    """What threading needs to know about one message."""

    __slots__ = ("date", "in_reply_to", "is_reply", "message_id", "references", "seq", "subject")

    def __init__(
        self,
        seq: int,  # sequence number or UID
        date: float,  # sent date (Date header, else INTERNALDATE), epoch seconds
        subject: str,  # base subject (case-folded), see courier.mime.sort.base_subject
        is_reply: bool,  # the subject had Re:/Fwd:/(fwd)
        message_id: str | None = None,  # raw Message-ID header
        references: str | None = None,  # raw References header
        in_reply_to: str | None = None,  # raw In-Reply-To header
    ) -> None:
        self.seq, self.date, self.subject, self.is_reply = seq, date, subject, is_reply
        self.message_id, self.references, self.in_reply_to = message_id, references, in_reply_to


def message_ids(value: str | None) -> list[str]:
    """The <msg-id>s in a header value, in order."""
    return _MSGID.findall(value) if value else []


class _Node:
    __slots__ = ("children", "msg", "parent")

    def __init__(self) -> None:
        self.msg: ThreadData | None = None
        self.parent: _Node | None = None
        self.children: list[_Node] = []

    def key(self) -> tuple[float, int]:
        node: _Node = self
        while node.msg is None and node.children:
            node = node.children[0]
        m = node.msg
        return (m.date, m.seq) if m is not None else (0.0, 0)

    def is_ancestor_of(self, other: _Node) -> bool:
        if not self.children:  # the common case: a leaf is nobody's ancestor
            return other is self
        node: _Node | None = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False


def _link(parent: _Node, child: _Node) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
    child.parent = parent
    parent.children.append(child)


def _render(top: _Node) -> Thread:
    """Nested-list form of a thread, without recursion (threads can be very deep)."""
    result: Thread = []
    stack: list[tuple[_Node, Thread]] = [(top, result)]
    while stack:
        node, out = stack.pop()
        if node.msg is not None:
            out.append(node.msg.seq)
        while len(node.children) == 1:
            node = node.children[0]
            if node.msg is not None:
                out.append(node.msg.seq)
        subs: list[tuple[_Node, Thread]] = []
        for c in node.children:
            sub: Thread = []
            out.append(sub)
            subs.append((c, sub))
        stack.extend(reversed(subs))
    return result


def _post_order(roots: list[_Node]) -> list[_Node]:
    """Every node below and including ``roots``, children before their parents."""
    order: list[_Node] = []
    stack = list(roots)
    while stack:
        n = stack.pop()
        order.append(n)
        stack.extend(n.children)
    order.reverse()
    return order


def _sort_siblings(nodes: list[_Node]) -> None:
    nodes.sort(key=_Node.key)


def orderedsubject(messages: Sequence[ThreadData]) -> list[Thread]:
    """THREAD=ORDEREDSUBJECT: group by base subject; each group's first message is the parent."""
    groups: dict[str, list[ThreadData]] = {}
    for m in sorted(messages, key=lambda m: (m.subject, m.date, m.seq)):
        groups.setdefault(m.subject, []).append(m)
    threads = []
    for group in groups.values():
        head, rest = group[0], group[1:]
        tail: Thread = [rest[0].seq] if len(rest) == 1 else [[m.seq] for m in rest]
        threads.append((head.date, head.seq, [head.seq, *tail]))
    threads.sort(key=lambda t: (t[0], t[1]))
    return [t[2] for t in threads]


def references(messages: Sequence[ThreadData]) -> list[Thread]:
    """THREAD=REFERENCES (RFC 5256 section 4)."""
    table: dict[str, _Node] = {}

    def node_for(mid: str) -> _Node:
        n = table.get(mid)
        if n is None:
            n = table[mid] = _Node()
        return n

    nodes: list[_Node] = []
    for m in sorted(messages, key=lambda m: m.seq):
        ids = message_ids(m.message_id)
        mid = ids[0] if ids else None
        if mid is None or (mid in table and table[mid].msg is not None):
            mid = f"\0dummy{m.seq}"  # missing or duplicate Message-ID: a unique one
        me = node_for(mid)
        me.msg = m
        nodes.append(me)
        refs = message_ids(m.references)[-MAX_REFERENCES:] or message_ids(m.in_reply_to)[:1]
        prev: _Node | None = None
        for ref in refs:
            cur = node_for(ref)
            if prev is not None and cur.parent is None and not cur.is_ancestor_of(prev) and cur is not prev:
                _link(prev, cur)
            prev = cur
        if me.parent is not None:  # probably from a truncated References line elsewhere
            me.parent.children.remove(me)
            me.parent = None
        if prev is not None and not me.is_ancestor_of(prev):
            _link(prev, me)

    roots = [n for n in table.values() if n.parent is None]

    # (3) prune dummies: below the top, a dummy gives its children to its parent
    for n in _post_order(roots):
        kept: list[_Node] = []
        for c in n.children:
            if c.msg is not None:
                kept.append(c)
            else:
                kept.extend(c.children)
        for c in kept:
            c.parent = n
        n.children = kept
    top: list[_Node] = []
    for n in roots:
        if n.msg is not None or len(n.children) > 1:
            top.append(n)
        else:
            top.extend(n.children)  # one child: it becomes the root; none: dropped
    roots = top
    for r in roots:
        r.parent = None
        if r.msg is None:
            _sort_siblings(r.children)
    # (4) sort top level by sent date
    _sort_siblings(roots)

    # (5) merge threads with the same base subject
    def subject_of(n: _Node) -> tuple[str, bool]:
        """(base subject, is a reply) of a root; a dummy is never a reply."""
        if n.msg is not None:
            return n.msg.subject, n.msg.is_reply
        first = n.children[0].msg
        return (first.subject if first is not None else ""), False

    subjects: dict[str, _Node] = {}
    for r in roots:
        subj, reply = subject_of(r)
        if not subj:
            continue
        old = subjects.get(subj)
        if old is None or (old.msg is not None and (r.msg is None or (subject_of(old)[1] and not reply))):
            subjects[subj] = r
    slots: list[_Node | None] = list(roots)
    slot_of = {id(r): i for i, r in enumerate(roots)}
    for i, r in enumerate(roots):
        subj, reply = subject_of(r)
        old = subjects.get(subj) if subj else None
        if old is None or old is r or slots[i] is not r:
            continue
        slots[i] = None
        if old.msg is None and r.msg is None:
            for c in r.children:
                c.parent = old
            old.children.extend(r.children)
        elif old.msg is None or (reply and not subject_of(old)[1]):
            _link(old, r)
        else:
            dummy = _Node()
            j = slot_of[id(old)]
            _link(dummy, old)
            _link(dummy, r)
            slots[j] = dummy
            slot_of[id(dummy)] = j
            subjects[subj] = dummy
    roots = [r for r in slots if r is not None]

    # (6) sort every set of siblings, deepest first
    for n in _post_order(roots):
        _sort_siblings(n.children)
    _sort_siblings(roots)
    return [_render(r) for r in roots]


def format_threads(threads: Sequence[Thread]) -> str:
    """The text after ``* THREAD ``: ``(1 3)(2)``, ``(1 (2)(3))``, ``((3)(5))``."""
    out: list[str] = []
    # items: a thread (list) to open, or None to close one
    stack: list[tuple[Sequence[object], int]] = []
    for t in threads:
        out.append("(")
        stack.append((t, 0))
        while stack:
            items, i = stack.pop()
            if i == len(items):
                out.append(")")
                continue
            stack.append((items, i + 1))
            item = items[i]
            if i and not isinstance(items[i - 1], list):
                out.append(" ")
            if isinstance(item, list):
                out.append("(")
                stack.append((item, 0))
            else:
                out.append(str(item))
    return "".join(out)
