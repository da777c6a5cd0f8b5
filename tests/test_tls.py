"""TLS settings, contexts and real handshakes over socket pairs."""

from __future__ import annotations

import os
import socket
import ssl
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from courier import tls
from courier.cli import mkcert
from courier.config import ConfigError
from tests.conftest import PYTHON, child_env


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("certs")
    out: dict[str, Path] = {}
    for label, names in {
        "main": ["localhost", "127.0.0.1"],
        "alpha": ["alpha.example.com"],
        "beta": ["beta.example.com"],
        "client": ["alice@example.com"],
    }.items():
        p = d / f"{label}.pem"
        p.write_bytes(mkcert.make_pem(names, 2, 2048, "IMAP"))
        out[label] = p
    return out


def _serve(ctx: ssl.SSLContext, timeout: float = 5.0) -> tuple[socket.socket, dict[str, object]]:
    a, b = socket.socketpair()
    result: dict[str, object] = {}

    def run() -> None:
        try:
            conn = tls.handshake(a, ctx, timeout)
            result["version"] = conn.version()
            result["peer"] = tls.peer_identity(conn)
            result["cert"] = conn.context  # the context that served (SNI)
            data = conn.recv(100)
            conn.sendall(b"echo " + data)
            tls.close(conn)
        except tls.TlsError as exc:
            result["error"] = str(exc)
            a.close()

    t = threading.Thread(target=run)
    t.start()
    result["thread"] = t
    return b, result


def _client_ctx(ca: Path, **kw: object) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca))
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("", ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.MAXIMUM_SUPPORTED),
        ("TLSv1.2+", ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.MAXIMUM_SUPPORTED),
        ("TLSv1.3", ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3),
        ("TLS1_2", ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2),
        ("TLSv1.1:TLSv1.2", ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2),
        ("tlsv1+", ssl.TLSVersion.TLSv1, ssl.TLSVersion.MAXIMUM_SUPPORTED),
    ],
)
def test_protocol_values(value: str, low: ssl.TLSVersion, high: ssl.TLSVersion) -> None:
    assert tls.parse_protocol(value, "x") == (low, high)


@pytest.mark.parametrize("bad", ["SSLv3", "TLSv2", "NORMAL"])
def test_bad_protocol_named(bad: str) -> None:
    with pytest.raises(ConfigError, match="TLS_PROTOCOL"):
        tls.settings_from({"TLS_PROTOCOL": bad})


def test_min_protocol_raises_floor_and_starttls_protocol_applies() -> None:
    s = tls.settings_from({"TLS_PROTOCOL": "TLSv1.2+", "TLS_MIN_PROTOCOL": "TLSv1.3"})
    assert s.min_version == ssl.TLSVersion.TLSv1_3
    s = tls.settings_from({"TLS_PROTOCOL": "TLSv1.2+", "TLS_STARTTLS_PROTOCOL": "TLSv1.3"}, starttls=True)
    assert s.min_version == ssl.TLSVersion.TLSv1_3
    with pytest.raises(ConfigError, match="TLS_VERIFYPEER"):
        tls.settings_from({"TLS_VERIFYPEER": "SOMETIMES"})


def test_missing_certificate_names_file_and_remedy(tmp_path: Path) -> None:
    with pytest.raises(tls.TlsError, match=r"nothere\.pem.*mkimapdcert"):
        tls.server_context(tls.TlsSettings(certfile=str(tmp_path / "nothere.pem")))


def test_handshake_and_data(certs: dict[str, Path]) -> None:
    ctx = tls.server_context(tls.TlsSettings(certfile=str(certs["main"])))
    sock, result = _serve(ctx)
    with _client_ctx(certs["main"]).wrap_socket(sock, server_hostname="localhost") as c:
        c.sendall(b"hello")
        assert c.recv(100) == b"echo hello"
        # close_notify arrives: a clean EOF, not a truncation error
        assert c.recv(100) == b""
    result["thread"].join(5)  # type: ignore[attr-defined]
    assert result["version"] in ("TLSv1.2", "TLSv1.3")


def _tls11_client() -> ssl.SSLContext:
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.set_ciphers("DEFAULT:@SECLEVEL=0")
    client.minimum_version = client.maximum_version = ssl.TLSVersion.TLSv1_1
    return client


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls11_only_client_is_refused(certs: dict[str, Path]) -> None:
    ctx = tls.server_context(tls.TlsSettings(certfile=str(certs["main"])))
    sock, result = _serve(ctx)
    with pytest.raises((ssl.SSLError, OSError)):
        _tls11_client().wrap_socket(sock).do_handshake()
    sock.close()
    result["thread"].join(5)  # type: ignore[attr-defined]
    assert "handshake failed" in str(result["error"])
    # The refusal is the default's doing: an admin who asks for TLSv1.1+ gets it.
    legacy = tls.server_context(
        tls.settings_from({"TLS_PROTOCOL": "TLSv1.1+", "TLS_CERTFILE": str(certs["main"])})
    )
    sock, result = _serve(legacy)
    with _tls11_client().wrap_socket(sock) as c:
        c.sendall(b"old")
        assert c.recv(10) == b"echo old"
    result["thread"].join(5)  # type: ignore[attr-defined]
    assert result["version"] == "TLSv1.1"


def test_garbage_and_silence_end_cleanly(certs: dict[str, Path]) -> None:
    ctx = tls.server_context(tls.TlsSettings(certfile=str(certs["main"])))
    sock, result = _serve(ctx)
    sock.sendall(b"a001 LOGIN alice secret\r\n" * 4)
    result["thread"].join(5)  # type: ignore[attr-defined]
    assert "error" in result
    sock.close()
    sock, result = _serve(ctx, timeout=0.5)
    result["thread"].join(5)  # type: ignore[attr-defined]
    assert "timed out" in str(result["error"])
    sock.close()


def test_sni_picks_certificate_per_name(certs: dict[str, Path], tmp_path: Path) -> None:
    base = tmp_path / "imapd.pem"
    base.write_bytes(certs["main"].read_bytes())
    (tmp_path / "imapd.pem.alpha.example.com").write_bytes(certs["alpha"].read_bytes())
    (tmp_path / "imapd.pem.beta.example.com").write_bytes(certs["beta"].read_bytes())
    ctx = tls.server_context(tls.TlsSettings(certfile=str(base)))
    for name in ("alpha", "beta"):
        sock, result = _serve(ctx)
        with _client_ctx(certs[name]).wrap_socket(sock, server_hostname=f"{name}.example.com") as c:
            c.sendall(b"x")
            assert c.recv(10) == b"echo x"  # verification against that name's cert succeeded
        result["thread"].join(5)  # type: ignore[attr-defined]
    # an unknown name falls back to the default certificate
    sock, result = _serve(ctx)
    with _client_ctx(certs["main"]).wrap_socket(sock, server_hostname="localhost") as c:
        c.sendall(b"y")
        assert c.recv(10) == b"echo y"
    result["thread"].join(5)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["../../etc/passwd", "..", "a/b", ".hidden", "x" * 300, "a..b"])
def test_sni_name_cannot_leave_directory(tmp_path: Path, name: str) -> None:
    assert tls.sni_certfile(str(tmp_path / "imapd.pem"), name) is None


def test_client_certificate_identity(certs: dict[str, Path]) -> None:
    settings = tls.TlsSettings(
        certfile=str(certs["main"]), verifypeer="REQUIREPEER", trustcerts=str(certs["client"])
    )
    ctx = tls.server_context(settings)
    sock, result = _serve(ctx)
    client = _client_ctx(certs["main"])
    client.load_cert_chain(str(certs["client"]))
    with client.wrap_socket(sock, server_hostname="localhost") as c:
        c.sendall(b"z")
        assert c.recv(10) == b"echo z"
    result["thread"].join(5)  # type: ignore[attr-defined]
    assert result["peer"] == "alice@example.com"
    # without a client certificate, REQUIREPEER refuses
    sock, result = _serve(ctx)
    with (
        pytest.raises((ssl.SSLError, OSError)),
        _client_ctx(certs["main"]).wrap_socket(sock, server_hostname="localhost") as c,
    ):
        c.sendall(b"z")
        c.recv(10)
    result["thread"].join(5)  # type: ignore[attr-defined]


def test_mkimapdcert_twice_keeps_first(tmp_path: Path) -> None:
    (tmp_path / "imapd-ssl").write_text(f"TLS_CERTFILE={tmp_path}/imapd.pem\n")
    cmd = [PYTHON, "-m", "courier.cli.mkcert_imapd", "--config-dir", str(tmp_path), "--hostname", "mail.test"]
    first = subprocess.run(cmd, env=child_env(), capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    pem = tmp_path / "imapd.pem"
    content = pem.read_bytes()
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    assert b"PRIVATE KEY" in content and b"CERTIFICATE" in content
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(content[content.index(b"-----BEGIN CERTIFICATE") :])
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["mail.test"]
    second = subprocess.run(cmd, env=child_env(), capture_output=True, text=True)
    assert second.returncode == 0
    assert "already exists" in second.stdout
    assert pem.read_bytes() == content
    # usable by the server as is
    tls.server_context(tls.TlsSettings(certfile=str(pem)))
