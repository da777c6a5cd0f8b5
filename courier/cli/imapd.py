"""imapd: serve one IMAP connection on stdin/stdout.

Started per connection by systemd (Accept=yes), inetd or courier-tcpd; or, with
``AUTHENTICATED`` (and ``MAILDIR``/``HOME``) in the environment, already logged in
(``* PREAUTH``), as Courier's imapd is after imaplogin.  The greeting goes out
before anything heavy is imported.
"""

from __future__ import annotations

import os
import stat
import sys
import time

TYPE_CHECKING = False  # not typing's: importing typing costs every connection
if TYPE_CHECKING:  # types only: ssl is imported when a session actually uses TLS
    from courier.imap.settings import ImapSettings
    from courier.tls import TlsSettings, TlsTransport

USAGE = """\
usage: imapd [--config-dir DIR] [--tls] [MAILDIR]

Serve one IMAP4rev1 session on standard input/output.

  --config-dir DIR  read imapd and imapd-ssl from DIR (default /etc/courier)
  --tls             the connection is already TLS (imapd-ssl settings apply)
  MAILDIR           maildir for a pre-authenticated session (else $MAILDIR,
                    else $MAILDIRPATH under $HOME)

With AUTHENTICATED=<user> in the environment the session starts logged in
and greets "* PREAUTH".
"""


def _parse(argv: list[str]) -> tuple[str, bool, str | None] | int:
    config_dir = "/etc/courier"
    tls = False
    maildir: str | None = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        if arg == "--config-dir" and i + 1 < len(argv):
            config_dir = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--config-dir="):
            config_dir = arg.split("=", 1)[1]
        elif arg == "--tls":
            tls = True
        elif arg.startswith("-"):
            sys.stderr.write(f"imapd: unknown option {arg}; see imapd --help\n")
            return 2
        elif maildir is None:
            maildir = arg
        else:
            sys.stderr.write(f"imapd: unexpected argument {arg}; see imapd --help\n")
            return 2
        i += 1
    return config_dir, tls, maildir


def main(argv: list[str] | None = None) -> int:
    parsed = _parse(sys.argv[1:] if argv is None else argv)
    if isinstance(parsed, int):
        return parsed
    config_dir, tls, maildir_arg = parsed

    from courier.config import ConfigError
    from courier.imap import settings as imap_settings

    try:
        settings = imap_settings.load(config_dir, tls=tls, environ=os.environ)
    except ConfigError as exc:
        sys.stdout.write("* BYE Server configuration error\r\n")
        sys.stdout.flush()
        sys.stderr.write(f"imapd: {exc}\n")
        return 1
    os.umask(settings.umask)

    from courier import log

    log.configure("imapd")
    from courier.imap.capability import greeting

    preauth_user = os.environ.get("AUTHENTICATED", "")
    greeted = False
    if not tls and not preauth_user and _socket_on_stdin():
        # The usual case (inetd, courier-tcpd, systemd Accept=yes): fd 0 is the client's
        # socket.  Greet before even the socket module is imported (it costs about as much
        # as starting the interpreter); who the client is can be found out afterwards.
        greeted = _greet_early(greeting(settings, tls, starttls_available=_have_certificate(settings)))
    rfd, wfd, remote, sock = _client()
    tls_transport = None
    if tls and not preauth_user:
        # Implicit TLS (port 993): the handshake comes before the greeting.
        tls_transport = _start_tls(settings, rfd, remote, starttls=False)
        if tls_transport is None:
            return 1
    # STARTTLS is offered only on a real socket with a certificate to present.
    starttls_ok = not tls and not preauth_user and sock is not None and _have_certificate(settings)
    if not preauth_user and not greeted:
        # Greet before the session machinery is even imported.
        hello = greeting(settings, tls, starttls_available=starttls_ok)
        if tls_transport is not None:
            tls_transport.send(hello)
        else:
            _write_all(wfd, hello)

    from courier.imap.server import Connection, Transport, serve
    from courier.imap.session import Session

    transport = Transport(rfd, wfd)
    conn = Connection(tls_transport or transport, settings)  # type: ignore[arg-type]

    def starttls() -> None:
        upgraded = _start_tls(settings, rfd, remote, starttls=True)
        # Whatever the client pipelined after STARTTLS came in clear: it must not run.
        conn.parser.discard_input()
        if upgraded is None:
            conn.eof = True
            session.closed = True
            return
        conn.transport = upgraded  # type: ignore[assignment]
        session.external_identity = _identity(upgraded)

    session = Session(settings, conn.writer, conn, tls=tls, remote=remote,
                      starttls=starttls if starttls_ok else None)  # fmt: skip
    if tls_transport is not None:
        session.external_identity = _identity(tls_transport)
    started = time.monotonic()
    if preauth_user:
        maildir = _maildir(maildir_arg, settings.maildirpath)
        session.greet_preauth()
        conn.flush()
        from courier.imap.settings import open_account_store

        try:
            # authlib hands the account's quota to the program it starts in MAILDIRQUOTA,
            # its options in OPTIONS
            store = open_account_store(
                settings, maildir, preauth_user, os.environ.get("MAILDIRQUOTA"), os.environ.get("OPTIONS", "")
            )
        except OSError as exc:
            conn.writer.status("*", "BYE", "Unable to open maildir")
            conn.flush()
            sys.stderr.write(f"imapd: cannot open maildir {maildir}: {exc.strerror}\n")
            return 1
        session.authenticated(store, os.path.abspath(maildir), preauth_user, os.environ.get("OPTIONS", ""))

    timed_out = serve(session, conn)
    if session.logged_out:
        session.empty_trash()
    if conn.transport is not transport:
        conn.transport.close()  # type: ignore[attr-defined]  # close_notify
    if session.user:
        counters = [
            ("headers", session.sent_headers),
            ("body", session.sent_body),
            (
                "rcvd",
                transport.received + (conn.transport.received if conn.transport is not transport else 0),
            ),
            ("sent", transport.sent + (conn.transport.sent if conn.transport is not transport else 0)),
            ("time", int(time.monotonic() - started)),
        ]
        end = log.timeout if timed_out else log.logout if session.logged_out else log.disconnected
        end(session.user, remote[0], remote[1], counters)
    elif not session.logged_out:
        log.disconnected_before_login(remote[0])
    return 0


def _socket_on_stdin() -> bool:
    if os.environ.get("LISTEN_FDS"):
        return False  # systemd hands the connection over as fd 3 (see courier.net.activation)
    try:
        return stat.S_ISSOCK(os.fstat(0).st_mode)
    except OSError:
        return False


def _greet_early(hello: bytes) -> bool:
    """Write the greeting to the socket on fd 0; False if it is not a connected stream
    (a listening socket: courier.net.activation accepts the connection, then we greet)."""
    view = memoryview(hello)
    try:
        while view:
            view = view[os.write(0, view) :]
    except (BrokenPipeError, ConnectionResetError):
        return True  # the client has gone; the session finds out at its first read
    except OSError:
        if len(view) < len(hello):
            raise
        return False
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BrokenPipeError:
            return


def _tls_settings(settings: ImapSettings, starttls: bool) -> TlsSettings:
    from courier import tls as courier_tls

    values = dict(settings.tls_values)
    values.setdefault("TLS_CERTFILE", os.path.join(settings.config_dir, "imapd.pem"))
    return courier_tls.settings_from(
        values, starttls=starttls, where=os.path.join(settings.config_dir, "imapd-ssl")
    )


def _have_certificate(settings: ImapSettings) -> bool:
    values = dict(settings.tls_values)
    # Unset TLS_CERTFILE: imapd.pem beside the config (Courier's /etc/courier/imapd.pem).
    return os.path.isfile(values.get("TLS_CERTFILE", "") or os.path.join(settings.config_dir, "imapd.pem"))


def _start_tls(
    settings: ImapSettings, fd: int, remote: tuple[str, int], starttls: bool
) -> TlsTransport | None:
    """Handshake on the client socket; None (after logging why) if it failed."""
    from courier import tls as courier_tls
    from courier.config import ConfigError

    try:
        return courier_tls.start_server_tls(fd, _tls_settings(settings, starttls))
    except (ConfigError, courier_tls.TlsError) as exc:
        sys.stderr.write(f"imapd: {exc}, ip=[{remote[0]}]\n")
        return None


def _identity(transport: TlsTransport) -> str | None:
    from courier import tls as courier_tls

    return courier_tls.peer_identity(transport.tls)


def _client() -> tuple[int, int, tuple[str, int], object]:
    """The client's descriptors: the activated socket (fd 0, or systemd's fd 3), else stdin/stdout."""
    from courier.net.activation import ActivationError, client_socket

    try:
        sock, ip, port = client_socket()
    except ActivationError:
        return 0, 1, _remote(), None
    return sock.fileno(), sock.fileno(), (ip, port), sock


def _remote() -> tuple[str, int]:
    ip = os.environ.get("TCPREMOTEIP") or os.environ.get("REMOTE_ADDR") or ""
    port = os.environ.get("TCPREMOTEPORT") or os.environ.get("REMOTE_PORT") or "0"
    return ip, int(port) if port.isdigit() else 0


def _maildir(arg: str | None, maildirpath: str) -> str:
    if arg:
        return arg
    env = os.environ.get("MAILDIR")
    if env:
        return env
    home = os.environ.get("HOME", ".")
    return os.path.join(home, maildirpath)


def preload() -> None:
    """What a session imports, for a launcher that forks each connection from one warm process
    (courier-tcpd --preload courier.cli.imapd); an exec'd imapd never calls this."""
    import courier.authdaemon.client
    import courier.imap.capability
    import courier.imap.server
    import courier.imap.session
    import courier.login
    import courier.maildir.store
    import courier.mime.bodystructure
    import courier.mime.envelope
    import courier.mime.sections
    import courier.net.activation
    import courier.tls  # noqa: F401
    from courier.frozen import warm
    from courier.imap.commands import load

    load()
    warm()  # record constructors compiled here, not in every child


if __name__ == "__main__":
    raise SystemExit(main())
