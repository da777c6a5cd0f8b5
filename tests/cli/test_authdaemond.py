"""authdaemond's start|stop|restart wrapper, and the auth tools' command lines."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.authfixtures import Account, write_userdb
from tests.conftest import REPO, child_env

BIN = REPO / ".venv" / "bin"


def run(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        env=child_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("tool", ["authdaemond", "authtest", "authenumerate", "authpasswd", "authinfo"])
def test_help_and_man_page(tool: str) -> None:
    r = run(tool, "--help")
    assert r.returncode == 0 and "usage" in r.stdout.lower()
    pages = list((REPO / "man").glob(f"{tool}.[18]"))
    assert pages and pages[0].read_text().startswith(f".TH {tool.upper()} ")


def test_start_stop_restart(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    write_userdb(etc, [Account("a@x", "pw", "/home/a", "/home/a/Maildir", uid=10, gid=20)])
    var = tmp_path / "var"
    (etc / "authdaemonrc").write_text(f'authmodulelist="authuserdb"\ndaemons=2\nauthdaemonvar={var}\n')
    cfg = ("--config-dir", str(etc))
    try:
        assert run("authdaemond", *cfg, "start").returncode == 0
        pid = int((var / "pid").read_text())
        os.kill(pid, 0)
        assert (var / "socket").exists()
        assert oct(var.stat().st_mode & 0o777) == "0o750"
        r = run("authtest", *cfg, "a@x", "pw")
        assert r.returncode == 0 and "Authenticated: a@x  (uid 10, gid 20)" in r.stdout
        r = run("authtest", *cfg, "a@x", "bad")
        assert r.returncode == 1 and r.stderr.strip() == "Authentication FAILED: Operation not permitted"
        r = run("authenumerate", *cfg)
        assert r.stdout == "a@x\t10\t20\t/home/a\t/home/a/Maildir\n"
        assert "already running" in run("authdaemond", *cfg, "start").stderr
        assert run("authdaemond", *cfg, "restart").returncode == 0
        new_pid = int((var / "pid").read_text())
        assert new_pid != pid
        assert run("authtest", *cfg, "a@x", "pw").returncode == 0
    finally:
        assert run("authdaemond", *cfg, "stop").returncode == 0
    assert not (var / "socket").exists() and not (var / "pid").exists()
    r = run("authtest", *cfg, "a@x", "pw")
    assert r.returncode == 1 and r.stderr.strip() == "Authentication FAILED: Input/output error"


def test_start_reports_config_errors(tmp_path: Path) -> None:
    (tmp_path / "authdaemonrc").write_text("daemons=zero\n")
    r = run("authdaemond", "--config-dir", str(tmp_path), "start")
    assert r.returncode == 1 and "daemons='zero' is not a whole number" in r.stderr
    (tmp_path / "authdaemonrc").write_text(f'authmodulelist="authcustom"\nauthdaemonvar={tmp_path}/v\n')
    r = run("authdaemond", "--config-dir", str(tmp_path), "start")
    assert r.returncode == 1 and "authcustom" in r.stderr


def test_authpasswd_and_authinfo(tmp_path: Path) -> None:
    from courier.auth import hashes

    for method, prefix in (("", "$1$"), ("sha512", "{SHA512}"), ("ssha", "{SSHA}"), ("$y$", "$y$")):
        out = run("authpasswd", *([method] if method else []), stdin="s3cret\n").stdout.strip()
        assert out.startswith(prefix) and hashes.verify("s3cret", out)
    assert run("authpasswd", stdin="\n").returncode == 1
    (tmp_path / "authdaemonrc").write_text('authmodulelist="authuserdb authpam authsqlite"\n')
    out = run("authinfo", "--config-dir", str(tmp_path)).stdout
    assert "* authuserdb" in out and "* authpam" in out and "  authshadow" in out
    assert "not provided (skipped by authdaemond): authsqlite" in out
