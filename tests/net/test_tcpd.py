"""courier-tcpd over real sockets: one process per connection, limits, IPv6, access file, SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from courier.net.access import candidates, parse
from courier.net.tcpd import LaunchError, Listen, courier_ports, parse_listen
from tests.conftest import PYTHON, child_env, free_port

GREETER = [PYTHON, "-m", "tests.net.greeter"]
REFUSAL = "* BYE Too many connections from your address"


class Tcpd:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, pidfile: Path) -> None:
        self.proc, self.port, self.pidfile = proc, port, pidfile

    def connect(self, host: str = "127.0.0.1", source: str | None = None) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(10)
        if source:
            s.bind((source, 0))
        s.connect((host, self.port))
        return s

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)


def greeting(s: socket.socket) -> dict[str, str]:
    line = readline(s)
    assert line.startswith("HELLO "), line
    return dict(item.split("=", 1) for item in line.split()[1:])


def readline(s: socket.socket) -> str:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        buf += chunk
    return buf.decode()


@pytest.fixture
def tcpd(tmp_path: Path) -> Iterator[Callable[..., Tcpd]]:
    started: list[Tcpd] = []

    def start(*options: str, listen: str = "127.0.0.1", program: list[str] = GREETER) -> Tcpd:
        port = free_port("::1" if listen.startswith("[") else "127.0.0.1")
        pidfile = tmp_path / f"tcpd-{port}.pid"
        argv = [PYTHON, "-m", "courier.cli.courier_tcpd", "--listen", f"{listen}:{port}"]
        argv += ["--pidfile", str(pidfile), "--refuse-message", REFUSAL, *options, "--", *program]
        proc = subprocess.Popen(argv, env=child_env(), stderr=subprocess.PIPE)
        t = Tcpd(proc, port, pidfile)
        started.append(t)
        deadline = time.monotonic() + 10
        while not pidfile.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "courier-tcpd did not start"
            time.sleep(0.02)
        return t

    yield start
    for t in started:
        if t.proc.poll() is None:
            t.proc.kill()
            t.proc.wait()
        if t.proc.stderr:
            t.proc.stderr.close()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_until(cond: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


@pytest.mark.slow
def test_fifty_parallel_connections_get_fifty_processes(tcpd: Callable[..., Tcpd]) -> None:
    t = tcpd("--maxprocs", "60", "--maxperip", "60")
    with ThreadPoolExecutor(max_workers=50) as pool:  # all 50 connect at once
        socks = list(pool.map(lambda _: t.connect(), range(50)))
    try:
        pids = {int(greeting(s)["pid"]) for s in socks}
        assert len(pids) == 50
        assert all(alive(pid) for pid in pids)
        assert os.getpid() not in pids and t.proc.pid not in pids
        # Each process really serves its own connection.
        for i, s in enumerate(socks[:5]):
            s.sendall(f"line {i}\r\n".encode())
            assert readline(s) == f"ECHO line {i}\r\n"
    finally:
        for s in socks:
            s.close()
    wait_until(lambda: not any(alive(p) for p in pids))


def test_maxperip_refuses_the_fifth_with_a_message(tcpd: Callable[..., Tcpd]) -> None:
    t = tcpd("--maxperip", "4", "--maxprocs", "40")
    first = [t.connect() for _ in range(4)]
    for s in first:
        greeting(s)
    fifth = t.connect()
    assert readline(fifth) == REFUSAL + "\r\n"
    assert fifth.recv(100) == b""  # and the connection is closed
    other = t.connect(source="127.0.0.2")  # another address is not affected
    assert greeting(other)["ip"] == "127.0.0.2"
    first[0].close()  # a slot of 127.0.0.1 frees up once its process ends

    def served_again() -> bool:
        s = t.connect()
        line = readline(s)
        s.close()
        return line.startswith("HELLO")

    wait_until(served_again)
    for s in [*first, other, fifth]:
        s.close()
    t.stop()
    err = t.proc.stderr.read().decode() if t.proc.stderr else ""
    assert "Maximum connection limit reached for 127.0.0.1" in err


def test_maxdaemons_cap_holds(tcpd: Callable[..., Tcpd]) -> None:
    t = tcpd("--maxprocs", "3", "--maxperip", "0")
    held = [t.connect(source=f"127.0.0.{i}") for i in (1, 2, 3)]
    for s in held:
        greeting(s)
    for src in ("127.0.0.4", "127.0.0.5"):
        s = t.connect(source=src)
        assert readline(s) == REFUSAL + "\r\n"
        s.close()
    held.pop().close()

    def served() -> bool:
        s = t.connect(source="127.0.0.6")
        ok = readline(s).startswith("HELLO")
        s.close()
        return ok

    wait_until(served)
    for s in held:
        s.close()


def test_ipv6_loopback_is_served(tcpd: Callable[..., Tcpd]) -> None:
    t = tcpd(listen="[::1]")
    s = t.connect("::1")
    g = greeting(s)
    assert g["ip"] == "::1"
    assert f"TCPLOCALPORT={t.port}" in g["env"] and "REMOTE_ADDR=::1" in g["env"]
    assert g["nodelay"] == "1" and g["fd0sock"] == "1"
    s.close()


def test_dual_stack_wildcard_serves_ipv4_and_ipv6(tcpd: Callable[..., Tcpd]) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    t = tcpd(listen="[::]")
    s4, s6 = t.connect("127.0.0.1"), t.connect("::1")
    g4, g6 = greeting(s4), greeting(s6)
    assert g4["ip"] == "::ffff:127.0.0.1"
    assert f"TCPREMOTEIP=::ffff:127.0.0.1,TCPREMOTEPORT={s4.getsockname()[1]}" in g4["env"]
    assert g6["ip"] == "::1"
    s4.close()
    s6.close()


def test_access_file_denies_and_sets_variables(tcpd: Callable[..., Tcpd], tmp_path: Path) -> None:
    rules = tmp_path / "imapaccess"
    rules.mkdir()
    (rules / "local").write_text("# test rules\n127.0.0.2\tdeny\n127\tallow,X_RELAY=1\n*\tdeny\n")
    t = tcpd("--access", str(rules))
    denied = t.connect(source="127.0.0.2")
    assert denied.recv(100) == b""
    ok = t.connect()
    assert "X_RELAY=1" in greeting(ok)["env"]
    ok.close()
    denied.close()


def test_sigterm_stops_listening_and_leaves_no_child(tcpd: Callable[..., Tcpd]) -> None:
    t = tcpd("--grace", "0.5")
    socks = [t.connect() for _ in range(3)]
    pids = [int(greeting(s)["pid"]) for s in socks]
    socks[0].sendall(b"SLEEP\r\n")  # this one ignores SIGTERM: it gets SIGKILL after the grace period
    assert readline(socks[0]) == "SLEEPING\r\n"
    assert t.stop() == 0  # within stop()'s timeout: the hung child was killed, not waited for
    assert not any(alive(p) for p in pids)
    assert not t.pidfile.exists()
    with pytest.raises(ConnectionRefusedError):
        t.connect()
    for s in socks:
        s.close()


def _socket_inodes(pid: int) -> set[str]:
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:"):
                out.add(target)
    return out


PRELOADED = ["--preload", "tests.net.greeter"]


def test_preloaded_program_gets_a_fresh_process_per_connection(tcpd: Callable[..., Tcpd]) -> None:
    t = tcpd(*PRELOADED, program=["greeter"])
    launcher = _socket_inodes(t.proc.pid)  # listener and signal pipe, before any connection
    socks = [t.connect() for _ in range(3)]
    hellos = [greeting(s) for s in socks]
    pids = {int(h["pid"]) for h in hellos}
    assert len(pids) == 3 and t.proc.pid not in pids
    for h, s in zip(hellos, socks, strict=True):
        assert h["ip"] == "127.0.0.1" and int(h["port"]) == s.getsockname()[1]
        assert h["fd0sock"] == "1" and f"TCPREMOTEPORT={h['port']}" in h["env"]
    # none of the launcher's sockets (listener, signal pipe) is left open in a child
    for pid in pids:
        assert not _socket_inodes(pid) & launcher
    socks[1].sendall(b"over there\r\n")
    assert readline(socks[1]) == "ECHO over there\r\n"
    for s in socks:
        s.close()
    wait_until(lambda: not any(alive(p) for p in pids))  # each ends with its connection


def test_preloaded_children_are_limited_and_stopped_like_exec_ones(tcpd: Callable[..., Tcpd]) -> None:
    t = tcpd(*PRELOADED, "--maxperip", "2", "--grace", "0.5", program=["greeter"])
    held = [t.connect() for _ in range(2)]
    pids = [int(greeting(s)["pid"]) for s in held]
    third = t.connect()
    assert readline(third) == REFUSAL + "\r\n"
    held[0].sendall(b"SLEEP\r\n")  # ignores SIGTERM: killed after the grace period
    assert readline(held[0]) == "SLEEPING\r\n"
    assert t.stop() == 0
    assert not any(alive(p) for p in pids)
    for s in [*held, third]:
        s.close()


def test_preload_of_a_module_without_main_is_refused(tmp_path: Path) -> None:
    proc = subprocess.run(
        [PYTHON, "-m", "courier.cli.courier_tcpd", "--listen", f"127.0.0.1:{free_port('127.0.0.1')}",
         "--preload", "courier.log", "--", "x"],
        env=child_env(), capture_output=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert b"--preload courier.log: the module has no main()" in proc.stderr


def test_listen_specs() -> None:
    assert parse_listen("[::1]:143") == Listen("::1", 143)
    assert parse_listen("[::]:143") == Listen("", 143)
    assert parse_listen("143") == Listen("", 143)
    assert parse_listen("0:143") == Listen("", 143)
    assert parse_listen("0.0.0.0:143") == Listen("0.0.0.0", 143)
    assert courier_ports("0", "127.0.0.1.900,993") == [Listen("127.0.0.1", 900), Listen("", 993)]
    assert courier_ports("192.0.2.1", "143") == [Listen("192.0.2.1", 143)]
    assert courier_ports("0", "::1.143") == [Listen("::1", 143)]
    with pytest.raises(LaunchError):
        courier_ports("0", "")


def test_access_prefixes() -> None:
    assert candidates("192.0.2.7") == ["192.0.2.7", "192.0.2", "192.0", "192", "*"]
    assert candidates("::ffff:192.0.2.7")[0] == "192.0.2.7"
    assert candidates("2001:db8::1")[:2] == [
        ":2001:0db8:0000:0000:0000:0000:0000:0001",
        ":2001:0db8:0000:0000:0000:0000:0000",
    ]
    assert parse("192.0.2 allow, A=1\n", "f")["192.0.2"].env == (("A", "1"),)
    with pytest.raises(ValueError, match="f:1: 'perhaps' is neither allow nor deny"):
        parse("192.0.2 perhaps\n", "f")


def test_running_out_of_descriptors_pauses_then_recovers(tcpd: Callable[..., Tcpd]) -> None:
    t = tcpd()
    pid = t.proc.pid
    in_use = len(os.listdir(f"/proc/{pid}/fd"))
    # No descriptor left for accept(): EMFILE, which must not become a busy loop.
    soft = next(
        ln.split()[3] for ln in Path(f"/proc/{pid}/limits").read_text().splitlines() if "open files" in ln
    )
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={in_use}:"], check=True)  # soft limit only
    cpu_before = _cpu_seconds(pid)
    s = t.connect()
    s.settimeout(1.5)
    with pytest.raises(TimeoutError):
        s.recv(1)
    assert _cpu_seconds(pid) - cpu_before < 0.5
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft}:"], check=True)
    s.settimeout(10)
    assert greeting(s)["ip"] == "127.0.0.1"  # the waiting client is served once descriptors are back
    s.close()
    t.stop()
    assert t.proc.stderr is not None
    assert "cannot accept connections: Too many open files; pausing" in t.proc.stderr.read().decode()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_clients_that_reset_at_once_do_not_hurt_the_launcher(tcpd: Callable[..., Tcpd]) -> None:
    import struct

    t = tcpd("--maxperip", "0")
    for _ in range(20):
        s = t.connect()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST before the launcher has even accepted
    ok = t.connect()
    assert greeting(ok)["ip"] == "127.0.0.1"
    ok.close()
    assert t.proc.poll() is None
