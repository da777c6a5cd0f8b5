"""install-configure: merge a new FILE.dist into the existing config file, keeping the admin's settings.

Config files carry sysconftool markers: every setting is a section that starts
with ``##NAME: <setting>:<revision>``.  For each section of the new .dist:

* the existing file has it with the same revision: the existing section is kept
  as it is (the admin's value and comments);
* it has it with another revision: the setting changed meaning, so the new
  default is installed and the previous lines are kept below it as comments;
* it does not have it: the new section is added with its default.

Sections of the existing file that the .dist no longer has are reported and
kept as comments at the end.  A file without markers (hand-written) is merged
variable by variable, and the original is saved as FILE.bak.  Nothing is
dropped silently: every change is reported on standard output.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from courier.config import DEFAULT_CONFIG_DIR, ConfigError, parse_text

_MARKER = re.compile(r"##NAME:\s*([^:\s]+)\s*:\s*([0-9]+)\s*$")
_ASSIGN = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=")
_COMMENTED_ASSIGN = re.compile(r"#\s*([A-Za-z_][A-Za-z0-9_]*)=")


@dataclass(slots=True)
class Section:
    name: str
    revision: str
    lines: list[str]  # including the marker line; each line keeps its newline

    def assignments(self) -> list[str]:
        return _assignment_lines(self.lines)


@dataclass(slots=True)
class Parsed:
    header: list[str]
    sections: list[Section]


@dataclass(slots=True)
class Report:
    kept: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # revision changed: new default installed
    obsolete: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    backup: bool = False

    def lines(self, name: str) -> list[str]:
        out = [f"{name}: kept {len(self.kept)} setting(s) as they were"]
        for label, items in (("added with its default", self.added), ("changed meaning", self.updated)):
            out += [f"{name}: {item}: {label}" for item in items]
        out += [f"{name}: {item}" for item in self.obsolete + self.notes]
        return out


def split_sections(text: str) -> Parsed:
    header: list[str] = []
    sections: list[Section] = []
    for line in text.splitlines(keepends=True):
        m = _MARKER.match(line.rstrip("\n"))
        if m:
            sections.append(Section(m.group(1), m.group(2), [line]))
        elif sections:
            sections[-1].lines.append(line)
        else:
            header.append(line)
    return Parsed(header, sections)


def _logical_lines(lines: Sequence[str]) -> list[list[str]]:
    """Group physical lines joined by a trailing backslash."""
    groups: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        current.append(line)
        if not line.rstrip("\n").endswith("\\") or current[0].lstrip().startswith("#"):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _assignment_lines(lines: Sequence[str]) -> list[str]:
    return [
        "".join(g) for g in _logical_lines(lines) if _ASSIGN.match(g[0]) and not g[0].lstrip().startswith("#")
    ]


def _as_comment(lines: Sequence[str]) -> list[str]:
    return [f"# {ln.rstrip(chr(10))}\n" if not ln.startswith("#") else ln for ln in lines]


def _ensure_newline(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def merge_sections(old: Parsed, new: Parsed) -> tuple[str, Report]:
    report = Report()
    by_name: dict[str, Section] = {}
    for sec in old.sections:
        previous = by_name.get(sec.name)
        if previous is not None and previous.assignments() != sec.assignments():
            # sh reads both; the later assignment is the one in effect, so that one is kept.
            report.notes.append(
                f"{sec.name}: appeared twice in the old file; kept the later one, which was in effect"
            )
        by_name[sec.name] = sec
    out: list[str] = list(new.header)
    for ours in new.sections:
        theirs = by_name.pop(ours.name, None)
        if theirs is None:
            out += _ensure_newline(list(ours.lines))
            report.added.append(ours.name)
        elif theirs.revision == ours.revision:
            out += _ensure_newline(list(theirs.lines))
            report.kept.append(ours.name)
        else:
            out += _ensure_newline(list(ours.lines))
            before = theirs.assignments()
            if before:
                out.append(f"# Before the upgrade (revision {theirs.revision}) this setting was:\n")
                out += _as_comment([ln for a in before for ln in a.splitlines(keepends=True)])
                out.append("\n")
            shown = "; ".join(a.strip() for a in before) or "not set"
            report.updated.append(
                f"{ours.name} (revision {theirs.revision} -> {ours.revision}): new default installed; "
                f"the previous value ({shown}) is kept as a comment, re-apply it if it still fits"
            )
    # What the old header set outside any section is carried over as it was.
    stray = _assignment_lines(old.header)
    if stray:
        out.append("\n# Set outside any section in the previous file (kept by install-configure):\n")
        out += _ensure_newline(list(stray))
        report.notes.append(f"kept {len(stray)} line(s) that were outside any section: {_names(stray)}")
    obsolete = [sec for sec in old.sections if by_name.get(sec.name) is sec]
    out += _obsolete_block([a for sec in obsolete for a in sec.assignments()])
    for sec in obsolete:
        values = "; ".join(a.strip() for a in sec.assignments()) or "nothing set"
        report.obsolete.append(f"{sec.name}: obsolete setting ({values}); kept as a comment at the end")
    return "".join(out), report


def _names(lines: Sequence[str]) -> str:
    return ", ".join(m.group(1) for ln in lines if (m := _ASSIGN.match(ln)))


def _obsolete_block(assignments: Sequence[str]) -> list[str]:
    if not assignments:
        return []
    return [
        "\n# Settings of the previous file that this version no longer has\n",
        "# (kept as comments by install-configure):\n",
        *_as_comment([ln for a in assignments for ln in a.splitlines(keepends=True)]),
    ]


def merge_plain(old_text: str, new: Parsed) -> tuple[str, Report]:
    """Merge a file without sysconftool markers, variable by variable."""
    report = Report(backup=True)
    old_lines: dict[str, str] = {}
    for group in _logical_lines(old_text.splitlines(keepends=True)):
        m = _ASSIGN.match(group[0])
        if m and not group[0].lstrip().startswith("#"):
            old_lines[m.group(1)] = "".join(group)  # the last assignment is the one in effect
    remaining = dict(old_lines)
    out: list[str] = list(new.header)
    for sec in new.sections:
        groups = _logical_lines(sec.lines)
        active: dict[str, list[int]] = {}
        example: dict[str, int] = {}
        for i, group in enumerate(groups):
            first = group[0]
            if first.lstrip().startswith("#"):
                m = _COMMENTED_ASSIGN.match(first.lstrip())
                if m and _is_example(first):
                    example.setdefault(m.group(1), i)
            elif m := _ASSIGN.match(first):
                active.setdefault(m.group(1), []).append(i)
        replace: dict[int, str] = {}
        for name in [n for n in remaining if n in active or n in example]:
            line = _ensure_newline([remaining.pop(name)])[0]
            if name in active:
                at, *others = active[name]
                replace[at] = line
                replace.update({i: "".join(_as_comment(groups[i])) for i in others})
            else:
                replace[example[name]] = line
        for i, group in enumerate(groups):
            out.append(replace.get(i, "".join(group)))
        _ensure_newline(out)
        (report.kept if replace else report.added).append(sec.name)
    out += _obsolete_block(list(remaining.values()))
    for name, line in remaining.items():
        report.obsolete.append(
            f"{name}: not a setting of this version ({line.strip()}); kept as a comment at the end"
        )
    return "".join(out), report


def _is_example(line: str) -> bool:
    """A commented ``#NAME=value`` example, as opposed to prose that happens to contain '='."""
    body = line.lstrip("#").strip()
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", body)) or bool(
        re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=(\"[^\"]*\"|'[^']*')", body)
    )


def merge(old_text: str | None, dist_text: str) -> tuple[str, Report]:
    new = split_sections(dist_text)
    if old_text is None:
        return dist_text, Report(added=[s.name for s in new.sections])
    old = split_sections(old_text)
    if old.sections:
        return merge_sections(old, new)
    return merge_plain(old_text, new)


def _write_atomically(path: Path, text: str, like: Path | None, fallback: Path) -> None:
    tmp = path.with_name(f".{path.name}.install-configure.{os.getpid()}")
    st = (like if like is not None and like.exists() else fallback).stat()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
            f.flush()
            os.fchmod(f.fileno(), st.st_mode & 0o7777)
            with contextlib.suppress(PermissionError):  # not root: the file stays ours
                os.fchown(f.fileno(), st.st_uid, st.st_gid)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def install(dist: Path, config_dir: Path, dry_run: bool = False) -> list[str]:
    """Merge one .dist into its config file; returns the report lines."""
    if dist.suffix != ".dist":
        raise ConfigError(f"{dist}: expected a FILE.dist")
    name = dist.name[: -len(".dist")]
    target = config_dir / name
    try:
        dist_text = dist.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise ConfigError(f"{dist}: cannot read: {exc.strerror}") from exc
    try:
        old_text: str | None = target.read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        old_text = None
    except OSError as exc:
        raise ConfigError(f"{target}: cannot read: {exc.strerror}") from exc
    if old_text is not None:
        parse_text(old_text, target)  # a broken file is reported, never merged blindly
    text, report = merge(old_text, dist_text)
    parse_text(text, target)  # the result must read back
    if old_text is None:
        lines = [f"{name}: created from {dist}"]
    elif text == old_text:
        return [f"{name}: up to date"]
    else:
        lines = report.lines(name)
    if dry_run:
        return [*lines, f"{name}: not written (--dry-run)"]
    if old_text is not None and report.backup:
        backup = target.with_name(target.name + ".bak")
        _write_atomically(backup, old_text, target, dist)
        lines.append(f"{name}: the previous file had no ## markers; it is saved as {backup}")
    _write_atomically(target, text, target if old_text is not None else None, dist)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="install-configure",
        description="Install or update config files from FILE.dist, keeping the settings already made.",
    )
    p.add_argument(
        "--config-dir", default=str(DEFAULT_CONFIG_DIR), help="where the config files are (%(default)s)"
    )
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    p.add_argument("dist", nargs="+", type=Path, help="new FILE.dist; the config file is --config-dir/FILE")
    args = p.parse_args(argv)
    status = 0
    for dist in args.dist:
        try:
            for line in install(dist, Path(args.config_dir), args.dry_run):
                print(line)
        except (ConfigError, OSError) as exc:
            print(f"install-configure: {exc}; that file was left unchanged", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
