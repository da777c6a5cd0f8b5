"""pop3d: serve one POP3 connection on fd 0/1 (systemd Accept=yes, inetd, courier-tcpd).

The greeting goes out before anything heavy is imported: a client sees
``+OK Hello there.`` while the settings are still being read.

Started with ``AUTHENTICATED`` in the environment (and ``MAILDIR``, or the
maildir as argument), the program is already logged in, as Courier's
courierpop3d is after courierpop3login: it answers ``+OK logged in.`` and goes
straight to the TRANSACTION state.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing before the greeting
if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from courier.pop3.account import Authenticator
    from courier.pop3.server import Transport
    from courier.pop3.settings import Pop3Settings
    from courier.tls import TlsSettings

GREETING = b"+OK Hello there.\r\n"


def _parse_args(argv: list[str]) -> tuple[str, str | None, bool]:
    import argparse

    p = argparse.ArgumentParser(
        prog="pop3d",
        description="Serve one POP3 connection on standard input/output (Courier-compatible).",
        epilog="With AUTHENTICATED set in the environment the session starts logged in "
        "on MAILDIR (or MAILDIRPATH).",
    )
    p.add_argument("--config-dir", default="/etc/courier", help="directory of pop3d and pop3d-ssl")
    p.add_argument("--tls", action="store_true", help="the connection starts with TLS (port 995)")
    p.add_argument("maildirpath", nargs="?", help="maildir, relative to the home directory")
    ns = p.parse_args(argv)
    return ns.config_dir, ns.maildirpath, ns.tls


def _fast_args(argv: list[str]) -> tuple[str, str | None, bool] | None:
    """The common invocations, without importing argparse; None means "ask argparse"."""
    config_dir, maildir, tls = "/etc/courier", None, False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--config-dir" and i + 1 < len(argv):
            config_dir = argv[i + 1]
            i += 2
        elif a.startswith("--config-dir="):
            config_dir = a.split("=", 1)[1]
            i += 1
        elif a == "--tls":
            tls = True
            i += 1
        elif not a.startswith("-") and maildir is None:
            maildir = a
            i += 1
        else:
            return None
    return config_dir, maildir, tls


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parsed = _fast_args(args)
    if parsed is None:
        parsed = _parse_args(args)
    config_dir, maildirpath, tls = parsed
    env = os.environ
    preauth = bool(env.get("AUTHENTICATED"))
    # systemd may hand the connection over as fd 3 (LISTEN_FDS): fd 1 is then not the client.
    # With implicit TLS the greeting must wait for the handshake.
    greet_early = not preauth and not tls and "LISTEN_FDS" not in env
    if greet_early:
        try:
            os.write(1, GREETING)
        except OSError:
            return 1

    from courier import log

    log.configure("pop3d")
    transport, ip, port, local_port = _connection(env)

    from courier.config import ConfigError
    from courier.pop3 import settings as pop3settings
    from courier.pop3.server import serve
    from courier.pop3.session import Session

    try:
        settings = pop3settings.load(config_dir, tls_port=tls)
    except ConfigError as exc:
        log.error(f"pop3d: {exc}")
        if not tls:
            if not preauth and not greet_early:
                transport.send(GREETING)
            transport.send(b"-ERR [SYS/TEMP] Server configuration error.\r\n")
        return 1
    if tls and not preauth:
        upgraded = _start_tls(settings, transport, ip, starttls=False)
        if upgraded is None:
            return 1
        transport = upgraded
    if not preauth and not greet_early:
        transport.send(GREETING)
    session = Session(
        settings,
        None if preauth else _authenticator(settings),
        service=settings.service(local_port),
        ip=ip,
        port=port,
        tls_active=tls and not preauth,
        tls_available=not preauth and not tls and _can_starttls(settings, transport),
    )
    if preauth:
        first = _preauth(session, settings.maildirpath if maildirpath is None else maildirpath)
        if first.startswith(b"-"):
            transport.send(first)
            return 1
    else:
        first = b""
    final = serve(session, transport, first, starttls=lambda t: _stls(settings, t, ip))
    _close_tls(final)
    return 0


def _tls_settings(settings: Pop3Settings, starttls: bool) -> TlsSettings:
    from courier import tls as courier_tls

    values = dict(settings.tls_values)
    # Unset TLS_CERTFILE: pop3d.pem beside the config (Courier's /etc/courier/pop3d.pem).
    values.setdefault("TLS_CERTFILE", str(settings.config_dir / "pop3d.pem"))
    return courier_tls.settings_from(values, starttls=starttls, where=str(settings.config_dir / "pop3d-ssl"))


def _can_starttls(settings: Pop3Settings, transport: Transport) -> bool:
    """STLS is offered on a real socket, when configured, with a certificate to present."""
    from courier.pop3.server import SocketTransport

    certfile = dict(settings.tls_values).get("TLS_CERTFILE") or str(settings.config_dir / "pop3d.pem")
    return settings.starttls and isinstance(transport, SocketTransport) and os.path.isfile(certfile)


def _start_tls(settings: Pop3Settings, transport: Transport, ip: str, starttls: bool) -> Transport | None:
    """Handshake on the client socket; None (after logging why) if it failed."""
    from courier import log
    from courier import tls as courier_tls
    from courier.config import ConfigError
    from courier.pop3.server import SocketTransport

    if not isinstance(transport, SocketTransport):
        log.error(f"pop3d: TLS needs a socket connection, ip=[{ip}]")
        return None
    try:
        tls_settings = _tls_settings(settings, starttls)
        ctx = courier_tls.server_context(tls_settings)
        return SocketTransport(courier_tls.handshake(transport.sock, ctx, tls_settings.handshake_timeout))
    except (ConfigError, courier_tls.TlsError) as exc:
        log.error(f"pop3d: {exc}, ip=[{ip}]")
        return None


def _stls(settings: Pop3Settings, transport: Transport, ip: str) -> Transport:
    upgraded = _start_tls(settings, transport, ip, starttls=True)
    if upgraded is None:
        raise ConnectionResetError("TLS handshake failed")
    return upgraded


def _close_tls(transport: Transport | None) -> None:
    """close_notify before exit, so clients see a clean end of the TLS stream."""
    from courier.pop3.server import SocketTransport

    if isinstance(transport, SocketTransport) and hasattr(transport.sock, "unwrap"):
        from courier import tls as courier_tls

        courier_tls.close(transport.sock)  # type: ignore[arg-type]


def _authenticator(settings: Pop3Settings) -> Authenticator:
    """Logins go to authdaemond on the socket named by authdaemonrc's authdaemonvar."""
    from courier.config import read_config
    from courier.login import LoginSettings
    from courier.pop3.login import LoginAuthenticator

    var = read_config(settings.config_dir / "authdaemonrc").get("authdaemonvar", "").strip()
    return LoginAuthenticator(
        LoginSettings(
            authdaemon_socket=os.path.join(var or "/run/courier/authdaemon", "socket"),
            failed_login_delay=settings.login_delay,
            maildirpath=settings.maildirpath,
            defdomain=settings.defdomain,
        )
    )


def _connection(env: MutableMapping[str, str]) -> tuple[Transport, str, str, str | None]:
    """The client: a socket from systemd/inetd/courier-tcpd, else stdin/stdout (pipes, tests)."""
    from courier.net import activation
    from courier.pop3.server import FdTransport, SocketTransport

    try:
        sock, ip, portnum = activation.client_socket(env)
    except activation.ActivationError:
        ip = env.get("TCPREMOTEIP") or env.get("REMOTE_ADDR") or ""
        port = env.get("TCPREMOTEPORT") or env.get("REMOTE_PORT") or ""
        return FdTransport(0, 1), ip, port, env.get("TCPLOCALPORT")
    local_port = activation.local_address(sock, env)[1]
    return SocketTransport(sock), ip, str(portnum), str(local_port) if local_port else None


def _preauth(session: object, maildirpath: str) -> bytes:
    """Open the maildrop of an already-authenticated process (AUTHENTICATED set)."""
    from courier.maildir.maildrop import Maildrop, MaildropError, MaildropLocked
    from courier.pop3.account import Account
    from courier.pop3.session import Session

    assert isinstance(session, Session)
    env = os.environ
    home = env.get("HOME", "")
    if home:
        try:
            if os.stat(home).st_mode & 0o1000:
                return b"-ERR Your account is temporarily unavailable (+t bit set on home directory).\r\n"
        except OSError:
            pass
    path = env.get("MAILDIR") or maildirpath
    if not os.path.isabs(path) and home:
        path = os.path.join(home, path)
    try:
        drop = Maildrop.open(path)
    except MaildropLocked as exc:
        return f"-ERR [IN-USE] {exc}\r\n".encode()
    except MaildropError as exc:
        return f"-ERR {exc}\r\n".encode()
    except OSError as exc:
        return f"-ERR Maildir: {exc.strerror}\r\n".encode()
    user = env.get("AUTHADDR") or env.get("AUTHENTICATED") or "nobody"
    return session.enter(Account(user, drop))


def preload() -> None:
    """What a session imports, for a launcher that forks each connection from one warm process
    (courier-tcpd --preload courier.cli.pop3d); an exec'd pop3d never calls this."""
    import courier.login
    import courier.maildir.maildrop
    import courier.net.activation
    import courier.pop3.account
    import courier.pop3.login
    import courier.pop3.server
    import courier.pop3.session
    import courier.tls  # noqa: F401


if __name__ == "__main__":
    raise SystemExit(main())
