"""install-configure on Debian's real Courier config files: a simulated upgrade keeps the admin's values."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from courier.cli.install_configure import install, main
from courier.config import read_chain, read_config
from tests import realcourier
from tests.config.test_dist import sh_env
from tests.conftest import PYTHON, REPO, child_env

FILES = ["imapd", "imapd-ssl", "pop3d", "pop3d-ssl", "authdaemonrc"]
DIST = REPO / "etc"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def debian_etc(tmp_path: Path) -> Path:
    """Debian's /etc/courier as an admin left it: a few settings changed."""
    etc = tmp_path / "etc"
    etc.mkdir()
    for name in FILES:
        shutil.copy(realcourier.root() / "etc/courier" / name, etc / name)
    edit(etc / "imapd", "MAXDAEMONS=40", "MAXDAEMONS=100")
    edit(etc / "imapd", '#DEFDOMAIN="@example.com"', 'DEFDOMAIN="@example.org"')
    edit(etc / "imapd", 'THREAD=REFERENCES SORT QUOTA IDLE"\n', 'THREAD=REFERENCES SORT QUOTA IDLE XLIST"\n')
    edit(etc / "imapd-ssl", "TLS_CERTFILE=/etc/courier/imapd.pem", "TLS_CERTFILE=/etc/ssl/private/mail.pem")
    edit(etc / "pop3d", "MAXPERIP=4", "MAXPERIP=8")
    edit(etc / "authdaemonrc", 'authmodulelist="authpam"', 'authmodulelist="authuserdb authpam"')
    (etc / "authdaemonrc").chmod(0o640)
    return etc


def test_upgrade_from_debian_courier_keeps_every_value(
    debian_etc: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {name: sh_env(debian_etc, (name,)) for name in FILES}
    assert main(["--config-dir", str(debian_etc), *(str(DIST / f"{n}.dist") for n in FILES)]) == 0
    out = capsys.readouterr().out
    for name in FILES:
        # Every variable reads back exactly as before, as sh sees it.
        assert sh_env(debian_etc, (name,)) == before[name], name
        assert f"{name}: kept " in out
        assert not (debian_etc / f"{name}.bak").exists()  # sysconftool format: no backup needed
    assert "obsolete" not in out and "changed meaning" not in out
    assert "pop3d-ssl: TLS_STARTTLS_PROTOCOL: appeared twice" not in out  # identical duplicates: nothing lost
    merged = read_chain(debian_etc, "imapd-ssl", "imapd", warn=None)
    assert merged["MAXDAEMONS"] == "100" and merged["DEFDOMAIN"] == "@example.org"
    assert merged["IMAP_CAPABILITY"].endswith("IDLE XLIST")
    assert merged["IMAP_CAPABILITY_TLS"].endswith("IDLE XLIST AUTH=PLAIN")
    assert merged["TLS_CERTFILE"] == "/etc/ssl/private/mail.pem"
    assert read_config(debian_etc / "pop3d").values["MAXPERIP"] == "8"
    assert (debian_etc / "authdaemonrc").stat().st_mode & 0o777 == 0o640
    # A second run has nothing to do.
    assert main(["--config-dir", str(debian_etc), str(DIST / "imapd.dist")]) == 0
    assert capsys.readouterr().out == "imapd: up to date\n"


def test_new_changed_and_obsolete_settings(debian_etc: Path, tmp_path: Path) -> None:
    """A later .dist adds a setting, changes one's meaning (revision) and drops one."""
    dist = tmp_path / "next" / "imapd.dist"
    dist.parent.mkdir()
    text = (DIST / "imapd.dist").read_text()
    text = text.replace("##NAME: MAXDAEMONS:0", "##NAME: MAXDAEMONS:1")
    start = text.index("##NAME: IMAP_OBSOLETE_CLIENT:0")
    text = text[:start] + text[text.index("##NAME: IMAP_UMASK:0") :]
    text += "\n##NAME: IMAP_NEW_THING:0\n#\n# A setting this version introduces.\n\nIMAP_NEW_THING=7\n"
    dist.write_text(text)
    edit(debian_etc / "imapd", "IMAP_OBSOLETE_CLIENT=0", "IMAP_OBSOLETE_CLIENT=1")
    report = install(dist, debian_etc)
    result = (debian_etc / "imapd").read_text()
    values = read_config(debian_etc / "imapd").values
    assert values["MAXDAEMONS"] == "40"  # meaning changed: the new default...
    assert "# MAXDAEMONS=100" in result  # ...and the admin's value, kept where they will see it
    assert values["IMAP_NEW_THING"] == "7"
    assert "IMAP_OBSOLETE_CLIENT" not in values and "# IMAP_OBSOLETE_CLIENT=1" in result
    assert values["DEFDOMAIN"] == "@example.org"  # the rest is kept
    joined = "\n".join(report)
    assert (
        "MAXDAEMONS (revision 0 -> 1): new default installed; the previous value (MAXDAEMONS=100)" in joined
    )
    assert "IMAP_NEW_THING: added with its default" in joined
    assert "IMAP_OBSOLETE_CLIENT: obsolete setting (IMAP_OBSOLETE_CLIENT=1)" in joined
    assert install(dist, debian_etc) == ["imapd: up to date"]


def test_file_without_markers_is_merged_by_variable_with_backup(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    hand_written = (
        "# my own pop3d config\nMAXDAEMONS=77\nPOP3AUTH='LOGIN PLAIN'\n"
        "DEFDOMAIN=@example.net\nMY_SCRIPT_VAR=1\nMAXDAEMONS=78\n"
    )
    (etc / "pop3d").write_text(hand_written)
    report = install(DIST / "pop3d.dist", etc)
    values = read_config(etc / "pop3d").values
    assert values["MAXDAEMONS"] == "78"  # the assignment that was in effect
    assert values["POP3AUTH"] == "LOGIN PLAIN"
    assert values["DEFDOMAIN"] == "@example.net"  # was only a commented example in the .dist
    assert values["MAXPERIP"] == "4"  # new: the default
    assert "MY_SCRIPT_VAR" not in values and "# MY_SCRIPT_VAR=1" in (etc / "pop3d").read_text()
    assert (etc / "pop3d.bak").read_text() == hand_written
    assert any("MY_SCRIPT_VAR: not a setting of this version" in line for line in report)
    assert any("saved as" in line and "pop3d.bak" in line for line in report)
    assert "##NAME: MAXPERIP:4" in (etc / "pop3d").read_text()


def test_fresh_install_and_dry_run(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    assert install(DIST / "imapd.dist", etc, dry_run=True)[-1] == "imapd: not written (--dry-run)"
    assert not (etc / "imapd").exists()
    assert install(DIST / "imapd.dist", etc)[0].startswith("imapd: created from")
    assert (etc / "imapd").read_text() == (DIST / "imapd.dist").read_text()


def test_broken_config_is_reported_and_left_alone(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "imapd").write_text("##NAME: ADDRESS:0\nADDRESS=0\nthis line is broken\n")
    r = subprocess.run(
        [PYTHON, "-m", "courier.cli.install_configure", "--config-dir", str(etc), str(DIST / "imapd.dist")],
        env=child_env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1
    assert f"{etc}/imapd:3: expected NAME=value" in r.stderr and "left unchanged" in r.stderr
    assert (etc / "imapd").read_text().endswith("this line is broken\n")
    assert sorted(p.name for p in etc.iterdir()) == ["imapd"]


def test_help_and_man_page() -> None:
    r = subprocess.run(
        [str(Path(PYTHON).parent / "install-configure"), "--help"],
        env=child_env(),
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "--config-dir" in r.stdout
    assert "from courier.cli.install_configure import main" in (REPO / "bin/install-configure").read_text()
    assert (REPO / "man/install-configure.8").read_text().startswith(".TH INSTALL-CONFIGURE 8")
