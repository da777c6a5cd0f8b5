"""The shared login path: ask authdaemond, then become the account and find its maildir."""

from __future__ import annotations

import base64
import hmac
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from courier.auth.info import AuthInfo
from courier.login import LoginError, LoginSettings, TempFail, authenticate, enter_account, service_disabled
from tests.authfixtures import Account, start_authdaemond

NOBODY = 65534


def in_child(fn: Callable[[], str]) -> str:
    """Run ``fn`` in a forked child (it drops privileges) and return its result or error text."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            out = "ok:" + fn()
        except LoginError as exc:
            out = "err:" + exc.client_message
        except BaseException as exc:
            out = "exc:" + repr(exc)
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read().decode()
    os.waitpid(pid, 0)
    return data


@pytest.fixture
def home() -> Iterator[Path]:
    # A directory the unprivileged account can reach (pytest's tmp_path is root-only).
    d = Path(tempfile.mkdtemp(prefix="courier-login-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d)


def test_authenticate_login_cram_external_and_defdomain(tmp_path: Path) -> None:
    sock = start_authdaemond(tmp_path, [Account("tim@example.com", "tanstaaftanstaaf", "/h", uid=7, gid=8)])
    s = LoginSettings(authdaemon_socket=sock)
    info = authenticate(s, "imap", "login", b"tim@example.com\ntanstaaftanstaaf\n")
    assert info is not None and info.uid == 7
    assert authenticate(s, "imap", "login", b"tim@example.com\nwrong\n") is None
    assert authenticate(s, "imap", "login", b"tim\ntanstaaftanstaaf\n") is None
    d = LoginSettings(authdaemon_socket=sock, defdomain="@example.com")
    assert authenticate(d, "imap", "login", b"tim\ntanstaaftanstaaf\n") is not None
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    digest = hmac.new(b"tanstaaftanstaaf", challenge, "md5").hexdigest()
    data = base64.b64encode(challenge) + b"\n" + base64.b64encode(b"tim " + digest.encode()) + b"\n"
    assert authenticate(s, "imap", "cram-md5", data) is None
    assert authenticate(d, "imap", "cram-md5", data) is not None
    ext = authenticate(s, "imap", "external", b"tim@example.com")
    assert ext is not None and ext.clearpw is None


def test_no_daemon_is_tempfail(tmp_path: Path) -> None:
    with pytest.raises(TempFail):
        authenticate(LoginSettings(authdaemon_socket=str(tmp_path / "none")), "imap", "login", b"a\nb\n")


def test_enter_account_drops_to_the_account(home: Path) -> None:
    md = home / "Maildir"
    for sub in ("", "cur", "new", "tmp"):
        (md / sub).mkdir()
        os.chown(md / sub, NOBODY, NOBODY)
    info = AuthInfo(address="n@x", home=str(home), uid=NOBODY, gid=NOBODY)

    def go() -> str:
        maildir = enter_account(info, LoginSettings())
        return f"{maildir}|{os.getuid()}|{os.geteuid()}|{os.getgid()}|{os.getgroups()}|{os.getcwd()}"

    out = in_child(go)
    assert out == f"ok:{md}|{NOBODY}|{NOBODY}|{NOBODY}|[{NOBODY}]|{home}"


def test_enter_account_checks_mailbox_owner(home: Path) -> None:
    (home / "Maildir").mkdir()  # owned by root, account is nobody
    info = AuthInfo(address="n@x", home=str(home), uid=NOBODY, gid=NOBODY, maildir="Maildir")
    out = in_child(lambda: enter_account(info, LoginSettings()))
    assert out == "err:Account's mailbox directory is not owned by the correct uid or gid"
    out = in_child(lambda: enter_account(info, LoginSettings(mailbox_sanity_check=False)))
    assert out == f"ok:{home}/Maildir"


def test_enter_account_missing_home_and_system_user(home: Path) -> None:
    gone = AuthInfo(address="n@x", home=str(home / "nope"), uid=NOBODY, gid=NOBODY)
    assert in_child(lambda: enter_account(gone, LoginSettings())).startswith("err:Unable to access")
    sysuser = AuthInfo(address="nobody", home=str(home), sysusername="nobody", gid=None)
    out = in_child(lambda: enter_account(sysuser, LoginSettings()) + f"|{os.getuid()}")
    assert out.startswith("err:Unable to open the mailbox")  # nobody's uid, but no Maildir
    unknown = AuthInfo(address="x", home=str(home), sysusername="no-such-user-courier")
    assert in_child(lambda: enter_account(unknown, LoginSettings())) == "err:Login failed."


def test_service_disabled() -> None:
    info = AuthInfo(
        address="a", home="/", uid=1, gid=1, options={"disablepop3": "1", "disableinsecureimap": "1"}
    )
    assert service_disabled(info, "pop3", secure=True)
    assert not service_disabled(info, "imap", secure=True)
    assert service_disabled(info, "imap", secure=False)
