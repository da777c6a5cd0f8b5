"""Converting passwd-style files to userdb lines (pw2userdb, vchkpw2userdb).

Output as Courier's pw2userdb: ``name[@domain]<TAB>uid=..|gid=..|home=..``
then ``|shell=``, ``|systempw=``, ``|gecos=`` when not empty, and the reverse
record ``<uid>=<TAB>name``.  Courier prints in Perl hash order; we keep the
order of the passwd file.
"""

from __future__ import annotations

from dataclasses import dataclass

from courier.userdb.record import RecordError
from courier.userdb.source import read_text, split_lines


@dataclass(frozen=True, slots=True)
class PwEntry:
    name: str
    password: str | None  # None = "x" (look in shadow)
    uid: str
    gid: str
    gecos: str
    home: str
    shell: str


def _perl_split(line: str) -> list[str]:
    parts = line.split(":")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _check(value: str, what: str, path: str, lineno: int) -> None:
    for ch, desc in (("|", "'|'"), ("\t", "a TAB"), ("\r", "a carriage return")):
        if ch in value:
            raise RecordError(
                f"{what} {value!r} contains {desc}, which a userdb record cannot hold", path, lineno
            )


def read_passwd(path: str, *, numeric_ids: bool = True) -> list[PwEntry]:
    """Parse a passwd (or vpopmail vpasswd) file; the first malformed line raises RecordError."""
    try:
        text = read_text(path)
    except OSError as e:
        raise RecordError(e.strerror or str(e), path) from None
    entries: dict[str, PwEntry] = {}
    for lineno, line in enumerate(split_lines(text), 1):
        if line.startswith("#"):
            continue
        parts = _perl_split(line)
        if len(parts) < 6 or not parts[0]:
            raise RecordError(
                "not a passwd line (name:password:uid:gid:gecos:home[:shell])" if line else "empty line",
                path,
                lineno,
            )
        parts += [""] * (7 - len(parts))
        name, pw, uid, gid, gecos, home, shell = parts[:7]
        if numeric_ids and not (uid.isdigit() and gid.isdigit()):
            raise RecordError(f"uid {uid!r} or gid {gid!r} is not a number", path, lineno)
        for value, what in (
            (name, "name"),
            (pw, "password"),
            (uid, "uid"),
            (gid, "gid"),
            (home, "home"),
            (shell, "shell"),
        ):
            _check(value, what, path, lineno)
        if " " in name or name.startswith("#"):
            raise RecordError(f"account name {name!r} cannot be a userdb name", path, lineno)
        gecos = gecos.replace("|", ".").replace("\t", " ")
        entries[name] = PwEntry(name, None if pw == "x" else pw, uid, gid, gecos, home, shell)
    return list(entries.values())


def read_shadow(path: str) -> dict[str, str]:
    """name -> password field of a shadow file."""
    try:
        text = read_text(path)
    except OSError as e:
        raise RecordError(e.strerror or str(e), path) from None
    out: dict[str, str] = {}
    for lineno, line in enumerate(split_lines(text), 1):
        if line.startswith("#"):
            continue
        name, sep, rest = line.partition(":")
        if not sep or not name:
            raise RecordError("not a shadow line (name:password:...)", path, lineno)
        pw = rest.split(":", 1)[0]
        _check(pw, "password", path, lineno)
        out[name] = pw
    return out


def userdb_lines(
    entries: list[PwEntry],
    shadow: dict[str, str] | None = None,
    *,
    domain: str = "",
    reverse: bool = True,
    fixed_ids: tuple[int, int] | None = None,
) -> tuple[list[str], list[str]]:
    """(userdb lines, warnings).  A uid shared by several accounts gets one reverse record."""
    lines: list[str] = []
    warnings: list[str] = []
    reverse_seen: dict[str, str] = {}
    suffix = f"@{domain}" if domain else ""
    for e in entries:
        uid, gid = (str(fixed_ids[0]), str(fixed_ids[1])) if fixed_ids else (e.uid, e.gid)
        password = e.password
        if shadow is not None and e.name in shadow:
            password = shadow[e.name]
        text = f"uid={uid}|gid={gid}|home={e.home}"
        if e.shell:
            text += f"|shell={e.shell}"
        if password:
            text += f"|systempw={password}"
        if e.gecos:
            text += f"|gecos={e.gecos}"
        lines.append(f"{e.name}{suffix}\t{text}")
        if reverse:
            if uid in reverse_seen:
                warnings.append(
                    f"uid {uid} of {e.name} already maps back to {reverse_seen[uid]}; no second {uid}= record"
                )
            else:
                reverse_seen[uid] = e.name
                lines.append(f"{uid}=\t{e.name}")
    return lines, warnings
