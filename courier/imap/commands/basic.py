"""Commands valid in every state, and a few trivial authenticated ones."""

from __future__ import annotations

from courier.imap.args import Args, Bad
from courier.imap.parser import Atom as InAtom
from courier.imap.response import Atom
from courier.imap.table import ANY, AUTH, SELECTED, Result, command

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from courier.imap.session import Session


@command("CAPABILITY", ANY)
def capability(s: Session, tag: str, a: Args, uid: bool) -> Result:
    a.end()
    s.w.untagged(Atom("CAPABILITY"), *(Atom(c) for c in s.capabilities()))
    return Result("CAPABILITY completed")


@command("NOOP", ANY)
def noop(s: Session, tag: str, a: Args, uid: bool) -> Result:
    return Result("NOOP completed")


@command("LOGOUT", ANY)
def logout(s: Session, tag: str, a: Args, uid: bool) -> Result:
    a.end()
    s.w.status("*", "BYE", "Courier-IMAP server shutting down")
    s.logout()
    return Result("LOGOUT completed")


@command("CHECK", SELECTED)
def check(s: Session, tag: str, a: Args, uid: bool) -> Result:
    a.end()
    return Result("CHECK completed")


@command("NAMESPACE", AUTH, capability="NAMESPACE")
def namespace(s: Session, tag: str, a: Args, uid: bool) -> Result:
    a.end()
    # Courier's answer; an account with disableshared has no #shared. (its sharable maildirs stay)
    shared = [["#shared.", "."], ["shared.", "."]]
    if getattr(s.store, "shared_disabled", False):
        shared = shared[1:]
    s.w.untagged(Atom("NAMESPACE"), [["INBOX.", "."]], None, shared)
    return Result("NAMESPACE completed.")


@command("ENABLE", AUTH)
def enable(s: Session, tag: str, a: Args, uid: bool) -> Result:
    if not a.more():
        raise Bad("ENABLE needs a capability")
    enabled: list[Atom] = []
    while a.more():
        name = a.atom().upper()
        if name == "UTF8=ACCEPT" and Atom(name) not in enabled:
            s.w.utf8 = True
            enabled.append(Atom(name))
    s.w.untagged(Atom("ENABLED"), *enabled)
    return Result("Options enabled")


#: IMAP_ID_FIELDS bits -> ID fields
_ID_FIELDS = ((1, "version", "5.0.13"), (2, "os", None), (4, "os-version", None))


@command("ID", ANY, capability="ID")
def id_(s: Session, tag: str, a: Args, uid: bool) -> Result:
    tok = a.next()
    if not (isinstance(tok, InAtom) and tok.upper() == "NIL") and not isinstance(tok, list):
        raise Bad("ID takes a list or NIL")
    if isinstance(tok, list) and (len(tok) % 2 or len(tok) > 60):
        raise Bad("ID list must hold field/value pairs")
    a.end()
    import os

    fields: list[object] = ["name", "Courier-IMAP"]
    uname = os.uname()
    for bit, key, value in _ID_FIELDS:
        if s.settings.id_fields & bit:
            v = value
            if key == "os":
                v = uname.sysname
            elif key == "os-version":
                v = uname.release
            fields += [key, v]
    s.w.untagged(Atom("ID"), fields)
    return Result("ID completed")
