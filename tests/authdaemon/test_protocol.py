"""The wire format, byte for byte as Courier's authdaemond writes and reads it."""

from __future__ import annotations

import pytest

from courier.auth.info import AuthInfo
from courier.authdaemon import protocol as p
from courier.frozen import replace

BENCH = AuthInfo(
    address="bench@example.com",
    home="/srv/lab/courier/bench",
    uid=999,
    gid=995,
    maildir="/srv/lab/courier/bench/Maildir",
    passwd="$1$2tNm.D5t$pGA475nO9F1M67ptfXW011",
)


def test_reply_matches_courier_transcript() -> None:
    # transcript: PRE known user, then AUTH login good (adds PASSWD2)
    assert p.encode_info(BENCH) == (
        b"UID=999\nGID=995\nHOME=/srv/lab/courier/bench\nADDRESS=bench@example.com\n"
        b"MAILDIR=/srv/lab/courier/bench/Maildir\nPASSWD=$1$2tNm.D5t$pGA475nO9F1M67ptfXW011\n.\n"
    )
    with_clear = replace(BENCH, clearpw="benchpass")
    assert p.encode_info(with_clear).endswith(b"PASSWD2=benchpass\n.\n")


def test_system_user_reply_has_username_not_uid() -> None:
    root = AuthInfo(address="root", home="/root", gid=0, sysusername="root", fullname="root", passwd="*")
    assert p.encode_info(root) == b"USERNAME=root\nGID=0\nHOME=/root\nADDRESS=root\nNAME=root\nPASSWD=*\n.\n"
    assert p.decode_info(p.encode_info(root)) == root


def test_reply_round_trip_with_options_and_quota() -> None:
    info = AuthInfo(
        address="a@b", home="/h", uid=1, gid=2, quota="1000S", fullname="A B", options={"disablepop3": "1"}
    )
    assert p.decode_info(p.encode_info(info)) == info
    assert p.decode_info(b"FAIL\n") is None


def test_value_with_newline_cannot_forge_keys() -> None:
    info = AuthInfo(address="a@b", home="/h", uid=1, gid=2, fullname="x\nUID=0")
    out = p.encode_info(info)
    assert out.count(b"\n") == 6
    assert p.decode_info(out).uid == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "raw",
    [b"UID=1\n.\n", b"HOME=/h\n.\n", b"UID=x\nHOME=/h\n.\n", b"garbage\n.\n", b"UID=1\nHOME=/h\n"],
)
def test_malformed_replies(raw: bytes) -> None:
    with pytest.raises(p.ProtocolError):
        p.decode_info(raw)


def test_requests_exactly_as_courier_clients_send_them() -> None:
    assert p.encode_pre("imap", "bench@example.com") == b"PRE . imap bench@example.com\n"
    assert p.encode_auth("imap", "login", b"bench@example.com\nbenchpass\n") == (
        b"AUTH 39\nimap\nlogin\nbench@example.com\nbenchpass\n"
    )
    assert p.encode_passwd("imap", "u", "old", "new") == b"PASSWD imap\tu\told\tnew\n"
    assert p.parse_request(b"PRE . imap bench@example.com\n") == p.PreRequest(
        ".", "imap", "bench@example.com"
    )
    assert p.parse_request(b"AUTH 35\nimap\nlogin\nbench@example.com\nwrong\n") == p.AuthRequest(
        "imap", "login", b"bench@example.com\nwrong\n"
    )
    assert p.parse_request(b"PASSWD imap\tu\to\tn\n") == p.PasswdRequest("imap", "u", "o", "n")
    assert p.parse_request(b"ENUMERATE\n") == p.EnumerateRequest()


@pytest.mark.parametrize(
    "raw",
    [
        b"BOGUS\n",
        b"PRE imap user\n",
        b"PRE . imap \n",
        b"AUTH x\nimap\nlogin\n",
        b"AUTH 100\nimap\nlogin\nu\np\n",
        b"AUTH 5\nimap\n",
        b"PASSWD imap\tu\n",
        b"no newline",
    ],
)
def test_bad_requests_are_refused(raw: bytes) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_request(raw)


def test_request_complete_waits_for_auth_body() -> None:
    req = b"AUTH 39\nimap\nlogin\nbench@example.com\nbenchpass\n"
    assert not p.request_complete(req[:20])
    assert p.request_complete(req)
    assert p.request_complete(b"PRE . imap x\n")
    assert not p.request_complete(b"PRE . imap x")


def test_no_whitespace_injection_in_requests() -> None:
    with pytest.raises(p.ProtocolError):
        p.encode_pre("imap", "a b")
    with pytest.raises(p.ProtocolError):
        p.encode_passwd("imap", "u", "o\tx", "n")


def test_enumerate_section_like_courier() -> None:
    out = p.encode_enumerate_section("authuserdb", [BENCH])
    assert out == (
        b"# authuserdb\n\nbench@example.com\t999\t995\t/srv/lab/courier/bench\t"
        b"/srv/lab/courier/bench/Maildir\t\n"
    )


def test_environment_lines_before_the_request() -> None:
    # Courier 0.71's clients (authtest, imaplogin) send TCPREMOTEIP=... first.
    req = p.parse_request(b"TCPREMOTEIP=::1\nAUTH 40\nlogin\nlogin\nbench@example.com\nbenchpass\n")
    assert req == p.AuthRequest(
        "login", "login", b"bench@example.com\nbenchpass\n", (("TCPREMOTEIP", "::1"),)
    )
    assert p.parse_request(b"TCPREMOTEIP=::1\nPRE . login x\n") == p.PreRequest(
        ".", "login", "x", (("TCPREMOTEIP", "::1"),)
    )
    assert not p.request_complete(b"TCPREMOTEIP=::1\n")
    assert not p.request_complete(b"TCPREMOTEIP=::1\nAUTH 40\nlogin\n")
    with pytest.raises(p.ProtocolError):
        p.parse_request(b"".join(b"A%d=1\n" % i for i in range(40)) + b"ENUMERATE\n")
