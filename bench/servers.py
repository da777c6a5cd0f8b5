"""The servers under test, each on loopback with the same account and a hard-linked copy of the corpus.

* ``ours``: authdaemond + courier-tcpd (IMAP and POP3), and the same imapd
  behind ``systemd-socket-activate --inetd -a`` (what systemd's Accept=yes does);
* ``courier``: Debian's Courier-IMAP 5 (authdaemond, couriertcpd, imaplogin,
  imapd, courierpop3login/courierpop3d) unpacked into the cache, in a private
  mount namespace;
* ``dovecot``: Debian's Dovecot 2.3 unpacked likewise, run by its master process.

Every server gets its shipped configuration with only addresses, ports, paths
and the TLS certificate changed.  ``stop()`` ends exactly the process group
that ``start()`` began.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import debian

USER = "bench@example.com"
PASSWORD = "benchpass"
SYSTEM_USER = "courierbench"
REPO = Path(__file__).resolve().parent.parent
VENV_PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    """From /proc, since a test connection would start a per-connection process."""
    hexport = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1].endswith(hexport) and fields[3] == "0A":
                    return True
    return False


def account_owner() -> tuple[int, int]:
    """The unprivileged system account that owns every server's maildir (created once)."""
    try:
        pw = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "-s",
                "/usr/sbin/nologin",
                SYSTEM_USER,
            ],
            check=True,
        )
        pw = pwd.getpwnam(SYSTEM_USER)
    return pw.pw_uid, pw.pw_gid


def certificate(cache: Path) -> tuple[Path, Path]:
    """A self-signed RSA-2048 certificate for localhost (cert, key; also cert+key in one PEM)."""
    cert, key, both = cache / "tls-cert.pem", cache / "tls-key.pem", cache / "tls.pem"
    if not both.exists():
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                str(key),
                "-out",
                str(cert),
                "-days",
                "3650",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
        )
        both.write_bytes(key.read_bytes() + cert.read_bytes())
        both.chmod(0o600)
    return cert, key


def md5_crypt(password: str) -> str:
    from courier.auth import xcrypt

    return xcrypt.hash_password(password, "$1$")


class Server:
    name = ""
    label = ""

    def __init__(self, base: Path, owner: tuple[int, int]) -> None:
        self.base = base / self.name
        self.home = self.base / "home"
        self.maildir = self.home / "Maildir"
        self.owner = owner
        self.imap_port = free_port()
        self.imaps_port = free_port()  # implicit TLS (993)
        self.pop3_port = free_port()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.log = self.base / "server.log"
        self.extra: dict[str, list[float]] = {}

    # -- lifecycle -------------------------------------------------------------------
    def prepare(self) -> None:
        """Config files and account (the maildir is filled by the caller)."""

    def start(self) -> None:
        raise NotImplementedError

    def _spawn(self, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.log, "ab")  # noqa: SIM115 - the child owns it
        proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        self.procs.append(proc)
        return proc

    def wait_ports(self, ports: list[int], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not all(listening(p) for p in ports):
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"{self.name}: {p.args!r} exited with {p.returncode}; see {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: nothing listens on {ports}; see {self.log}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM to every process this server started (some, like couriertcpd, leave our
        process group, so the tree is collected first), then SIGKILL what is left after 10 s."""
        pids: list[int] = []
        for proc in self.procs:
            if proc.poll() is None:
                pids += [proc.pid, *_descendants(proc.pid)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if _alive(p)]
            time.sleep(0.05)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def restart(self) -> None:
        self.stop()
        self.start()

    # -- what the measurements need ---------------------------------------------------
    def session_pids(self) -> list[int]:
        """Per-connection processes now alive (for memory figures)."""
        return []

    def authdaemon_pids(self) -> list[int]:
        return []


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            continue
        out += kids
        todo += kids
    return out


def _account_processes(uid: int, command: str) -> list[int]:
    """Processes of the benchmark's own account running ``command``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid and _cmdline(int(entry)).split(" ")[0] == command:
                    out.append(int(entry))
            except OSError:
                continue
    return out


def _alive(pid: int) -> bool:
    """Running and not a zombie (zombies of our own children are reaped by wait())."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Ours(Server):
    name = "ours"
    label = "ours (courier-tcpd --preload)"

    def __init__(self, base: Path, owner: tuple[int, int]) -> None:
        super().__init__(base, owner)
        self.activate_port = free_port()
        self.etc = self.base / "etc"
        self.tcpd_pid = 0

    def prepare(self) -> None:
        etc = self.etc
        etc.mkdir(parents=True, exist_ok=True)
        _cert, _key = certificate(debian.CACHE)
        for name in ("imapd", "imapd-ssl", "pop3d", "pop3d-ssl"):
            text = (REPO / "etc" / f"{name}.dist").read_text()
            if name.endswith("-ssl"):
                text += f"\nTLS_CERTFILE={debian.CACHE / 'tls.pem'}\n"
            (etc / name).write_text(text)
        auth = (REPO / "etc" / "authdaemonrc.dist").read_text()
        auth += f'\nauthmodulelist="authuserdb"\nauthdaemonvar={self.base / "authdaemon"}\n'
        (etc / "authdaemonrc").write_text(auth)
        uid, gid = self.owner
        userdb = etc / "userdb"
        userdb.write_text(
            f"{USER}\thome={self.home}|mail={self.maildir}|uid={uid}|gid={gid}|systempw={md5_crypt(PASSWORD)}\n"
        )
        userdb.chmod(0o600)
        bindir = Path(VENV_PY).parent
        subprocess.run(
            [str(bindir / "makeuserdb"), "--config-dir", str(etc)], check=True, capture_output=True
        )

    def program(self, name: str) -> list[str]:
        # bin/<name> with the flags its installed #! line has (-IS for imapd and pop3d: no site),
        # run by this tree's interpreter; "python -m" would add runpy's imports to every connection.
        flags = (REPO / "bin" / name).read_text().split("\n", 1)[0].split()[1:]
        return [VENV_PY, *flags, str(REPO / "bin" / name), "--config-dir", str(self.etc)]

    def preloaded(self, name: str) -> list[str]:
        # What courier-tcpd runs: each connection a fork of the launcher with courier.cli.<name> imported.
        return ["--preload", f"courier.cli.{name}", "--", name, "--config-dir", str(self.etc)]

    def start(self) -> None:
        bindir = Path(VENV_PY).parent
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        sock = self.base / "authdaemon" / "socket"
        self._spawn([VENV_PY, "-I", "-m", "courier.cli.authdaemond", "--config-dir", str(self.etc)], env)
        deadline = time.monotonic() + 20
        while not sock.exists():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise RuntimeError(f"ours: authdaemond did not start; see {self.log}")
            time.sleep(0.05)
        tcpd = str(bindir / "courier-tcpd")
        p = self._spawn(
            [
                tcpd,
                "--config-dir",
                str(self.etc),
                "--config",
                "imapd",
                "--listen",
                f"127.0.0.1:{self.imap_port}",
                *self.preloaded("imapd"),
            ],
            env,
        )
        self.tcpd_pid = p.pid
        self._spawn(
            [
                tcpd,
                "--config-dir",
                str(self.etc),
                "--config",
                "pop3d",
                "--listen",
                f"127.0.0.1:{self.pop3_port}",
                *self.preloaded("pop3d"),
            ],
            env,
        )
        self._spawn(
            [tcpd, "--config-dir", str(self.etc), "--config", "imapd-ssl", "--ssl",
             "--listen", f"127.0.0.1:{self.imaps_port}", *self.preloaded("imapd"), "--tls"],
            env,
        )  # fmt: skip
        activate = shutil.which("systemd-socket-activate")
        if activate:
            self._spawn(
                [activate, "--inetd", "-a", "-l", f"127.0.0.1:{self.activate_port}", *self.program("imapd")],
                env,
            )
        ports = [self.imap_port, self.imaps_port, self.pop3_port] + ([self.activate_port] if activate else [])
        self.wait_ports(ports)

    def session_pids(self) -> list[int]:
        return _descendants(self.tcpd_pid)  # forks of the launcher: every one is a session

    def authdaemon_pids(self) -> list[int]:
        pid = self.procs[0].pid if self.procs else 0
        return [pid, *_descendants(pid)] if pid else []


class RealCourier(Server):
    name = "courier"
    label = "Courier-IMAP 5.0.13 (Debian)"

    def prepare(self) -> None:
        self.root = debian.unpacked("real-courier", debian.COURIER)
        self.etc = self.base / "etc"
        self.run = self.base / "run"
        (self.run / "authdaemon").mkdir(parents=True, exist_ok=True)
        if self.etc.exists():
            shutil.rmtree(self.etc)
        shutil.copytree(self.root / "etc/courier", self.etc)
        os.chmod(self.etc, 0o755)
        certificate(debian.CACHE)
        for pem in ("imapd.pem", "pop3d.pem"):  # as mkimapdcert leaves them: the courier account reads them
            shutil.copy(debian.CACHE / "tls.pem", self.etc / pem)
            os.chown(self.etc / pem, *self.owner)
            os.chmod(self.etc / pem, 0o600)
        rc = self.etc / "authdaemonrc"
        rc.write_text(rc.read_text() + '\nauthmodulelist="authuserdb"\n')
        uid, gid = self.owner
        userdb = self.etc / "userdb"
        if userdb.is_dir():
            shutil.rmtree(userdb)
        userdb.write_text(
            f"{USER}\thome={self.home}|mail={self.maildir}|uid={uid}|gid={gid}|systempw={md5_crypt(PASSWORD)}\n"
        )
        userdb.chmod(0o600)
        subprocess.run(
            debian.namespace_script(f"exec {self.root}/usr/sbin/makeuserdb", self.binds()),
            env=debian.library_env(self.root),
            check=True,
            capture_output=True,
        )

    def binds(self) -> dict[str, str | Path]:
        return {
            "/usr/lib/courier": self.root / "usr/lib/courier",
            "/usr/lib/courier-authlib": self.root / "usr/lib/courier-authlib",
            "/etc/courier": self.etc,
            "/run/courier": self.run,
        }

    def etc_overlay(self) -> Path:
        """imaplogin runs STARTTLS as the "courier" account that Debian's courier-base creates: that
        name is added to copies of /etc/passwd and /etc/group laid over /etc (an overlay, not a bind
        mount of the files, which the host's useradd would detach by renaming /etc/passwd)."""
        uid, gid = self.owner
        top = self.base / "etc-overlay"
        (top / "courier").mkdir(parents=True, exist_ok=True)

        # A host "courier" account (our own package makes one) would shadow the appended entry.
        def without_courier(path: str) -> str:
            return "".join(
                line for line in Path(path).read_text().splitlines(True) if not line.startswith("courier:")
            )

        (top / "passwd").write_text(
            without_courier("/etc/passwd")
            + f"courier:x:{uid}:{gid}:Courier:/var/lib/courier:/usr/sbin/nologin\n"
        )
        (top / "group").write_text(without_courier("/etc/group") + f"courier:x:{gid}:\n")
        return top

    def start(self) -> None:
        r = self.root
        tls = f"COURIERTLS={r}/usr/bin/couriertls; TLS_DHPARAMS=; TLS_CACHEFILE="
        script = f"""
{r}/usr/lib/courier/courier-authlib/authdaemond &
for i in $(seq 100); do [ -S /run/courier/authdaemon/socket ] && break; sleep 0.1; done
(set -a; prefix=/usr; exec_prefix=/usr; sbindir=/usr/sbin; bindir=/usr/bin
 . /etc/courier/imapd; . /etc/courier/imapd-ssl; IMAP_STARTTLS=$IMAPDSTARTTLS; {tls}
 exec {r}/usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP \
   -nodnslookup -noidentlookup {self.imap_port} {r}/usr/lib/courier/courier/imaplogin \\
   {r}/usr/bin/imapd $MAILDIRPATH) &
(set -a; prefix=/usr; exec_prefix=/usr; sbindir=/usr/sbin; bindir=/usr/bin
 . /etc/courier/imapd; . /etc/courier/imapd-ssl; IMAP_TLS=1; unset IMAP_STARTTLS; {tls}
 exec {r}/usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP \
   -nodnslookup -noidentlookup {self.imaps_port} {r}/usr/bin/couriertls -server -tcpd -user=courier \
   {r}/usr/lib/courier/courier/imaplogin {r}/usr/bin/imapd $MAILDIRPATH) &
(set -a; prefix=/usr; exec_prefix=/usr; sbindir=/usr/sbin; bindir=/usr/bin; libexecdir=/usr/lib/courier
 . /etc/courier/pop3d; . /etc/courier/pop3d-ssl; POP3_STARTTLS=$POP3DSTARTTLS; {tls}
 exec {r}/usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=$MAXDAEMONS -maxperip=$MAXPERIP \
   -nodnslookup -noidentlookup {self.pop3_port} {r}/usr/lib/courier/courier/courierpop3login \
   {r}/usr/lib/courier/courier/courierpop3d $MAILDIRPATH) &
wait
"""
        # libgamin starts /usr/libexec/gam_server (compiled in); without it every APPEND waits ~1 s.
        overlays = {"/usr/libexec": r / "usr/libexec", "/etc": self.etc_overlay()}
        self._spawn(debian.namespace_script(script, self.binds(), overlays), debian.library_env(r))
        self.wait_ports([self.imap_port, self.imaps_port, self.pop3_port])

    def session_pids(self) -> list[int]:
        return [
            p for p in _descendants(self.procs[0].pid) if _cmdline(p).startswith(f"{self.root}/usr/bin/imapd")
        ]

    def authdaemon_pids(self) -> list[int]:
        return [p for p in _descendants(self.procs[0].pid) if "authdaemond" in _cmdline(p)]


class Dovecot(Server):
    name = "dovecot"
    label = "Dovecot 2.3.19 (Debian)"

    def prepare(self) -> None:
        self.root = debian.unpacked("dovecot", debian.DOVECOT)
        cert, key = certificate(debian.CACHE)
        uid, gid = self.owner
        etc = self.base / "etc"
        etc.mkdir(parents=True, exist_ok=True)
        for d in ("run", "state"):
            (self.base / d).mkdir(exist_ok=True)
        (etc / "passwd").write_text(f"{USER}:{{MD5-CRYPT}}{md5_crypt(PASSWORD)}:{uid}:{gid}::{self.home}::\n")
        self.conf = etc / "dovecot.conf"
        self.conf.write_text(f"""\
protocols = imap pop3
listen = 127.0.0.1
base_dir = {self.base / "run"}
state_dir = {self.base / "state"}
log_path = {self.log}
import_environment = LD_LIBRARY_PATH TZ
default_login_user = {SYSTEM_USER}
default_internal_user = {SYSTEM_USER}
default_internal_group = {SYSTEM_USER}
first_valid_uid = 1
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
# Courier's folder names (INBOX.Sub), as Dovecot's Courier migration guide sets it up.
namespace inbox {{
  separator = .
  prefix = INBOX.
  inbox = yes
}}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
passdb {{
  driver = passwd-file
  args = {etc / "passwd"}
}}
userdb {{
  driver = passwd-file
  args = {etc / "passwd"}
}}
service stats {{
  unix_listener stats-writer {{
    group = {SYSTEM_USER}
    mode = 0660
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
""")

    def start(self) -> None:
        r = self.root
        script = f"exec {r}/usr/sbin/dovecot -F -c {self.conf}"
        overlays = {"/usr/bin": r / "usr/bin", "/usr/lib": r / "usr/lib", "/usr/share": r / "usr/share"}
        self._spawn(debian.namespace_script(script, {}, overlays), debian.library_env(r))
        self.wait_ports([self.imap_port, self.pop3_port])

    def session_pids(self) -> list[int]:
        return [p for p in _descendants(self.procs[0].pid) if _cmdline(p).startswith("dovecot/imap ")]

    def authdaemon_pids(self) -> list[int]:
        return [p for p in _descendants(self.procs[0].pid) if _cmdline(p).startswith("dovecot/auth")]


KINDS: dict[str, type[Server]] = {"ours": Ours, "courier": RealCourier, "dovecot": Dovecot}
