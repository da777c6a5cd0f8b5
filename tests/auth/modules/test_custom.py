"""authcustom: the documented Python hook."""

from __future__ import annotations

import hmac
from pathlib import Path

import pytest

from courier.auth import cram, xcrypt
from courier.auth.chain import ModuleContext
from courier.auth.module import BadPassword, TempFail
from courier.auth.modules import custom
from courier.config import ConfigError

HOOK = """
ACCOUNTS = {
    "hashed@x": {"home": "/h/hashed", "uid": 10, "gid": 20, "passwd": %(hashed)r, "options": "disablepop3=1"},
    "clear@x": {"home": "/h/clear", "uid": "11", "gid": "21", "clearpw": "clearpw", "quota": "100S"},
    "cram@x": {"home": "/h/c", "uid": 12, "gid": 22, "hmac-md5pw": %(state)r},
    "sys": {"home": "/root", "sysusername": "root", "gid": 0, "passwd": %(hashed)r},
    "broken@x": {"uid": 1, "gid": 1},
}

def lookup(service, username):
    if username == "down@x":
        raise ConnectionError("backend unreachable")
    return ACCOUNTS.get(username)

def enumerate():
    return [dict(v, address=k) for k, v in ACCOUNTS.items() if "home" in v]

def passwd(service, username, oldpass, newpass):
    return username == "clear@x" and oldpass == "clearpw"
"""


@pytest.fixture
def mod(tmp_path: Path) -> custom.CustomModule:
    text = HOOK % {"hashed": xcrypt.hash_password("hashpw", "$6$"), "state": cram.precompute("md5", "crampw")}
    (tmp_path / "authcustom.py").write_text(text)
    return custom.create(ModuleContext(tmp_path, {}))


def test_hook_accounts(mod: custom.CustomModule) -> None:
    info = mod.login("imap", "hashed@x", "hashpw")
    assert (
        info is not None
        and (info.uid, info.gid, info.home) == (10, 20, "/h/hashed")
        and info.flag("disablepop3")
    )
    with pytest.raises(BadPassword):
        mod.login("imap", "hashed@x", "nope")
    clear = mod.login("imap", "clear@x", "clearpw")
    assert clear is not None and clear.uid == 11 and clear.quota == "100S"
    assert mod.login("imap", "unknown@x", "x") is None
    sysacct = mod.pre("imap", "sys")
    assert sysacct is not None and sysacct.sysusername == "root" and sysacct.uid is None
    digest = hmac.new(b"crampw", b"<1@h>", "md5").hexdigest()
    assert mod.cram("imap", "cram-md5", "cram@x", b"<1@h>", digest) is not None
    assert sorted(a.address for a in mod.enumerate()) == ["clear@x", "cram@x", "hashed@x", "sys"]
    assert mod.passwd("imap", "clear@x", "clearpw", "new") is True
    assert mod.passwd("imap", "clear@x", "bad", "new") is False


def test_hook_errors_are_tempfail(mod: custom.CustomModule) -> None:
    with pytest.raises(TempFail, match="backend unreachable"):
        mod.login("imap", "down@x", "x")
    with pytest.raises(TempFail, match="bad data"):
        mod.pre("imap", "broken@x")


def test_missing_or_bad_hook(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such authcustom hook"):
        custom.create(ModuleContext(tmp_path, {}))
    (tmp_path / "hook.py").write_text("x = 1\n")
    with pytest.raises(ConfigError, match="must define lookup"):
        custom.create(ModuleContext(tmp_path, {"AUTHCUSTOM_HOOK": str(tmp_path / "hook.py")}))
    (tmp_path / "hook.py").write_text("def (:\n")
    with pytest.raises(ConfigError, match="SyntaxError"):
        custom.create(ModuleContext(tmp_path, {"AUTHCUSTOM_HOOK": str(tmp_path / "hook.py")}))
