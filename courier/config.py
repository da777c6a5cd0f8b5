"""Courier's shell-style config files (``NAME=value``), read once into frozen objects.

Courier's start scripts ``set -a; . file`` these files, so values use shell
quoting and may refer to earlier variables (``IMAP_CAPABILITY_TLS="$IMAP_CAPABILITY AUTH=PLAIN"``).
We parse that subset of sh without running a shell: assignments, quotes,
``$NAME``/``${NAME}`` expansion, backslash continuation, comments and the
sysconftool ``##NAME: ...`` markers.  Anything else is an error naming the file
and line.
"""

from __future__ import annotations

import os
import sys

# Read before every IMAP/POP3 greeting: no re, dataclasses, pathlib or typing at import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    DEFAULT_CONFIG_DIR: Path
    Warn = Callable[[str], None]


def __getattr__(name: str) -> object:
    if name == "DEFAULT_CONFIG_DIR":  # a Path for the tools; imapd and pop3d use plain strings
        from pathlib import Path

        return Path("/etc/courier")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def _is_name(text: str) -> bool:
    """A shell variable name: [A-Za-z_][A-Za-z0-9_]*."""
    return text.isidentifier() and text.isascii()


def _authservice(name: str) -> bool:  # AUTHSERVICE<port>
    port = name[len("AUTHSERVICE") :]
    return name.startswith("AUTHSERVICE") and port.isascii() and port.isdigit()


_LDAP_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _ldap_option(name: str) -> bool:  # ldap.conf(5) options given with an LDAP prefix
    return name.startswith("LDAP") and len(name) > 4 and _LDAP_CHARS.issuperset(name[4:])


# Families of names each file accepts beyond its list.
_KNOWN_PATTERNS: Mapping[str, Callable[[str], bool]] = {
    "imapd": _authservice,
    "imapd-ssl": _authservice,
    "pop3d": _authservice,
    "pop3d-ssl": _authservice,
    "authdaemonrc": _ldap_option,
}


def is_known(filename: str, name: str) -> bool:
    """Whether ``name`` is a setting of the config file called ``filename`` (e.g. "imapd").

    Files we have no list for (the sql/ldap files, anything else) accept every name.
    """
    known = KNOWN_VARIABLES.get(filename)
    if known is None or name in known:
        return True
    pattern = _KNOWN_PATTERNS.get(filename)
    return bool(pattern and pattern(name))


def warn_stderr(message: str) -> None:
    """Default warning sink: one line on stderr (the journal under systemd)."""
    try:
        sys.stderr.write(f"WARN: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # no usable stderr: a warning is never worth failing a connection for


class ConfigFile:
    """One parsed file (read-only by convention; cheaper than a dataclass to define)."""

    __slots__ = ("lines", "markers", "path", "values")

    def __init__(
        self,
        path: str | os.PathLike[str],
        values: Mapping[str, str],
        lines: Mapping[str, int] | None = None,  # variable -> line number
        markers: tuple[str, ...] = (),  # sysconftool ##NAME markers, in order
    ) -> None:
        self.path = os.fspath(path)
        self.values = values
        self.lines: Mapping[str, int] = lines if lines is not None else {}
        self.markers = markers

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def unknown(self) -> list[str]:
        """Warnings for variables this file does not define in its .dist (kept all the same)."""
        filename = os.path.basename(self.path)
        return [
            f"{self.path}:{self.lines.get(name, 0)}: unknown variable {name} (kept, but courier-imap "
            f"does not use it; check its spelling against {filename}.dist)"
            for name in self.values
            if not is_known(filename, name)
        ]


def _expand(text: str, env: Mapping[str, str], where: str) -> str:
    """$NAME and ${NAME} from ``env``; a $ or ` escaped by parse_value is preceded by a NUL."""
    if "$" not in text and "`" not in text:
        return text
    marks = [i for i, c in enumerate(text) if c in "$`" and (i == 0 or text[i - 1] != "\x00")]
    for i in marks:
        if text[i] == "`" or text.startswith("$(", i):
            raise ConfigError(f"{where}: command substitution is not supported in a config value")
    for i in marks:
        if text[i + 1 : i + 2] and text[i + 1] in "0123456789*@#?$!-":
            raise ConfigError(f"{where}: {text[i : i + 2]} is a shell parameter; write \\$ for a dollar sign")
    for i in marks:
        if text.startswith("${", i):
            end = text.find("}", i + 2)
            if end < 0 or not _is_name(text[i + 2 : end]):
                raise ConfigError(f"{where}: only plain ${{NAME}} is supported, not other ${{...}} forms")
    out: list[str] = []
    done = 0
    for i in marks:
        if text.startswith("${", i):
            end = text.find("}", i + 2)
            name, stop = text[i + 2 : end], end + 1
        else:
            stop = i + 1
            while stop < len(text) and (text[stop] == "_" or (text[stop].isascii() and text[stop].isalnum())):
                stop += 1
            name = text[i + 1 : stop]
            if not name:
                continue  # a lone $ stays as it is, as in sh
        out.append(text[done:i])
        out.append(env.get(name, ""))
        done = stop
    out.append(text[done:])
    return "".join(out)


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


def _marker(line: str) -> str | None:
    """The setting named by a sysconftool marker line (``##NAME: <setting>:<revision>``)."""
    if not line.startswith("##NAME:"):
        return None
    name, colon, revision = line[len("##NAME:") :].partition(":")
    name, revision = name.strip(), revision.strip()
    if not colon or not name or len(name.split()) != 1 or not (revision.isascii() and revision.isdigit()):
        return None
    return name


def parse_text(text: str, path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> ConfigFile:
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
        if not line or (line[0] == "#" and not line.startswith("##NAME:")):
            continue  # blank or comment (most of a .dist file): a comment never continues a line
        # Backslash continuation joins physical lines (outside single quotes, as sh does).
        more, quote, prev = _scan(line, "", " ")
        while more and i < len(physical):
            line = line[:-1] + physical[i]
            more, quote, prev = _scan(physical[i], quote, prev)
            i += 1
        line = line.removesuffix("\r")  # a file edited on Windows
        stripped = line.strip()
        marker = _marker(stripped)
        if marker is not None:
            markers.append(marker)
            continue
        if not stripped or stripped.startswith("#"):
            continue
        # Leading blanks go; trailing ones stay for parse_value (an escaped "\\ " is part of the value).
        statement = line.lstrip(" \t")
        if statement.startswith("export "):
            statement = statement[len("export ") :].lstrip(" \t")
        name, equals, raw = statement.partition("=")
        if not equals or not _is_name(name):
            raise ConfigError(
                f"{path}:{lineno}: expected NAME=value, found {stripped[:60]!r}; fix or comment out this line"
            )
        value = parse_value(raw, scope, f"{path}:{lineno}: {name}")
        scope[name] = value
        values[name] = value
        lines[name] = lineno
    return ConfigFile(path=path, values=values, lines=lines, markers=tuple(markers))


def read_config(
    path: str | os.PathLike[str], env: Mapping[str, str] | None = None, warn: Warn | None = None
) -> ConfigFile:
    """Read a Courier config file; a missing file reads as empty.

    ``warn`` (if given) receives one message per unknown variable.
    """
    p = os.fspath(path)
    try:
        with open(p, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
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


def read_chain(
    config_dir: str | os.PathLike[str], *names: str, warn: Warn | None = warn_stderr
) -> dict[str, str]:
    """Source several files in order (as the start scripts do); later files win.

    Unknown variables are kept and reported through ``warn`` (stderr by default;
    pass None to stay quiet).
    """
    merged: dict[str, str] = {}
    for name in names:
        merged.update(read_config(os.path.join(config_dir, name), merged, warn).values)
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
