"""Header decoding (RFC 2047) and Courier's rendering of raw 8-bit header text."""

from __future__ import annotations

import pytest

from courier.mime.decode import charset_codec, decode_header
from courier.mime.envelope import header_text
from courier.mime.message import Message


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jurgen@example.de>", "Jürgen Müller <jurgen@example.de>"),
        (b"=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=", "Grüße aus München"),
        (b"=?iso-8859-1?q?caf=E9?= time", "café time"),
        (b"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"),  # space between words dropped
        (b"=?ISO-8859-1?Q?a?=\n =?ISO-8859-1?Q?b?= c", "ab c"),
        (b"=?utf-8*en?q?hi?=", "hi"),  # RFC 2231 language suffix
        (b"=?utf-8?b?w6Q?=", "ä"),  # missing base64 padding
        (b"=?koi8-r?b?9MXT1A==?=", "Тест"),
        (b"=?bogus-charset?q?x?= y", "=?bogus-charset?q?x?= y"),  # unknown charset: left as is
        (b"=?utf-8?x?abc?=", "=?utf-8?x?abc?="),  # unknown encoding
        (b"plain \xc3\xa4 utf-8", "plain ä utf-8"),
        (b"latin \xe4", "latin \ufffd"),  # undeclared non-UTF-8 octets match nothing
        (b"", ""),
    ],
)
def test_decode_header(raw: bytes, text: str) -> None:
    assert decode_header(raw) == text


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("UTF-8", "utf-8"),
        ("us-ascii", "utf-8"),
        ("ISO-8859-1", "iso8859-1"),
        ("x-nonsense", None),
        ("", None),
    ],
)
def test_charset_codec(name: str, codec: str | None) -> None:
    assert charset_codec(name) == codec


@pytest.mark.parametrize(
    ("raw", "courier", "utf8"),
    [
        (
            b"8bit \xc3\xa4 and \xc3\xb6\xc3\xb6 plain",
            "8bit =?utf-8?B?w6Q=?= and =?utf-8?B?w7bDtg==?= plain",
            None,
        ),
        (b"J\xfcrgen", "Jrgen", "Jrgen"),  # invalid UTF-8 octets are dropped
        (b"nul \x00 byte", "nul", "nul"),  # C strings end at NUL
        (b"=?utf-8?q?a?=", "=?utf-8?q?a?=", "=?utf-8?q?a?="),  # encoded-words pass through
    ],
)
def test_header_text(raw: bytes, courier: str, utf8: str | None) -> None:
    assert header_text(raw) == courier
    assert header_text(raw, utf8=True) == (utf8 if utf8 is not None else raw.decode())


def test_envelope_and_parameters_in_utf8_mode() -> None:
    data = (
        "From: Jörg Äx <j@b>\nSubject: Grüße\nMIME-Version: 1.0\n"
        'Content-Type: text/plain; name="Jörg.txt"\n\nx\n'
    ).encode()
    m = Message(data)
    assert m.envelope()[1] == "=?utf-8?B?R3LDvMOfZQ==?="
    assert m.envelope()[2] == [["=?utf-8?B?SsO2cmcgw4R4?=", None, "j", "b"]]
    assert m.envelope(utf8=True)[1] == "Grüße"
    assert m.envelope(utf8=True)[2] == [["Jörg Äx", None, "j", "b"]]
    assert m.bodystructure()[2] == ["name", "=?utf-8?B?SsO2cmcudHh0?="]
    assert m.bodystructure(utf8=True)[2] == ["name", "Jörg.txt"]
