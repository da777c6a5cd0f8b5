"""Concurrent edits lose nothing; a reader never sees half a database while makeuserdb runs."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from courier.userdb.compile import makeuserdb
from courier.userdb.dat import UserdbDat
from tests.conftest import REPO, child_env

BIN = REPO / ".venv" / "bin"


def test_parallel_userdb_set_loses_no_account(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [str(BIN / "userdb"), "--config-dir", str(tmp_path), f"user{i}@example.com", "set", f"uid={i}"],
            env=child_env(),
        )
        for i in range(8)
    ]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    lines = (tmp_path / "userdb").read_text().splitlines()
    assert sorted(lines) == sorted(f"user{i}@example.com\tuid={i}" for i in range(8))


def test_reader_sees_old_or_new_never_half(tmp_path: Path) -> None:
    src = tmp_path / "userdb"
    n = 1000

    def write(generation: int) -> None:
        src.write_text("".join(f"u{i}\thome=/h/{i}|gen={generation}|systempw=x\n" for i in range(n)))
        src.chmod(0o600)

    write(0)
    makeuserdb(str(src))
    db = UserdbDat(tmp_path / "userdb.dat")
    stop = threading.Event()
    seen: set[str] = set()
    problems: list[str] = []

    def reader() -> None:
        i = 0
        while not stop.is_set():
            name = f"u{(i * 7919) % n}"
            rec = db.lookup(name)
            if rec is None or "gen" not in rec:
                problems.append(f"{name}: {rec}")
            else:
                seen.add(rec["gen"])
            i += 1

    t = threading.Thread(target=reader)
    t.start()
    try:
        for gen in range(1, 4):
            write(gen)
            makeuserdb(str(src))
    finally:
        stop.set()
        t.join()
    db.close()
    assert problems == []
    assert UserdbDat(tmp_path / "userdb.dat").lookup("u1") == {"home": "/h/1", "gen": "3", "_": ""}
    assert len(seen) >= 2  # the reader did see a replacement while running
