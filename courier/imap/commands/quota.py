"""QUOTA (RFC 2087) as Courier answers it: one root, "ROOT", for every folder; SETQUOTA refused."""

from __future__ import annotations

from courier.imap.args import Args, No
from courier.imap.response import Atom, Mailbox
from courier.imap.table import AUTH, Result, command

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.session import Session

ROOT = "ROOT"


def _resources(s: Session) -> list[object]:
    q = s.require_store().quota()
    out: list[object] = []
    if q is None:
        return out
    if q.storage_limit is not None:
        out += [Atom("STORAGE"), (q.storage_used + 1023) // 1024, (q.storage_limit + 1023) // 1024]
    if q.messages_limit is not None:
        out += [Atom("MESSAGE"), q.messages_used, q.messages_limit]
    return out


@command("GETQUOTAROOT", AUTH, capability="QUOTA")
def getquotaroot(s: Session, tag: str, a: Args, uid: bool) -> Result:
    name = a.mailbox()
    a.end()
    s.w.untagged(Atom("QUOTAROOT"), Mailbox(name), ROOT)
    s.w.untagged(Atom("QUOTA"), ROOT, _resources(s))
    return Result("GETQUOTAROOT Ok.")


@command("GETQUOTA", AUTH, capability="QUOTA")
def getquota(s: Session, tag: str, a: Args, uid: bool) -> Result:
    root = a.astring()
    a.end()
    s.w.untagged(Atom("QUOTA"), root, _resources(s))
    return Result("GETQUOTA Ok.")


@command("SETQUOTA", AUTH, capability="QUOTA")
def setquota(s: Session, tag: str, a: Args, uid: bool) -> Result:
    a.astring()
    a.list()
    a.end()
    raise No("SETQUOTA No permission.")
