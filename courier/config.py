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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG_DIR = Path("/etc/courier")

_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.S)
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class ConfigError(ValueError):
    """A config file or value is malformed; the message names file, line and what to do."""


@dataclass(frozen=True, slots=True)
class ConfigFile:
    path: Path
    values: Mapping[str, str]
    lines: Mapping[str, int] = field(default_factory=dict)  # variable -> line number
    markers: tuple[str, ...] = ()  # sysconftool ##NAME markers, in order

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)


def _expand(text: str, env: Mapping[str, str]) -> str:
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
                    chunk.append("\x00" + raw[i + 1] if raw[i + 1] == "$" else raw[i + 1])
                    i += 2
                    continue
                chunk.append(c)
                i += 1
            out.append(_expand("".join(chunk), env))
        elif c == "\\" and i + 1 < n:
            out.append("\x00$" if raw[i + 1] == "$" else raw[i + 1])
            i += 2
        elif c in " \t":
            rest = raw[i:].strip()
            if rest and not rest.startswith("#"):
                raise ConfigError(f"{where}: unquoted space in value; put the whole value in double quotes")
            break
        elif c == "#" and (i == 0 or raw[i - 1] in " \t"):
            break
        elif c in "`;|&<>()":
            raise ConfigError(f"{where}: shell syntax {c!r} is not supported in a config value")
        else:
            j = i
            while j < n and raw[j] not in "'\"\\ \t`;|&<>()":
                j += 1
            out.append(_expand(raw[i:j], env))
            i = j
    return "".join(out).replace("\x00$", "$")


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
        while line.endswith("\\") and not line.endswith("\\\\") and i < len(physical):
            line = line[:-1] + physical[i]
            i += 1
        stripped = line.strip()
        if stripped.startswith("##") and ":" in stripped:
            markers.append(stripped[2:].split(":", 1)[0].strip())
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].strip()
        m = _ASSIGN.fullmatch(stripped)
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


def read_config(path: Path | str, env: Mapping[str, str] | None = None) -> ConfigFile:
    """Read a Courier config file; a missing file reads as empty."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return ConfigFile(path=p, values={})
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}; check its permissions") from exc
    return parse_text(text, p, env)


def read_chain(config_dir: Path | str, *names: str) -> dict[str, str]:
    """Source several files in order (as the start scripts do); later files win."""
    merged: dict[str, str] = {}
    for name in names:
        merged.update(read_config(Path(config_dir) / name, merged).values)
    return merged


def as_int(values: Mapping[str, str], name: str, default: int, where: str = "") -> int:
    raw = values.get(name, "").strip()
    if raw == "":
        return default
    try:
        return int(raw, 0) if raw.lower().startswith(("0x", "0o")) else int(raw)
    except ValueError as exc:
        raise ConfigError(f"{where or 'config'}: {name}={raw!r} is not a whole number") from exc


def as_bool(values: Mapping[str, str], name: str, default: bool) -> bool:
    raw = values.get(name, "").strip().lower()
    if raw == "":
        return default
    return raw in ("1", "yes", "y", "true", "on")
