"""``make bench``: our server against Debian's Courier-IMAP and Dovecot on one corpus, one machine.

Builds (once, cached) a seeded corpus of 10,000 and 100,000 messages, links it
into a maildir per server, starts every server on loopback with the same
account, runs each measurement repeatedly with the servers taking turns, stops
them, and writes bench/results/latest.{json,md,png}.  ``--quick`` uses
1,000/10,000 messages and fewer repetitions (for development).

The older single-purpose benchmarks (greeting_latency, mime_bench,
makeuserdb_bench, auth_backends) still run on their own:
``python -m bench.<name>``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench import corpus, debian, measure, report, servers

RESULTS = Path(__file__).resolve().parent / "results"


class Progress:
    """One rewritten line on a terminal; plain lines (one per case) otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.t0 = time.monotonic()

    def __call__(self, text: str, final: bool = False) -> None:
        stamp = f"[{time.monotonic() - self.t0:6.0f}s] "
        if self.tty:
            sys.stderr.write("\r\033[K" + stamp + text[:150] + ("\n" if final else ""))
        elif final:
            sys.stderr.write(stamp + text + "\n")
        sys.stderr.flush()


def _folder(maildir: Path, name: str, source: Path, owner: tuple[int, int]) -> None:
    d = maildir / f".{name}"
    corpus.link_into(source, d, owner)
    (d / "maildirfolder").touch()
    os.chown(d / "maildirfolder", *owner)


def prepare(
    server: servers.Server, small: Path, big: Path | None, copies: int, owner: tuple[int, int]
) -> None:
    if server.base.exists():  # the last run's maildirs: over a million links, rm is faster than rmtree
        subprocess.run(["rm", "-rf", "--one-file-system", str(server.base)], check=True)
    server.base.mkdir(parents=True)
    server.home.mkdir()
    os.chown(server.home, *owner)
    os.chmod(server.home, 0o700)
    server.prepare()
    corpus.link_into(small, server.maildir, owner)
    for k in range(copies):
        for name in measure.FIRST_COPIES:
            _folder(server.maildir, f"{name}{k}", small, owner)
    if big is not None:
        for name in measure.BIG_COPIES:
            _folder(server.maildir, name, big, owner)


@contextmanager
def floor_greeter(work: Path) -> Iterator[int]:
    """A bare ``python3 -I -S`` greeter behind systemd-socket-activate: the least a per-connection
    Python program can cost on this machine."""
    from bench.greeting_latency import FLOOR_SCRIPT, SYSTEM_PY, launched

    if not shutil.which("systemd-socket-activate"):
        yield 0
        return
    script = work / "floor.py"
    script.write_text(FLOOR_SCRIPT)
    with launched(
        "systemd-socket-activate", [SYSTEM_PY, "-I", "-S", str(script)], {"PATH": "/usr/bin:/bin"}
    ) as p:
        yield p


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    p.add_argument("--quick", action="store_true", help="small corpus, few repetitions (development)")
    p.add_argument("--servers", default="ours,courier,dovecot", help="comma-separated (%(default)s)")
    p.add_argument("--only", default="", help="comma-separated measurement keys to run (default: all)")
    p.add_argument("--no-big", action="store_true", help="leave out the 100,000-message folder")
    p.add_argument("--out", type=Path, default=RESULTS, help="where latest.{json,md,png} go (%(default)s)")
    p.add_argument("--parallel-seconds", type=float, default=None, help="duration of each parallel run")
    p.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="also put the table and chart into this README's Performance section (make bench does)",
    )
    p.add_argument(
        "--list", action="store_true", help="list the measurement keys, titles and targets, and exit"
    )
    args = p.parse_args(argv)
    if args.list:
        for c in measure.cases(10.0, 10_000, 100_000):
            print(f"{c.key:20} {c.title}" + (f"  [target {c.target}]" if c.target else ""))
        return 0
    unknown = set(filter(None, args.only.split(","))) - {c.key for c in measure.cases(10.0, 10_000, 100_000)}
    if unknown:
        p.error(f"--only: no measurement {', '.join(sorted(unknown))} (see --list)")

    quick = args.quick
    n_small, n_big = (1_000, 10_000) if quick else (10_000, 100_000)
    par_s = args.parallel_seconds or (4.0 if quick else 10.0)
    say = Progress()
    owner = servers.account_owner()
    debian.CACHE.mkdir(parents=True, exist_ok=True)

    def built(n: int) -> Path:
        path = corpus.build(debian.CACHE, n, progress=lambda d, t: say(f"corpus: {d:,}/{t:,} messages"))
        corpus.chown_corpus(path, owner)
        return path

    small = built(n_small)
    big = None if args.no_big else built(n_big)
    say(f"corpus ready ({n_small:,} / {n_big if big else 0:,} messages)", final=True)

    all_cases = measure.cases(par_s, n_small, n_big if big is not None else 0)
    if args.only:
        keep = set(args.only.split(","))
        all_cases = [c for c in all_cases if c.key in keep]
    copies = max(
        [
            c.quick_reps if quick else c.reps
            for c in all_cases
            if c.key.endswith("_first") and "100k" not in c.key
        ],
        default=1,
    )
    base = debian.CACHE / "run"
    notes: list[str] = []
    running: list[servers.Server] = []
    labels: dict[str, str] = {}
    with ExitStack() as stack:
        for name in args.servers.split(","):
            srv = servers.KINDS[name](base, owner)
            say(f"{name}: preparing maildir and configuration")
            try:
                prepare(srv, small, big, copies, owner)
                srv.start()
            except (debian.Unavailable, RuntimeError, OSError) as e:
                notes.append(f"{srv.label} left out: {e}")
                say(f"{name}: left out: {e}", final=True)
                srv.stop()
                continue
            stack.callback(srv.stop)
            running.append(srv)
            labels[name] = srv.label
            say(f"{name}: {srv.label} listening (IMAP {srv.imap_port}, POP3 {srv.pop3_port})", final=True)
        work = base / "floor"
        work.mkdir(parents=True, exist_ok=True)
        floor_port = stack.enter_context(floor_greeter(work))
        for srv in running:
            if isinstance(srv, servers.Ours):
                srv.floor_port = floor_port  # type: ignore[attr-defined]

        results: dict[str, Any] = {}
        for i, case in enumerate(all_cases, 1):
            reps = case.quick_reps if quick else case.reps
            samples: dict[str, list[float]] = {s.name: [] for s in running}
            errors: dict[str, list[str]] = {s.name: [] for s in running}
            counts: dict[str, dict[str, int]] = {s.name: {} for s in running}
            for srv in running if case.warmup else []:
                say(f"[{i}/{len(all_cases)}] {case.key}: {srv.name} warm-up")
                try:
                    case.run(srv, 0)
                except Exception as e:
                    errors[srv.name].append(f"warm-up: {type(e).__name__}: {e}")
            for rep in range(reps):
                for srv in running:
                    say(f"[{i}/{len(all_cases)}] {case.key}: {srv.name} {rep + 1}/{reps}")
                    srv.extra.clear()
                    try:
                        v = case.run(srv, rep)
                    except Exception as e:
                        errors[srv.name].append(f"{type(e).__name__}: {e}")
                        if os.environ.get("BENCH_DEBUG"):
                            traceback.print_exc()
                        continue
                    finally:
                        for k, vs in srv.extra.items():
                            counts[srv.name][k] = counts[srv.name].get(k, 0) + int(sum(vs))
                    if v is not None:
                        samples[srv.name].append(v)
            results[case.key] = {
                "title": case.title,
                "unit": case.unit,
                "target": case.target,
                "goal": case.goal.as_dict() if case.goal else None,
                "results": {
                    n: {
                        "samples": samples[n],
                        "summary": report.summary(samples[n]),
                        "errors": len(errors[n]),
                        "error_messages": errors[n][:5],
                        **({"counts": counts[n]} if counts[n] else {}),
                    }
                    for n in samples
                },
            }
            line = ", ".join(
                f"{n} {report.fmt(r['summary']['median'] if r['summary'] else None, case.unit)}"
                + (f" ({r['errors']} errors)" if r["errors"] else "")
                + "".join(f", {v} {k}" for k, v in r.get("counts", {}).items())
                for n, r in results[case.key]["results"].items()
            )
            say(f"[{i}/{len(all_cases)}] {case.title}: {line}", final=True)
    data = {
        "machine": report.machine(),
        "quick": quick,
        "corpus": {"small": n_small, "big": n_big if big else 0, "seed": 1},
        "servers": labels,
        "cases": results,
        "notes": notes,
        "elapsed_s": round(time.monotonic() - say.t0),
    }
    for path in report.write(data, args.out):
        say(f"wrote {path}", final=True)
    if args.readme:
        report.update_readme(args.readme, data, args.out)
        say(f"updated {args.readme}", final=True)
    print(report.markdown(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
