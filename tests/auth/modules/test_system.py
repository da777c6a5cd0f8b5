"""authpam, authshadow and authpwd against a real system user with a yescrypt hash and real PAM."""

from __future__ import annotations

from pathlib import Path

import pytest

from courier.auth import pam
from courier.auth.module import BadPassword
from courier.auth.modules import pam as authpam
from courier.auth.modules import pwd as authpwd
from courier.auth.modules import shadow as authshadow
from tests.auth.conftest import SystemUser


def test_shadow_has_yescrypt_and_authshadow_checks_it(system_user: SystemUser) -> None:
    mod = authshadow.ShadowModule()
    pre = mod.pre("imap", system_user.name)
    assert pre is not None and pre.passwd is not None and pre.passwd.startswith("$y$")
    assert (pre.sysusername, pre.uid, pre.gid, pre.fullname) == (
        system_user.name,
        None,
        system_user.gid,
        "Test User",
    )
    info = mod.login("imap", system_user.name, system_user.password)
    assert info is not None and info.clearpw == system_user.password
    with pytest.raises(BadPassword):
        mod.login("imap", system_user.name, "wrong")
    assert mod.login("imap", "no-such-user-here", "x") is None


def test_authpwd_sees_only_the_passwd_field(system_user: SystemUser) -> None:
    mod = authpwd.PwdModule()
    pre = mod.pre("imap", system_user.name)
    assert pre is not None and pre.passwd == "x"  # the hash is in /etc/shadow
    with pytest.raises(BadPassword):
        mod.login("imap", system_user.name, system_user.password)


def test_pam_unix_permit_deny(system_user: SystemUser, pam_services: dict[str, str]) -> None:
    assert pam.authenticate(pam_services["unix"], system_user.name, system_user.password).ok
    bad = pam.authenticate(pam_services["unix"], system_user.name, "wrong")
    assert not bad.ok and bad.denied and bad.code == 7
    assert pam.authenticate(pam_services["unix"], "no-such-user-here", "x").denied
    assert pam.authenticate(pam_services["permit"], system_user.name, "anything").ok
    assert pam.authenticate(pam_services["deny"], system_user.name, system_user.password).denied


def test_authpam_module(system_user: SystemUser, pam_services: dict[str, str]) -> None:
    mod = authpam.PamModule()
    svc = pam_services["unix"]
    info = mod.login(svc, system_user.name, system_user.password)
    assert info is not None
    assert (info.sysusername, info.gid, info.home, info.passwd) == (
        system_user.name,
        system_user.gid,
        system_user.home,
        "*",
    )
    with pytest.raises(BadPassword):
        mod.login(svc, system_user.name, "wrong")
    with pytest.raises(BadPassword):
        mod.login(pam_services["deny"], system_user.name, system_user.password)
    with pytest.raises(BadPassword):
        mod.login(svc, system_user.name, "")
    assert mod.login(svc, "no-such-user-here", "x") is None  # not in passwd: the next module decides
    assert mod.cram(svc, "cram-md5", system_user.name, b"c", "00") is None
    assert any(a.address == system_user.name and a.uid == system_user.uid for a in mod.enumerate())
    assert all(a.uid is not None and a.uid >= 100 for a in mod.enumerate())


def test_authpam_through_our_authdaemond(
    tmp_path: Path, system_user: SystemUser, pam_services: dict[str, str]
) -> None:
    from courier.authdaemon.client import AuthClient
    from tests.authfixtures import Account, start_authdaemond

    sock = start_authdaemond(
        tmp_path, [Account("u@x", "pw", "/h", uid=1, gid=1)], modules="authuserdb authpam"
    )
    c = AuthClient(sock)
    svc = pam_services["unix"]
    info = c.login(svc, system_user.name, system_user.password)
    assert info is not None and info.sysusername == system_user.name and info.uid is None
    assert c.login(svc, system_user.name, "wrong") is None
    assert c.login(svc, "u@x", "pw") is not None  # userdb first
    pre = c.pre(svc, system_user.name)
    assert pre is not None and pre.passwd == "*" and pre.gid == system_user.gid
    assert c.login(pam_services["deny"], system_user.name, system_user.password) is None


@pytest.mark.parametrize("service", ["imap", "pop3"])
def test_shipped_pam_service_files_work(service: str, system_user: SystemUser) -> None:
    """pam.d/imap and pam.d/pop3 (Debian's @include common-*) check a real password."""
    import secrets

    from tests.conftest import REPO

    name = f"ctest-{secrets.token_hex(4)}-{service}"
    target = Path("/etc/pam.d") / name
    target.write_text((REPO / "pam.d" / service).read_text())
    try:
        assert pam.authenticate(name, system_user.name, system_user.password).ok
    finally:
        target.unlink()
