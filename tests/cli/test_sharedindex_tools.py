"""authenumerate -s | sharedindexsplit | sharedindexinstall: the shared index built as Courier's
tools build it (sharedindexsplit against Debian's own script), then read by imapd's index code."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from courier.cli.sharedindexinstall import main as install_main
from courier.cli.sharedindexsplit import main as split_main
from courier.maildir.sharedindex import SharedIndex
from tests import realcourier
from tests.conftest import PYTHON, child_env

LIST = "".join(
    f"{name}\t1000\t1000\t/home/{name}\t/home/{name}/Maildir\t{opts}\n"
    for name, opts in [
        ("alice", "sharedgroup=sales"),
        ("al", ""),
        ("bob", "sharedgroup=sales,disableimap=0"),
        ("bo/x", ""),
        ("carol", "sharedgroup=dev"),
        ("z", ""),
    ]
)


def _ours(outdir: Path, *args: str) -> None:
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.sharedindexsplit", str(outdir), *args],
        input=LIST.encode(),
        env=child_env(),
        capture_output=True,
    )
    assert r.returncode == 0, r.stderr


def _files(outdir: Path) -> dict[str, list[str]]:
    return {p.name: sorted(p.read_text().splitlines()) for p in sorted(outdir.iterdir())}


@pytest.mark.slow
@pytest.mark.parametrize("letters", ["0", "1", "2"])
def test_split_as_courier_splits(tmp_path: Path, letters: str) -> None:
    real, ours = tmp_path / "real", tmp_path / "ours"
    real.mkdir()
    ours.mkdir()
    safe = LIST.replace("bo/x", "box")  # Courier would write outside its directory for "/"
    r = subprocess.run(
        ["perl", realcourier.binary("usr/sbin/sharedindexsplit"), str(real), letters],
        input=safe.encode(),
        capture_output=True,
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.sharedindexsplit", str(ours), letters],
        input=safe.encode(),
        env=child_env(),
        capture_output=True,
    )
    assert r.returncode == 0, r.stderr
    assert _files(ours) == _files(real)


def test_split_by_letters_is_read_back_through_groups(tmp_path: Path) -> None:
    _ours(tmp_path, "1")
    files = _files(tmp_path)
    assert files["index"] == ["a\t*\tindexa", "b\t*\tindexb", "c\t*\tindexc", "z\t*\tindexz"]
    assert "bo/x\t1000\t1000\t/home/bo/x\t/home/bo/x/Maildir" in files["indexb"]
    idx = SharedIndex(str(tmp_path / "index"))
    names = [levels for levels, _ in idx.accounts()]
    assert ("a", "alice") in names and ("z", "z") in names
    assert all(len(levels) == 2 for levels in names)


def test_split_by_sharedgroup_makes_universes(tmp_path: Path) -> None:
    _ours(tmp_path)
    files = _files(tmp_path)
    assert sorted(files) == ["index", "indexdev", "indexsales"]
    assert [ln.split("\t")[0] for ln in files["indexsales"]] == ["alice", "bob"]
    assert all(len(ln.split("\t")) == 5 for lines in files.values() for ln in lines)  # options dropped
    assert not list(tmp_path.rglob("x*"))  # "bo/x" made no subdirectory


def test_install_replaces_the_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shared, new = tmp_path / "shared", tmp_path / "shared.tmp"
    assert install_main(["--config-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"{new} is empty!\n"
    new.mkdir()
    (new / "index").write_text("a\t*\tindexa\n")
    (new / "indexa").write_text("alice\t1\t1\t/h\n")
    assert install_main(["--config-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"{shared} does not exist!\n"
    shared.mkdir()
    (shared / "index").write_text("old\n")
    (shared / "indexold").write_text("gone\n")
    assert install_main(["--config-dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in shared.iterdir()) == ["index", "indexa"]
    assert (shared / "index").read_text() == "a\t*\tindexa\n"
    assert list(new.iterdir()) == []


def test_authenumerate_s_leaves_out_disableshared(tmp_path: Path) -> None:
    from tests.authfixtures import Account, start_authdaemond

    sock = start_authdaemond(
        tmp_path,
        [
            Account("a@x", "pw", "/home/a", uid=10, gid=20),
            Account("b@x", "pw", "/home/b", uid=10, gid=20, options="disableshared=1"),
        ],
    )
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.authenumerate", "-s", "--socket", sock],
        env=child_env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and r.stdout == "a@x\t10\t20\t/home/a\t\n"
    assert split_main([str(tmp_path / "missing")]) == 2
