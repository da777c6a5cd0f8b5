"""STLS and implicit TLS (port 995) end to end: poplib and openssl s_client with verification."""

from __future__ import annotations

import contextlib
import poplib
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from courier.cli.mkcert import make_pem
from tests.conftest import child_env
from tests.pop3.conftest import BENCH, BENCHPASS, Pop3Server, deliver


@pytest.fixture(scope="module")
def pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("pem") / "pop3d.pem"
    p.write_bytes(make_pem(["localhost", "127.0.0.1"], 2, 2048, "POP3"))
    return p


@pytest.fixture
def tls_config(auth_server: Pop3Server, config_dir: Path, pem: Path, bench_home: Path) -> Iterator[Path]:
    (config_dir / "pop3d-ssl").write_text(f"POP3_STARTTLS=YES\nTLS_CERTFILE={pem}\nTLS_TIMEOUT=3\n")
    deliver(bench_home / "Maildir", b"From: a@example.com\nSubject: over tls\n\nsecret body\n")
    yield config_dir


def _ctx(pem: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pem))


def test_stls_then_login(auth_server: Pop3Server, tls_config: Path, pem: Path) -> None:
    c = poplib.POP3("127.0.0.1", auth_server.port, timeout=10)
    assert "STLS" in c.capa()
    c.stls(context=_ctx(pem))
    assert "STLS" not in c.capa()  # capabilities re-announced without it
    c.user(BENCH)
    assert c.pass_(BENCHPASS).startswith(b"+OK")
    assert c.stat()[0] == 1
    assert b"secret body" in b"\n".join(c.retr(1)[1])
    assert c.sock.version() in ("TLSv1.2", "TLSv1.3")  # type: ignore[attr-defined]
    c.quit()


def test_commands_pipelined_after_stls_do_not_run(
    auth_server: Pop3Server, tls_config: Path, pem: Path
) -> None:
    """CVE-2021-38084: Courier ran commands sent in the same packet as STLS."""
    raw = socket.create_connection(("127.0.0.1", auth_server.port), timeout=10)
    raw.recv(4096)
    raw.sendall(f"STLS\r\nUSER {BENCH}\r\nPASS {BENCHPASS}\r\n".encode())
    assert raw.recv(4096).startswith(b"+OK Begin SSL/TLS negotiation now.")
    # Those plaintext bytes now stand where the ClientHello should: the handshake fails
    # and the session ends, never logged in.
    with pytest.raises((ssl.SSLError, OSError)):
        _ctx(pem).wrap_socket(raw, server_hostname="localhost").recv(10)
    raw.close()
    assert "LOGIN," not in auth_server.log()
    # A client that waits for the +OK before the handshake, then pipelines, is fine.
    raw = socket.create_connection(("127.0.0.1", auth_server.port), timeout=10)
    raw.recv(4096)
    raw.sendall(b"STLS\r\n")
    raw.recv(4096)
    tls = _ctx(pem).wrap_socket(raw, server_hostname="localhost")
    tls.sendall(b"STAT\r\nQUIT\r\n")
    reply = b""
    while b"Bye-bye" not in reply:
        chunk = tls.recv(4096)
        if not chunk:
            break
        reply += chunk
    assert reply.startswith(b"-ERR")  # STAT before login is refused
    tls.close()


def test_implicit_tls_port(tls_config: Path, pem: Path, tmp_path: Path) -> None:
    server = Pop3Server(child_env(), ["--config-dir", str(tls_config), "--tls"], tmp_path)
    try:
        c = poplib.POP3_SSL("127.0.0.1", server.port, context=_ctx(pem), timeout=10)
        assert c.getwelcome() == b"+OK Hello there."
        assert "STLS" not in c.capa()
        c.user(BENCH)
        c.pass_(BENCHPASS)
        assert c.stat()[0] == 1
        c.quit()
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        raw.sendall(b"USER x\r\n")  # garbage instead of a ClientHello
        with contextlib.suppress(ConnectionResetError):
            assert raw.recv(4096) == b""
        raw.close()
    finally:
        server.close()


def test_tls_required(auth_server: Pop3Server, tls_config: Path, pem: Path) -> None:
    with (tls_config / "pop3d-ssl").open("a") as f:
        f.write("POP3_TLS_REQUIRED=1\n")
    c = poplib.POP3("127.0.0.1", auth_server.port, timeout=10)
    with pytest.raises(poplib.error_proto):
        c.user(BENCH)
        c.pass_(BENCHPASS)
    c.stls(context=_ctx(pem))
    c.user(BENCH)
    assert c.pass_(BENCHPASS).startswith(b"+OK")
    c.quit()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl missing")
def test_openssl_s_client(auth_server: Pop3Server, tls_config: Path, pem: Path, tmp_path: Path) -> None:
    script = f"USER {BENCH}\nPASS {BENCHPASS}\nSTAT\nQUIT\n"
    common = ["-CAfile", str(pem), "-verify_return_error", "-quiet", "-crlf"]
    r = subprocess.run(
        ["openssl", "s_client", "-starttls", "pop3", "-connect", f"127.0.0.1:{auth_server.port}", *common],
        input=script, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert "+OK logged in." in r.stdout and "+OK 1 " in r.stdout, r.stdout + r.stderr
    server = Pop3Server(child_env(), ["--config-dir", str(tls_config), "--tls"], tmp_path)
    try:
        r = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", *common],
            input=script, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert "+OK logged in." in r.stdout and "Bye-bye" in r.stdout, r.stdout + r.stderr
        assert "unexpected eof" not in r.stderr
    finally:
        server.close()
