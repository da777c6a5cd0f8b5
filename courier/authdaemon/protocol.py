"""Courier authdaemond's socket protocol: requests, replies, limits.

One request per connection, the server closes after its reply:

* ``PRE . <service> <username>\\n``: look an account up (``.`` = any module);
* ``AUTH <n>\\n<service>\\n<authtype>\\n<authdata>``: ``n`` counts the bytes after
  the first newline; authtype ``login`` carries ``user\\npass\\n``, the CRAM types
  ``base64(challenge)\\nbase64(response)\\n``;
* ``PASSWD <service>\\t<user>\\t<old>\\t<new>\\n`` answers ``OK`` or ``FAIL``;
* ``ENUMERATE\\n`` answers ``# module``, a blank line and tab-separated account
  lines per module, then ``.``.

An account is ``KEY=value`` lines ending with ``.``; a failed login is ``FAIL``.
A temporary failure closes the connection without a reply, which Courier's
clients report as "try again later".

This module is on every connection's path (the client imports it): stdlib only.
"""

from __future__ import annotations

from courier.auth.info import AuthInfo, format_options, parse_options
from courier.frozen import dataclass

MAX_REQUEST = 8192  # bytes; more than any real credentials need
MAX_REPLY = 65536

FAIL = b"FAIL\n"
OK = b"OK\n"


class ProtocolError(ValueError):
    """A request or reply does not follow the protocol."""


@dataclass(frozen=True, slots=True)
class PreRequest:
    module: str  # "." = any
    service: str
    username: str
    env: tuple[tuple[str, str], ...] = ()  # NAME=value lines sent before the request


@dataclass(frozen=True, slots=True)
class AuthRequest:
    service: str
    authtype: str
    authdata: bytes
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PasswdRequest:
    service: str
    username: str
    oldpass: str
    newpass: str
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class EnumerateRequest:
    env: tuple[tuple[str, str], ...] = ()


Request = PreRequest | AuthRequest | PasswdRequest | EnumerateRequest


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _clean(value: str) -> str:
    # A value must stay on its line: a newline would let data forge reply keys.
    return "".join(c if c >= " " or c == "\t" else "?" for c in value)


# ---- requests -------------------------------------------------------------


def encode_pre(service: str, username: str, module: str = ".") -> bytes:
    for part in (service, username, module):
        if not part or any(c in part for c in " \t\r\n"):
            raise ProtocolError(f"PRE field {part!r} is empty or has whitespace")
    return f"PRE {module} {service} {username}\n".encode("utf-8", "surrogateescape")


def encode_auth(service: str, authtype: str, authdata: bytes) -> bytes:
    for part in (service, authtype):
        if not part or any(c in part for c in " \t\r\n"):
            raise ProtocolError(f"AUTH field {part!r} is empty or has whitespace")
    body = f"{service}\n{authtype}\n".encode() + authdata
    return b"AUTH %d\n" % len(body) + body


def encode_passwd(service: str, username: str, oldpass: str, newpass: str) -> bytes:
    for part in (service, username, oldpass, newpass):
        if any(c in part for c in "\t\r\n"):
            raise ProtocolError("PASSWD fields cannot contain tabs or newlines")
    return f"PASSWD {service}\t{username}\t{oldpass}\t{newpass}\n".encode("utf-8", "surrogateescape")


MAX_ENV_LINES = 16


def _env_name(name: bytes) -> bool:
    return bool(name) and name.replace(b"_", b"a").isalnum() and name.isascii() and not name[:1].isdigit()


def split_env(buf: bytes) -> tuple[dict[str, str], bytes]:
    """Courier's clients send ``NAME=value`` lines (TCPREMOTEIP=...) before the request."""
    env: dict[str, str] = {}
    pos = 0
    while len(env) <= MAX_ENV_LINES:
        nl = buf.find(b"\n", pos)
        if nl < 0:
            break
        name, eq, value = buf[pos:nl].partition(b"=")
        if not eq or not _env_name(name):
            break
        env[_text(name)] = _text(value)
        pos = nl + 1
    if len(env) > MAX_ENV_LINES:
        raise ProtocolError("too many NAME=value lines before the request")
    return env, buf[pos:]


def request_complete(buf: bytes) -> bool:
    """True once ``buf`` holds a whole request (so the server can stop reading)."""
    try:
        _, buf = split_env(buf)
    except ProtocolError:
        return True
    nl = buf.find(b"\n")
    if nl < 0:
        return False
    if not buf.startswith(b"AUTH "):
        return True
    try:
        n = int(buf[5:nl])
    except ValueError:
        return True  # malformed: parse_request says so
    return len(buf) - nl - 1 >= n


def parse_request(buf: bytes) -> Request:
    """Parse one whole request; raises ProtocolError for anything else."""
    env, buf = split_env(buf)
    envt = tuple(env.items())
    nl = buf.find(b"\n")
    if nl < 0:
        raise ProtocolError("request has no newline")
    first = buf[:nl]
    if first.startswith(b"PRE "):
        parts = first[4:].split(b" ")
        if len(parts) != 3 or not all(parts):
            raise ProtocolError("PRE needs: module service username")
        return PreRequest(_text(parts[0]), _text(parts[1]), _text(parts[2]), envt)
    if first.startswith(b"AUTH "):
        try:
            n = int(first[5:])
        except ValueError:
            raise ProtocolError("AUTH needs a byte count") from None
        body = buf[nl + 1 :]
        if n < 0 or len(body) != n:
            raise ProtocolError("AUTH byte count does not match the data")
        service, sep1, rest = body.partition(b"\n")
        authtype, sep2, authdata = rest.partition(b"\n")
        if not (sep1 and sep2 and service and authtype):
            raise ProtocolError("AUTH needs service and authtype lines")
        return AuthRequest(_text(service), _text(authtype).lower(), authdata, envt)
    if first.startswith(b"PASSWD "):
        parts = first[7:].split(b"\t")
        if len(parts) != 4:
            raise ProtocolError("PASSWD needs: service<TAB>user<TAB>old<TAB>new")
        return PasswdRequest(_text(parts[0]), _text(parts[1]), _text(parts[2]), _text(parts[3]), envt)
    if first == b"ENUMERATE":
        return EnumerateRequest(envt)
    raise ProtocolError("unknown request")


def split_login(authdata: bytes) -> tuple[str, str]:
    """authtype ``login``: ``user\\npass\\n`` -> (user, pass)."""
    user, sep, rest = authdata.partition(b"\n")
    password, _sep2, _ = rest.partition(b"\n")
    if not sep or not user:
        raise ProtocolError("login authdata needs user and password lines")
    return _text(user), _text(password)


# ---- replies --------------------------------------------------------------


def encode_info(info: AuthInfo) -> bytes:
    """An account as authdaemond writes it (Courier's key order)."""
    lines: list[str] = []
    if info.sysusername is not None:
        lines.append(f"USERNAME={info.sysusername}")
    if info.uid is not None:
        lines.append(f"UID={info.uid}")
    lines.append(f"GID={info.gid if info.gid is not None else 0}")
    lines.append(f"HOME={info.home}")
    if info.address:
        lines.append(f"ADDRESS={info.address}")
    if info.fullname:
        lines.append(f"NAME={info.fullname}")
    if info.maildir:
        lines.append(f"MAILDIR={info.maildir}")
    if info.quota:
        lines.append(f"QUOTA={info.quota}")
    if info.passwd:
        lines.append(f"PASSWD={info.passwd}")
    if info.clearpw:
        lines.append(f"PASSWD2={info.clearpw}")
    if info.options:
        lines.append(f"OPTIONS={format_options(info.options)}")
    return ("".join(_clean(line) + "\n" for line in lines) + ".\n").encode("utf-8", "surrogateescape")


def reply_complete(buf: bytes) -> bool:
    return buf in (FAIL, OK, b".\n") or buf.endswith(b"\n.\n")


def decode_info(buf: bytes) -> AuthInfo | None:
    """Parse a PRE/AUTH reply: None for ``FAIL``; ProtocolError if malformed."""
    if buf == FAIL:
        return None
    if not buf.endswith(b".\n"):
        raise ProtocolError("reply does not end with '.'")
    values: dict[str, str] = {}
    for raw in buf[:-2].split(b"\n"):
        if not raw:
            continue
        key, sep, value = raw.partition(b"=")
        if not sep:
            raise ProtocolError(f"reply line without '=': {raw[:40]!r}")
        values[key.decode("ascii", "replace")] = _text(value)
    home = values.get("HOME")
    if home is None:
        raise ProtocolError("reply has no HOME")
    try:
        uid = int(values["UID"]) if "UID" in values else None
        gid = int(values["GID"]) if "GID" in values else None
    except ValueError:
        raise ProtocolError("reply has a non-numeric UID or GID") from None
    if uid is None and "USERNAME" not in values:
        raise ProtocolError("reply has neither UID nor USERNAME")
    return AuthInfo(
        address=values.get("ADDRESS", values.get("USERNAME", "")),
        home=home,
        uid=uid,
        gid=gid,
        sysusername=values.get("USERNAME"),
        maildir=values.get("MAILDIR") or None,
        fullname=values.get("NAME") or None,
        quota=values.get("QUOTA") or None,
        options=parse_options(values.get("OPTIONS", "")),
        passwd=values.get("PASSWD") or None,
        clearpw=values.get("PASSWD2") or None,
    )


def encode_enumerate_section(module: str, accounts: list[AuthInfo]) -> bytes:
    out = [f"# {module}\n\n"]
    for a in accounts:
        uid = a.uid if a.uid is not None else ""
        gid = a.gid if a.gid is not None else ""
        fields = [a.address, str(uid), str(gid), a.home, a.maildir or "", format_options(a.options)]
        out.append("\t".join(_clean(f).replace("\t", " ") for f in fields) + "\n")
    return "".join(out).encode("utf-8", "surrogateescape")
