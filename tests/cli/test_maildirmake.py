from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from courier.cli.maildirmake import main
from tests.conftest import PYTHON, REPO, child_env


def _mode(p: Path) -> int:
    return p.stat().st_mode & 0o7777


def test_help_and_bin_script() -> None:
    r = subprocess.run(
        [PYTHON, str(REPO / "bin" / "maildirmake"), "--help"], capture_output=True, env=child_env()
    )
    assert r.returncode == 0 and b"-q QUOTA" in r.stdout
    assert (REPO / "man" / "maildirmake.1").read_text().startswith(".TH MAILDIRMAKE 1")


def test_maildir_and_folders(tmp_path: Path) -> None:
    md = tmp_path / "M"
    assert main([str(md)]) == 0
    assert all(_mode(md / s) == 0o700 for s in ("cur", "new", "tmp")) and _mode(md) == 0o700
    assert main(["-f", "Sent", str(md)]) == 0
    assert main(["-fA.B", str(md)]) == 0
    assert main(["-F", "Äbc", str(md)]) == 0
    assert _mode(md / ".Sent" / "maildirfolder") == 0o600
    assert (md / ".A.B" / "cur").is_dir() and (md / ".Äbc" / "tmp").is_dir()


def test_errors_never_clobber(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = tmp_path / "M"
    main([str(md)])
    (md / "cur" / "keep").write_text("x")
    assert main([str(md)]) == 1
    assert "File exists" in capsys.readouterr().err
    assert (md / "cur" / "keep").exists()
    assert main(["-f", ".hidden", str(md)]) == 1
    assert main(["-f", "a/b", str(md)]) == 1
    assert main(["-f", "a..b", str(md)]) == 1
    assert main(["-f", "x", str(tmp_path / "missing")]) == 1
    assert main(["-q", "12", str(md)]) == 1
    assert "invalid quota" in capsys.readouterr().err
    assert sorted(os.listdir(md)) == ["cur", "new", "tmp"]


def test_sharable_modes(tmp_path: Path) -> None:
    s = tmp_path / "S"
    assert main(["-S", str(s)]) == 0
    assert _mode(s) == 0o755 and _mode(s / "cur") == 0o700
    assert main(["-s", "write", "-f", "Pub", str(s)]) == 0
    assert _mode(s / ".Pub") == 0o1755 and _mode(s / ".Pub" / "new") == 0o1777
    assert main(["-s", "read,group", "-f", "Rd", str(s)]) == 0
    assert _mode(s / ".Rd") == 0o750 and _mode(s / ".Rd" / "cur") == 0o750
    assert main(["-s", "write", str(s)]) == 1  # -s needs -f; exit 1 as Courier's usage message
    assert main(["--add", f"pub={tmp_path}/nonexistent", str(s)]) == 1
    assert main(["--del", "pub", str(tmp_path / "nomaildir")]) == 1


def test_quota(tmp_path: Path) -> None:
    md = tmp_path / "Q"
    assert main(["-q", "5000000S,1000C", str(md)]) == 0  # creates the maildir too
    assert (md / "maildirsize").read_text() == "5000000S,1000C\n           0            0\n"
    (md / "cur" / "1.M1P1.h,S=42:2,S").write_bytes(b"x" * 42)
    assert main(["-q", "100C", str(md)]) == 0
    assert (md / "maildirsize").read_text() == "100C\n          42            1\n"


def test_shared_maildirs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = tmp_path / "M"
    main([str(md)])
    assert main(["--add", f"pub={tmp_path}", str(md)]) == 0
    assert main(["--add", f"pub={tmp_path}", str(md)]) == 2
    assert main(["--add", f"bad.name={tmp_path}", str(md)]) == 1
    assert main(["--add", "rel=relative/path", str(md)]) == 1
    assert (md / "shared-maildirs").read_text() == f"pub\t{tmp_path}\n"
    assert main(["--del", "pub", str(md)]) == 0
    assert main(["--del", "pub", str(md)]) == 1
    assert "pub: not found." in capsys.readouterr().err
    assert (md / "shared-maildirs").read_text() == ""


def test_convutf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = tmp_path / "M"
    main([str(md)])
    main(["-f", "&AOQ-ml&AOQ-ut", str(md)])
    main(["-f", "Plain", str(md)])
    (md / "courierimapsubscribed").write_text("INBOX.&AOQ-ml&AOQ-ut\nINBOX.Plain\n")
    flt = tmp_path / "mailfilter"
    flt.write_text(f'to "{md}/.&AOQ-ml&AOQ-ut/"\n')
    assert main(["--checkutf8", str(md), str(flt)]) == 0
    out = capsys.readouterr().out
    assert "Rename INBOX.&AOQ-ml&AOQ-ut to INBOX.ämläut" in out
    assert (md / ".&AOQ-ml&AOQ-ut").exists()
    assert main(["--convutf8", str(md), str(flt)]) == 0
    assert (md / ".ämläut" / "cur").is_dir() and not (md / ".&AOQ-ml&AOQ-ut").exists()
    assert (md / "courierimapsubscribed").read_text() == "INBOX.ämläut\nINBOX.Plain\n"
    assert flt.read_text() == f'to "{md}/.ämläut/"\n'
