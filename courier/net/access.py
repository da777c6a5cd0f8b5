"""Courier's access file: allow or deny clients by address prefix.

Text format (the source of Courier's ``imapaccess.dat``), one rule a line::

    192.0.2         deny
    192.0.2.7       allow
    :2001:0db8      allow,RELAYCLIENT=1
    *               allow

The most specific prefix wins; ``*`` is the fallback; with no rule at all the
client is allowed.  IPv4 prefixes are whole dotted parts; IPv6 addresses are
written as colon-led groups of four hex digits (``:2001:0db8:0000:...``), a
prefix being whole groups.  ``allow`` may carry ``NAME=value`` settings that are
put in the environment of the program serving that client.  The path may be a
file or a directory of such files (read in name order), as with makedat.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

_VALID_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class AccessError(ValueError):
    """The access file is malformed; the message names file and line."""


@dataclass(frozen=True, slots=True)
class Rule:
    allow: bool
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class AccessList:
    rules: dict[str, Rule] = field(default_factory=dict)

    def lookup(self, ip: str) -> Rule:
        """The rule for a client address (allow, no settings, when nothing matches)."""
        for key in candidates(ip):
            rule = self.rules.get(key)
            if rule is not None:
                return rule
        return Rule(allow=True)


def candidates(ip: str) -> list[str]:
    """Keys to try for an address, most specific first, ending with ``*``."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ["*"]
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if isinstance(addr, ipaddress.IPv4Address):
        parts = str(addr).split(".")
    else:
        parts = [""] + [addr.exploded.split(":")[i] for i in range(8)]
        return [":".join(parts[: n + 1]) for n in range(8, 0, -1)] + ["*"]
    return [".".join(parts[:n]) for n in range(4, 0, -1)] + ["*"]


def parse(text: str, where: str) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split(None, 1)
        if len(fields) != 2:
            raise AccessError(f"{where}:{lineno}: expected 'address-prefix allow|deny', found {line[:60]!r}")
        key, action = fields[0], fields[1].replace(" ", "")
        verb, *settings = action.split(",")
        if verb not in ("allow", "deny"):
            raise AccessError(f"{where}:{lineno}: {verb[:30]!r} is neither allow nor deny")
        env: list[tuple[str, str]] = []
        for item in settings:
            name, eq, value = item.partition("=")
            if not eq or not _VALID_ENV.fullmatch(name):
                raise AccessError(f"{where}:{lineno}: {item[:40]!r} is not NAME=value")
            env.append((name, value))
        rules[key.lower()] = Rule(allow=verb == "allow", env=tuple(env))
    return rules


def load(path: str | Path) -> AccessList:
    """Read an access file or directory; a missing one allows everybody."""
    p = Path(path)
    files = sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p] if p.exists() else []
    rules: dict[str, Rule] = {}
    for f in files:
        try:
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise AccessError(f"{f}: cannot read: {exc.strerror}") from exc
        rules.update(parse(text, str(f)))
    return AccessList(rules)
