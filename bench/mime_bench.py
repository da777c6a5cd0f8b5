"""Speed of courier.mime on a generated corpus: what FETCH ENVELOPE/BODYSTRUCTURE and SEARCH cost.

Run: ``.venv/bin/python -m bench.mime_bench [-n 10000] [--dir DIR]`` (``make bench`` runs it
with the defaults).  The corpus (bench/mime_corpus.py, seeded) is written once as files,
then each measurement reads the files the way the server does:

* parse + ENVELOPE + BODYSTRUCTURE of every message (no cache): msgs/s
* summarise every message into a courier.mime.cache file, load it back: the
  per-folder cache's write and read cost, and ENVELOPE/BODY from loaded records
* SEARCH TEXT "<phrase>" over every message (decoded text parts)
* SEARCH FROM from loaded records
* for reference: the stdlib ``email`` parser on the same files (headers only)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.mime_corpus import PHRASE, messages
from courier.mime.cache import SummaryCache
from courier.mime.message import Message
from courier.mime.search import text_contains, text_matches
from courier.mime.summary import Summary


def _corpus(directory: Path, n: int, seed: int) -> list[str]:
    stamp = directory / f".complete-{n}-{seed}"
    files = [str(directory / f"{i:07d}.eml") for i in range(n)]
    if not stamp.exists():
        directory.mkdir(parents=True, exist_ok=True)
        for path, data in zip(files, messages(n, seed), strict=True):
            Path(path).write_bytes(data)
        stamp.touch()
    return files


def _timed(label: str, count: int, fn: Callable[[], object]) -> float:
    """Run once; print wall and CPU time (CPU time is what a busy machine does not distort)."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    dt, dc = time.perf_counter() - t, time.process_time() - c
    print(f"| {label} | {dt * 1000:,.0f} ms | {dc * 1000:,.0f} ms | {count / max(dc, 1e-9):,.0f} msgs/s |")
    return dt


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="mime_bench", description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=10_000, help="messages in the corpus (default 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", help="where to keep the corpus (default: a temporary directory)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(args.dir) if args.dir else Path(tmp) / "corpus"
        t = time.perf_counter()
        files = _corpus(directory, args.n, args.seed)
        total = sum(os.path.getsize(f) for f in files)
        prep = time.perf_counter() - t
        print(f"corpus: {len(files)} messages, {total / 1e6:,.1f} MB ({prep:.1f} s to prepare)")
        print()
        print("| measurement | wall | CPU | rate (CPU) |")
        print("|---|---:|---:|---:|")

        def envelope_and_structure() -> None:
            for f in files:
                with Message.open(f) as m:
                    m.envelope()
                    m.bodystructure()

        _timed("parse + ENVELOPE + BODYSTRUCTURE", len(files), envelope_and_structure)

        def envelope_only() -> None:
            for f in files:
                with Message.open(f) as m:
                    m.envelope()

        _timed("ENVELOPE only (header block)", len(files), envelope_only)

        stamps = [(os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files]
        cache_path = str(Path(tmp) / "summaries")
        filled = SummaryCache(cache_path)

        def fill() -> None:
            for f, st in zip(files, stamps, strict=True):
                filled.summary(f, st, f)
            filled.save()

        _timed("summarise + save cache file (first FETCH)", len(files), fill)
        loaded: list[Summary] = []

        def load() -> None:
            c = SummaryCache(cache_path)
            c.load()
            for f, st in zip(files, stamps, strict=True):
                s = c.get(f, st)
                assert s is not None
                loaded.append(s)

        size_mb = os.path.getsize(cache_path) / 1e6
        _timed(f"load cache file ({size_mb:.1f} MB) + get every record", len(files), load)

        def cached_fetch() -> None:
            for s in loaded:
                s.envelope  # noqa: B018
                s.body()

        _timed("ENVELOPE + BODY from loaded records", len(files), cached_fetch)
        hits: list[int] = []

        def search_from() -> None:
            hits.clear()
            hits.extend(i for i, s in enumerate(loaded) if text_contains(s.from_, "alice"))

        _timed("SEARCH FROM alice, records", len(files), search_from)
        print(f"(FROM hits: {len(hits)})")

        def search_text() -> None:
            hits.clear()
            for i, f in enumerate(files):
                with Message.open(f) as m:
                    if text_matches(m.buf, m.root, PHRASE):
                        hits.append(i)

        _timed("SEARCH TEXT phrase", len(files), search_text)
        print(f"(TEXT hits: {len(hits)})")

        import email
        import email.policy

        sample = files[: min(len(files), 2000)]

        def stdlib() -> None:
            for f in sample:
                with open(f, "rb") as fh:
                    msg = email.message_from_binary_file(fh, policy=email.policy.compat32)
                    msg.get("From")
                    msg.get_content_type()

        _timed("reference: stdlib email parser, whole message", len(sample), stdlib)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
