"""CRAM against precomputed HMAC states, checked with RFC 2195 and Courier's own userdbpw output."""

from __future__ import annotations

import hmac

import pytest

from courier.auth import cram

RFC_CHALLENGE = b"<1896.697170952@postoffice.reston.mci.net>"

# `userdbpw -hmac-md5|-hmac-sha1|-hmac-sha256` of Debian's courier-authlib for "tanstaaftanstaaf"
REAL_USERDBPW = {
    "md5": "d06d4e1b26fccaa4b0b61801132340a354b21152711fb604ca3e035e7015116b",
    "sha1": "72724befb173b1ee5f79c09801b9b15e11d805fe02b49c1d1d00921723b52bcb862c04fa52876446",
    "sha256": "0dc4407ecdb637a66615a85f4d5632c459c57a86c2038fdd81a8804bc34a9369"
    "5325d19c44d48eabed0476bc8078e0987eeaf4fff2267de3e00f539ba83f6225",
}


def test_rfc2195_vector_from_precomputed_state() -> None:
    state = cram.precompute("md5", "tanstaaftanstaaf")
    assert cram.hmac_from_state("md5", state, RFC_CHALLENGE) == bytes.fromhex(
        "b913a602c7eda7a495b4e6e7334d3890"
    )
    assert cram.check_state("md5", state, RFC_CHALLENGE, "b913a602c7eda7a495b4e6e7334d3890")
    assert not cram.check_state("md5", state, RFC_CHALLENGE, "b913a602c7eda7a495b4e6e7334d3891")
    assert cram.check_clear("md5", "tanstaaftanstaaf", RFC_CHALLENGE, "B913A602C7EDA7A495B4E6E7334D3890")


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha256"])
def test_same_state_format_as_courier(algo: str) -> None:
    assert cram.precompute(algo, "tanstaaftanstaaf") == REAL_USERDBPW[algo]


@pytest.mark.parametrize("algo", ["md5", "sha1", "sha256"])
@pytest.mark.parametrize("password", ["", "x", "p" * 64, "long" * 40, "pässwörd"])
@pytest.mark.parametrize("challenge", [b"", b"<1.2@h>", b"c" * 55, b"c" * 56, b"c" * 200])
def test_state_matches_hmac(algo: str, password: str, challenge: bytes) -> None:
    want = hmac.new(password.encode(), challenge, algo).digest()
    assert cram.hmac_from_state(algo, cram.precompute(algo, password), challenge) == want


def test_malformed_state() -> None:
    assert cram.hmac_from_state("md5", "zz", b"x") is None
    assert cram.hmac_from_state("md5", "00" * 31, b"x") is None
    assert not cram.check_state("sha1", "not hex", b"x", "00")


def test_split_response() -> None:
    import base64

    data = base64.b64encode(RFC_CHALLENGE) + b"\n" + base64.b64encode(b"tim b913a602") + b"\n"
    assert cram.split_response(data) == (RFC_CHALLENGE, "tim", "b913a602")
    assert cram.split_response(b"!!\n!!\n") is None
    assert cram.split_response(base64.b64encode(b"x") + b"\n" + base64.b64encode(b"nospace") + b"\n") is None
