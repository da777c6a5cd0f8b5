"""ENVELOPE, BODYSTRUCTURE, BODY and RFC822.SIZE equal real Courier's for a corpus of awkward messages.

``courier_fetch.txt`` holds what Debian's Courier 5.0.13 printed for ``corpus/*.eml``
(re-record with ``python -m tests.mime.courier_oracle``; the slow test below checks
the recording against the real binary).  Where we differ on purpose
(docs/differences.md) the test checks that the difference is exactly that one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from courier.mime.message import Message
from tests.mime import courier_oracle
from tests.mime.sexp import parse_fetch

RECORDED = {
    line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in courier_oracle.RECORDED.read_text().splitlines()
}


def _ours(data: bytes) -> dict[str, object]:
    m = Message(data)
    return {
        "RFC822.SIZE": m.size,
        "ENVELOPE": m.envelope(),
        "BODYSTRUCTURE": m.bodystructure(),
        "BODY": m.bodystructure(extensible=False),
    }


def _no_groups(env: object) -> object:
    """Drop group markers (host NIL): Courier prints (NIL NIL "" NIL) for both ends of a group."""
    assert isinstance(env, list)
    out = env[:2]
    for addrs in env[2:8]:
        kept = [a for a in addrs or [] if a[3] is not None]
        out.append(kept or None)
    return out + env[8:]


def _no_rfc822_sizes(value: object) -> object:
    """Blank sizes and line counts inside message/rfc822 parts (Courier's lone-CR octet)."""
    if isinstance(value, list):
        if value[:2] == ["message", "rfc822"]:
            return ["message", "rfc822", *_zero_ints(value[2:])]
        return [_no_rfc822_sizes(v) for v in value]
    return value


def _zero_ints(value: object) -> object:
    if isinstance(value, list):
        return [_zero_ints(v) for v in value]
    return 0 if isinstance(value, int) else value


Normaliser = Callable[[object], object]
# file -> (item -> normaliser): the deliberate differences, see docs/differences.md.
GROUPS: dict[str, Normaliser] = {"ENVELOPE": _no_groups}
RFC822: dict[str, Normaliser] = {"BODYSTRUCTURE": _no_rfc822_sizes, "BODY": _no_rfc822_sizes}
KNOWN: dict[str, dict[str, Normaliser]] = {
    "001.eml": {**GROUPS, **RFC822},  # groups, a trailing comment, an encapsulated message
    "051.eml": GROUPS,
    **{f: RFC822 for f in ["021.eml", "022.eml", "031.eml", "035.eml", "036.eml", "037.eml"]},
    **{f: RFC822 for f in ["038.eml", "039.eml", "050.eml", "063.eml"]},
}
SKIP = {"007.eml": "header block without an empty line: see docs/differences.md"}


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_same_as_courier(name: str) -> None:
    if name in SKIP:
        pytest.skip(SKIP[name])
    expected = parse_fetch(RECORDED[name])
    ours = _ours((courier_oracle.CORPUS / name).read_bytes())
    for item, value in expected.items():
        if ours[item] == value:
            continue
        norm = KNOWN.get(name, {}).get(item)
        assert norm is not None, f"{name} {item}:\n courier {value}\n ours    {ours[item]}"
        assert norm(ours[item]) == norm(value)


def test_header_only_message_keeps_last_field() -> None:
    m = Message((courier_oracle.CORPUS / "007.eml").read_bytes())
    assert m.envelope()[2] == [[None, None, "a", "b"]]
    assert m.bodystructure()[6:8] == [0, 0]


def test_groups_follow_rfc3501() -> None:
    m = Message((courier_oracle.CORPUS / "001.eml").read_bytes())
    env = m.envelope()
    assert env[2] == [["Doe, John", None, "john", "example.com"]]
    assert env[5] == [[None, None, "undisclosed-recipients", None], [None, None, None, None]]
    assert env[6] == [
        [None, None, "Friends", None],
        [None, None, "a", "x.org"],
        ["B B", None, "b", "y.org"],
        [None, None, None, None],
        [None, None, "c", "z.org"],
    ]


@pytest.mark.slow
def test_recording_matches_real_courier(tmp_path: Path) -> None:
    files = courier_oracle.corpus()
    lines = courier_oracle.fetch_lines([p.read_bytes() for p in files])
    for path, line in zip(files, lines, strict=True):
        assert parse_fetch(line) == parse_fetch(RECORDED[path.name]), path.name
