"""authvchkpw over vpopmail's own file layout (domains/<d>/vpasswd, users/assign)."""

from __future__ import annotations

from pathlib import Path

import pytest

from courier.auth import xcrypt
from courier.auth.chain import ModuleContext
from courier.auth.module import BadPassword, TempFail
from courier.auth.modules import vchkpw
from courier.config import ConfigError


@pytest.fixture
def vpop(tmp_path: Path) -> Path:
    home = tmp_path / "vpopmail"
    d1 = home / "domains" / "example.com"
    d1.mkdir(parents=True)
    crypted = xcrypt.hash_password("alicepw", "$6$")
    (d1 / "vpasswd").write_text(
        f"alice:{crypted}:1:0:Alice A:{d1}/alice:NOQUOTA\n"
        f"bob:{xcrypt.hash_password('bobpw', '$1$')}:8:0:Bob:{d1}/bob:5000000S:bobpw\n"
    )
    other = tmp_path / "elsewhere" / "other.org"
    other.mkdir(parents=True)
    (other / "vpasswd").write_text(
        f"carol:{xcrypt.hash_password('carolpw', '$1$')}:0:0::{other}/carol:NOQUOTA\n"
    )
    (home / "users").mkdir()
    (home / "users" / "assign").write_text(f"+other.org-:other.org:2001:2002:{other}:-::\n.\n")
    return home


def module(home: Path, **extra: str) -> vchkpw.VchkpwModule:
    values = {"VPOPMAIL_HOME": str(home), "VPOPMAIL_UID": "89", "VPOPMAIL_GID": "89", **extra}
    return vchkpw.create(ModuleContext(home, values))


def test_login_and_account_fields(vpop: Path) -> None:
    m = module(vpop)
    info = m.login("imap", "alice@example.com", "alicepw")
    assert info is not None
    d = vpop / "domains" / "example.com"
    assert (info.address, info.uid, info.gid, info.home) == ("alice@example.com", 89, 89, f"{d}/alice")
    assert info.maildir == f"{d}/alice/Maildir" and info.quota is None and info.fullname == "Alice A"
    with pytest.raises(BadPassword):
        m.login("imap", "alice@example.com", "wrong")
    assert m.login("imap", "nobody@example.com", "x") is None
    assert m.login("imap", "alice@nodomain.test", "alicepw") is None
    assert m.login("imap", "ALICE%Example.COM", "alicepw") is not None


def test_flags_quota_clear_password_and_cram(vpop: Path) -> None:
    import hmac

    m = module(vpop)
    bob = m.pre("pop3", "bob@example.com")
    assert bob is not None and bob.quota == "5000000S"
    assert bob.flag("disableimap") and not bob.flag("disablepop3")  # flags 8 = NO_IMAP
    digest = hmac.new(b"bobpw", b"<c@h>", "md5").hexdigest()
    assert m.cram("imap", "cram-md5", "bob@example.com", b"<c@h>", digest) is not None
    with pytest.raises(BadPassword):
        m.cram("imap", "cram-md5", "alice@example.com", b"<c@h>", digest)  # no clear password


def test_assign_gives_domain_directory_and_ids(vpop: Path) -> None:
    info = module(vpop).login("imap", "carol@other.org", "carolpw")
    assert info is not None and (info.uid, info.gid) == (2001, 2002)


def test_default_domain_and_enumerate(vpop: Path) -> None:
    m = module(vpop, VPOPMAIL_DEFAULT_DOMAIN="example.com")
    assert m.login("imap", "alice", "alicepw") is not None
    assert sorted(a.address for a in m.enumerate()) == [
        "alice@example.com",
        "bob@example.com",
        "carol@other.org",
    ]


def test_unreadable_vpasswd_is_tempfail(vpop: Path) -> None:
    (vpop / "domains" / "example.com" / "vpasswd").unlink()
    (vpop / "domains" / "example.com" / "vpasswd").mkdir()
    with pytest.raises(TempFail):
        module(vpop).login("imap", "alice@example.com", "alicepw")


def test_needs_a_home(tmp_path: Path) -> None:
    import pwd

    try:
        pwd.getpwnam("vpopmail")
    except KeyError:
        with pytest.raises(ConfigError, match="VPOPMAIL_HOME"):
            vchkpw.create(ModuleContext(tmp_path, {}))
