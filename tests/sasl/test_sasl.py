"""SASL mechanisms: the exchanges RFC clients perform, and refusals of malformed input."""

from __future__ import annotations

import base64
import hmac

import pytest

from courier.sasl import MECHANISMS, SaslError, SaslResult, mechanism


def run(name: str, *responses: bytes, **kw: str) -> tuple[list[bytes], SaslResult]:
    m = mechanism(name, **kw)
    assert m is not None
    challenges = []
    out = m.step(None)
    for r in responses:
        assert isinstance(out, bytes)
        challenges.append(out)
        out = m.step(r)
    assert isinstance(out, SaslResult)
    return challenges, out


def test_plain() -> None:
    _, res = run("PLAIN", b"\x00tim\x00tanstaaf")
    assert res == SaslResult("login", b"tim\ntanstaaf\n")
    _, res = run("plain", b"tim\x00tim\x00pw")
    assert res.authdata == b"tim\npw\n"


@pytest.mark.parametrize(
    "bad", [b"tim\x00pw", b"\x00\x00pw", b"other\x00tim\x00pw", b"\x00ti\nm\x00pw", b"a\x00b\x00c\x00d"]
)
def test_plain_refuses(bad: bytes) -> None:
    m = mechanism("PLAIN")
    assert m is not None
    m.step(None)
    with pytest.raises(SaslError):
        m.step(bad)


def test_login() -> None:
    challenges, res = run("LOGIN", b"tim", b"tanstaaf")
    assert challenges == [b"Username:", b"Password:"]
    assert res == SaslResult("login", b"tim\ntanstaaf\n")


def test_cram_md5_rfc2195_response_is_passed_on() -> None:
    m = mechanism("CRAM-MD5", hostname="postoffice.example")
    assert m is not None
    challenge = m.step(None)
    assert isinstance(challenge, bytes)
    assert challenge.startswith(b"<") and challenge.endswith(b"@postoffice.example>")
    assert mechanism("CRAM-MD5").step(None) != challenge  # type: ignore[union-attr]
    digest = hmac.new(b"tanstaaftanstaaf", challenge, "md5").hexdigest()
    res = m.step(f"tim {digest}".encode())
    assert isinstance(res, SaslResult) and res.authtype == "cram-md5"
    ch64, resp64, tail = res.authdata.split(b"\n")
    assert base64.b64decode(ch64) == challenge and tail == b""
    assert base64.b64decode(resp64) == f"tim {digest}".encode()


@pytest.mark.parametrize("bad", [b"timdigest", b"tim xyz", b" 00ff", b"ti\nm 00"])
def test_cram_refuses(bad: bytes) -> None:
    m = mechanism("CRAM-SHA256")
    assert m is not None
    m.step(None)
    with pytest.raises(SaslError):
        m.step(bad)


def test_external_uses_certificate_identity() -> None:
    _, res = run("EXTERNAL", b"", external_identity="alice@example.com")
    assert res == SaslResult("external", b"alice@example.com")
    _, res = run("EXTERNAL", b"alice@example.com", external_identity="alice@example.com")
    assert res.authdata == b"alice@example.com"
    m = mechanism("EXTERNAL", external_identity="alice@example.com")
    assert m is not None
    m.step(None)
    with pytest.raises(SaslError):
        m.step(b"bob@example.com")
    m = mechanism("EXTERNAL")
    assert m is not None
    m.step(None)
    with pytest.raises(SaslError):
        m.step(b"")


def test_finished_mechanism_refuses_more_and_unknown_names() -> None:
    m = mechanism("PLAIN")
    assert m is not None
    m.step(None)
    m.step(b"\x00a\x00b")
    with pytest.raises(SaslError):
        m.step(b"\x00a\x00b")
    assert mechanism("SCRAM-SHA-1") is None
    assert all(mechanism(n) is not None for n in MECHANISMS)


def test_oversized_response() -> None:
    m = mechanism("LOGIN")
    assert m is not None
    m.step(None)
    with pytest.raises(SaslError):
        m.step(b"x" * 100_000)
