"""Our authdaemond on a private socket with a userdb of given accounts, for every area's tests.

    sock = start_authdaemond(tmp_path, [Account("alice@example.com", "secret", home=str(tmp_path / "alice"))])
    AuthClient(sock).auth("imap", "login", b"alice@example.com\\nsecret\\n")

Accounts are :class:`Account` objects or mappings with the same keys (address,
password, home, maildir, uid, gid, options).  The daemon stops at the end of
the test (tests/conftest.py's autouse fixture calls :func:`stop_all`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import PYTHON, child_env

_RUNNING: list[subprocess.Popen[bytes]] = []


@dataclass(frozen=True)
class Account:
    address: str
    password: str
    home: str
    maildir: str | None = None
    uid: int = field(default_factory=os.getuid)
    gid: int = field(default_factory=os.getgid)
    options: str | Mapping[str, str] = ""
    #: extra userdb fields, e.g. {"imappw": "$1$...", "quota": "1000S"}
    extra: Mapping[str, str] = field(default_factory=dict)


def _as_account(a: Account | Mapping[str, object]) -> Account:
    if isinstance(a, Account):
        return a
    known = {k: v for k, v in a.items() if k in Account.__dataclass_fields__}
    return Account(**known)  # type: ignore[arg-type]


def userdb_fields(acct: Account) -> tuple[str, str]:
    """(userdb.dat text, userdbshadow.dat text) for one account."""
    from courier.auth import cram, xcrypt

    opts = acct.options
    if isinstance(opts, Mapping):
        opts = ",".join(f"{k}={v}" for k, v in opts.items())
    main = [f"home={acct.home}", f"uid={acct.uid}", f"gid={acct.gid}"]
    if acct.maildir:
        main.append(f"mail={acct.maildir}")
    if opts:
        main.append(f"options={opts}")
    secret = {
        "systempw": xcrypt.hash_password(acct.password, "$1$"),
        "hmac-md5pw": cram.precompute("md5", acct.password),
        "hmac-sha1pw": cram.precompute("sha1", acct.password),
        "hmac-sha256pw": cram.precompute("sha256", acct.password),
    }
    for k, v in acct.extra.items():
        (secret if k.endswith("pw") else {}).update({k: v})
        if not k.endswith("pw"):
            main.append(f"{k}={v}")
    shadow = [f"{k}={v}" for k, v in secret.items()]
    return "|".join([*main, "_="]), "|".join(shadow)


def write_userdb(config_dir: Path, accounts: Iterable[Account | Mapping[str, object]]) -> None:
    """userdb.dat + userdbshadow.dat as makeuserdb writes them."""
    from courier.userdb.dat import write_dat

    rows = [(a.address, userdb_fields(a)) for a in map(_as_account, accounts)]
    write_dat(config_dir / "userdb.dat", [(n, f[0]) for n, f in rows], mode=0o644)
    write_dat(config_dir / "userdbshadow.dat", [(n, f[1]) for n, f in rows], mode=0o600)


def wait_for_socket(
    path: str, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None, timeout: float = 15.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = log.read_text(errors="replace") if log is not None and log.exists() else ""
            raise RuntimeError(f"authdaemond exited with {proc.returncode}: {err}")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(path)
                return
            except OSError:
                time.sleep(0.02)
    raise RuntimeError(f"authdaemond did not listen on {path} within {timeout} s")


def start_authdaemond(
    tmp_path: Path,
    accounts: Iterable[Account | Mapping[str, object]],
    *,
    modules: str = "authuserdb",
    daemons: int = 2,
    extra_config: str = "",
    files: Mapping[str, str] | None = None,
) -> str:
    """Start our authdaemond for this test; returns its socket path.

    ``modules`` is the authmodulelist, ``extra_config`` more authdaemonrc lines,
    ``files`` more files for the config directory (e.g. ``{"authcustom.py": ...}``).
    The config directory is ``tmp_path / "authetc"``.
    """
    config_dir = tmp_path / "authetc"
    config_dir.mkdir(exist_ok=True)
    write_userdb(config_dir, accounts)
    for name, text in (files or {}).items():
        (config_dir / name).write_text(text)
    var = tmp_path / "authvar"
    (config_dir / "authdaemonrc").write_text(
        f'authmodulelist="{modules}"\ndaemons={daemons}\nauthdaemonvar={var}\n{extra_config}'
    )
    sock = str(var / "socket")
    log = tmp_path / "authdaemond.log"
    proc = subprocess.Popen(
        [PYTHON, "-m", "courier.cli.authdaemond", "--config-dir", str(config_dir)],
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=open(log, "wb"),  # noqa: SIM115 - the child owns it
    )
    _RUNNING.append(proc)
    wait_for_socket(sock, proc, log)
    return sock


def stop_all() -> None:
    while _RUNNING:
        proc = _RUNNING.pop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
