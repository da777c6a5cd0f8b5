"""TLS for imapd and pop3d: Courier's TLS_* settings on the stdlib ``ssl`` module.

The stdlib module is used on the per-connection path rather than pyOpenSSL: it
costs 40-60 ms less to import per connection and does the same handshakes.
This module is imported only when a session actually needs TLS.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
from collections.abc import Mapping
from typing import Any

from courier.config import ConfigError, as_int
from courier.frozen import dataclass

DEFAULT_CERTFILE = "/etc/courier/imapd.pem"
VERIFY_MODES = ("NONE", "PEER", "REQUIREPEER")

_VERSIONS = {
    "1": ssl.TLSVersion.TLSv1,
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


class TlsError(Exception):
    """TLS could not be set up or negotiated; the message names the setting or file at fault."""


@dataclass(frozen=True, slots=True)
class TlsSettings:
    certfile: str = DEFAULT_CERTFILE  # TLS_CERTFILE: key and certificate, PEM
    private_keyfile: str = ""  # TLS_PRIVATE_KEYFILE: separate key, if any
    dhparams: str = ""  # TLS_DHPARAMS
    min_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2
    max_version: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED
    cipher_list: str = ""  # TLS_CIPHER_LIST (OpenSSL syntax; TLS 1.2 and below)
    trustcerts: str = ""  # TLS_TRUSTCERTS: CA file or directory for client certificates
    verifypeer: str = "NONE"  # TLS_VERIFYPEER: NONE, PEER or REQUIREPEER
    handshake_timeout: float = 60.0  # TLS_TIMEOUT (Courier reserves it; we apply it)


def parse_protocol(value: str, where: str) -> tuple[ssl.TLSVersion, ssl.TLSVersion]:
    """Courier's TLS_PROTOCOL: ``TLSv1.2``, ``TLSv1.2+``, ``TLS1_2``, or a ``:``-list of them.

    A bare version pins it; ``+`` means that version and newer; a list spans its members.
    """
    lows: list[ssl.TLSVersion] = []
    highs: list[ssl.TLSVersion] = []
    for item in value.replace(",", ":").split(":"):
        item = item.strip()
        if not item:
            continue
        plus = item.endswith("+")
        name = item.rstrip("+").upper().replace("_", ".")
        for prefix in ("TLSV", "TLS"):
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        version = _VERSIONS.get(name)
        if version is None:
            raise ConfigError(f"{where}: unknown TLS protocol {item!r}; use e.g. TLSv1.2+ or TLSv1.3")
        lows.append(version)
        highs.append(ssl.TLSVersion.MAXIMUM_SUPPORTED if plus else version)
    if not lows:
        return ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.MAXIMUM_SUPPORTED
    top = (
        ssl.TLSVersion.MAXIMUM_SUPPORTED
        if ssl.TLSVersion.MAXIMUM_SUPPORTED in highs
        else max(highs, key=lambda v: v.value)
    )
    return min(lows, key=lambda v: v.value), top


def settings_from(
    values: Mapping[str, str], *, starttls: bool = False, where: str = "imapd-ssl"
) -> TlsSettings:
    """Build settings from an imapd-ssl / pop3d-ssl variable set.

    STARTTLS sessions use TLS_STARTTLS_PROTOCOL when set, as Courier does.
    TLS_MIN_PROTOCOL (ours) raises the floor; versions below TLS 1.2 must be
    asked for explicitly by TLS_PROTOCOL.
    """
    proto = values.get("TLS_STARTTLS_PROTOCOL", "") if starttls else ""
    proto = proto or values.get("TLS_PROTOCOL", "")
    low, high = parse_protocol(proto, f"{where}: TLS_PROTOCOL")
    floor = values.get("TLS_MIN_PROTOCOL", "").strip()
    if floor:
        fmin, _ = parse_protocol(floor, f"{where}: TLS_MIN_PROTOCOL")
        if fmin.value > low.value:
            low = fmin
    verify = values.get("TLS_VERIFYPEER", "NONE").strip().upper() or "NONE"
    if verify not in VERIFY_MODES:
        raise ConfigError(f"{where}: TLS_VERIFYPEER={verify!r}; use NONE, PEER or REQUIREPEER")
    timeout = as_int(values, "TLS_TIMEOUT", 60, where)
    return TlsSettings(
        certfile=values.get("TLS_CERTFILE", "").strip() or DEFAULT_CERTFILE,
        private_keyfile=values.get("TLS_PRIVATE_KEYFILE", "").strip(),
        dhparams=values.get("TLS_DHPARAMS", "").strip(),
        min_version=low,
        max_version=high,
        cipher_list=values.get("TLS_CIPHER_LIST", "").strip(),
        trustcerts=values.get("TLS_TRUSTCERTS", "").strip(),
        verifypeer=verify,
        handshake_timeout=float(timeout if timeout > 0 else 60),
    )


def _base_context(settings: TlsSettings, certfile: str, keyfile: str | None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = settings.min_version
    ctx.maximum_version = settings.max_version
    if settings.min_version.value < ssl.TLSVersion.TLSv1_2.value:
        # OpenSSL's default security level 2 refuses TLS < 1.2 outright; the admin asked for it.
        ctx.set_ciphers((settings.cipher_list or "DEFAULT") + ":@SECLEVEL=0")
    elif settings.cipher_list:
        try:
            ctx.set_ciphers(settings.cipher_list)
        except ssl.SSLError as exc:
            raise TlsError(f"TLS_CIPHER_LIST={settings.cipher_list!r} selects no cipher: {exc}") from exc
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE | ssl.OP_SINGLE_DH_USE
    try:
        ctx.load_cert_chain(certfile, keyfile or None)
    except FileNotFoundError as exc:
        raise TlsError(f"TLS_CERTFILE {certfile}: no such file; create it with mkimapdcert") from exc
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"TLS_CERTFILE {certfile}: cannot load key and certificate: {exc}") from exc
    if settings.dhparams and os.path.exists(settings.dhparams):
        try:
            ctx.load_dh_params(settings.dhparams)
        except (ssl.SSLError, OSError) as exc:
            raise TlsError(f"TLS_DHPARAMS {settings.dhparams}: unreadable: {exc}") from exc
    if settings.verifypeer != "NONE":
        ctx.verify_mode = ssl.CERT_REQUIRED if settings.verifypeer == "REQUIREPEER" else ssl.CERT_OPTIONAL
        if not settings.trustcerts:
            raise TlsError(f"TLS_VERIFYPEER={settings.verifypeer} needs TLS_TRUSTCERTS")
        try:
            if os.path.isdir(settings.trustcerts):
                ctx.load_verify_locations(capath=settings.trustcerts)
            else:
                ctx.load_verify_locations(cafile=settings.trustcerts)
        except (ssl.SSLError, OSError) as exc:
            raise TlsError(f"TLS_TRUSTCERTS {settings.trustcerts}: unreadable: {exc}") from exc
    return ctx


def sni_certfile(certfile: str, server_name: str) -> str | None:
    """Courier's per-name certificate: ``<TLS_CERTFILE>.<name>`` if that file exists.

    The name comes from the client, so anything that could leave the directory is refused.
    """
    name = server_name.strip().lower().rstrip(".")
    if not name or len(name) > 253 or name.startswith("."):
        return None
    if any(not (c.isalnum() or c in "-.") for c in name) or ".." in name:
        return None
    path = f"{certfile}.{name}"
    return path if os.path.isfile(path) else None


def server_context(settings: TlsSettings) -> ssl.SSLContext:
    """A server context; SNI switches to a per-name certificate when one exists."""
    ctx = _base_context(settings, settings.certfile, settings.private_keyfile)
    by_name: dict[str, ssl.SSLContext] = {}

    def pick(sslobj: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, _: ssl.SSLContext) -> None:
        if not server_name:
            return
        path = sni_certfile(settings.certfile, server_name)
        if path is None:
            return
        if path not in by_name:
            key = f"{settings.private_keyfile}.{server_name.lower()}" if settings.private_keyfile else ""
            by_name[path] = _base_context(settings, path, key if key and os.path.isfile(key) else None)
        sslobj.context = by_name[path]

    ctx.sni_callback = pick
    return ctx


def handshake(sock: socket.socket, ctx: ssl.SSLContext, timeout: float) -> ssl.SSLSocket:
    """Server side handshake with a deadline; garbage or silence raise TlsError."""
    sock.settimeout(timeout)
    try:
        tls = ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        tls.do_handshake()
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"TLS handshake failed: {exc}") from exc
    tls.settimeout(None)
    return tls


def peer_identity(tls: ssl.SSLSocket) -> str | None:
    """The verified client certificate's e-mail address or common name (for AUTH=EXTERNAL)."""
    cert: dict[str, Any] | None = tls.getpeercert()
    if not cert:
        return None
    for kind, value in cert.get("subjectAltName", ()):
        if kind == "email":
            return str(value)
    subject = [pair for rdn in cert.get("subject", ()) for pair in rdn]
    for wanted in ("emailAddress", "commonName"):
        for key, value in subject:
            if key == wanted:
                return str(value)
    return None


def close(tls: ssl.SSLSocket) -> None:
    """Send close_notify and stop; a peer that already left is not an error."""
    try:
        tls.settimeout(2.0)
        tls.unwrap()
    except (ssl.SSLError, OSError, ValueError):
        pass


class TlsTransport:
    """A TLS connection in the shape the imap and pop3 loops use.

    ``recv(size, timeout)`` returns bytes, b"" at end of stream, or None on
    timeout; ``pending()`` says whether decrypted bytes are already buffered
    (a select() on the socket would not see them).
    """

    def __init__(self, tls: ssl.SSLSocket) -> None:
        self.tls = tls
        self.received = 0
        self.sent = 0

    def fileno(self) -> int:
        return self.tls.fileno()

    @property
    def rfd(self) -> int:
        return self.tls.fileno()

    @property
    def wfd(self) -> int:
        return self.tls.fileno()

    def pending(self) -> bool:
        return self.tls.pending() > 0

    def recv(self, size: int, timeout: float | None = None) -> bytes | None:
        import select

        if not self.pending() and timeout is not None:
            ready, _, _ = select.select([self.tls], [], [], timeout)
            if not ready:
                return None
        try:
            data = self.tls.recv(size)
        except ssl.SSLWantReadError:
            return None if timeout is not None else b""
        except (ssl.SSLError, ConnectionResetError, OSError):
            return b""
        self.received += len(data)
        return data

    def send(self, data: bytes) -> None:
        self.tls.sendall(data)
        self.sent += len(data)

    def close(self) -> None:
        close(self.tls)


def start_server_tls(fd: int, settings: TlsSettings) -> TlsTransport:
    """Handshake on the client connection at ``fd`` (the socket on fd 0)."""
    sock = socket.socket(fileno=os.dup(fd))
    with contextlib.suppress(OSError):  # not TCP (a Unix socket in tests)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = handshake(sock, server_context(settings), settings.handshake_timeout)
    return TlsTransport(conn)
