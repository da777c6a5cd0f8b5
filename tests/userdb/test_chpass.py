"""Password change through the userdb files (authdaemond PASSWD)."""

from __future__ import annotations

import hmac
from pathlib import Path

from courier.userdb.chpass import change_password
from courier.userdb.compile import makeuserdb
from courier.userdb.cryptgen import crypt, crypt_hash, hmac_states
from courier.userdb.dat import UserdbDat


def verify(password: str, stored: str) -> bool:
    return hmac.compare_digest(crypt(password.encode(), stored.encode()), stored.encode())


def shadow(base: Path, name: str) -> dict[str, str]:
    with UserdbDat(str(base) + "shadow.dat") as db:
        rec = db.lookup(name)
    assert rec is not None
    return rec


def test_change_in_domain_file_updates_crypt_and_hmac(tmp_path: Path) -> None:
    base = tmp_path / "userdb"
    base.mkdir(mode=0o700)
    (base / "example-com").write_text(
        f"john@example.com\thome=/h|uid=1|gid=1|systempw={crypt_hash('old', 'md5')}"
        f"|hmac-md5pw={hmac_states('old', 'md5')}|hmac-sha1pw={hmac_states('other', 'sha1')}\n"
    )
    (base / "other").write_text("x@y\thome=/x\n")
    makeuserdb(str(base))
    assert change_password(str(base), "john@example.com", "imap", "old", "new", verify)
    rec = shadow(base, "john@example.com")
    assert verify("new", rec["systempw"]) and rec["systempw"].startswith("$y$")
    assert rec["hmac-md5pw"] == hmac_states("new", "md5")
    assert rec["hmac-sha1pw"] == hmac_states("other", "sha1")  # did not match the old password: kept
    assert (base / "other").read_text() == "x@y\thome=/x\n"
    assert "systempw=$y$" in (base / "example-com").read_text()


def test_service_password_preferred_and_wrong_old_refused(tmp_path: Path) -> None:
    base = tmp_path / "userdb"
    base.write_text(
        f"a\thome=/a|uid=1|gid=1|systempw={crypt_hash('sys', 'md5')}|imappw={crypt_hash('imap', 'md5')}\n"
    )
    base.chmod(0o600)
    makeuserdb(str(base))
    before = base.read_text()
    assert not change_password(str(base), "a", "imap", "sys", "new", verify)  # imappw is the one checked
    assert not change_password(str(base), "nobody", "imap", "x", "new", verify)
    assert not change_password(str(base), "a", "imap", "imap", "bad|pw", verify)
    assert base.read_text() == before
    assert change_password(str(base), "a", "imap", "imap", "new", verify)
    rec = shadow(base, "a")
    assert verify("new", rec["imappw"]) and verify("sys", rec["systempw"])
    assert change_password(str(base), "a", "pop3", "sys", "pop-new", verify)  # no pop3pw: systempw
    assert verify("pop-new", shadow(base, "a")["systempw"])
