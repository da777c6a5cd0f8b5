"""maildiracl: our tool and Debian's real one, given the same commands on twin maildirs,
print the same, exit the same and leave the same ACL files, byte for byte."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from courier.cli.maildiracl import main
from courier.maildir.create import make_maildir
from tests import realcourier
from tests.aclfiles import acl_files
from tests.conftest import PYTHON, REPO, child_env

#: commands in order, each run on both maildirs (argv after the maildir's position)
SCRIPT: list[list[str]] = [
    ["-list", "INBOX"],
    ["-list", "INBOX.Foo"],
    ["-set", "INBOX.Foo", "anyone", "+rd"],
    ["-set", "INBOX.Foo", "user=a", "-r"],
    ["-set", "INBOX.Foo", "user=b", ""],
    ["-set", "INBOX.Foo", "a b", "r"],
    ["-set", "INBOX.Foo", "user=c", "r w"],
    ["-set", "INBOX.Foo", "owner", "-a"],
    ["-set", "INBOX.Foo", "-administrators", "r"],
    ["-set", "INBOX.Foo", "administrators", "l"],
    ["-set", "INBOX.Foo", "-user=bob", "lr"],
    ["-set", "INBOX.Foo", "group=staff", "+iwl"],
    ["-compute", "INBOX.Foo", "user=x", "owner"],
    ["-compute", "INBOX.Foo", "user=bob", "group=staff"],
    ["-compute", "INBOX.Foo", "administrators"],
    ["-compute", "INBOX.Foo", "group=administrators"],
    ["-delete", "INBOX.Foo", "anyone"],
    ["-delete", "INBOX.Foo", "nosuch"],
    ["-list", "INBOX.Foo"],
    ["-list", "INBOX.Foo.Bar.Baz"],
    ["-set", "INBOX.Deep", "user=d", "lr"],
    ["-list", "INBOX.Deep.Er"],
    ["-set", "INBOX", "anyone", "l"],
    ["-list", "INBOX.Other"],
    ["-list", "Bad"],
    ["-set", "INBOX.Foo"],
    ["-compute", "INBOX.Foo"],
    ["-bogus", "INBOX"],
    ["-reset"],
]


def _twin(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir()
    md = tmp_path / name / "Maildir"
    make_maildir(str(md))
    make_maildir(str(md / ".Foo"), folder=True)
    make_maildir(str(md / ".Other"), folder=True)
    return md


@pytest.mark.slow
def test_same_as_courier_maildiracl(tmp_path: Path) -> None:
    real = realcourier.binary("usr/bin/maildiracl")
    theirs, ours = _twin(tmp_path, "theirs"), _twin(tmp_path, "ours")
    for step in SCRIPT:
        runs = []
        for tool, md in ((real, theirs), (str(REPO / "bin" / "maildiracl"), ours)):
            argv = [tool, step[0], str(md), *step[1:]] if step != ["-reset"] else [tool, "-reset", str(md)]
            cmd = [PYTHON, *argv] if tool != real else argv
            env = realcourier.env() if tool == real else child_env()
            r = subprocess.run(cmd, capture_output=True, env=env, timeout=30)
            err = r.stderr.decode().replace(str(md), "<MD>").replace(tool, "maildiracl")
            runs.append((r.returncode, r.stdout.decode().replace(str(md), "<MD>"), err))
        assert runs[0] == runs[1], f"maildiracl {' '.join(step)}"
        assert acl_files(theirs) == acl_files(ours), f"files after maildiracl {' '.join(step)}"
    assert acl_files(ours)["courierimaphieracl/Foo.Bar.Baz"]  # placeholders kept their own copy


def test_help_bin_script_and_man_page() -> None:
    tool = str(REPO / "bin" / "maildiracl")
    r = subprocess.run([PYTHON, tool, "--help"], capture_output=True, env=child_env())
    assert r.returncode == 0 and b"-compute maildir" in r.stdout
    assert (REPO / "man" / "maildiracl.1").read_text().startswith(".TH MAILDIRACL 1")


def test_set_list_compute(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = tmp_path / "M"
    make_maildir(str(md))
    make_maildir(str(md / ".Shared"), folder=True)
    assert main(["-set", str(md), "INBOX.Shared", "user=bob", "lr"]) == 0
    assert (md / ".Shared" / "courierimapacl").read_bytes() == (
        b"owner aceilrstwx\nadministrators aceilrstwx\nuser=bob lr\n"
    )
    capsys.readouterr()
    assert main(["-compute", str(md), "INBOX.Shared", "user=bob"]) == 0
    assert capsys.readouterr().out == "lr\n"
    assert main(["-set", str(md), "INBOX.Shared", "owner", "-l"]) == 1
    assert capsys.readouterr().err == "Trying to set invalid access rights for owner\n"
    assert main(["-list", str(md), "INBOX/../x"]) == 1
    assert main(["-list", str(md), "INBOX.a..b"]) == 1
    assert sorted(os.listdir(md)) == [".Shared", "cur", "new", "tmp"]
