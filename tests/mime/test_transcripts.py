"""FETCH data for the reference messages equals what real Courier printed for them."""

from __future__ import annotations

import pytest

from courier.mime.message import Message, rfc822_size
from tests.mime import fixtures
from tests.mime.sexp import parse

ENVELOPES = {
    "SIMPLE": '("Mon, 07 Feb 1994 21:52:25 -0800" "Hello world" (("Alice Example" NIL "alice" "example.org"))'
    ' (("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org"))'
    ' (("Bench" NIL "bench" "example.com")) NIL NIL NIL "<simple1@example.org>")',
    "MULTI": '("Tue, 01 Mar 2022 10:00:00 +0100" "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?="'
    ' (("=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?=" NIL "jurgen" "example.de"))'
    ' (("=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?=" NIL "jurgen" "example.de"))'
    ' (("=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?=" NIL "jurgen" "example.de"))'
    ' ((NIL NIL "bench" "example.com")("Carol" NIL "carol" "example.net")) ((NIL NIL "dave" "example.net"))'
    ' NIL "<simple1@example.org>" "<multi1@example.de>")',
}
BODYSTRUCTURES = {
    "SIMPLE": '("text" "plain" NIL NIL NIL "8bit" 86 2 NIL NIL NIL)',
    "MULTI": '(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 60 0 NIL NIL NIL)'
    '("application" "octet-stream" ("name" "data.bin") NIL NIL "base64" 44 NIL'
    ' ("attachment" ("filename" "data.bin")) NIL) "mixed" ("boundary" "BOUNDARY42") NIL NIL)',
}
BODIES = {
    "SIMPLE": '("text" "plain" NIL NIL NIL "8bit" 86 2)',
    "MULTI": '(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 60 0)'
    '("application" "octet-stream" ("name" "data.bin") NIL NIL "base64" 44) "mixed")',
}


def _msg(name: str) -> Message:
    return Message(getattr(fixtures, name))


@pytest.mark.parametrize("name", sorted(ENVELOPES))
def test_envelope(name: str) -> None:
    assert _msg(name).envelope() == parse(ENVELOPES[name])


@pytest.mark.parametrize("name", sorted(BODYSTRUCTURES))
def test_bodystructure(name: str) -> None:
    assert _msg(name).bodystructure() == parse(BODYSTRUCTURES[name])


@pytest.mark.parametrize("name", sorted(BODIES))
def test_body(name: str) -> None:
    assert _msg(name).bodystructure(extensible=False) == parse(BODIES[name])


@pytest.mark.parametrize(("name", "size"), [("SIMPLE", 256), ("MULTI", 839), ("REPLY", 3219)])
def test_rfc822_size(name: str, size: int) -> None:
    assert rfc822_size(getattr(fixtures, name)) == size
    assert _msg(name).size == size


CRLF_SIMPLE = fixtures.SIMPLE.replace(b"\n", b"\r\n")

# (message, path, kind, fields, offset, length, expected CRLF bytes) from the FETCH session.
SECTIONS = [
    ("SIMPLE", (), "", (), 0, None, CRLF_SIMPLE),
    ("SIMPLE", (), "", (), 0, 10, b"From: Alic"),
    ("SIMPLE", (), "HEADER", (), 0, None, CRLF_SIMPLE[:170]),
    ("SIMPLE", (), "TEXT", (), 0, None, CRLF_SIMPLE[170:]),
    ("SIMPLE", (), "TEXT", (), 5, 1000, CRLF_SIMPLE[175:]),
    ("SIMPLE", (1,), "", (), 0, None, CRLF_SIMPLE[170:]),
    (
        "MULTI",
        (),
        "HEADER.FIELDS",
        ("From", "Subject", "Date"),
        0,
        None,
        b"From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jurgen@example.de>\r\n"
        b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=\r\n"
        b"Date: Tue, 01 Mar 2022 10:00:00 +0100\r\n\r\n",
    ),
    (
        "MULTI",
        (),
        "HEADER.FIELDS.NOT",
        ("From", "Subject", "Date", "Message-ID", "References", "In-Reply-To"),
        0,
        None,
        b"To: bench@example.com, Carol <carol@example.net>\r\nCc: dave@example.net\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="BOUNDARY42"\r\n\r\n',
    ),
    (
        "MULTI",
        (1,),
        "MIME",
        (),
        0,
        None,
        b"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
    ),
    (
        "MULTI",
        (2,),
        "MIME",
        (),
        0,
        None,
        b'Content-Type: application/octet-stream; name="data.bin"\r\nContent-Transfer-Encoding: base64\r\n'
        b'Content-Disposition: attachment; filename="data.bin"\r\n\r\n',
    ),
    ("MULTI", (2,), "", (), 0, None, b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
    ("MULTI", (1,), "", (), 0, 10, b"Hallo, sch"),
    ("MULTI", (3,), "", (), 0, None, b""),
]


@pytest.mark.parametrize(("name", "path", "kind", "fields", "offset", "length", "expected"), SECTIONS)
def test_section(
    name: str, path: tuple[int, ...], kind: str, fields: tuple[str, ...], offset: int, length: int | None,
    expected: bytes,
) -> None:  # fmt: skip
    sec = _msg(name).section(path, kind, fields)
    assert sec.read(offset, length) == expected
    if offset == 0 and length is None:
        assert sec.size == len(expected)


def test_section_sizes_from_session() -> None:
    multi = _msg("MULTI")
    assert multi.section((), "HEADER").size == 405
    assert multi.section((), "HEADER.FIELDS", ("From", "Subject", "Date")).size == 156
    assert multi.section((1,), "MIME").size == 88
    assert multi.section((2,), "MIME").size == 148
    assert _msg("SIMPLE").section((), "TEXT").read(5, 1000).__len__() == 81
