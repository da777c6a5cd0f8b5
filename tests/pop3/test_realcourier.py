"""Against Debian's real courierpop3d: same answers, and one courierpop3dsizelist both can use.

courierpop3d is what courierpop3login execs after a login; it starts logged in
when given MAILDIR (and TCPREMOTEIP, which it insists on) and answers
``+OK logged in.``, exactly like our pre-authenticated mode.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import realcourier
from tests.conftest import PYTHON, child_env
from tests.pop3.conftest import MULTI, SIMPLE, deliver, make_maildir

pytestmark = pytest.mark.slow

DOTS = b"From: dots@example.org\nSubject: dots\n\n.leading\n..two\nplain\n.\nend\n"
SCRIPT = b"".join(
    c + b"\r\n"
    for c in (b"STAT", b"LIST", b"UIDL", b"RETR 1", b"RETR 2", b"TOP 3 1", b"TOP 2 0", b"LIST 3", b"UIDL 3",
              b"DELE 1", b"STAT", b"QUIT")
)  # fmt: skip


def courier(md: Path, commands: bytes) -> bytes:
    return subprocess.run(
        [realcourier.binary("usr/lib/courier/courier/courierpop3d")],
        input=commands,
        env=realcourier.env({"TCPREMOTEIP": "127.0.0.1", "MAILDIR": str(md), "AUTHENTICATED": "u"}),
        capture_output=True,
        timeout=30,
        check=True,
    ).stdout


def ours(md: Path, commands: bytes) -> bytes:
    return subprocess.run(
        [PYTHON, "-m", "courier.cli.pop3d", "--config-dir", str(md / "no-config")],
        input=commands,
        env=child_env(TCPREMOTEIP="127.0.0.1", MAILDIR=str(md), AUTHENTICATED="u"),
        capture_output=True,
        timeout=30,
        check=True,
    ).stdout


def uidls(md: Path, run: object) -> dict[str, str]:
    """filename key -> UIDL as the given server reports it."""
    assert callable(run)
    out: bytes = run(md, b"UIDL\r\nQUIT\r\n")
    lines = out.decode().split("\r\n")
    got = [ln.split()[1] for ln in lines[2 : lines.index(".")]]
    names = sorted((md / "cur").iterdir(), key=lambda p: (int(p.name.split(".")[0]), p.name))
    return {p.name.split(":")[0]: u for p, u in zip(names, got, strict=True)}


def stamp_free(data: bytes) -> bytes:
    return re.sub(rb"UID(\d+)-\d+", rb"UID\1-X", data)


def files(md: Path) -> list[str]:
    return sorted(
        str(p.relative_to(md)) for p in md.rglob("*") if p.is_file() and p.name != "courierpop3dlock"
    )


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    a = make_maildir(tmp_path / "a" / "Maildir")
    for name, data in (
        ("1700000000.M1P1.lab", SIMPLE),
        ("1700000001.M2P2.lab", MULTI),
        ("1700000002.M3.x", DOTS),
    ):
        deliver(a, data, name)
    b = tmp_path / "b" / "Maildir"
    shutil.copytree(a, b)
    return a, b


def test_same_answers_and_same_files(pair: tuple[Path, Path]) -> None:
    a, b = pair
    theirs = courier(a, SCRIPT).split(b"\r\n", 1)
    mine = ours(b, SCRIPT).split(b"\r\n", 1)
    assert theirs[0] == mine[0] == b"+OK logged in."
    assert stamp_free(mine[1]) == stamp_free(theirs[1])
    assert (
        files(a)
        == files(b)
        == [
            "courierpop3dsizelist",
            "cur/1700000001.M2P2.lab:2,S",
            "cur/1700000002.M3.x:2,",
        ]
    )
    list_a = (a / "courierpop3dsizelist").read_bytes()
    list_b = (b / "courierpop3dsizelist").read_bytes()
    assert stamp_free(re.sub(rb"(\d+):\d+:", rb"\1:X:", list_a).split(b"\n", 1)[1]) == stamp_free(
        re.sub(rb"(\d+):\d+:", rb"\1:X:", list_b).split(b"\n", 1)[1]
    )
    assert list_a.split()[:2] == list_b.split()[:2] == [b"/3", b"4"]


def test_courier_then_us_then_courier_keep_every_uidl(tmp_path: Path) -> None:
    md = make_maildir(tmp_path / "Maildir")
    for i in range(3):
        deliver(md, SIMPLE, f"170000000{i}.M{i}.lab")
    courier(md, b"DELE 2\r\nQUIT\r\n")
    first = uidls(md, courier)
    assert next(iter(first.values())).startswith("UID1-")
    deliver(md, MULTI, "1700000010.M10.lab")
    deliver(md, DOTS, "1700000011.M11.lab")
    mine = uidls(md, ours)
    assert {k: v for k, v in mine.items() if k in first} == first  # old messages keep their UIDL
    stamp = next(iter(first.values())).split("-")[1]
    assert sorted(v for k, v in mine.items() if k not in first) == [f"UID4-{stamp}", f"UID5-{stamp}"]
    ours(md, b"DELE 1\r\nQUIT\r\n")
    deliver(md, SIMPLE, "1700000020.M20.lab")
    again = uidls(md, courier)
    assert {k: v for k, v in again.items() if k in mine} == {k: v for k, v in mine.items() if k in again}
    assert again["1700000020.M20.lab"] == f"UID6-{stamp}"


def test_us_first_then_courier(tmp_path: Path) -> None:
    md = make_maildir(tmp_path / "Maildir")
    deliver(md, SIMPLE, "1700000000.M1.lab")
    deliver(md, MULTI, "1700000001.M2.lab")
    mine = uidls(md, ours)
    ours(md, b"RETR 1\r\nQUIT\r\n")
    deliver(md, DOTS, "1700000002.M3.lab")
    theirs = uidls(md, courier)
    assert {k: v for k, v in theirs.items() if k in mine} == mine
    stamp = next(iter(mine.values())).split("-")[1]
    assert theirs["1700000002.M3.lab"] == f"UID3-{stamp}"
    # Sizes we cached are the sizes Courier reports.
    assert courier(md, b"LIST\r\nQUIT\r\n").split(b"\r\n")[2:5] == [b"1 256", b"2 839", b"3 73"]
