"""The POP3 state machine (RFC 1939, 2449, 6856), worded as Courier's pop3d.

No I/O here: ``Session.handle(line)`` returns a ``Reply`` (bytes or chunk
iterators to send, a delay to wait first, whether to hang up or start TLS).
Commands live in one table with the states they are valid in; anything else,
in any state, is ``-ERR Invalid command.``.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from typing import TYPE_CHECKING

from courier import log
from courier.frozen import dataclass, field
from courier.pop3.account import Account, Authenticator, LoginRefused
from courier.pop3.capa import capa_response
from courier.pop3.parser import Command, parse
from courier.pop3.settings import Pop3Settings

if TYPE_CHECKING:
    from courier.sasl import Mechanism

#: Mechanisms AUTH accepts even when CAPA does not list them (as Courier does);
#: EXTERNAL needs a TLS client certificate and is never offered here.
SASL_ALWAYS = frozenset({"PLAIN", "LOGIN", "CRAM-MD5", "CRAM-SHA1", "CRAM-SHA256"})

INVALID = b"-ERR Invalid command.\r\n"
BAD_NUMBER = b"-ERR Invalid message number.\r\n"
_ATOI = re.compile(r"\s*([+-]?\d+)")
_PASS_ARG = re.compile(rb"[ \t]*\S+[ \t]+")


class State(Enum):
    AUTHORIZATION = "authorization"
    TRANSACTION = "transaction"
    DONE = "done"


@dataclass(slots=True)
class Reply:
    chunks: list[bytes | Iterable[bytes]] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before sending (failed-login delay)
    close: bool = False  # hang up after sending
    starttls: bool = False  # start TLS after sending


@dataclass(slots=True)
class Stats:
    """Counters for Courier's LOGOUT line."""

    top: int = 0
    retr: int = 0
    rcvd: int = 0
    sent: int = 0
    start: float = field(default_factory=time.monotonic)


Handler = Callable[["Session", Command], Reply]
_TABLE: dict[str, tuple[frozenset[State], Handler]] = {}


def command(name: str, *states: State) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _TABLE[name] = (frozenset(states), fn)
        return fn

    return register


def _atoi(text: str | None) -> int:
    """C's atoi, which is how Courier reads message numbers: leading digits, else 0."""
    if text is None:
        return 0
    m = _ATOI.match(text)
    return int(m.group(1)) if m else 0


def _b64decode(data: bytes | None) -> bytes | None:
    if data is None:
        return None
    try:
        return base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _sasl_user(authtype: str, authdata: bytes) -> str:
    """The login name in a SASL result, for the log."""
    lines = authdata.split(b"\n")
    if authtype.startswith("cram-") and len(lines) > 1:
        name = (_b64decode(lines[1]) or b"").rpartition(b" ")[0]
    else:
        name = lines[0]
    return name.decode("utf-8", "surrogateescape")


def _ok(text: str) -> Reply:
    return Reply([f"+OK {text}\r\n".encode()])


def _err(text: str, code: str | None = None) -> bytes:
    return (f"-ERR [{code}] {text}\r\n" if code else f"-ERR {text}\r\n").encode("utf-8", "surrogateescape")


class Session:
    def __init__(
        self,
        settings: Pop3Settings,
        authenticator: Authenticator | None,
        *,
        service: str = "pop3",
        tls_active: bool = False,
        tls_available: bool = False,
        ip: str = "",
        port: str = "",
    ) -> None:
        self.settings = settings
        self.authenticator = authenticator
        self.service = service
        self.tls_active = tls_active
        self.tls_available = tls_available
        self.ip = ip
        self.port = port
        self.state = State.AUTHORIZATION
        self.account: Account | None = None
        self.user: str | None = None  # from USER, waiting for PASS
        self.errors = 0
        self.stats = Stats()
        self.utf8 = False
        self._sasl: Mechanism | None = None  # an AUTH exchange in progress

    # -- entry points ------------------------------------------------------------

    def greeting(self) -> bytes:
        return b"+OK Hello there.\r\n"

    def enter(self, account: Account) -> bytes:
        """Start already logged in (pre-authenticated mode); returns the first line."""
        self._logged_in(account)
        return b"+OK logged in.\r\n"

    def handle(self, line: bytes | None) -> Reply:
        """Answer one command line (None: the line was too long)."""
        if self.state is State.DONE:
            return Reply(close=True)
        self.stats.rcvd += len(line) + 2 if line is not None else self.settings.max_line
        if self._sasl is not None:
            return self._sasl_response(line)
        if line is None:
            return self._invalid()
        cmd = parse(line)
        entry = _TABLE.get(cmd.name)
        if entry is None or self.state not in entry[0]:
            return self._invalid()
        return entry[1](self, cmd)

    def tls_started(self) -> None:
        """TLS is up after STLS: forget anything said in clear."""
        self.tls_active = True
        self.user = None

    def disconnect(self, why: str = "DISCONNECTED") -> None:
        """The client went away or timed out: no UPDATE, nothing deleted."""
        if self.state is State.TRANSACTION and self.account is not None:
            self.account.maildrop.close()
            self._log_end(why)
        elif self.state is State.AUTHORIZATION:
            log.disconnected_before_login(self.ip)
        self.state = State.DONE

    # -- helpers -------------------------------------------------------------------

    def _invalid(self) -> Reply:
        self.errors += 1
        if self.errors > self.settings.max_errors:
            self.disconnect()
            return Reply([b"-ERR Too many invalid commands.\r\n"], close=True)
        return Reply([INVALID])

    def _message(self, arg: str | None) -> tuple[int, Reply | None]:
        assert self.account is not None
        n = _atoi(arg)
        if self.account.maildrop.get(n) is None:
            return 0, Reply([BAD_NUMBER])
        return n, None

    def _logged_in(self, account: Account) -> None:
        self.account = account
        self.state = State.TRANSACTION
        self.user = None
        self.stats = Stats(rcvd=self.stats.rcvd, sent=self.stats.sent)
        log.login(account.user, self.ip, self.port, "POP3")

    def _log_end(self, why: str) -> None:
        assert self.account is not None
        s = self.stats
        counters: list[tuple[str, int | str]] = [
            ("top", s.top),
            ("retr", s.retr),
            ("rcvd", s.rcvd),
            ("sent", s.sent),
            ("time", int(time.monotonic() - s.start)),
        ]
        if self.tls_active:
            counters.append(("stls", 1))
        end = {"LOGOUT": log.logout, "TIMEOUT": log.timeout}.get(why, log.disconnected)
        end(self.account.user, self.ip, self.port, counters)

    def _sasl_step(self, response: bytes | None) -> Reply:
        from courier.sasl import SaslError, SaslResult

        assert self._sasl is not None
        try:
            out = self._sasl.step(response)
        except SaslError:
            self._sasl = None
            return Reply([_err("Authentication failed.")])
        if isinstance(out, SaslResult):
            self._sasl = None
            return self.login(out.authtype, out.authdata, _sasl_user(out.authtype, out.authdata))
        return Reply([b"+ " + base64.b64encode(out) + b"\r\n"])

    def _sasl_response(self, line: bytes | None) -> Reply:
        """A client line during AUTH: base64 data, or "*" to cancel (RFC 5034)."""
        decoded = _b64decode(line) if line not in (None, b"*") else None
        if decoded is None:
            self._sasl = None
            return Reply([_err("Authentication failed.")])
        return self._sasl_step(decoded)

    def _may_login(self) -> bytes | None:
        if self.settings.tls_required and not self.tls_active:
            return _err("TLS required to log in.")
        return None

    def login(self, authtype: str, authdata: bytes, user: str) -> Reply:
        """Run a login through the authenticator; shared by PASS and AUTH."""
        if self.authenticator is None:
            return Reply([_err("Login failed.", "AUTH")])
        try:
            account = self.authenticator.login(self.service, authtype, authdata, secure=self.tls_active)
        except LoginRefused as exc:
            log.login_failed(user, self.ip)
            if exc.fatal:
                self.state = State.DONE
            return Reply([_err(str(exc), exc.code)], delay=exc.delay, close=exc.fatal)
        self._logged_in(account)
        return _ok("logged in.")


# -- AUTHORIZATION state -------------------------------------------------------------

AUTH = State.AUTHORIZATION
TRANS = State.TRANSACTION


@command("CAPA", AUTH, TRANS)
def _capa(s: Session, cmd: Command) -> Reply:
    sasl = s.settings.sasl_tls if s.tls_active else s.settings.sasl_plain
    stls = s.tls_available and s.settings.starttls and not s.tls_active
    return Reply([capa_response(sasl=sasl, stls=stls)])


@command("UTF8", AUTH, TRANS)
def _utf8(s: Session, cmd: Command) -> Reply:
    s.utf8 = True
    return _ok("UTF8 enabled")


@command("STLS", AUTH)
def _stls(s: Session, cmd: Command) -> Reply:
    if s.tls_active or not s.tls_available or not s.settings.starttls:
        return s._invalid()
    return Reply([b"+OK Begin SSL/TLS negotiation now.\r\n"], starttls=True)


@command("USER", AUTH)
def _user(s: Session, cmd: Command) -> Reply:
    if not cmd.args:
        return s._invalid()
    refusal = s._may_login()
    if refusal:
        return Reply([refusal])
    s.user = cmd.args[0]
    return _ok("Password required.")


@command("PASS", AUTH)
def _pass(s: Session, cmd: Command) -> Reply:
    m = _PASS_ARG.match(cmd.raw)
    if s.user is None or m is None:
        return s._invalid()
    refusal = s._may_login()
    if refusal:
        return Reply([refusal])
    user = s.user
    password = cmd.raw[m.end() :]
    authdata = user.encode("utf-8", "surrogateescape") + b"\n" + password + b"\n"
    return s.login("login", authdata, user)


@command("AUTH", AUTH)
def _auth(s: Session, cmd: Command) -> Reply:
    if not cmd.args:
        return s._invalid()  # Courier lists no mechanisms here
    refusal = s._may_login()
    if refusal:
        return Reply([refusal])
    from courier.sasl import mechanism

    name = cmd.args[0].upper()
    offered = s.settings.sasl_tls if s.tls_active else s.settings.sasl_plain
    mech = mechanism(name) if name in SASL_ALWAYS or (name in offered and name != "EXTERNAL") else None
    if mech is None:
        return Reply([_err("Authentication failed.")])
    s._sasl = mech
    if len(cmd.args) > 1:  # RFC 5034 initial response ("=" is an empty one)
        first = s._sasl_step(None)
        if s._sasl is None:
            return first
        initial = b"" if cmd.args[1] == "=" else _b64decode(cmd.args[1].encode())
        if initial is None:
            s._sasl = None
            return Reply([_err("Authentication failed.")])
        return s._sasl_step(initial)
    return s._sasl_step(None)


@command("QUIT", AUTH, TRANS)
def _quit(s: Session, cmd: Command) -> Reply:
    if s.state is State.TRANSACTION and s.account is not None:
        drop = s.account.maildrop
        removed = drop.update()
        if s.settings.log_deletions:
            for name in removed:
                user, filename = log.clean(s.account.user), log.clean(name)
                log.info(f"DELETED, user={user}, ip=[{s.ip}], filename=cur/{filename}")
        drop.close()
        s._log_end("LOGOUT")
    s.state = State.DONE
    return Reply([b"+OK Bye-bye.\r\n"], close=True)


# -- TRANSACTION state ---------------------------------------------------------------


@command("STAT", TRANS)
def _stat(s: Session, cmd: Command) -> Reply:
    assert s.account is not None
    count, size = s.account.maildrop.stat()
    return _ok(f"{count} {size}")


@command("LIST", TRANS)
def _list(s: Session, cmd: Command) -> Reply:
    assert s.account is not None
    drop = s.account.maildrop
    if cmd.args:
        n, bad = s._message(cmd.args[0])
        if bad:
            return bad
        msg = drop.messages[n - 1]
        return _ok(f"{n} {msg.size}")
    lines = [b"+OK POP3 clients that break here, they violate STD53.\r\n"]
    lines += [b"%d %d\r\n" % (m.number, m.size) for m in drop.live()]
    lines.append(b".\r\n")
    return Reply([b"".join(lines)])


@command("UIDL", TRANS)
def _uidl(s: Session, cmd: Command) -> Reply:
    assert s.account is not None
    drop = s.account.maildrop
    if cmd.args:
        n, bad = s._message(cmd.args[0])
        if bad:
            return bad
        return _ok(f"{n} {drop.messages[n - 1].uidl}")
    lines = [b"+OK\r\n"]
    lines += [f"{m.number} {m.uidl}\r\n".encode() for m in drop.live()]
    lines.append(b".\r\n")
    return Reply([b"".join(lines)])


def _counted(chunks: Iterator[bytes], stats: Stats, attr: str) -> Iterator[bytes]:
    for chunk in chunks:
        setattr(stats, attr, getattr(stats, attr) + len(chunk))
        yield chunk


@command("RETR", TRANS)
def _retr(s: Session, cmd: Command) -> Reply:
    assert s.account is not None
    n, bad = s._message(cmd.args[0] if cmd.args else None)
    if bad:
        return bad
    drop = s.account.maildrop
    msg = drop.messages[n - 1]
    try:
        body = drop.retr(msg)
    except FileNotFoundError:
        return Reply([b"-ERR Can't open the message file - it's gone!\r\n"])
    head = b"+OK %d octets follow.\r\n" % msg.size
    return Reply([head, _counted(body, s.stats, "retr")])


@command("TOP", TRANS)
def _top(s: Session, cmd: Command) -> Reply:
    assert s.account is not None
    n, bad = s._message(cmd.args[0] if cmd.args else None)
    if bad:
        return bad
    if len(cmd.args) < 2:
        return s._invalid()
    lines = _atoi(cmd.args[1])
    drop = s.account.maildrop
    try:
        body = drop.top(drop.messages[n - 1], lines if lines >= 0 else 1 << 62)
    except FileNotFoundError:
        return Reply([b"-ERR Can't open the message file - it's gone!\r\n"])
    return Reply([b"+OK headers follow.\r\n", _counted(body, s.stats, "top")])


@command("DELE", TRANS)
def _dele(s: Session, cmd: Command) -> Reply:
    assert s.account is not None
    n, bad = s._message(cmd.args[0] if cmd.args else None)
    if bad:
        return bad
    s.account.maildrop.delete(s.account.maildrop.messages[n - 1])
    return _ok("Deleted.")


@command("RSET", TRANS)
def _rset(s: Session, cmd: Command) -> Reply:
    assert s.account is not None
    s.account.maildrop.reset()
    return _ok("Resurrected.")


@command("NOOP", TRANS)
def _noop(s: Session, cmd: Command) -> Reply:
    return _ok("Yup.")
