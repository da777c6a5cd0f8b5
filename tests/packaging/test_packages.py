"""Build the .deb and .rpm packages, install the .deb here, and log in through installed files only.

Real systemd is not PID 1 on build machines, so the installed units' own ExecStart
lines are run under ``systemd-socket-activate`` with the same fd conventions.
"""

from __future__ import annotations

import imaplib
import os
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, free_port

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.geteuid() != 0, reason="installs packages")]

UNITDIR = Path("/lib/systemd/system")
ACCOUNT = "pkgtest@example.com"
PASSWORD = "pkg-secret-1"
SYSUSER = "cimap-pkgtest"


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload, no-any-return]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("packages")
    r = _run([str(REPO / "packaging/build.sh"), "all", str(out)])
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def _exec_start(unit: str) -> list[str]:
    for line in (UNITDIR / unit).read_text().splitlines():
        if line.startswith("ExecStart="):
            return shlex.split(line[len("ExecStart=") :])
    raise AssertionError(f"{unit} has no ExecStart")


def test_four_debs_and_lintian_finds_no_error(built: Path) -> None:
    debs = sorted(p.name for p in (built / "deb").glob("*.deb"))
    assert debs == [
        "courier-imap-ldap_0.1.0_all.deb", "courier-imap-mysql_0.1.0_all.deb",
        "courier-imap-pgsql_0.1.0_all.deb", "courier-imap_0.1.0_all.deb",
    ]  # fmt: skip
    r = _run(["lintian", "--allow-root", *[str(built / "deb" / d) for d in debs]])
    errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
    assert errors == [], r.stdout
    listing = _run(["dpkg-deb", "-c", str(built / "deb/courier-imap-ldap_0.1.0_all.deb")]).stdout
    assert "courier/auth/modules/ldap.py" in listing
    base = _run(["dpkg-deb", "-c", str(built / "deb/courier-imap_0.1.0_all.deb")]).stdout
    assert "modules/ldap.py" not in base and "./usr/libexec/courier-imap/imapd" in base


def test_four_rpms_and_rpmlint_finds_no_error(built: Path) -> None:
    rpms = sorted(p.name for p in (built / "rpm/RPMS/noarch").glob("*.rpm"))
    assert [r.split("-0.1.0")[0] for r in rpms] == [
        "courier-imap", "courier-imap-ldap", "courier-imap-mysql", "courier-imap-pgsql",
    ]  # fmt: skip
    rc = str(REPO / "packaging/rpm/courier-imap.rpmlintrc")
    r = _run(["rpmlint", "-r", rc, *[str(built / "rpm/RPMS/noarch" / p) for p in rpms]])
    errors = [line for line in r.stdout.splitlines() if ": E: " in line]
    assert errors == [], r.stdout
    reqs = _run(["rpm", "-qp", "--requires", str(built / "rpm/RPMS/noarch" / rpms[1])]).stdout
    assert "python3-ldap" in reqs


@pytest.fixture(scope="module")
def installed(built: Path) -> Iterator[Path]:
    deb = built / "deb/courier-imap_0.1.0_all.deb"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    etc_existed = Path("/etc/courier").exists()
    r = _run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", str(deb)], env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    try:
        yield built
    finally:
        _run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "purge", "-y", "-q",
              "courier-imap-ldap", "courier-imap"], env=env)  # fmt: skip
        _run(["userdel", "-r", SYSUSER])
        # the userdb this test made: leave the machine as it was
        for name in ("userdb", "userdb.dat", "userdbshadow.dat", "userdb.lock", ".lock.userdb"):
            Path("/etc/courier", name).unlink(missing_ok=True)
        if not etc_existed:
            shutil.rmtree("/etc/courier", ignore_errors=True)


def _wait_for(path: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def test_installed_login_select_fetch(installed: Path, tmp_path: Path) -> None:
    etc = Path("/etc/courier")
    # postinst made the live config files from the .dist files
    for name in ("imapd", "imapd-ssl", "pop3d", "pop3d-ssl", "authdaemonrc"):
        assert (etc / name).is_file(), name
    text = (etc / "authdaemonrc").read_text()
    (etc / "authdaemonrc").write_text(
        "\n".join('authmodulelist="authuserdb"' if line.startswith("authmodulelist=") else line
                  for line in text.splitlines()) + "\n"
    )  # fmt: skip
    if _run(["id", SYSUSER]).returncode != 0:
        assert (
            _run(
                ["useradd", "--system", "--create-home", "--home-dir", f"/var/lib/{SYSUSER}", SYSUSER]
            ).returncode
            == 0
        )
    uid, gid = (int(_run(["id", flag, SYSUSER]).stdout) for flag in ("-u", "-g"))
    home = Path(f"/var/lib/{SYSUSER}")
    maildir = home / "Maildir"
    shutil.rmtree(maildir, ignore_errors=True)
    r = _run(["/usr/bin/maildirmake.courier", str(maildir)])
    assert r.returncode == 0, r.stderr
    (maildir / "new/1700000000.M1P1.pkgtest").write_bytes(
        b"From: a@example.com\nSubject: packaged\n\nhello\n"
    )
    _run(["chown", "-R", f"{uid}:{gid}", str(home)])
    userdb = etc / "userdb"
    userdb.unlink(missing_ok=True)
    for cmd in (
        ["/usr/sbin/userdb", ACCOUNT, "set", f"home={home}", f"mail={maildir}", f"uid={uid}", f"gid={gid}"],
    ):
        r = _run(cmd)
        assert r.returncode == 0, r.stderr
    hashed = _run(["/usr/sbin/userdbpw", "-md5"], input=f"{PASSWORD}\n").stdout
    assert _run(["/usr/sbin/userdb", ACCOUNT, "set", "systempw"], input=hashed).returncode == 0
    assert _run(["/usr/sbin/makeuserdb"]).returncode == 0

    sock = Path("/run/courier/authdaemon/socket")
    assert Path("/run/courier/authdaemon").is_dir()  # tmpfiles ran in postinst
    sock.unlink(missing_ok=True)
    auth = subprocess.Popen(["systemd-socket-activate", "-l", str(sock), *_exec_start("authdaemond.service")])
    port = free_port()
    imap = subprocess.Popen(
        [
            "systemd-socket-activate",
            "--inetd",
            "-a",
            "-l",
            f"127.0.0.1:{port}",
            *_exec_start("imapd@.service"),
        ]
    )
    try:
        _wait_for(sock)
        deadline = time.monotonic() + 10
        while True:
            try:
                client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        client.login(ACCOUNT, PASSWORD)
        typ, data = client.select("INBOX")
        assert typ == "OK" and data == [b"1"]
        typ, data = client.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK" and b"Subject: packaged" in data[0][1]  # type: ignore[index]
        client.logout()
    finally:
        for p in (imap, auth):
            p.send_signal(signal.SIGTERM)
            p.wait(10)


def test_ldap_package_adds_module_and_removal_keeps_conffiles(installed: Path) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    deb = installed / "deb/courier-imap-ldap_0.1.0_all.deb"
    r = _run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", str(deb)], env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "authldap" in _run(["/usr/sbin/authinfo"]).stdout
    r = _run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "remove", "-y", "-q", "courier-imap-ldap"], env=env)
    assert r.returncode == 0
    assert "authldap" not in _run(["/usr/sbin/authinfo"]).stdout
    assert Path("/etc/courier/authldaprc.dist").exists()  # a conffile: kept until purge
    assert not any(
        "/usr/sbin/authdaemond" in p.read_text(errors="replace")
        for p in Path("/proc").glob("[0-9]*/cmdline") if p.exists()
    )  # fmt: skip
