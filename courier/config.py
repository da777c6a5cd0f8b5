"""Courier's shell-style config files (``NAME=value``), read once into frozen objects.

Courier's start scripts ``set -a; . file`` these files, so values use shell
quoting and may refer to earlier variables (``IMAP_CAPABILITY_TLS="$IMAP_CAPABILITY AUTH=PLAIN"``).
We parse that subset of sh without running a shell: assignments, quotes,
``$NAME``/``${NAME}`` expansion, backslash continuation, comments and the
sysconftool ``##NAME: ...`` markers.  Anything else is an error naming the file
and line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG_DIR = Path("/etc/courier")

_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.S)
_VAR = re.compile(r"(?<!\x00)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


# sysconftool's section marker: ##NAME: <setting>:<revision>
_MARKER = re.compile(r"##NAME:\s*([^:\s]+)\s*:\s*([0-9]+)\s*$")
# Escaped $ and ` are marked with a NUL (never valid in a value) until the end.
_SUBST = re.compile(r"(?<!\x00)(?:\$\(|`)")
_SPECIAL = re.compile(r"(?<!\x00)\$[0-9*@#?$!-]")
_BRACE = re.compile(r"(?<!\x00)\$\{(?![A-Za-z_][A-Za-z0-9_]*\})")


class ConfigError(ValueError):
    """A config file or value is malformed; the message names file, line and what to do."""


# Variables each file may set, as written in etc/<file>.dist (tests/config checks
# that this table and the .dist files agree).  A file and its -ssl companion are
# sourced together, so they share one set.
_IMAPD = frozenset(
    [
        "ADDRESS",
        "AUTH_MKHOMEDIR_SKEL",
        "COURIERTLS",
        "DEFDOMAIN",
        "HEADERFROM",
        "IMAPACCESSFILE",
        "IMAPDEBUGFILE",
        "IMAPDSSLSTART",
        "IMAPDSTART",
        "IMAPDSTARTTLS",
        "IMAP_ACL",
        "IMAP_CAPABILITY",
        "IMAP_CAPABILITY_ORIG",
        "IMAP_CAPABILITY_TLS",
        "IMAP_CAPABILITY_TLS_ORIG",
        "IMAP_CHECK_ALL_FOLDERS",
        "IMAP_DISABLETHREADSORT",
        "IMAP_EMPTYTRASH",
        "IMAP_ENHANCEDIDLE",
        "IMAP_AUTOLOGOUT",
        "IMAP_IDLE_TIMEOUT",
        "IMAP_ID_FIELDS",
        "IMAP_KEYWORDS",
        "IMAP_LOGIN_DELAY",
        "IMAP_LOG_DELETIONS",
        "IMAP_MAXMSGSIZE",
        "IMAP_MAILBOX_SANITY_CHECK",
        "IMAP_MOVE_EXPUNGE_TO_TRASH",
        "IMAP_OBSOLETE_CLIENT",
        "IMAP_PROXY",
        "IMAP_PROXY_FOREIGN",
        "IMAP_SHAREDINDEXFILE",
        "IMAP_SHAREDMUNGENAMES",
        "IMAP_TLS_REQUIRED",
        "IMAP_TRASHFOLDERNAME",
        "IMAP_ULIMITD",
        "IMAP_UMASK",
        "IMAP_USELOCKS",
        "LOGGEROPTS",
        "MAILDIRPATH",
        "MAXDAEMONS",
        "MAXPERIP",
        "OUTBOX",
        "OUTBOX_MULTIPLE_SEND",
        "PIDFILE",
        "PORT",
        "PROXY_HOSTNAME",
        "SENDMAIL",
        "SMAP_CAPABILITY",
        "SSLADDRESS",
        "SSLLOGGEROPTS",
        "SSLPIDFILE",
        "SSLPORT",
        "TCPDOPTS",
        "TLS_CACHEFILE",
        "TLS_CACHESIZE",
        "TLS_CERTFILE",
        "TLS_CIPHER_LIST",
        "TLS_DHPARAMS",
        "TLS_EXTERNAL",
        "TLS_MIN_DH_BITS",
        "TLS_PRIORITY",
        "TLS_PRIVATE_KEYFILE",
        "TLS_PROTOCOL",
        "TLS_STARTTLS_PROTOCOL",
        "TLS_TIMEOUT",
        "TLS_TRUSTCERTS",
        "TLS_VERIFYPEER",
    ]
)
_POP3D = frozenset(
    [
        "ADDRESS",
        "AUTH_MKHOMEDIR_SKEL",
        "COURIERTLS",
        "DEFDOMAIN",
        "LOGGEROPTS",
        "MAILDIRPATH",
        "MAXDAEMONS",
        "MAXPERIP",
        "MIME_UNICODE_MESSAGE_TYPE",
        "PIDFILE",
        "POP3AUTH",
        "POP3AUTH_ORIG",
        "POP3AUTH_TLS",
        "POP3AUTH_TLS_ORIG",
        "POP3DSSLSTART",
        "POP3DSTART",
        "POP3_LOG_DELETIONS",
        "POP3_LOGIN_DELAY",
        "POP3_PROXY",
        "POP3_STARTTLS",
        "POP3_TLS_REQUIRED",
        "PORT",
        "PROXY_HOSTNAME",
        "SSLADDRESS",
        "SSLLOGGEROPTS",
        "SSLPIDFILE",
        "SSLPORT",
        "TCPDOPTS",
        "TLS_CACHEFILE",
        "TLS_CACHESIZE",
        "TLS_CERTFILE",
        "TLS_CIPHER_LIST",
        "TLS_DHPARAMS",
        "TLS_EXTERNAL",
        "TLS_MIN_DH_BITS",
        "TLS_PRIORITY",
        "TLS_PRIVATE_KEYFILE",
        "TLS_PROTOCOL",
        "TLS_STARTTLS_PROTOCOL",
        "TLS_TIMEOUT",
        "TLS_TRUSTCERTS",
        "TLS_VERIFYPEER",
    ]
)
_AUTHDAEMONRC = frozenset(
    [
        "DEBUG_LOGIN",
        "DEFAULTOPTIONS",
        "LOGGEROPTS",
        "AUTHDAEMON_TIMEOUT",
        "AUTHCUSTOM_HOOK",
        "VPOPMAIL_HOME",
        "VPOPMAIL_DEFAULT_DOMAIN",
        "VPOPMAIL_UID",
        "VPOPMAIL_GID",
        "authdaemonvar",
        "authmodulelist",
        "authmodulelistorig",
        "daemons",
    ]
)
KNOWN_VARIABLES: Mapping[str, frozenset[str]] = {
    "imapd": _IMAPD,
    "imapd-ssl": _IMAPD,
    "pop3d": _POP3D,
    "pop3d-ssl": _POP3D,
    "authdaemonrc": _AUTHDAEMONRC,
}
# Families of names: AUTHSERVICE<port>; ldap.conf(5) options given with an LDAP prefix.
_KNOWN_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "imapd": re.compile(r"AUTHSERVICE[0-9]+"),
    "imapd-ssl": re.compile(r"AUTHSERVICE[0-9]+"),
    "pop3d": re.compile(r"AUTHSERVICE[0-9]+"),
    "pop3d-ssl": re.compile(r"AUTHSERVICE[0-9]+"),
    "authdaemonrc": re.compile(r"LDAP[A-Z0-9_]+"),
}


def is_known(filename: str, name: str) -> bool:
    """Whether ``name`` is a setting of the config file called ``filename`` (e.g. "imapd").

    Files we have no list for (the sql/ldap files, anything else) accept every name.
    """
    known = KNOWN_VARIABLES.get(filename)
    if known is None or name in known:
        return True
    pattern = _KNOWN_PATTERNS.get(filename)
    return bool(pattern and pattern.fullmatch(name))


Warn = Callable[[str], None]


def warn_stderr(message: str) -> None:
    """Default warning sink: one line on stderr (the journal under systemd)."""
    try:
        sys.stderr.write(f"WARN: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # no usable stderr: a warning is never worth failing a connection for


@dataclass(frozen=True, slots=True)
class ConfigFile:
    path: Path
    values: Mapping[str, str]
    lines: Mapping[str, int] = field(default_factory=dict)  # variable -> line number
    markers: tuple[str, ...] = ()  # sysconftool ##NAME markers, in order

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def unknown(self) -> list[str]:
        """Warnings for variables this file does not define in its .dist (kept all the same)."""
        return [
            f"{self.path}:{self.lines.get(name, 0)}: unknown variable {name} (kept, but courier-imap "
            f"does not use it; check its spelling against {self.path.name}.dist)"
            for name in self.values
            if not is_known(self.path.name, name)
        ]


def _expand(text: str, env: Mapping[str, str], where: str) -> str:
    if _SUBST.search(text):
        raise ConfigError(f"{where}: command substitution is not supported in a config value")
    special = _SPECIAL.search(text)
    if special:
        raise ConfigError(f"{where}: {special.group()} is a shell parameter; write \\$ for a dollar sign")
    if _BRACE.search(text):
        raise ConfigError(f"{where}: only plain ${{NAME}} is supported, not other ${{...}} forms")
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), ""), text)


def parse_value(raw: str, env: Mapping[str, str], where: str) -> str:
    """Evaluate the right-hand side of one assignment as sh would (the subset Courier uses)."""
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == "'":
            end = raw.find("'", i + 1)
            if end < 0:
                raise ConfigError(f"{where}: unterminated single quote; close the quote")
            out.append(raw[i + 1 : end])
            i = end + 1
        elif c == '"':
            i += 1
            chunk: list[str] = []
            while True:
                if i >= n:
                    raise ConfigError(f"{where}: unterminated double quote; close the quote")
                c = raw[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and raw[i + 1] in '$`"\\\n':
                    chunk.append("\x00" + raw[i + 1] if raw[i + 1] in "$`" else raw[i + 1])
                    i += 2
                    continue
                chunk.append(c)
                i += 1
            out.append(_expand("".join(chunk), env, where))
        elif c == "\\":
            if i + 1 == n:  # a backslash at the very end of the file stays, as in sh
                out.append("\\")
                break
            out.append("\x00" + raw[i + 1] if raw[i + 1] in "$`" else raw[i + 1])
            i += 2
        elif c in " \t":
            rest = raw[i:].strip()
            if rest and not rest.startswith("#"):
                raise ConfigError(f"{where}: unquoted space in value; put the whole value in double quotes")
            break
        elif c in "`;|&<>()":
            raise ConfigError(f"{where}: shell syntax {c!r} is not supported in a config value")
        else:
            j = i
            while j < n and raw[j] not in "'\"\\ \t`;|&<>()":
                j += 1
            if j == i:  # never expected: every stop character has its own branch above
                raise ConfigError(f"{where}: cannot read {raw[i]!r} here; quote the value")
            word = raw[i:j]
            if (i == 0 and word.startswith("~")) or ":~" in word:
                raise ConfigError(f"{where}: ~ would be expanded by the shell; put the value in quotes")
            out.append(_expand(word, env, where))
            i = j
    return "".join(out).replace("\x00$", "$").replace("\x00`", "`")


def _scan(segment: str, quote: str, prev: str) -> tuple[bool, str, str]:
    """Read one physical line in sh's quoting state; returns (ends in a continuation, quote, last char).

    Incremental, so that a long run of continued lines costs linear time.
    """
    i, n = 0, len(segment)
    while i < n:
        c = segment[i]
        if quote == "'":
            if c == "'":
                quote = ""
        elif c == "\\":
            if i + 1 == n:
                return True, quote, prev
            i += 1
            c = "x"  # an escaped character never starts a comment word
        elif c == quote:
            quote = ""
        elif not quote and c in "'\"":
            quote = c
        elif not quote and c == "#" and prev in " \t":
            return False, quote, c  # the rest is a comment
        prev = c
        i += 1
    return False, quote, prev


def parse_text(text: str, path: Path, env: Mapping[str, str] | None = None) -> ConfigFile:
    """Parse one file's text; ``env`` supplies variables defined by files sourced earlier."""
    scope: dict[str, str] = dict(env or {})
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    markers: list[str] = []
    physical = text.split("\n")
    i = 0
    while i < len(physical):
        lineno = i + 1
        line = physical[i]
        i += 1
        # Backslash continuation joins physical lines (outside single quotes, as sh does).
        more, quote, prev = _scan(line, "", " ")
        while more and i < len(physical):
            line = line[:-1] + physical[i]
            more, quote, prev = _scan(physical[i], quote, prev)
            i += 1
        line = line.removesuffix("\r")  # a file edited on Windows
        stripped = line.strip()
        marker = _MARKER.match(stripped)
        if marker:
            markers.append(marker.group(1))
            continue
        if not stripped or stripped.startswith("#"):
            continue
        # Leading blanks go; trailing ones stay for parse_value (an escaped "\\ " is part of the value).
        statement = line.lstrip(" \t")
        if statement.startswith("export "):
            statement = statement[len("export ") :].lstrip(" \t")
        m = _ASSIGN.fullmatch(statement)
        if not m:
            raise ConfigError(
                f"{path}:{lineno}: expected NAME=value, found {stripped[:60]!r}; fix or comment out this line"
            )
        name = m.group(1)
        value = parse_value(m.group(2), scope, f"{path}:{lineno}: {name}")
        scope[name] = value
        values[name] = value
        lines[name] = lineno
    return ConfigFile(path=path, values=values, lines=lines, markers=tuple(markers))


def read_config(
    path: Path | str, env: Mapping[str, str] | None = None, warn: Warn | None = None
) -> ConfigFile:
    """Read a Courier config file; a missing file reads as empty.

    ``warn`` (if given) receives one message per unknown variable.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return ConfigFile(path=p, values={})
    except IsADirectoryError as exc:
        raise ConfigError(f"{p}: is a directory, expected a config file") from exc
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}; check its permissions") from exc
    cf = parse_text(text, p, env)
    if warn is not None:
        for message in cf.unknown():
            warn(message)
    return cf


def read_chain(config_dir: Path | str, *names: str, warn: Warn | None = warn_stderr) -> dict[str, str]:
    """Source several files in order (as the start scripts do); later files win.

    Unknown variables are kept and reported through ``warn`` (stderr by default;
    pass None to stay quiet).
    """
    merged: dict[str, str] = {}
    for name in names:
        merged.update(read_config(Path(config_dir) / name, merged, warn).values)
    return merged


def as_int(values: Mapping[str, str], name: str, default: int, where: str = "") -> int:
    raw = values.get(name, "").strip()
    if raw == "":
        return default
    try:
        return int(raw, 0) if raw.lower().startswith(("0x", "0o")) else int(raw)
    except ValueError as exc:
        raise ConfigError(f"{where or 'config'}: {name}={raw!r} is not a whole number") from exc


def as_seconds(values: Mapping[str, str], name: str, default: float, where: str = "") -> float:
    """A delay in seconds, 0 to 3600 (fractions allowed: tests shorten the login delay)."""
    raw = values.get(name, "").strip()
    if not raw:
        return default
    try:
        v = float(raw)
    except ValueError:
        raise ConfigError(f"{where or 'config'}: {name}={raw!r} is not a number of seconds") from None
    if not 0 <= v <= 3600:
        raise ConfigError(f"{where or 'config'}: {name}={raw!r} must be between 0 and 3600 seconds")
    return v


def as_bool(values: Mapping[str, str], name: str, default: bool) -> bool:
    raw = values.get(name, "").strip().lower()
    if raw == "":
        return default
    return raw in ("1", "yes", "y", "true", "on")


def as_str(values: Mapping[str, str], name: str, default: str = "") -> str:
    """The value, or ``default`` when unset or empty (as Courier treats an empty variable)."""
    raw = values.get(name, "")
    return raw if raw != "" else default


def as_words(values: Mapping[str, str], name: str, default: str = "") -> tuple[str, ...]:
    """A whitespace-separated list, such as IMAP_CAPABILITY or authmodulelist."""
    return tuple(as_str(values, name, default).split())


def as_octal(values: Mapping[str, str], name: str, default: int, where: str = "") -> int:
    """An octal number such as IMAP_UMASK=022."""
    raw = values.get(name, "").strip()
    if raw == "":
        return default
    try:
        return int(raw, 8)
    except ValueError as exc:
        raise ConfigError(f"{where or 'config'}: {name}={raw!r} is not an octal number such as 022") from exc
