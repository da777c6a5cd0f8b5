"""Virtual shared folders (``#shared.``) answered as Debian's real Courier-IMAP answers them.

Two accounts' maildirs, a shared index and an ACL granting bob "lr" on one of alice's
folders; real imapd and ours, both pre-authenticated as bob, get the same commands and must
give the same answers (LIST order aside).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import realcourier
from tests.conftest import PYTHON, child_env

pytestmark = pytest.mark.slow

COMMANDS = [
    "NAMESPACE",
    'LIST "" "#shared.*"',
    'LIST "" "%"',
    'LIST "" "#shared.%"',
    'SELECT "#shared.alice.Projects"',
    'MYRIGHTS "#shared.alice.Projects"',
    'SELECT "#shared.alice.Private"',
    'STATUS "#shared.alice.Projects" (MESSAGES)',
    'SELECT "#shared.alice../x"',
    'SELECT "#shared.nobody.x"',
    'SELECT "#shared.bob"',
]


def _setup(base: Path) -> None:
    def mk(*args: str) -> None:
        subprocess.run(
            [realcourier.binary("usr/bin/maildirmake.courier"), *args], env=realcourier.env(), check=True
        )

    for user in ("alice", "bob"):
        (base / user).mkdir(parents=True)
        mk(str(base / user / "Maildir"))
    mk("-f", "Projects", str(base / "alice" / "Maildir"))
    mk("-f", "Private", str(base / "alice" / "Maildir"))
    projects = base / "alice" / "Maildir" / ".Projects"
    (projects / "courierimapacl").write_text("owner aceilrstwx\nadministrators aceilrstwx\nuser=bob lr\n")
    (projects / "cur" / "1.M1P1.h:2,").write_text("Subject: x\n\nhi\n")
    (base / "index").write_text(f"alice\t1000\t1000\t{base}/alice\nbob\t1000\t1000\t{base}/bob\n")


def _answers(argv: list[str], env: dict[str, str], base: Path) -> dict[str, list[str]]:
    lines = [f"c{i:02d} {c}" for i, c in enumerate(COMMANDS)] + ["z LOGOUT"]
    env = {
        **env,
        "AUTHENTICATED": "bob",
        "MAILDIR": str(base / "bob" / "Maildir"),
        "HOME": str(base / "bob"),
        "IMAP_SHAREDINDEXFILE": str(base / "index"),
    }
    out = subprocess.run(
        argv, input="".join(ln + "\r\n" for ln in lines).encode(), env=env, capture_output=True, timeout=60,
        cwd=base,
    ).stdout.decode("utf-8", "replace")  # fmt: skip
    answers: dict[str, list[str]] = {}
    pending: list[str] = []
    for line in out.splitlines():
        m = re.match(r"(c\d\d) (OK|NO|BAD)", line)
        if m:
            # untagged lines that both servers send alike; sorted: LIST order is not specified
            keep = [u for u in pending if re.match(r"\* (LIST|NAMESPACE|MYRIGHTS|STATUS|\d+ EXISTS)", u)]
            answers[m.group(1)] = [*sorted(keep), line]
            pending = []
        else:
            pending.append(line)
    return answers


def test_shared_index_and_acl_as_courier(tmp_path: Path) -> None:
    real, ours = tmp_path / "real", tmp_path / "ours"
    _setup(real)
    _setup(ours)
    env = realcourier.env({"IMAP_ACL": "1", "GAMIN_DEBUG_SERVER": "/bin/false"})
    a = _answers([realcourier.binary("usr/bin/imapd"), str(real / "bob" / "Maildir")], env, real)
    b = _answers([PYTHON, "-m", "courier.cli.imapd", str(ours / "bob" / "Maildir")], child_env(), ours)
    assert len(a) == len(COMMANDS)
    for tag in sorted(a):
        assert a[tag] == b[tag], f"{tag} {COMMANDS[int(tag[1:])]}"
    assert '* LIST (\\HasNoChildren) "." "#shared.alice.Projects"' in a["c01"]
    assert a["c06"][-1].startswith("c06 NO Access denied for SELECT/EXAMINE")
