"""Four sessions append, flag and expunge in one folder while an MTA delivers.

Every message gets exactly one UID (all sessions agree on key <-> UID), UIDs only
grow, and nothing delivered or appended is lost.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from courier.maildir import MaildirSettings, open_store
from courier.maildir.create import make_maildir
from tests.conftest import PYTHON, REPO, child_env

SESSIONS = 4
ROUNDS = 120
DELIVERIES = 120


def test_four_sessions_and_an_mta(tmp_path: Path) -> None:
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    procs = [
        subprocess.Popen(
            [PYTHON, "-m", "tests.maildir.concurrency_helper", "session", str(md), f"s{i}", str(ROUNDS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(),
            cwd=REPO,
        )
        for i in range(SESSIONS)
    ]
    procs.append(
        subprocess.Popen(
            [PYTHON, "-m", "tests.maildir.concurrency_helper", "mta", str(md), "mta", str(DELIVERIES)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(),
            cwd=REPO,
        )
    )
    results = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode()
        results.append(json.loads(out))

    final = open_store(str(md), MaildirSettings(fsync=False)).open("INBOX")
    uid_of_key = {m.key: m.uid for m in final.messages()}
    key_of_uid: dict[int, str] = {}
    # All sessions agree: one key, one UID; one UID, one key.
    for r in results[:SESSIONS]:
        for key, uid in r["seen"].items():
            if key in uid_of_key:
                assert uid_of_key[key] == uid, f"{key} has two UIDs"
            uid_of_key.setdefault(key, uid)
            assert key_of_uid.setdefault(uid, key) == key, f"UID {uid} given twice"
    ids: dict[str, list[int]] = {}
    for m in final.messages():
        with final.open_message(m.uid) as fh:
            found = re.search(rb"id=(\S+)", fh.read())
        assert found
        ids.setdefault(found.group(1).decode(), []).append(m.uid)
    assert all(len(v) == 1 for v in ids.values()), "a message is stored twice"
    for tag in results[-1]["delivered"]:
        assert tag in ids, f"delivered {tag} lost"
    doomed = {u for r in results[:SESSIONS] for u in r["doomed"]}
    for r in results[:SESSIONS]:
        for tag, uid in r["appended"].items():
            assert (tag in ids and ids[tag] == [uid]) or uid in doomed, f"appended {tag} lost"
    # The UID database lists UIDs in strictly increasing order and below nextuid.
    lines = (md / "courierimapuiddb").read_text().splitlines()
    nextuid = int(lines[0].split()[2])
    uids = [int(line.split()[0]) for line in lines[1:]]
    assert uids == sorted(set(uids)) and all(u < nextuid for u in uids)
    assert [m.uid for m in final.messages()] == uids
    assert len(ids) >= DELIVERIES
    assert not [n for n in os.listdir(md / "tmp") if n != "courier.lock"]
