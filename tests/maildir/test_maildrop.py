"""POP3's maildrop: what a session does to the files of a maildir."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from courier.maildir import pop3sizelist
from courier.maildir.maildrop import CHUNK, Maildrop, MaildropError, MaildropLocked
from tests.conftest import PYTHON, child_env
from tests.pop3.conftest import MULTI, SIMPLE, deliver, make_maildir


@pytest.fixture
def md(tmp_path: Path) -> Path:
    return make_maildir(tmp_path / "Maildir")


def files(md: Path) -> list[str]:
    return sorted(
        str(p.relative_to(md)) for p in md.rglob("*") if p.is_file() and p.name != "courierpop3dlock"
    )


def body(drop: Maildrop, n: int) -> bytes:
    msg = drop.get(n)
    assert msg is not None
    return b"".join(drop.retr(msg))


def test_open_moves_new_to_cur_numbers_and_records(md: Path) -> None:
    deliver(md, MULTI, "1700000001.M2P2.lab")
    deliver(md, SIMPLE, "1700000000.M1P1.lab")
    with Maildrop.open(str(md), now=1795611357) as drop:
        assert [(m.number, m.filename, m.size, m.uidl) for m in drop.messages] == [
            (1, "1700000000.M1P1.lab:2,", 256, "UID1-1795611357"),
            (2, "1700000001.M2P2.lab:2,", 839, "UID2-1795611357"),
        ]
        assert drop.stat() == (2, 1095)
    assert files(md) == ["courierpop3dsizelist", "cur/1700000000.M1P1.lab:2,", "cur/1700000001.M2P2.lab:2,"]
    assert (md / "courierpop3dsizelist").read_bytes() == (
        b"/3 3 1795611357\n"
        b"1700000000.M1P1.lab:2, 256 1:1795611357:0\n"
        b"1700000001.M2P2.lab:2, 839 2:1795611357:0\n"
    )


def test_uidls_persist_and_continue_after_deletion(md: Path) -> None:
    deliver(md, SIMPLE, "1700000000.M1P1.lab")
    deliver(md, SIMPLE, "1700000001.M2P2.lab")
    with Maildrop.open(str(md), now=100) as drop:
        drop.delete(drop.messages[1])
        drop.update()
    for i in range(3):
        deliver(md, SIMPLE, f"17000000{10 + i}.M{i}.new")
    with Maildrop.open(str(md), now=200) as drop:
        assert [m.uidl for m in drop.messages] == ["UID1-100", "UID3-100", "UID4-100", "UID5-100"]
    assert (md / "courierpop3dsizelist").read_bytes().startswith(b"/3 6 100\n")


def test_retr_is_crlf_and_dot_stuffed(md: Path) -> None:
    deliver(md, b"From: a\n\n.leading dot\nmiddle\n..two\n.\nlast", "1.a")
    deliver(md, b"From: b\r\n\r\nalready crlf\r\n.dot\r\n", "2.b")
    with Maildrop.open(str(md)) as drop:
        assert body(drop, 1) == b"From: a\r\n\r\n..leading dot\r\nmiddle\r\n...two\r\n..\r\nlast\r\n.\r\n"
        assert body(drop, 2) == b"From: b\r\n\r\nalready crlf\r\n..dot\r\n.\r\n"
        for n in (1, 2):
            msg = drop.get(n)
            assert msg is not None
            # The advertised size is what goes out before the terminating ".\r\n" (dots excluded).
            sent = body(drop, n)[:-3]
            assert msg.size == len(sent) - sent.count(b"\r\n.")


def test_big_message_in_large_chunks(md: Path) -> None:
    line = b"x" * 999 + b"\n"
    huge_line = b"." + b"y" * (5 * CHUNK) + b"\r\n"
    data = b"Subject: big\n\n" + line * 2000 + b".dot\n" + huge_line + b"end\n"
    deliver(md, data, "1.big")
    with Maildrop.open(str(md)) as drop:
        msg = drop.get(1)
        assert msg is not None
        chunks = list(drop.retr(msg))
        out = b"".join(chunks)
        expected = (
            data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").replace(b"\r\n.", b"\r\n..") + b".\r\n"
        )
        assert out == expected
        assert len(chunks) < 20
        assert msg.size == len(data) + data.count(b"\n") - data.count(b"\r\n")


def test_top(md: Path) -> None:
    deliver(md, b"A: 1\nB: 2\n\nl1\n.l2\nl3\n", "1.a")
    deliver(md, b"A: 1\nno body", "2.b")
    with Maildrop.open(str(md)) as drop:
        m1, m2 = drop.messages
        assert b"".join(drop.top(m1, 0)) == b"A: 1\r\nB: 2\r\n\r\n.\r\n"
        assert b"".join(drop.top(m1, 2)) == b"A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n"
        assert b"".join(drop.top(m1, 99)) == b"A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n"
        assert b"".join(drop.top(m2, 0)) == b"A: 1\r\nno body\r\n.\r\n"
        drop.update()
    assert files(md)[1:] == ["cur/1.a:2,", "cur/2.b:2,"]  # TOP does not set Seen


def test_update_deletes_and_marks_seen(md: Path) -> None:
    for i in range(4):
        deliver(md, SIMPLE, f"{i}.m")
    os.rename(md / "new/3.m", md / "cur/3.m:2,FT")
    with Maildrop.open(str(md)) as drop:
        body(drop, 1)
        body(drop, 2)
        body(drop, 4)
        drop.delete(drop.messages[1])
        assert drop.get(2) is None
        assert drop.stat() == (3, 3 * 256)
        drop.update()
    assert files(md)[1:] == ["cur/0.m:2,S", "cur/2.m:2,", "cur/3.m:2,FST"]


def test_rset_and_dropped_session_delete_nothing(md: Path) -> None:
    deliver(md, SIMPLE, "1.a")
    with Maildrop.open(str(md)) as drop:
        drop.delete(drop.messages[0])
        drop.reset()
        assert drop.get(1) is not None
        drop.update()
    with Maildrop.open(str(md)) as drop:
        body(drop, 1)
        drop.delete(drop.messages[0])
        # no update(): the connection dropped
    assert files(md)[1:] == ["cur/1.a:2,"]


def test_message_delivered_during_session_survives_quit(md: Path) -> None:
    deliver(md, SIMPLE, "1.a")
    with Maildrop.open(str(md)) as drop:
        late = deliver(md, MULTI, "2.late")
        assert [m.filename for m in drop.messages] == ["1.a:2,"]
        drop.delete(drop.messages[0])
        drop.update()
    assert late.exists()
    with Maildrop.open(str(md)) as drop:
        assert [m.filename for m in drop.messages] == ["2.late:2,"]
        assert drop.messages[0].uidl.startswith("UID2-")


def test_flags_changed_by_another_program_are_followed(md: Path) -> None:
    deliver(md, SIMPLE, "1.a")
    deliver(md, SIMPLE, "2.b")
    with Maildrop.open(str(md)) as drop:
        os.rename(md / "cur/1.a:2,", md / "cur/1.a:2,F")  # an IMAP client flags it
        os.rename(md / "cur/2.b:2,", md / "cur/2.b:2,R")
        assert body(drop, 1).startswith(b"From: Alice")
        drop.delete(drop.messages[1])
        drop.update()
    assert files(md)[1:] == ["cur/1.a:2,FS"]


def test_message_gone_meanwhile(md: Path) -> None:
    deliver(md, SIMPLE, "1.a")
    with Maildrop.open(str(md)) as drop:
        os.unlink(md / "cur/1.a:2,")
        msg = drop.messages[0]
        with pytest.raises(FileNotFoundError):
            drop.retr(msg)
        drop.delete(msg)
        assert drop.update() == []


def test_stale_tmp_files_are_purged(md: Path) -> None:
    left = md / "tmp/left-by-a-crash"
    left.write_bytes(b"x")
    Maildrop.open(str(md)).close()
    assert left.exists()  # may still be being written
    Maildrop.open(str(md), now=int(time.time()) + 40 * 3600).close()
    assert not left.exists()


def test_not_a_maildir(tmp_path: Path) -> None:
    with pytest.raises(MaildropError, match="no 'cur' directory"):
        Maildrop.open(str(tmp_path))


def test_unwritable_sizelist_hides_new_messages(md: Path) -> None:
    deliver(md, SIMPLE, "1.a")
    with Maildrop.open(str(md), now=10):
        pass
    deliver(md, SIMPLE, "2.b")
    os.rmdir(md / "tmp")
    (md / "tmp").write_bytes(b"not a directory")  # the list cannot be saved
    with Maildrop.open(str(md)) as drop:
        assert [m.uidl for m in drop.messages] == ["UID1-10"]
        assert drop.sizelist_error is not None


def test_unwritable_sizelist_on_first_use_shows_one_message(md: Path) -> None:
    deliver(md, SIMPLE, "1.a")
    deliver(md, SIMPLE, "2.b")
    os.rmdir(md / "tmp")
    (md / "tmp").write_bytes(b"")
    with Maildrop.open(str(md)) as drop:
        assert len(drop.messages) == 1
        assert drop.messages[0].uidl.startswith("ENOMEM-")


def test_lock_excludes_a_second_session(md: Path) -> None:
    first = Maildrop.open(str(md))
    with pytest.raises(MaildropLocked):
        Maildrop.open(str(md))
    first.close()
    Maildrop.open(str(md)).close()


def test_lock_of_a_killed_process_is_gone_at_once(md: Path) -> None:
    holder = subprocess.Popen(
        [
            PYTHON,
            "-c",
            "import sys, time; from courier.maildir.maildrop import Maildrop; "
            "d = Maildrop.open(sys.argv[1]); print('locked', flush=True); time.sleep(60)",
            str(md),
        ],
        stdout=subprocess.PIPE,
        env=child_env(),
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == b"locked\n"
    with pytest.raises(MaildropLocked):
        Maildrop.open(str(md))
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    Maildrop.open(str(md)).close()


def test_written_list_is_what_courier_reads(md: Path) -> None:
    deliver(md, "Subject: Grüße\n\nx\n".encode(), "1.u")
    with Maildrop.open(str(md), now=9):
        pass
    parsed = pop3sizelist.read(str(md))
    assert parsed is not None and parsed.entries[0].utf8
    assert (md / "courierpop3dsizelist").read_bytes() == b"/3 2 9\n1.u:2, 23 1:9:1\n"


def test_deletion_updates_maildirsize(md: Path) -> None:
    (md / "maildirsize").write_bytes(b"1000000S\n         512            2\n")
    deliver(md, SIMPLE, "1.a,S=248")
    deliver(md, SIMPLE, "2.b")
    with Maildrop.open(str(md)) as drop:
        drop.delete(drop.messages[0])
        drop.delete(drop.messages[1])
        drop.update()
    lines = (md / "maildirsize").read_text().splitlines()
    assert lines[-1].split() == ["-496", "-2"]
