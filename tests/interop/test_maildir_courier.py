"""Two-way compatibility of our maildir files with Debian's real Courier-IMAP 5.

Real ``imapd`` runs pre-authenticated (AUTHENTICATED set) on a maildir with
IMAP_KEYWORDS=1 and IMAP_USELOCKS=1 (Debian's defaults), driven through stdin.
Whatever one side writes, the other must read back exactly: UIDVALIDITY, UIDs,
flags, keywords, folders, subscriptions and the quota.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from courier.maildir import MaildirSettings, open_store
from courier.maildir.deliver import deliver
from courier.maildir.store import MaildirStore
from tests import realcourier

pytestmark = pytest.mark.slow


def courier_imapd(maildir: Path, *commands: str) -> str:
    """Run real Courier imapd on ``maildir`` with tagged ``commands`` (LOGOUT added)."""
    lines = [f"c{i} {c}" for i, c in enumerate(commands)] + ["z LOGOUT"]
    env = realcourier.env(
        {
            "AUTHENTICATED": "tester",
            "MAILDIR": str(maildir),
            "HOME": str(maildir.parent),
            "IMAP_KEYWORDS": "1",
            "IMAP_USELOCKS": "1",
            "IMAP_ACL": "1",
            # No FAM server: gamin then fails at once instead of retrying for seconds.
            "GAMIN_DEBUG_SERVER": "/bin/false",
        }
    )
    out = subprocess.run(
        [realcourier.binary("usr/bin/imapd"), str(maildir)],
        input="".join(line + "\r\n" for line in lines).encode(),
        env=env,
        capture_output=True,
        timeout=60,
    ).stdout.decode("utf-8", "replace")
    assert "* PREAUTH" in out, out
    for i in range(len(commands)):
        assert re.search(rf"^c{i} OK", out, re.M), f"command {commands[i]!r} failed:\n{out}"
    return out


def courier_maildirmake(*argv: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [realcourier.binary("usr/bin/maildirmake.courier"), *argv],
        env=realcourier.env(),
        capture_output=True,
        timeout=30,
    )


def fetched(out: str) -> dict[int, set[str]]:
    """UID -> flags from ``* n FETCH (UID u FLAGS (...))`` lines."""
    result = {}
    for m in re.finditer(r"^\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\)", out, re.M):
        result[int(m.group(1))] = set(m.group(2).split()) - {"\\Recent"}
    return result


def uidvalidity(out: str) -> int:
    m = re.search(r"\[UIDVALIDITY (\d+)\]", out)
    assert m, out
    return int(m.group(1))


@pytest.fixture
def md(tmp_path: Path) -> Path:
    path = tmp_path / "Maildir"
    r = courier_maildirmake(str(path))
    assert r.returncode == 0, r.stderr
    return path


def ours(md: Path) -> MaildirStore:
    return open_store(str(md), MaildirSettings(fsync=False))


def test_courier_writes_we_read(md: Path) -> None:
    for i in range(3):
        deliver(str(md), f"Subject: m{i}\n\nbody {i}\n".encode())
    out = courier_imapd(
        md,
        "CREATE INBOX.Foo.Bar",
        "CREATE INBOX.&AOQ-ml&AOQ-ut",
        "SUBSCRIBE INBOX.Foo.Bar",
        "SUBSCRIBE INBOX.NoSuch",
        "SELECT INBOX",
        "STORE 1 +FLAGS (\\Seen \\Flagged $Forwarded MyKeyword)",
        "STORE 2 +FLAGS (\\Answered \\Deleted Other)",
        "STORE 3 +FLAGS (\\Draft)",
        "STORE 3 -FLAGS (\\Draft)",
        "APPEND INBOX (\\Seen Appended) {14}\r\nSubject: a\r\n\r\n",
        "NOOP",
        "UID FETCH 1:* (FLAGS)",
    )
    want = fetched(out)
    st = ours(md)
    mb = st.open("INBOX")
    assert mb.uidvalidity == uidvalidity(out)
    assert {m.uid: set(m.flags) for m in mb.messages()} == want
    assert want[1] == {"\\Seen", "\\Flagged", "$Forwarded", "MyKeyword"}
    assert want[4] == {"\\Seen", "Appended"}
    assert set(mb.keywords()) == {"$Forwarded", "MyKeyword", "Other", "Appended"}
    assert not any(m.recent for m in mb.messages())
    assert mb.uidnext == 5
    names = {f.name: f.selectable for f in st.list_folders()}
    assert names["INBOX.Foo"] is False and names["INBOX.Foo.Bar"] is True
    assert names["INBOX.ämläut"] is True
    assert st.subscriptions() == ["INBOX.Foo.Bar", "INBOX.NoSuch"]


def test_we_write_courier_reads(md: Path) -> None:
    deliver(str(md), b"Subject: delivered\n\nx\n")
    st = ours(md)
    st.create("INBOX.Foo.Bar")
    st.create("INBOX.ämläut")
    st.subscribe("INBOX.Foo.Bar")
    mb = st.open("INBOX")
    mb.append([b"Subject: two\r\n\r\nx\r\n"], frozenset({"\\Seen", "$Forwarded", "MyKw"}), 760686745.0)
    mb.append([b"Subject: three\r\n\r\nx\r\n"], frozenset({"\\Draft"}))
    mb.set_flags([1], frozenset({"\\Flagged", "\\Answered", "Other"}), frozenset())
    mb.set_flags([2], frozenset(), frozenset({"MyKw"}))
    mb.set_flags([3], frozenset({"\\Deleted"}), frozenset())
    mb.expunge()
    mb.copy_to([1, 2], "INBOX.Foo.Bar")
    ours_flags = {m.uid: set(m.flags) for m in mb.messages()}
    out = courier_imapd(
        md,
        "SELECT INBOX",
        "UID FETCH 1:* (FLAGS INTERNALDATE)",
        'LSUB "" *',
        'LIST "" *',
        "SELECT INBOX.Foo.Bar",
        "UID FETCH 1:* (FLAGS)",
    )
    first, second = out.split("\nc3 OK", 1)
    assert uidvalidity(first) == mb.uidvalidity
    assert (
        fetched(first) == ours_flags == {1: {"\\Flagged", "\\Answered", "Other"}, 2: {"\\Seen", "$Forwarded"}}
    )
    assert "* 0 RECENT" in first
    assert '"08-Feb-1994 05:52:25 +0000"' in first
    assert '* LSUB (\\HasNoChildren) "." "INBOX.Foo.Bar"' in first
    assert '"INBOX.&AOQ-ml&AOQ-ut"' in first
    assert '(\\Noselect \\HasChildren) "." "INBOX.Foo"' in first
    dest = st.open("INBOX.Foo.Bar", readonly=True)
    assert uidvalidity(second) == dest.uidvalidity
    assert fetched(second) == {m.uid: set(m.flags) for m in dest.messages()}


def test_both_append_uids_interleave(md: Path) -> None:
    st = ours(md)
    mb = st.open("INBOX")
    mb.append([b"Subject: 1\n\nx\n"])
    courier_imapd(md, "APPEND INBOX {12}\r\nSubject: 2\r\n")
    mb.append([b"Subject: 3\n\nx\n"])
    deliver(str(md), b"Subject: 4\n\nx\n")
    out = courier_imapd(md, "SELECT INBOX", "UID FETCH 1:* (FLAGS)")
    assert sorted(fetched(out)) == [1, 2, 3, 4]
    mb.refresh()
    assert [m.uid for m in mb.messages()] == [1, 2, 3, 4]
    assert mb.uidnext == 5


def test_courier_expunge_and_flag_changes_reach_open_session(md: Path) -> None:
    for i in range(3):
        deliver(str(md), f"Subject: {i}\n\nx\n".encode())
    mb = ours(md).open("INBOX")
    courier_imapd(md, "SELECT INBOX", "STORE 1 +FLAGS (\\Deleted)", "EXPUNGE", "STORE 1 +FLAGS (\\Seen Kw)")
    ch = mb.refresh()
    assert list(ch.expunged) == [1]
    assert [(m.uid, set(m.flags)) for m in ch.flag_changes] == [(2, {"\\Seen", "Kw"})]


def test_quota_file_shared(md: Path) -> None:
    r = courier_maildirmake("-q", "1000000S,100C", str(md))
    assert r.returncode == 0
    deliver(str(md), b"Subject: 1\n\n" + b"x" * 500 + b"\n")
    out = courier_imapd(md, "GETQUOTAROOT INBOX", "APPEND INBOX {12}\r\nSubject: 2\r\n")
    assert "(STORAGE 1 977 MESSAGE 1 100)" in out, out
    st = ours(md)
    q = st.quota()
    assert q is not None and q.storage_limit == 1000000 and q.messages_limit == 100
    mb = st.open("INBOX")
    mb.append([b"Subject: 3\n\n" + b"y" * 1000 + b"\n"])
    q = st.quota()
    assert q is not None and q.messages_used >= 2
    out = courier_imapd(md, "GETQUOTAROOT INBOX")
    m = re.search(r"\(STORAGE (\d+) 977 MESSAGE (\d+) 100\)", out)
    assert m, out
    assert int(m.group(1)) == (q.storage_used + 1023) // 1024
    assert int(m.group(2)) == q.messages_used


def _tree(root: Path) -> list[tuple[str, str, int]]:
    out = []
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        out.append((str(p.relative_to(root)), oct(st.st_mode), st.st_size if p.is_file() else 0))
    return out


MAILDIRMAKE_RUNS = [
    ["{D}"],
    ["-f", "Foo", "{D}"],
    ["-f", "Ä.b", "{D}"],
    ["-F", "Öx", "{D}"],
    ["-q", "5000S,10C", "{D}"],
    ["-q", "100S", "{Q}"],
    ["-S", "{S}"],
    ["-s", "write", "-f", "Pub", "{S}"],
    ["-s", "read,group", "-f", "Rd", "{S}"],
    ["-s", "write,group", "-f", "Wg", "{S}"],
    ["--add", "pub={SHR}", "{D}"],
    ["--add", "two={SHR}", "{D}"],
    ["--del", "pub", "{D}"],
]
FAILING_RUNS = [["{D}"], ["-f", "Foo", "{D}"], ["-f", ".x", "{D}"], ["--del", "nosuch", "{D}"]]


def test_maildirmake_trees_identical(tmp_path: Path) -> None:
    from tests.conftest import REPO, child_env

    trees = []
    for side in ("real", "ours"):
        base = tmp_path / side
        (base / "shr").mkdir(parents=True)
        subst = {"{D}": str(base / "D"), "{Q}": str(base / "Q"), "{S}": str(base / "S"), "{SHR}": "/srv/shr"}

        def run(
            argv: list[str], subst: dict[str, str] = subst, side: str = side
        ) -> subprocess.CompletedProcess[bytes]:
            args = []
            for a in argv:
                for k, v in subst.items():
                    a = a.replace(k, v)
                args.append(a)
            if side == "real":
                return courier_maildirmake(*args)
            return subprocess.run(
                [str(REPO / ".venv/bin/maildirmake"), *args], env=child_env(), capture_output=True, timeout=30
            )

        Path("/srv/shr").mkdir(parents=True, exist_ok=True)
        codes = [run(a).returncode for a in MAILDIRMAKE_RUNS]
        assert codes == [0] * len(MAILDIRMAKE_RUNS), (side, codes)
        assert [run(a).returncode for a in FAILING_RUNS] == [1, 1, 1, 1], side
        trees.append(_tree(base))
        assert (base / "D" / "maildirsize").read_text() == "5000S,10C\n           0            0\n"
        assert (base / "D" / "shared-maildirs").read_text() == "two\t/srv/shr\n"
    assert trees[0] == trees[1]


def test_courier_and_we_append_at_once(md: Path) -> None:
    """Real Courier (IMAP_USELOCKS=1, its tmp/courier.lock) and our sessions number messages
    in one folder at the same moment: every message gets exactly one UID, none is shared."""
    import threading

    count = 10
    commands = [f"APPEND INBOX {{14}}\r\nSubject: c{i:02d}\r\n" for i in range(count)]
    result: dict[str, str] = {}

    def run_courier() -> None:
        result["out"] = courier_imapd(md, *commands)

    st = ours(md)
    mb = st.open("INBOX")
    t = threading.Thread(target=run_courier)
    t.start()
    our_uids = [mb.append([f"Subject: o{i:02d}\r\n\r\nx\r\n".encode()]) for i in range(count)]
    for i in range(count):
        deliver(str(md), f"Subject: d{i:02d}\n\nx\n".encode())
        mb.refresh()
    t.join(timeout=120)
    courier_uids = [int(u) for u in re.findall(r"\[APPENDUID \d+ (\d+)\]", result["out"])]
    assert len(courier_uids) == count
    assert not set(courier_uids) & set(our_uids)
    mb.refresh()
    final = {m.uid: m.key for m in mb.messages()}
    assert len(final) == 3 * count == len(set(final.values()))
    assert set(courier_uids) | set(our_uids) <= set(final)
    out = courier_imapd(md, "SELECT INBOX", "UID FETCH 1:* (FLAGS)")
    assert sorted(fetched(out)) == sorted(final)
