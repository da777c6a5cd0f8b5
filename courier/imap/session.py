"""One IMAP session: state, capability, dispatch through the command table, error accounting."""

from __future__ import annotations

from collections.abc import Callable

from courier.imap.args import Args, Bad, No
from courier.imap.capability import capabilities
from courier.imap.commands import find
from courier.imap.parser import Atom as InAtom
from courier.imap.parser import Command, LiteralSink, NeedLiteral, ParseError
from courier.imap.response import Atom, Code, Writer
from courier.imap.settings import ImapSettings
from courier.imap.table import Spec, State
from courier.imap.view import SYSTEM_FLAGS, View
from courier.storage import StorageError, Store

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:
    from typing import Protocol

    from courier.maildir.acl import Identity
else:
    Protocol = object  # the interfaces are for the type checker only

ERROR_TEXT = "Error in IMAP command received by server."
MAX_ERRORS = 10  # the 10th consecutive protocol error ends the session, as with Courier


class Connection(Protocol):
    """What a session needs from the transport beyond writing responses."""

    def read_line(self, timeout: float | None) -> bytes | None:
        """One line from the client (without CRLF); None on EOF or timeout."""
        ...

    def wait(self, timeout: float, fds: list[int]) -> int | None:
        """Wait until the client sends something (returns -1), one of ``fds`` is readable
        (returns that fd), or the timeout passes (None)."""
        ...

    def flush(self) -> None: ...


class Session:
    def __init__(
        self,
        settings: ImapSettings,
        writer: Writer,
        conn: Connection,
        tls: bool = False,
        starttls: Callable[[], None] | None = None,
        remote: tuple[str, int] = ("", 0),
    ) -> None:
        self.settings = settings
        self.w = writer
        self.conn = conn
        self.tls = tls
        self.starttls_hook = None if tls else starttls
        self.external_identity: str | None = None  # from a verified TLS client certificate
        self.remote = remote
        self.state = State.NOT_AUTHENTICATED
        self.store: Store | None = None
        self.maildir: str | None = None  # absolute path of the account's maildir
        self.user = ""
        self.options = ""  # the account's authlib OPTIONS (groups for ACLs, disableshared)
        self.identity: Identity | None = None  # built from user and options by courier.imap.rights
        self.myrights = ""  # rights on the selected folder (SELECT's [MYRIGHTS])
        self.view: View | None = None
        self.errors = 0
        self.closed = False
        self.login_settings: object = None  # courier.login.LoginSettings, built at the first login
        self.logged_out = False  # LOGOUT (not a dropped connection)
        self.timed_out = False
        self.sent_headers = 0  # header and body bytes fetched, for the LOGOUT log line
        self.sent_body = 0

    # -- capability ---------------------------------------------------------------------
    def capabilities(self) -> list[str]:
        return capabilities(
            self.settings,
            self.tls,
            self.state != State.NOT_AUTHENTICATED,
            self.starttls_hook is not None,
            external=self.external_identity is not None,
        )

    def has_cap(self, name: str) -> bool:
        caps = self.capabilities()
        if name.endswith("="):
            return any(c.upper().startswith(name) for c in caps)
        return name in (c.upper() for c in caps)

    # -- starting --------------------------------------------------------------------------
    def authenticated(self, store: Store, maildir: str, user: str, options: str = "") -> None:
        self.store = store
        self.maildir = maildir
        self.user = user
        self.options = options
        self.state = State.AUTHENTICATED
        self.empty_trash()

    def empty_trash(self) -> None:
        """IMAP_EMPTYTRASH: Courier purges after login and again after LOGOUT."""
        if not self.settings.empty_trash or self.maildir is None:
            return
        from courier import log
        from courier.maildir.purge import purge

        for folder, days in self.settings.empty_trash:
            try:
                purge(str(self.maildir), folder, days, self.settings.maildir)
            except OSError as exc:
                log.error(f"cannot empty {folder} for {log.clean(self.user)}: {exc}")

    def greet_preauth(self) -> None:
        self.w.status("*", "PREAUTH", "Ready.")

    # -- input events ------------------------------------------------------------------------
    def on_parse_error(self, ev: ParseError) -> None:
        if ev.fatal:
            self.w.status("*", "BYE", f"Fatal error: {ev.message}", Code("ALERT"))
            self.closed = True
            return
        self._protocol_error(ev.tag)

    def _protocol_error(self, tag: str) -> None:
        self.errors += 1
        if self.errors >= MAX_ERRORS:
            self.w.status("*", "BYE", "Fatal error: TOO MANY CONSECUTIVE PROTOCOL VIOLATIONS", Code("ALERT"))
            self.closed = True
            return
        self.w.status(tag or "*", "BAD", ERROR_TEXT)

    def on_literal(self, ev: NeedLiteral) -> LiteralSink | None:
        """Decide where a literal goes.  None = refused (the answer has been written)."""
        if ev.name == "APPEND" and ev.depth == 0 and self.state in (State.AUTHENTICATED, State.SELECTED):
            from courier.imap.commands.append import literal_sink

            try:
                return literal_sink(self, ev)
            except Bad:
                self._protocol_error(ev.tag)
            except No as exc:
                self.errors = 0
                self.w.status(ev.tag, "NO", str(exc), _code(exc.code))
            except StorageError as exc:
                self.w.status(ev.tag, "NO", str(exc), Code(exc.code) if exc.code else None)
            except OSError as exc:
                self.w.status(ev.tag, "NO", f"Cannot store the message: {exc.strerror}")
            return None
        if ev.size > 65536:
            self.w.status(ev.tag, "NO", "Literal too large.", Code("TOOBIG"))
            return None
        from courier.imap.parser import MemorySink

        return MemorySink()

    def on_command(self, cmd: Command) -> None:
        name, args, uid = cmd.name, cmd.args, False
        if name == "UID":
            if not args or not isinstance(args[0], InAtom):
                self._protocol_error(cmd.tag)
                return
            name, args, uid = args[0].upper(), args[1:], True
        spec = find(name)
        if spec is None or (uid and not spec.uid) or not self._enabled(spec) or self.state not in spec.states:
            self._protocol_error(cmd.tag)
            _cleanup(cmd.args)
            return
        try:
            self.run(spec, cmd.tag, args, uid)
        finally:
            _cleanup(cmd.args)

    def _enabled(self, spec: Spec) -> bool:
        if spec.capability is None:
            return True
        if spec.capability in ("SORT", "THREAD=") and self.settings.disable_threadsort:
            return False
        return self.has_cap(spec.capability)

    def run(self, spec: Spec, tag: str, args: list[object], uid: bool) -> None:
        try:
            self._run(spec, tag, args, uid)
        finally:
            self._save_summaries()

    def _run(self, spec: Spec, tag: str, args: list[object], uid: bool) -> None:
        try:
            result = spec.handler(self, tag, Args(args, self.w.utf8), uid)
        except Bad:
            self._after(spec)
            self._protocol_error(tag)
            return
        except No as exc:
            self._after(spec)
            self.errors = 0
            self.w.status(tag, "NO", str(exc), _code(exc.code))
            return
        except StorageError as exc:
            self._after(spec)
            self.errors = 0
            self.w.status(tag, "NO", str(exc), Code(exc.code) if exc.code else None)
            return
        except OSError as exc:  # disk full, permissions changed under us, ...
            self.errors = 0
            self.w.status(tag, "NO", f"{spec.name} failed: {exc.strerror or exc}")
            return
        if result is None:
            self.errors = 0
            return
        if self.state != State.LOGOUT:
            self._after(spec)
        self.errors = 0
        self.w.status(tag, result.status, result.text, _code(result.code))

    def _save_summaries(self) -> None:
        """Keep what the command parsed for the next command or session (no-op if nothing new);
        the client has its answer first."""
        if self.view is not None:
            if self.view.summaries.parsed:
                self.conn.flush()
            self.view.summaries.save(list(self.view.info.values()))

    def _after(self, spec: Spec) -> None:
        """Tell the client what changed in the selected folder."""
        self.announce(spec.expunge_ok)

    def announce(self, allow_expunge: bool) -> None:
        view = self.view
        if view is None or self.state != State.SELECTED:
            return
        view.poll()
        for resp in view.updates(allow_expunge):
            self.w.untagged(*resp)
        if view.keywords_changed():
            self.send_flags()

    # -- shared response pieces ------------------------------------------------------------------
    def send_flags(self) -> None:
        view = self.view
        assert view is not None
        kws = [Atom(k) for k in view.keywords]
        system = [Atom(f) for f in SYSTEM_FLAGS]
        self.w.untagged(Atom("FLAGS"), [*kws, *system, Atom("\\Recent")])
        if view.readonly:
            self.w.status("*", "OK", "No permanent flags permitted", Code("PERMANENTFLAGS", ([],)))
        else:
            perm = [*kws, Atom("\\*"), *system] if self.settings.keywords else system
            self.w.status("*", "OK", "Limited", Code("PERMANENTFLAGS", (perm,)))

    def deselect(self) -> None:
        if self.view is not None:
            try:
                self.view.summaries.close()
                self.view.mailbox.close()
            finally:
                self.view = None
        if self.state == State.SELECTED:
            self.state = State.AUTHENTICATED

    def logout(self) -> None:
        self.deselect()
        self.state = State.LOGOUT
        self.closed = True
        self.logged_out = True

    def require_store(self) -> Store:
        if self.store is None:
            raise Bad("not authenticated")
        return self.store


def _cleanup(args: list[object]) -> None:
    """Spooled literals (APPEND) are removed once the command is done with them."""
    for tok in args:
        discard = None if isinstance(tok, str | bytes | list) else getattr(tok, "discard", None)
        if callable(discard):
            discard()


def _code(code: object | None) -> Code | None:
    if code is None or isinstance(code, Code):
        return code
    if isinstance(code, str):
        return Code(code)
    raise TypeError(f"bad response code {code!r}")
