"""Every stored password form authlib accepts verifies, and wrong passwords never do."""

from __future__ import annotations

import base64
import hashlib

import pytest

from courier.auth import hashes

PW = "benchpass"


def b64(algo: str, data: bytes) -> str:
    return base64.b64encode(hashlib.new(algo, data).digest()).decode()


STORED = [
    "{MD5}" + b64("md5", PW.encode()),
    "{MD5RAW}" + hashlib.md5(PW.encode()).hexdigest(),
    "{SHA}" + b64("sha1", PW.encode()),
    "{SHA256}" + b64("sha256", PW.encode()),
    "{SHA512}" + b64("sha512", PW.encode()),
    "{SSHA}" + base64.b64encode(hashlib.sha1(PW.encode() + b"salt").digest() + b"salt").decode(),
    "{SSHA}" + base64.b64encode(hashlib.sha1(PW.encode() + b"8bytesal").digest() + b"8bytesal").decode(),
    "{ssha}" + base64.b64encode(hashlib.sha1(PW.encode() + b"salt").digest() + b"salt").decode(),
    "{SSHA256}" + base64.b64encode(hashlib.sha256(PW.encode() + b"salt").digest() + b"salt").decode(),
    "{SSHA512}" + base64.b64encode(hashlib.sha512(PW.encode() + b"salt").digest() + b"salt").decode(),
    "{SMD5}" + base64.b64encode(hashlib.md5(PW.encode() + b"salt").digest() + b"salt").decode(),
    "$1$2tNm.D5t$pGA475nO9F1M67ptfXW011",  # Courier's userdbpw -md5, from the transcript
]


@pytest.mark.parametrize("stored", STORED)
def test_ldap_style_and_md5crypt(stored: str) -> None:
    assert hashes.verify(PW, stored)
    assert not hashes.verify("wrong", stored)
    assert not hashes.verify("", stored)


@pytest.mark.parametrize("prefix", ["$y$", "$gy$", "$7$", "$6$", "$5$", "$2b$", "$1$", "des"])
def test_crypt_schemes_through_libxcrypt(prefix: str) -> None:
    stored = hashes.make(PW, prefix)
    if prefix != "des":
        assert stored.startswith(prefix)
    assert hashes.verify(PW, stored)
    assert hashes.verify(PW, "{CRYPT}" + stored)
    assert not hashes.verify("wrong", stored)  # (DES reads only 8 characters)


def test_known_crypt_vectors() -> None:
    # the reference strings of the SHA-crypt specification, and the transcript's md5-crypt
    assert hashes.verify("benchpass", "$1$2tNm.D5t$pGA475nO9F1M67ptfXW011")
    assert hashes.verify("Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5")
    assert hashes.verify(
        "Hello world!",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    )


@pytest.mark.parametrize(
    "stored", ["{PLAIN}benchpass", "benchpass", "{UNKNOWN}x", "{SHA}!!notbase64", "", "*", "!"]
)
def test_refused_forms(stored: str) -> None:
    assert not hashes.verify(PW, stored)


@pytest.mark.parametrize("method", ["", "md5", "md5raw", "sha", "ssha", "sha256", "sha512", "bogus"])
def test_authpasswd_methods(method: str) -> None:
    stored = hashes.make(PW, method)
    prefix = {
        "": "$1$",
        "md5": "{MD5}",
        "md5raw": "{MD5RAW}",
        "sha": "{SHA}",
        "ssha": "{SSHA}",
        "bogus": "{SSHA}",
    }
    assert stored.startswith(prefix.get(method, "{" + method.upper() + "}"))
    assert hashes.verify(PW, stored)
    assert not hashes.verify("other", stored)
