"""BODY[section] content equals what real Courier sent for the corpus (courier_sections.txt).

Recorded with ``python -m tests.mime.courier_oracle``.  The differences we keep on
purpose (docs/differences.md) are listed below by reason, each for the files
where it shows.
"""

from __future__ import annotations

import base64

import pytest

from courier.mime.message import Message
from tests.mime import courier_oracle

RECORDS = [
    (name, spec, base64.b64decode(data))
    for name, spec, data in (
        line.split("\t") for line in courier_oracle.SECTIONS_RECORDED.read_text().splitlines()
    )
]

# Courier sends a lone CR for the line break before the boundary that ends a multipart
# or an encapsulated message, and numbers a top-level message/rfc822 differently.
LONE_CR = {
    "001",
    "021",
    "022",
    "031",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "046",
    "049",
    "050",
    "063",
    "070",
}
# A header block with no empty line; a multipart without a usable boundary (Courier
# reports a leaf but returns nothing); empty parts and a boundary that is a prefix of
# another (Courier counts the boundary's line break into the part); CRLF files.
ODD = {"007", "019", "026", "033", "042", "047", "048", "005", "043"}


def _ours(m: Message, spec: str) -> bytes:
    partial = None
    if "]<" in spec:
        spec, window = spec.split("]<")
        a, b = window.split(".")
        partial = (int(a), int(b))
    fields: tuple[str, ...] = ()
    if " (" in spec:
        spec, names = spec.split(" (", 1)
        fields = tuple(names.rstrip(")").split())
    parts = spec.split(".") if spec else []
    path = []
    while parts and parts[0].isdigit():
        path.append(int(parts.pop(0)))
    sec = m.section(tuple(path), ".".join(parts), fields)
    return sec.read(*partial) if partial else sec.read()


def _single_part(m: Message) -> bool:
    return not m.root.children


@pytest.mark.parametrize("name", sorted({r[0] for r in RECORDS}))
def test_sections_same_as_courier(name: str) -> None:
    m = Message((courier_oracle.CORPUS / name).read_bytes())
    stem = name.split(".")[0]
    for file, spec, courier in RECORDS:
        if file != name:
            continue
        ours = _ours(m, spec)
        if ours == courier:
            continue
        if spec in ("2.MIME", "3.MIME") and _single_part(m):
            assert ours == b""  # no such part: empty (Courier repeats part 1's MIME fields)
            continue
        assert stem in LONE_CR | ODD, f"{name} BODY[{spec}]:\n courier {courier!r}\n ours    {ours!r}"


def test_mime_of_a_single_part_message_is_its_mime_fields() -> None:
    m = Message((courier_oracle.CORPUS / "068.eml").read_bytes())
    assert m.section((1,), "MIME").read() == (
        b'MIME-Version: 1.0\r\nContent-Type: text/plain; title*0="a"; title*1="b"\r\n\r\n'
    )


def test_header_and_text_of_a_plain_part_are_its_own() -> None:
    m = Message((courier_oracle.CORPUS / "069.eml").read_bytes())
    assert m.section((1,), "HEADER").read().startswith(b"Content-Type: text/html; charset=windows-1252\r\n")
    assert m.section((1,), "TEXT").read() == b"<p>caf=E9</p>=\r\n"
