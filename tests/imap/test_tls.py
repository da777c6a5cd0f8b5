"""STARTTLS and implicit TLS end to end: imaplib and openssl s_client with verification."""

from __future__ import annotations

import contextlib
import imaplib
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from courier.cli.mkcert import make_pem
from tests.imap.conftest import ImapServer, start_imapd


@pytest.fixture(scope="module")
def pems(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pem")
    server = d / "imapd.pem"
    server.write_bytes(make_pem(["localhost", "127.0.0.1"], 2, 2048, "IMAP"))
    client = d / "client.pem"
    client.write_bytes(make_pem(["user@example.com"], 2, 2048, "IMAP"))
    return {"server": server, "client": client}


@pytest.fixture
def tls_etc(imap_server: ImapServer, pems: dict[str, Path], tmp_path: Path) -> Iterator[Path]:
    etc = tmp_path / "etc"
    (etc / "imapd-ssl").write_text(f"IMAPDSTARTTLS=YES\nTLS_CERTFILE={pems['server']}\nTLS_TIMEOUT=3\n")
    yield etc


def _ctx(pems: dict[str, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pems["server"]))


def _caps(client: imaplib.IMAP4) -> set[str]:
    typ, data = client.capability()
    assert typ == "OK"
    return set(data[0].decode().split())


def test_starttls_then_login(imap_server: ImapServer, tls_etc: Path, pems: dict[str, Path]) -> None:
    c = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=10)
    assert b"STARTTLS" in c.welcome
    assert "STARTTLS" in _caps(c) and "AUTH=PLAIN" not in _caps(c)
    c.starttls(ssl_context=_ctx(pems))
    caps = _caps(c)
    assert "STARTTLS" not in caps and "AUTH=PLAIN" in caps  # re-announced for TLS, as Courier
    typ, _ = c.login(imap_server.user, imap_server.password)
    assert typ == "OK"
    assert c.select("INBOX")[1] == [b"2"]
    assert c.sock.version() in ("TLSv1.2", "TLSv1.3")  # type: ignore[attr-defined]
    c.logout()


def test_second_starttls_refused(imap_server: ImapServer, tls_etc: Path, pems: dict[str, Path]) -> None:
    c = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=10)
    c.starttls(ssl_context=_ctx(pems))
    with pytest.raises(imaplib.IMAP4.error, match="STARTTLS command error: BAD"):
        c._simple_command("STARTTLS")  # type: ignore[attr-defined]
    c.logout()


def test_pipelined_commands_after_starttls_do_not_run(
    imap_server: ImapServer, tls_etc: Path, pems: dict[str, Path]
) -> None:
    raw = socket.create_connection((imap_server.host, imap_server.port), timeout=10)
    raw.recv(4096)
    # The injection: a command in the same packet as STARTTLS, sent before the handshake.
    raw.sendall(f'a STARTTLS\r\nb LOGIN {imap_server.user} "{imap_server.password}"\r\n'.encode())
    assert raw.recv(4096).startswith(b"a OK Begin SSL/TLS negotiation now.")
    tls = _ctx(pems).wrap_socket(raw, server_hostname="localhost")
    tls.sendall(b"c SELECT INBOX\r\nd LOGOUT\r\n")
    reply = b""
    while b"d OK" not in reply:
        chunk = tls.recv(4096)
        if not chunk:
            break
        reply += chunk
    assert b"b OK" not in reply and b"b NO" not in reply  # LOGIN was never executed
    assert b"c OK" not in reply  # so SELECT is refused: not authenticated
    tls.close()


def test_implicit_tls_port(imap_server: ImapServer, tls_etc: Path, pems: dict[str, Path]) -> None:
    tcpd, port = start_imapd(tls_etc, extra_args=["--tls"])
    try:
        c = imaplib.IMAP4_SSL(imap_server.host, port, ssl_context=_ctx(pems), timeout=10)
        assert b"AUTH=PLAIN" in c.welcome
        assert b"STARTTLS" not in c.welcome  # Courier's 993 bug of offering it is not copied
        assert c.login(imap_server.user, imap_server.password)[0] == "OK"
        assert c.select("INBOX")[0] == "OK"
        c.logout()
        # garbage instead of a ClientHello ends that connection cleanly; the next one works
        raw = socket.create_connection((imap_server.host, port), timeout=10)
        raw.sendall(b"a001 LOGIN user password\r\n")
        start = time.monotonic()
        # closed with our bytes unread, the kernel may answer RST: also an end
        with contextlib.suppress(ConnectionResetError):
            assert raw.recv(4096) == b""
        assert time.monotonic() - start < 5
        raw.close()
        c = imaplib.IMAP4_SSL(imap_server.host, port, ssl_context=_ctx(pems), timeout=10)
        c.logout()
    finally:
        tcpd.terminate()
        tcpd.wait(15)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl missing")
def test_openssl_s_client_both_ways(imap_server: ImapServer, tls_etc: Path, pems: dict[str, Path]) -> None:
    script = f'a LOGIN {imap_server.user} "{imap_server.password}"\nb LOGOUT\n'
    common = ["-CAfile", str(pems["server"]), "-verify_return_error", "-quiet", "-crlf"]
    r = subprocess.run(
        ["openssl", "s_client", "-starttls", "imap", "-connect", f"127.0.0.1:{imap_server.port}", *common],
        input=script, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert "a OK LOGIN Ok." in r.stdout, r.stdout + r.stderr
    tcpd, port = start_imapd(tls_etc, extra_args=["--tls"])
    try:
        r = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *common],
            input=script, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert "a OK LOGIN Ok." in r.stdout and "* BYE" in r.stdout, r.stdout + r.stderr
        assert "unexpected eof" not in r.stderr  # close_notify was sent
    finally:
        tcpd.terminate()
        tcpd.wait(15)


def test_tls_required_disables_plaintext_login(
    imap_server: ImapServer, tls_etc: Path, pems: dict[str, Path]
) -> None:
    with (tls_etc / "imapd-ssl").open("a") as f:
        f.write("IMAP_TLS_REQUIRED=1\n")
    c = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=10)
    assert "LOGINDISABLED" in _caps(c)
    with pytest.raises(imaplib.IMAP4.error):
        c.login(imap_server.user, imap_server.password)
    c.starttls(ssl_context=_ctx(pems))
    assert "LOGINDISABLED" not in _caps(c)
    assert c.login(imap_server.user, imap_server.password)[0] == "OK"
    c.logout()


def test_client_certificate_authenticate_external(
    imap_server: ImapServer, tls_etc: Path, pems: dict[str, Path]
) -> None:
    with (tls_etc / "imapd-ssl").open("a") as f:
        f.write(f"TLS_VERIFYPEER=PEER\nTLS_TRUSTCERTS={pems['client']}\n")
    ctx = _ctx(pems)
    ctx.load_cert_chain(str(pems["client"]))
    c = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=10)
    c.starttls(ssl_context=ctx)
    assert "AUTH=EXTERNAL" in _caps(c)
    typ, _ = c.authenticate("EXTERNAL", lambda _challenge: b"")
    assert typ == "OK"
    assert c.select("INBOX")[1] == [b"2"]
    c.logout()
    # without a certificate there is no EXTERNAL
    c = imaplib.IMAP4(imap_server.host, imap_server.port, timeout=10)
    c.starttls(ssl_context=_ctx(pems))
    assert "AUTH=EXTERNAL" not in _caps(c)
    with pytest.raises(imaplib.IMAP4.error):
        c.authenticate("EXTERNAL", lambda _challenge: b"")
    c.logout()
