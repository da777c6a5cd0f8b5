"""The measurements: each runs once per repetition on every server in turn (servers interleaved).

A measurement returns one sample (milliseconds, or a rate for throughput
cases) per call; ``None`` means "not available on this server" (e.g. a
command the server does not offer yet), which the report prints as n/a.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench import wire
from bench.mime_corpus import PHRASE, message_at
from bench.servers import PASSWORD, USER, Server

ENVELOPE = "FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)"
BODYSTRUCTURE = "FETCH 1:* (BODYSTRUCTURE)"


@dataclass(frozen=True)
class Goal:
    """An issue target: ours ``op`` ``value`` times the reference (Courier's median, the bare
    interpreter floor's, or an absolute figure in the case's unit).  ``compare`` names the case
    whose reference figure counts when this one has none (the systemd-socket-activate rows);
    ``max_failed`` also requires at most that many failed sessions (refusals do not count)."""

    ref: str  # "courier", "floor" or "abs"
    op: str  # "<=" or ">="
    value: float
    compare: str = ""
    max_failed: int | None = None

    def text(self, unit: str) -> str:
        what = {"courier": "x Courier", "floor": "x python floor"}.get(self.ref, f" {unit}")
        out = f"{self.op} {self.value:g}{what}"
        if self.max_failed is not None:
            out += f", {self.max_failed} failed"
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "op": self.op,
            "value": self.value,
            "compare": self.compare,
            "max_failed": self.max_failed,
        }


@dataclass(frozen=True)
class Case:
    key: str
    title: str
    unit: str  # "ms" (lower is better), "/s" (higher is better), "MB" (lower is better)
    reps: int
    quick_reps: int
    run: Callable[[Server, int], float | None]
    goal: Goal | None = None
    # Run once per server, untimed, before the timed repetitions: the "repeated"/"again" figures
    # must not include the first touch of a folder (a cache being built) among their samples.
    warmup: bool = False

    @property
    def target(self) -> str:
        return self.goal.text(self.unit) if self.goal else ""


def login(s: Server, port: int | None = None) -> wire.Imap:
    m = wire.Imap(port or s.imap_port)
    m.login(USER, PASSWORD)
    return m


def timed(f: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    f()
    return (time.perf_counter() - t0) * 1000


def in_session(folder: str, command: str) -> Callable[[Server, int], float]:
    """Log in, SELECT folder (untimed), time one command, log out."""

    def run(s: Server, rep: int) -> float:
        m = login(s)
        m.cmd(f"SELECT {folder.format(rep=rep)}")
        ms = timed(lambda: m.cmd(command))
        m.logout()
        return ms

    return run


def greeting(s: Server, rep: int) -> float:
    return wire.greeting_ms(s.imap_port)


def greeting_tls(s: Server, rep: int) -> float:
    return wire.tls_greeting_ms(s.imaps_port)


def greeting_activate(s: Server, rep: int) -> float | None:
    port = getattr(s, "activate_port", 0)
    return wire.greeting_ms(port) if port else None


def greeting_floor(s: Server, rep: int) -> float | None:
    port = getattr(s, "floor_port", 0)
    return wire.greeting_ms(port) if port else None


def session(s: Server, rep: int) -> float:
    def go() -> None:
        m = login(s)
        m.cmd("SELECT INBOX")
        m.logout()

    return timed(go)


def session_activate(s: Server, rep: int) -> float | None:
    """The same session through systemd-socket-activate (ours only)."""
    port = getattr(s, "activate_port", 0)
    if not port:
        return None

    def go() -> None:
        m = login(s, port)
        m.cmd("SELECT INBOX")
        m.logout()

    return timed(go)


def capabilities(m: wire.Imap) -> bytes:
    """The greeting's capability code and the CAPABILITY response (a server may list either)."""
    tag = m._tag()
    m.send(tag + b" CAPABILITY\r\n")
    caps = m.greeting
    while True:
        line = m.line()
        if line.startswith(b"* CAPABILITY"):
            caps += b" " + line
        if line.startswith(tag + b" "):
            return caps


def starttls(s: Server, rep: int) -> float | None:
    m = wire.Imap(s.imap_port)
    try:
        if b"STARTTLS" not in capabilities(m):
            return None

        def go() -> None:
            m.starttls()
            m.cmd("NOOP")

        return timed(go)
    finally:
        m.logout()


def select_first(folder: str) -> Callable[[Server, int], float]:
    def run(s: Server, rep: int) -> float:
        m = login(s)
        ms = timed(lambda: m.cmd(f"SELECT {folder.format(rep=rep)}"))
        m.logout()
        return ms

    return run


def first_fetch(folder: str, command: str) -> Callable[[Server, int], float]:
    """First FETCH on a never-opened folder (SELECT untimed): no cache of any server holds it yet."""
    return in_session(folder, command)


def body200(total: int) -> Callable[[Server, int], float]:
    """BODY.PEEK[] of 200 messages spread over the folder, in one FETCH."""
    step = max(1, total // 200)
    seqs = ",".join(str(1 + step * i) for i in range(min(200, total)))
    return in_session("INBOX", f"FETCH {seqs} (BODY.PEEK[])")


# Hard-linked copies of the corpus that the "first" cases open once each: FIRST_COPIES[i]{rep}
# of the small corpus, BIG_COPIES of the big one (Big{rep}, and BigMem for the memory case).
FIRST_COPIES = ("First", "Env", "Bs")
BIG_COPIES = ("Big0", "Big1", "BigMem")

APPEND_N = 500
APPEND_SECONDS = 30.0


def append(s: Server, rep: int) -> float:
    folder = f"INBOX.Append{rep}"
    msgs = [message_at(200_000 + i).replace(b"\n", b"\r\n") for i in range(APPEND_N)]
    m = login(s)
    m.cmd(f"CREATE {folder}", ok=False)

    count = 0
    t0 = time.perf_counter()
    for data in msgs:  # at most APPEND_SECONDS, so that a stalling server cannot hold up the run
        m.append(folder, data)
        count += 1
        if time.perf_counter() - t0 > APPEND_SECONDS:
            break
    elapsed = time.perf_counter() - t0
    m.logout()
    return count / elapsed


def parallel(clients: int, seconds: float) -> Callable[[Server, int], float]:
    """Sessions per second with ``clients`` concurrent clients looping login/select/fetch-headers/logout.

    A connection closed or answered with something else than a greeting counts as refused
    (MAXPERIP/MAXDAEMONS, as configured); a session that fails after its greeting counts as failed.
    The client retries after 50 ms either way."""

    def run(s: Server, rep: int) -> float:
        done = [0] * clients
        refused = [0] * clients
        failed = [0] * clients
        stop = time.monotonic() + seconds

        def worker(k: int) -> None:
            while time.monotonic() < stop:
                try:
                    m = wire.Imap(s.imap_port, timeout=30)
                except (OSError, wire.ProtocolError):
                    refused[k] += 1
                    time.sleep(0.05)
                    continue
                try:
                    m.login(USER, PASSWORD)
                    m.cmd("SELECT INBOX")
                    m.cmd("FETCH 1:20 (UID FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])")
                    m.logout()
                    done[k] += 1
                except (OSError, wire.ProtocolError):
                    m.close()
                    failed[k] += 1
                    time.sleep(0.05)

        t0 = time.monotonic()
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        s.extra.setdefault("failed", []).append(sum(failed))
        s.extra.setdefault("refused", []).append(sum(refused))
        return sum(done) / elapsed

    return run


def pop3(s: Server, rep: int) -> float | None:
    def go() -> None:
        p = wire.Pop3(s.pop3_port)
        p.cmd(f"USER {USER}")
        p.cmd(f"PASS {PASSWORD}")
        p.multi("UIDL")
        for i in range(1, 101):
            p.multi(f"RETR {i}")
        p.cmd("QUIT")
        p.close()

    try:
        return timed(go)
    except wire.ProtocolError as e:
        if b"PASS" in str(e).encode() or "PASS" in str(e):
            return None  # the server cannot log in over POP3 (yet)
        raise


def _kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory(folder: str, field: str, fetch: bool = True) -> Callable[[Server, int], float | None]:
    """Peak RSS (VmHWM) or PSS, in MB, of the session process after SELECT (+ FETCH ENVELOPE)."""

    def run(s: Server, rep: int) -> float | None:
        before = set(s.session_pids())
        m = login(s)
        m.cmd(f"SELECT {folder}")
        if fetch:
            m.cmd(ENVELOPE)
        m.cmd("NOOP")
        pids = [p for p in s.session_pids() if p not in before]
        value = None
        if pids:
            pid = max(pids, key=lambda p: _kb(p, "VmHWM"))
            value = (_pss_kb(pid) if field == "Pss" else _kb(pid, "VmHWM")) / 1024
        m.logout()
        return value

    return run


def authdaemon_rss(s: Server, rep: int) -> float | None:
    pids = s.authdaemon_pids()
    if not pids:
        return None
    return max(_kb(p, "VmHWM") for p in pids) / 1024


def cases(parallel_seconds: float, small: int, big: int) -> list[Case]:
    """Every measurement, in run order, with issue 11's targets."""
    k = f"{small // 1000}k" if small >= 1000 else str(small)
    kk = f"{big // 1000}k" if big >= 1000 else str(big)
    courier = Goal("courier", "<=", 1)
    out = [
        Case("greeting", "connect to greeting", "ms", 25, 10, greeting, Goal("floor", "<=", 1.3)),
        Case(
            "greeting_activate",
            "connect to greeting, systemd-socket-activate",
            "ms",
            25,
            10,
            greeting_activate,
            Goal("floor", "<=", 1.3, compare="greeting"),
        ),
        Case(
            "greeting_floor",
            "python3 -I -S greeter (floor), systemd-socket-activate",
            "ms",
            25,
            10,
            greeting_floor,
        ),
        Case(
            "session",
            f"connect+LOGIN+SELECT INBOX+LOGOUT ({k})",
            "ms",
            20,
            8,
            session,
            courier,
            warmup=True,
        ),
        Case(
            "session_activate",
            f"connect+LOGIN+SELECT INBOX+LOGOUT ({k}), systemd-socket-activate",
            "ms",
            20,
            8,
            session_activate,
            Goal("courier", "<=", 1, compare="session"),
            warmup=True,
        ),
        Case("starttls", "STARTTLS + handshake + NOOP", "ms", 10, 5, starttls, Goal("courier", "<=", 2)),
        Case("greeting_tls", "connect to greeting, implicit TLS (993)", "ms", 10, 5, greeting_tls),
        Case("select10k_first", f"SELECT {k}, first open", "ms", 3, 1, select_first("INBOX.First{rep}")),
        Case("select10k", f"SELECT {k}, again", "ms", 5, 3, select_first("INBOX")),
    ]
    if big:
        out += [
            Case("select100k_first", f"SELECT {kk}, first open", "ms", 2, 1, select_first("INBOX.Big{rep}")),
            Case("select100k", f"SELECT {kk}, again", "ms", 3, 2, select_first("INBOX.Big0")),
        ]
    out += [
        Case(
            "envelope_first",
            f"FETCH 1:* ENVELOPE etc. {k}, first",
            "ms",
            3,
            1,
            first_fetch("INBOX.Env{rep}", ENVELOPE),
        ),
        Case(
            "bodystructure_first",
            f"FETCH 1:* BODYSTRUCTURE {k}, first",
            "ms",
            3,
            1,
            first_fetch("INBOX.Bs{rep}", BODYSTRUCTURE),
        ),
        Case(
            "envelope",
            f"FETCH 1:* ENVELOPE etc. {k}, repeated",
            "ms",
            3,
            2,
            in_session("INBOX", ENVELOPE),
            Goal("courier", "<=", 0.5),
            warmup=True,
        ),
        Case(
            "bodystructure",
            f"FETCH 1:* BODYSTRUCTURE {k}, repeated",
            "ms",
            3,
            2,
            in_session("INBOX", BODYSTRUCTURE),
            Goal("courier", "<=", 0.25),
            warmup=True,
        ),
        Case(
            "search_from",
            f"SEARCH FROM {k}",
            "ms",
            3,
            2,
            in_session("INBOX", 'SEARCH FROM "alice.bench"'),
            Goal("courier", "<=", 0.25),
            warmup=True,
        ),
        Case(
            "search_subject",
            f"SEARCH SUBJECT {k}",
            "ms",
            3,
            2,
            in_session("INBOX", 'SEARCH SUBJECT "weekly report"'),
            Goal("courier", "<=", 0.25),
            warmup=True,
        ),
        Case(
            "search_text",
            f"UID SEARCH TEXT {k}",
            "ms",
            2,
            1,
            in_session("INBOX", f'UID SEARCH TEXT "{PHRASE}"'),
            courier,
            warmup=True,
        ),
        Case("body200", "FETCH BODY.PEEK[] of 200", "ms", 5, 3, body200(small), courier, warmup=True),
        Case("append", f"APPEND {APPEND_N} (msgs/s)", "/s", 3, 1, append, Goal("courier", ">=", 0.5)),
        Case(
            "parallel10",
            "10 parallel clients (sessions/s)",
            "/s",
            3,
            1,
            parallel(10, parallel_seconds),
            Goal("courier", ">=", 2, max_failed=0),
        ),
        Case(
            "parallel50",
            "50 parallel clients (sessions/s)",
            "/s",
            3,
            1,
            parallel(50, parallel_seconds),
            Goal("courier", ">=", 2, max_failed=0),
        ),
        Case("rss_session", f"session peak RSS after SELECT+FETCH {k}", "MB", 3, 1, memory("INBOX", "VmHWM")),
        Case(
            "pss_session",
            f"session PSS after SELECT+FETCH {k}",
            "MB",
            3,
            1,
            memory("INBOX", "Pss"),
            Goal("abs", "<=", 20),
        ),
    ]
    if big:
        out.append(
            Case(
                "rss_session100k",
                f"session peak RSS after first SELECT {kk}",
                "MB",
                1,
                1,
                memory("INBOX.BigMem", "VmHWM", fetch=False),
                Goal("abs", "<=", 150),
            )
        )
    out += [
        Case("rss_authdaemon", "authdaemond peak RSS (largest process)", "MB", 1, 1, authdaemon_rss),
        # the first POP3 login of a maildir builds its size list (Courier's too); clients then poll
        Case("pop3_first", "POP3 login+UIDL+RETR 100, first login", "ms", 1, 1, pop3),
        Case("pop3", "POP3 login+UIDL+RETR 100", "ms", 5, 2, pop3, Goal("courier", "<=", 0.1), warmup=True),
    ]
    return out
