"""Log lines worded like Courier's, to stderr (the journal under systemd) or to syslog.

Courier's servers write ``INFO: LOGIN, user=..., ip=[...]`` lines to stderr and
its logger turns the ``INFO:``/``ERR:`` prefix into the syslog priority.  We do
the same: on a plain stderr the line keeps the prefix; when stderr is the
journal (systemd sets ``JOURNAL_STREAM``) the priority becomes a ``<6>`` prefix
that journald understands; with ``use_syslog`` the line goes to syslog(3).

Cheap to import (no ``logging``): it is on every connection's path.  No
function takes a password, and every client-supplied value is cleaned of
control characters so a user name cannot forge a log line.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: imported before every greeting
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_PRIORITIES = {"ERR": 3, "WARN": 4, "NOTICE": 5, "INFO": 6, "DEBUG": 7}
_MAX_FIELD = 200


class _Target:
    ident = "courier"
    mode = "stderr"  # "stderr", "journal" or "syslog"


def configure(ident: str, *, use_syslog: bool = False, environ: Mapping[str, str] | None = None) -> None:
    """Choose where lines go; call once at program start (``ident`` is the syslog name, e.g. imapd)."""
    _Target.ident = ident
    if use_syslog:
        import syslog

        syslog.openlog(ident, syslog.LOG_PID, syslog.LOG_MAIL)
        _Target.mode = "syslog"
        return
    env = os.environ if environ is None else environ
    _Target.mode = "journal" if _stderr_is_journal(env.get("JOURNAL_STREAM", "")) else "stderr"


def _stderr_is_journal(stream: str) -> bool:
    # systemd sets JOURNAL_STREAM=dev:ino of the stream it connected to stderr.
    if not stream:
        return False
    try:
        st = os.fstat(2)
        dev, ino = stream.split(":", 1)
        return st.st_dev == int(dev) and st.st_ino == int(ino)
    except (OSError, ValueError):
        return False


def clean(value: object) -> str:
    """A client-supplied value made safe for one log line (no control characters, bounded)."""
    text = str(value)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= _MAX_FIELD else text[:_MAX_FIELD] + "..."


def emit(level: str, message: str) -> None:
    """Write one line at ``level`` (ERR, WARN, NOTICE, INFO, DEBUG); never raises."""
    priority = _PRIORITIES.get(level, 6)
    try:
        if _Target.mode == "syslog":
            import syslog

            syslog.syslog(priority, message)
            return
        line = f"<{priority}>{message}\n" if _Target.mode == "journal" else f"{level}: {message}\n"
        sys.stderr.write(line)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a lost log line must not end the session


def info(message: str) -> None:
    emit("INFO", message)


def error(message: str) -> None:
    emit("ERR", message)


def _addr(ip: str) -> str:
    return f"ip=[{clean(ip)}]"


def connection(ip: str) -> None:
    """A client connected (logged before the greeting)."""
    info(f"Connection, {_addr(ip)}")


def login(user: str, ip: str, port: int | str, protocol: str | None = None) -> None:
    """Successful login: ``LOGIN, user=x, ip=[...], port=[...], protocol=IMAP`` (POP3 omits protocol)."""
    tail = f", protocol={protocol}" if protocol else ""
    info(f"LOGIN, user={clean(user)}, {_addr(ip)}, port=[{clean(port)}]{tail}")


def login_failed(user: str | None, ip: str, method: str | None = None) -> None:
    """Failed login: ``LOGIN FAILED, user=x, ip=[...]`` (``method=`` when no user name is known)."""
    who = f"user={clean(user)}" if user is not None else f"method={clean(method or 'unknown')}"
    error(f"LOGIN FAILED, {who}, {_addr(ip)}")


def _session_end(
    event: str, user: str, ip: str, port: int | str, counters: Iterable[tuple[str, int | str]]
) -> None:
    stats = "".join(f", {name}={value}" for name, value in counters)
    info(f"{event}, user={clean(user)}, {_addr(ip)}, port=[{clean(port)}]{stats}")


def logout(user: str, ip: str, port: int | str, counters: Iterable[tuple[str, int | str]]) -> None:
    """The client logged out.  ``counters`` in Courier's order, e.g. IMAP:
    ``[("headers", 0), ("body", 0), ("rcvd", 45), ("sent", 334), ("time", 2)]`` (then
    ``("starttls", 1)`` after STARTTLS); POP3: top, retr, rcvd, sent, time (``stls``)."""
    _session_end("LOGOUT", user, ip, port, counters)


def disconnected(user: str, ip: str, port: int | str, counters: Iterable[tuple[str, int | str]]) -> None:
    """The connection dropped without a logout (same fields as :func:`logout`)."""
    _session_end("DISCONNECTED", user, ip, port, counters)


def timeout(user: str, ip: str, port: int | str, counters: Iterable[tuple[str, int | str]]) -> None:
    """The session ended by the inactivity timer (same fields as :func:`logout`)."""
    _session_end("TIMEOUT", user, ip, port, counters)


def disconnected_before_login(ip: str) -> None:
    """The client left (or was dropped) before logging in."""
    info(f"Disconnected, {_addr(ip)}")


def limit_reached(ip: str | None, limit: int) -> None:
    """The launcher refused a connection: per-address limit (``ip``) or the total (``ip`` None)."""
    if ip is None:
        error(f"Maximum number of connections reached ({limit})")
    else:
        error(f"Maximum connection limit reached for {clean(ip)}")
