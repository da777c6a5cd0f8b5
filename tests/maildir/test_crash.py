"""SIGKILL a writer at random moments, 200 times: nothing lost or duplicated, no UID reused,
UIDVALIDITY unchanged.

The writer is forked by a small helper process (tests/maildir/crash_helper.py) looping over append,
MTA-style delivery (then a rescan that rewrites the UID database), flag changes and
expunge; it logs what it completed (and what it is about to expunge) to a journal.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

from courier.maildir import MaildirSettings, open_store
from courier.maildir.store import MaildirStore
from tests.conftest import PYTHON, REPO, child_env

ROUNDS = 200
SETTINGS = MaildirSettings(fsync=False)  # a kill does not lose the page cache; keep the test fast


def _ids(md: Path, keys: dict[str, str], names: list[str]) -> None:
    for sub in ("cur", "new"):
        for fn in os.listdir(md / sub):
            key = fn.split(":")[0]
            if key in keys:
                continue
            m = re.search(rb"id=(\S+)", (md / sub / fn).read_bytes())
            assert m, fn
            keys[key] = m.group(1).decode()
    names.clear()


def test_sigkill_writer_200_times(tmp_path: Path) -> None:
    md = tmp_path / "Maildir"
    from courier.maildir.create import make_maildir

    make_maildir(str(md))
    journal = tmp_path / "journal"
    journal.touch()
    store = open_store(str(md), SETTINGS)
    uidvalidity = store.open("INBOX").uidvalidity
    uid_of_key: dict[str, int] = {}
    key_of_uid: dict[int, str] = {}
    id_of_key: dict[str, str] = {}
    rng = random.Random(1234)
    helper = subprocess.Popen(
        [PYTHON, "-m", "tests.maildir.crash_helper", str(md), str(journal)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=REPO,
    )
    assert helper.stdin is not None and helper.stdout is not None
    try:
        for rnd in range(ROUNDS):
            helper.stdin.write(f"run {rnd}\n")
            helper.stdin.flush()
            # The helper prints the pid, the writer "ready" once it has the folder open (any order).
            lines = {helper.stdout.readline().strip(), helper.stdout.readline().strip()}
            assert "ready" in lines
            pid = int((lines - {"ready"}).pop())
            time.sleep(rng.uniform(0.001, 0.02))
            os.kill(pid, signal.SIGKILL)
            helper.stdin.write(f"wait {pid}\n")
            helper.stdin.flush()
            assert helper.stdout.readline().strip() == "done"
            _check(md, store, uidvalidity, journal, uid_of_key, key_of_uid, id_of_key)
    finally:
        helper.kill()
        helper.wait()
    assert len(uid_of_key) > 100


def _check(
    md: Path,
    store: MaildirStore,
    uidvalidity: int,
    journal: Path,
    uid_of_key: dict[str, int],
    key_of_uid: dict[int, str],
    id_of_key: dict[str, str],
) -> None:
    if True:
        mb = store.open("INBOX")  # recovery: stale lock, unnumbered messages
        assert mb.uidvalidity == uidvalidity
        _ids(md, id_of_key, [])
        seen_ids: dict[str, str] = {}
        for m in mb.messages():
            if m.key in uid_of_key:
                assert uid_of_key[m.key] == m.uid, "a message changed its UID"
            if m.uid in key_of_uid:
                assert key_of_uid[m.uid] == m.key, f"UID {m.uid} reused"
            uid_of_key[m.key] = m.uid
            key_of_uid[m.uid] = m.key
            ident = id_of_key[m.key]
            assert ident not in seen_ids, f"message {ident} duplicated"
            seen_ids[ident] = m.key
        uids = [m.uid for m in mb.messages()]
        assert uids == sorted(set(uids))

        # Everything the journal says was stored is there, unless it was about to be expunged.
        stored: dict[str, int | None] = {}
        doomed: set[int] = set()
        doomed_ids: set[str] = set()
        for line in journal.read_text().splitlines():
            kind, *rest = line.split()
            if kind == "A":
                stored[rest[0]] = int(rest[1])
            elif kind == "D":
                stored[rest[0]] = None
            elif kind == "P":
                doomed.add(int(rest[0]))
                doomed_ids.update(rest[1:2])
        for ident, uid in stored.items():
            if ident in seen_ids:
                if uid is not None:
                    assert uid_of_key[seen_ids[ident]] == uid, f"APPENDUID {uid} of {ident} not kept"
                continue
            if ident in doomed_ids:
                continue  # expunged on purpose
            gone_uid = (
                uid
                if uid is not None
                else next((u for k, u in uid_of_key.items() if id_of_key.get(k) == ident), None)
            )
            assert gone_uid is not None and gone_uid in doomed, f"message {ident} lost"
        mb.close()
