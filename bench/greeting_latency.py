"""Connect-to-first-byte latency of a per-connection program (courier-tcpd, systemd-socket-activate).

Run: ``.venv/bin/python -m bench.greeting_latency [--count 50]`` (``make bench`` runs it).
Not a test: it prints a table of medians for the README's Performance section.

Measured in the same run, so that the machine's speed cancels out:

* floor: ``/usr/bin/python3 -I -S`` running a five-line greeter (the least a
  Python program started per connection can cost);
* ours: the IMAP server (``courier.cli.imapd``) when it is installed, otherwise
  a greeter that finds its client through ``courier.net.activation``;

each started by ``systemd-socket-activate --inetd -a`` (what systemd's
``Accept=yes`` does) and by ``courier-tcpd``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_PY = str(Path(sys.executable))
SYSTEM_PY = "/usr/bin/python3"

FLOOR_SCRIPT = """\
import socket
s = socket.socket(fileno=0)
s.sendall(b"* OK ready\\r\\n")
s.recv(100)
"""

PROBE_SCRIPT = """\
from courier.net.activation import client_socket
sock, ip, port = client_socket()
sock.sendall(b"* OK ready\\r\\n")
sock.recv(100)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_byte_ms(port: int) -> float:
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        if not s.recv(1):
            raise RuntimeError("connection closed before the greeting")
        elapsed = time.perf_counter() - t0
        s.sendall(b"a LOGOUT\r\n")
    return elapsed * 1000


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"launcher exited with {proc.returncode}")
        if _is_listening(port):  # read from /proc: a test connection would start a process
            return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on port {port}")


def _is_listening(port: int) -> bool:
    hexport = f"{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1].endswith(":" + hexport) and fields[3] == "0A":
                    return True
    return False


@contextmanager
def launched(kind: str, program: Sequence[str], env: dict[str, str]) -> Iterator[int]:
    port = free_port()
    if kind == "systemd-socket-activate":
        tool = shutil.which("systemd-socket-activate")
        if not tool:
            raise RuntimeError("systemd-socket-activate is not installed (Debian package systemd)")
        # The tool passes on only the variables named with -E.
        passed = [f"-E{k}={v}" for k, v in env.items() if k in ("PYTHONPATH", "COURIER_BENCH")]
        argv = [tool, "--inetd", "-a", "-l", f"127.0.0.1:{port}", *passed, *program]
    else:
        tcpd = str(Path(VENV_PY).parent / "courier-tcpd")
        argv = [tcpd, "--listen", f"127.0.0.1:{port}", "--maxprocs", "100", "--maxperip", "0", "--", *program]
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(ports: Sequence[int], count: int, warmup: int = 3) -> list[list[float]]:
    """Samples per port, taken in turns so that load changes hit every case alike."""
    for port in ports:
        for _ in range(warmup):
            first_byte_ms(port)
    samples: list[list[float]] = [[] for _ in ports]
    for _ in range(count):
        for i, port in enumerate(ports):
            samples[i].append(first_byte_ms(port))
            time.sleep(0.005)  # let the previous process exit, as between real clients
    return samples


def our_program(workdir: Path) -> tuple[str, list[str]]:
    """The IMAP server if present, else the activation probe."""
    if importlib.util.find_spec("courier.cli.imapd") is not None:
        etc = workdir / "etc"
        etc.mkdir(exist_ok=True)
        for name in ("imapd", "imapd-ssl"):
            shutil.copy(REPO / "etc" / f"{name}.dist", etc / name)
        return "imapd", [VENV_PY, "-I", "-m", "courier.cli.imapd", "--config-dir", str(etc)]
    probe = workdir / "probe.py"
    probe.write_text(PROBE_SCRIPT)
    return "activation probe", [VENV_PY, "-I", str(probe)]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--count", type=int, default=50, help="connections per case (%(default)s)")
    args = p.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LISTEN_", "PYTHON"))}
    with tempfile.TemporaryDirectory(prefix="courier-bench-") as tmp:
        work = Path(tmp)
        floor = work / "floor.py"
        floor.write_text(FLOOR_SCRIPT)
        name, ours = our_program(work)
        cases = [("floor", [SYSTEM_PY, "-I", "-S", str(floor)]), (name, ours)]
        results: dict[tuple[str, str], list[float]] = {}
        for launcher in ("systemd-socket-activate", "courier-tcpd"):
            with launched(launcher, cases[0][1], env) as p0, launched(launcher, cases[1][1], env) as p1:
                floor_ms, ours_ms = measure([p0, p1], args.count)
            results[(launcher, cases[0][0])] = floor_ms
            results[(launcher, cases[1][0])] = ours_ms
    load = os.getloadavg()[0]
    print(f"connect -> first byte (ms), {args.count} sequential connections per case, taken in turns;")
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average {load:.1f}")
    print()
    print("| launcher | program | median | p10 | p90 | ratio to floor |")
    print("|---|---|---|---|---|---|")
    for launcher in ("systemd-socket-activate", "courier-tcpd"):
        base = statistics.median(results[(launcher, "floor")])
        for label, _ in cases:
            xs = sorted(results[(launcher, label)])
            med = statistics.median(xs)
            p10, p90 = xs[len(xs) // 10], xs[(len(xs) * 9) // 10]
            print(f"| {launcher} | {label} | {med:.1f} | {p10:.1f} | {p90:.1f} | {med / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
