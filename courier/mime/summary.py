"""A compact, versioned per-message record of everything FETCH/SEARCH/SORT/THREAD need
from the headers and structure, so a folder cache can answer without reading files.

:meth:`Summary.to_data` gives plain lists/strings/numbers (JSON- and
marshal-friendly); :meth:`Summary.from_data` refuses records of another
version (the cache then re-parses the message).
"""

from __future__ import annotations

from courier.mime.bodystructure import bodystructure
from courier.mime.dates import parse_date
from courier.mime.decode import decode_header
from courier.mime.envelope import combined, envelope
from courier.mime.headers import Fields
from courier.mime.message import Buffer, Entity, count_lf, parse, rfc822_size
from courier.mime.sort import SortData, base_subject
from courier.mime.thread import ThreadData

VERSION = 1


class Summary:
    """Everything about one message that FETCH/SEARCH/SORT/THREAD take from its content."""

    __slots__ = (
        "bcc",
        "bodystructure",
        "cc",
        "envelope",
        "from_",
        "in_reply_to",
        "message_id",
        "references",
        "sent",
        "sent_day",
        "size",
        "subject",
        "to",
    )

    def __init__(
        self,
        size: int,  # RFC822.SIZE
        envelope: list[object],
        bodystructure: list[object],  # extensible form; BODY is body()
        sent: float | None,  # Date header in UTC epoch seconds
        sent_day: tuple[int, int, int] | None,  # the Date header's own (year, month, day)
        subject: str,  # decoded Subject
        from_: str,  # decoded From / To / Cc / Bcc header text (for SEARCH)
        to: str,
        cc: str,
        bcc: str,
        message_id: str | None,
        references: str | None,
        in_reply_to: str | None,
    ) -> None:
        self.size, self.envelope, self.bodystructure = size, envelope, bodystructure
        self.sent, self.sent_day, self.subject = sent, sent_day, subject
        self.from_, self.to, self.cc, self.bcc = from_, to, cc, bcc
        self.message_id, self.references, self.in_reply_to = message_id, references, in_reply_to

    def body(self) -> list[object]:
        """BODY (non-extensible) data."""
        return strip_extensions(self.bodystructure)

    def to_data(self) -> list[object]:
        return [
            VERSION,
            self.size,
            self.envelope,
            self.bodystructure,
            self.sent,
            list(self.sent_day) if self.sent_day else None,
            self.subject,
            self.from_,
            self.to,
            self.cc,
            self.bcc,
            self.message_id,
            self.references,
            self.in_reply_to,
        ]

    @classmethod
    def from_data(cls, data: object) -> Summary | None:
        """The record from :meth:`to_data` output, or None if it is from another version or damaged."""
        if not isinstance(data, list | tuple) or len(data) != 14 or data[0] != VERSION:
            return None
        try:
            (_, size, env, bs, sent, day, subj, frm, to, cc, bcc, mid, refs, irt) = data
            return cls(
                int(size),
                list(env),
                list(bs),
                None if sent is None else float(sent),
                None if day is None else (int(day[0]), int(day[1]), int(day[2])),
                str(subj),
                str(frm),
                str(to),
                str(cc),
                str(bcc),
                mid,
                refs,
                irt,
            )
        except (TypeError, ValueError, IndexError):
            return None

    def sort_data(self, seq: int, arrival: float) -> SortData:
        return SortData(
            seq=seq,
            arrival=arrival,
            date=arrival if self.sent is None else self.sent,
            size=self.size,
            subject=base_subject(self.subject)[0],
            from_=_first_mailbox(self.envelope[2]),
            to=_first_mailbox(self.envelope[5]),
            cc=_first_mailbox(self.envelope[6]),
        )

    def thread_data(self, seq: int, arrival: float) -> ThreadData:
        subject, reply = base_subject(self.subject)
        return ThreadData(
            seq=seq,
            date=arrival if self.sent is None else self.sent,
            subject=subject,
            is_reply=reply,
            message_id=self.message_id,
            references=self.references,
            in_reply_to=self.in_reply_to,
        )


def _first_mailbox(addrs: object) -> str:
    """RFC 5256 FROM/TO/CC key: the first address's mailbox, case-folded."""
    if isinstance(addrs, list):
        for a in addrs:
            if isinstance(a, list) and a[3] is not None and isinstance(a[2], str):
                return a[2].casefold()
    return ""


def strip_extensions(bs: list[object]) -> list[object]:
    """BODY from BODYSTRUCTURE data: drop extension fields at every level."""
    if isinstance(bs[0], list):
        n = next(i for i, x in enumerate(bs) if not isinstance(x, list))
        return [strip_extensions(c) for c in bs[:n] if isinstance(c, list)] + [bs[n]]
    if bs[0] == "message" and bs[1] == "rfc822" and len(bs) >= 10:
        inner = bs[8]
        return [*bs[:8], strip_extensions(inner) if isinstance(inner, list) else inner, bs[9]]
    if bs[0] == "text":
        return bs[:8]
    return bs[:7]


def _text(fields: Fields, name: str) -> str:
    v = combined(fields, name)
    return decode_header(v) if v else ""


def _raw(fields: Fields, name: str) -> str | None:
    v = combined(fields, name)
    return v.decode("latin-1") if v else None


def _size(buf: Buffer, root: Entity) -> int:
    """RFC822.SIZE; a single-part message's body lines are counted already (in root.size)."""
    if not root.children and root.end == len(buf) and root.bstart <= root.end:
        return root.bstart + count_lf(buf, 0, root.bstart) + root.size
    return rfc822_size(buf)


def summarize_entity(buf: Buffer, root: Entity) -> Summary:
    fields = root.fields
    date_raw = combined(fields, "date")
    parsed = parse_date(date_raw.decode("latin-1")) if date_raw else None
    return Summary(
        size=_size(buf, root),
        envelope=envelope(fields),
        bodystructure=bodystructure(root),
        sent=parsed[3] if parsed else None,
        sent_day=parsed[:3] if parsed else None,
        subject=_text(fields, "subject"),
        from_=_text(fields, "from"),
        to=_text(fields, "to"),
        cc=_text(fields, "cc"),
        bcc=_text(fields, "bcc"),
        message_id=_raw(fields, "message-id"),
        references=_raw(fields, "references"),
        in_reply_to=_raw(fields, "in-reply-to"),
    )


def summarize(buf: Buffer) -> Summary:
    """Parse a message and summarise it."""
    return summarize_entity(buf, parse(buf))
