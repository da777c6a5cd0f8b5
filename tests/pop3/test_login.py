"""Logging in: USER/PASS and SASL through authdaemond, account options, failures and their codes."""

from __future__ import annotations

import base64
import os
import poplib
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import child_env
from tests.pop3 import transcript
from tests.pop3.conftest import BENCH, BENCHPASS, MULTI, SIMPLE, TRANSCRIPTS, Pop3Server, auth_config, deliver

RECORDED = transcript.load((TRANSCRIPTS / "20-pop3.txt").read_text())


def connect(server: Pop3Server) -> poplib.POP3:
    return poplib.POP3("127.0.0.1", server.port, timeout=20)


def test_courier_session_with_logins(bench_home: Path, auth_server: Pop3Server) -> None:
    """Courier's first recorded session, whole: failed and good logins, then every command."""
    md = bench_home / "Maildir"
    deliver(md, SIMPLE, "1700000000.M1P1.lab")
    deliver(md, MULTI, "1700000001.M2P2.lab")
    client = transcript.Client(auth_server.port)
    transcript.replay(client, RECORDED[0].exchanges)
    client.close()
    log = auth_server.log()
    found = sorted(str(p.relative_to(md)) for p in md.rglob("*") if p.is_file())
    assert [f for f in found if f != "courierpop3dlock"] == RECORDED[0].disk
    assert "LOGIN FAILED, user=nosuch@example.com, ip=[127.0.0.1]" in log
    assert "INFO: LOGIN, user=bench@example.com, ip=[127.0.0.1], port=[" in log


def test_courier_auth_login_session(bench_home: Path, auth_server: Pop3Server) -> None:
    deliver(bench_home / "Maildir", SIMPLE, "1700000000.M1P1.lab")
    client = transcript.Client(auth_server.port)
    transcript.replay(client, RECORDED[2].exchanges)
    client.close()


def test_cram_md5_challenge_then_quit_fails(auth_server: Pop3Server) -> None:
    client = transcript.Client(auth_server.port)
    assert client.line() == "+OK Hello there."
    client.send("AUTH CRAM-MD5")
    challenge = base64.b64decode(client.line()[2:])
    assert challenge.startswith(b"<") and challenge.endswith(b">") and b"@" in challenge
    client.send("QUIT")
    assert client.line() == "-ERR Authentication failed."
    client.close()


def test_sasl_plain_initial_response_login_and_cancel(auth_server: Pop3Server) -> None:
    p = connect(auth_server)
    with pytest.raises(poplib.error_proto, match="Authentication failed"):
        p._shortcmd("AUTH NOSUCH")
    assert p._shortcmd("AUTH LOGIN").startswith(b"+ ")
    with pytest.raises(poplib.error_proto, match="Authentication failed"):
        p._shortcmd("*")
    plain = base64.b64encode(f"\0{BENCH}\0{BENCHPASS}".encode()).decode()
    assert p._shortcmd(f"AUTH PLAIN {plain}") == b"+OK logged in."
    assert p.stat() == (0, 0)
    p.quit()


def test_cram_md5_through_poplib_hmac(auth_server: Pop3Server) -> None:
    import hashlib
    import hmac

    p = connect(auth_server)
    challenge = base64.b64decode(p._shortcmd("AUTH CRAM-MD5")[2:])
    digest = hmac.new(BENCHPASS.encode(), challenge, hashlib.md5).hexdigest()
    answer = base64.b64encode(f"{BENCH} {digest}".encode()).decode()
    assert p._shortcmd(answer) == b"+OK logged in."
    p.quit()


def test_bad_password_is_delayed_and_coded(auth_server: Pop3Server) -> None:
    p = connect(auth_server)
    p.user(BENCH)
    start = time.monotonic()
    with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\] Login failed\."):
        p.pass_("wrong")
    assert time.monotonic() - start >= 0.2  # POP3_LOGIN_DELAY in the test config
    assert p.pass_(BENCHPASS) == b"+OK logged in."  # USER is kept, as Courier does
    p.quit()


def test_disablepop3_gets_courier_reply_and_hangup(auth_server: Pop3Server) -> None:
    p = connect(auth_server)
    p.user("nopop@example.com")
    with pytest.raises(poplib.error_proto, match=r"^b'-ERR POP3 access disabled for this account\.'$"):
        p.pass_("x")
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        p.noop()


def test_pop3pw_takes_precedence_over_systempw(auth_server: Pop3Server) -> None:
    p = connect(auth_server)
    p.user("pop3pw@example.com")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        p.pass_("system")
    assert p.pass_("pop3only") == b"+OK logged in."
    p.quit()


def test_backend_down_is_sys_temp(tmp_path: Path, config_dir: Path) -> None:
    auth_config(config_dir, str(tmp_path / "nowhere" / "socket"))
    server = Pop3Server(child_env(), ["--config-dir", str(config_dir)], tmp_path)
    try:
        p = connect(server)
        p.user(BENCH)
        with pytest.raises(poplib.error_proto, match=r"-ERR \[SYS/TEMP\] "):
            p.pass_(BENCHPASS)
        p.quit()
    finally:
        server.close()


def test_second_login_gets_in_use(bench_home: Path, auth_server: Pop3Server) -> None:
    first = connect(auth_server)
    first.user(BENCH)
    first.pass_(BENCHPASS)
    second = connect(auth_server)
    second.user(BENCH)
    with pytest.raises(poplib.error_proto, match=r"-ERR \[IN-USE\] "):
        second.pass_(BENCHPASS)
    first.quit()
    third = connect(auth_server)
    third.user(BENCH)
    assert third.pass_(BENCHPASS) == b"+OK logged in."
    third.quit()


def test_session_runs_as_the_account(
    tmp_path: Path, config_dir: Path, request: pytest.FixtureRequest
) -> None:
    """The process becomes the account (uid/gid from authdaemond) before it touches the maildir."""
    from tests.authfixtures import Account, start_authdaemond

    base = Path(tempfile.mkdtemp(prefix="pop3-account-"))  # pytest's tmp_path is root-only (0700)
    base.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    home = base / "u"
    md = home / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    deliver(md, SIMPLE, "1700000000.M1.x")
    uid = gid = 54321
    for dirpath, dirs, names in os.walk(home):
        for n in [dirpath, *(os.path.join(dirpath, x) for x in dirs + names)]:
            os.chown(n, uid, gid)
    sock = start_authdaemond(tmp_path, [Account("u@example.com", "pw", home=str(home), uid=uid, gid=gid)])
    auth_config(config_dir, sock)
    server = Pop3Server(child_env(), ["--config-dir", str(config_dir)], tmp_path)
    try:
        p = connect(server)
        p.user("u@example.com")
        p.pass_("pw")
        p.retr(1)
        p.quit()
        server.log()
    finally:
        server.close()
    for made in (md / "courierpop3dsizelist", md / "courierpop3dlock", md / "cur/1700000000.M1.x:2,S"):
        st = made.stat()
        assert (st.st_uid, st.st_gid) == (uid, gid), made
