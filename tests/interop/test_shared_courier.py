"""Sharable maildirs (``shared.``) kept as Debian's real Courier-IMAP keeps them.

The same setup (``maildirmake -S``, ``-s write -f Board``, ``--add``, a delivery into the
sharable folder's new/) is opened once by real imapd and once by ours, pre-authenticated;
the account's private copy (``shared-folders/``) and the sharable folder must come out the
same: directories, modes, the ``shared`` link, one link per message carrying the reader's
own flags, the owner's file moved to cur/ untouched.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests import realcourier
from tests.conftest import PYTHON, child_env

pytestmark = pytest.mark.slow

COMMANDS = ['LIST "" "*"', "SELECT shared.pub.Board", "STORE 1 +FLAGS (\\Seen)", 'LSUB "" "*"']


def _setup(base: Path) -> None:
    def mk(*args: str) -> None:
        subprocess.run(
            [realcourier.binary("usr/bin/maildirmake.courier"), *args], env=realcourier.env(), check=True
        )

    base.mkdir()
    mk(str(base / "Maildir"))
    mk("-S", str(base / "pub"))
    mk("-s", "write", "-f", "Board", str(base / "pub"))
    mk("--add", f"pub={base / 'pub'}", str(base / "Maildir"))
    (base / "pub" / ".Board" / "new" / "100.M1P1.h").write_bytes(b"Subject: x\n\nhi\n")


def _run(argv: list[str], env: dict[str, str], base: Path) -> str:
    lines = [f"c{i} {c}" for i, c in enumerate(COMMANDS)] + ["z LOGOUT"]
    env = {**env, "AUTHENTICATED": "tester", "MAILDIR": str(base / "Maildir"), "HOME": str(base)}
    out = subprocess.run(
        argv, input="".join(ln + "\r\n" for ln in lines).encode(), env=env, capture_output=True, timeout=60
    ).stdout.decode("utf-8", "replace")
    for i in range(len(COMMANDS)):
        assert f"\nc{i} OK" in out, out
    return out


def _tree(base: Path, skip: set[str]) -> list[tuple[str, str, str]]:
    out = []
    for p in sorted(base.rglob("*")):
        rel = str(p.relative_to(base))
        if p.name in skip or any(part in skip for part in p.relative_to(base).parts):
            continue
        st = p.lstat()
        link = os.readlink(p).replace(str(base), "<base>") if p.is_symlink() else ""
        out.append((rel, oct(st.st_mode), link))
    return out


def test_private_copy_of_a_sharable_folder_as_courier_keeps_it(tmp_path: Path) -> None:
    real, ours = tmp_path / "real", tmp_path / "ours"
    _setup(real)
    _setup(ours)
    env = realcourier.env({"IMAP_ACL": "1", "GAMIN_DEBUG_SERVER": "/bin/false"})
    real_out = _run([realcourier.binary("usr/bin/imapd"), str(real / "Maildir")], env, real)
    our_out = _run([PYTHON, "-m", "courier.cli.imapd", str(ours / "Maildir")], child_env(), ours)
    for out in (real_out, our_out):
        assert '* LIST (\\HasNoChildren) "." "shared.pub.Board"' in out
        assert '* LIST (\\Noselect \\HasChildren) "." "shared.pub"' in out
        assert '* LSUB (\\HasNoChildren) "." "shared.pub.Board"' in out
        assert "* 1 FETCH (FLAGS (\\Seen \\Recent))" in out
    # UID databases, keyword directories and caches are each side's own business
    skip = {"courierimapuiddb", "courierimapkeywords", "courierpymime", "courierpyindex", "courierimapacl"}
    trees = [_tree(base, skip) for base in (real, ours)]
    assert trees[0] == trees[1]
    own = [t for t in trees[1] if t[0].startswith("Maildir/shared-folders/pub/Board/cur/")]
    assert own == [
        (
            "Maildir/shared-folders/pub/Board/cur/100.M1P1.h:2,S",
            "0o120777",
            "<base>/pub/.Board/cur/100.M1P1.h:2,",
        )
    ]
