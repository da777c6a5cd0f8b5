"""The benchmark corpus as maildir files, generated once and hard-linked into every server's maildir.

Messages come from bench/mime_corpus.py (seeded; message i is the same bytes in
every corpus, so the 10,000 corpus is the first 10,000 of the 100,000 one).
File names look like an MTA's (``<time>.M<i>P1Q<seed>.benchhost,S=<size>``);
2% stay in new/, the rest are in cur/ with a mix of flags; each file's mtime is
its delivery time (servers use it as INTERNALDATE).  Servers only rename and
unlink message files, never rewrite them, so hard links give every server
byte-identical, independent maildirs at no cost.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from bench.mime_corpus import message_at

BASE_TIME = 1_700_000_000


def file_name(i: int, seed: int, size: int) -> tuple[str, str]:
    """(subdirectory, file name) of message i."""
    rng = random.Random(seed * 7_919 + i)
    ts = BASE_TIME + i * 60
    base = f"{ts}.M{i}P1Q{seed}.benchhost,S={size}"
    if rng.random() < 0.02:
        return "new", base
    flags = ""
    if rng.random() < 0.08:
        flags += "F"
    if rng.random() < 0.05:
        flags += "R"
    if rng.random() < 0.75:
        flags += "S"
    return "cur", f"{base}:2,{flags}"


def _write_range(args: tuple[str, int, int, int]) -> int:
    directory, seed, start, stop = args
    total = 0
    for i in range(start, stop):
        data = message_at(i, seed)
        sub, name = file_name(i, seed, len(data))
        path = os.path.join(directory, sub, name)
        with open(path, "wb") as f:
            f.write(data)
        ts = BASE_TIME + i * 60
        os.utime(path, (ts, ts))
        total += len(data)
    return total


def build(cache: Path, n: int, seed: int = 1, progress: Callable[[int, int], None] | None = None) -> Path:
    """CACHE/corpus-<seed>-<n>: a maildir with n messages (made once, then reused)."""
    dest = cache / f"corpus-{seed}-{n}"
    if (dest / ".complete").exists():
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    for sub in ("cur", "new", "tmp"):
        (dest / sub).mkdir(parents=True)
    step = 500
    jobs = [(str(dest), seed, a, min(a + step, n)) for a in range(0, n, step)]
    done = 0
    with multiprocessing.Pool(os.cpu_count() or 1) as pool:
        for _ in pool.imap_unordered(_write_range, jobs):
            done += step
            if progress:
                progress(min(done, n), n)
    (dest / ".complete").touch()
    return dest


def link_into(corpus: Path, maildir: Path, owner: tuple[int, int]) -> None:
    """maildir/{cur,new,tmp}: hard links to the corpus files (maildir must not exist yet)."""
    maildir.mkdir(parents=True)
    for sub in ("cur", "new"):
        subprocess.run(["cp", "-al", str(corpus / sub), str(maildir / sub)], check=True)
    (maildir / "tmp").mkdir()
    for sub in ("", "cur", "new", "tmp"):
        os.chown(maildir / sub, *owner)
        os.chmod(maildir / sub, 0o700)


def chown_corpus(corpus: Path, owner: tuple[int, int]) -> None:
    """Message files belong to the account (hard links share the owner)."""
    stamp = corpus / f".owner-{owner[0]}-{owner[1]}"
    if stamp.exists():
        return
    subprocess.run(
        ["chown", "-R", f"{owner[0]}:{owner[1]}", str(corpus / "cur"), str(corpus / "new")], check=True
    )
    stamp.touch()
