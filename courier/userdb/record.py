"""userdb records: ``name<TAB>field=value|field=value`` exactly as Courier reads and writes them.

Courier's rules (from its ``userdb`` script and authlib's ``userdb_gets``):

* the first TAB separates the account name from the fields; the rest of the line
  (TABs included) is the field text;
* fields are separated by ``|``; a field is ``name=value`` or a bare ``name``;
  trailing empty fields vanish (Perl's ``split``);
* a lookup takes the *first* field of a given name;
* ``<uid>=<TAB><name>`` is a reverse uid record (written by pw2userdb);
* ``|`` and newlines can never appear in a name or value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# A field as it appears in the file: (name, value); value None = a bare name without "=".
Field = tuple[str, str | None]

_REVERSE_NAME = re.compile(r"[0-9]+=")


class RecordError(ValueError):
    """A malformed userdb line, field or value; ``str()`` names where and why."""

    def __init__(self, reason: str, path: str | None = None, lineno: int | None = None) -> None:
        self.reason = reason
        self.path = path
        self.lineno = lineno
        where = ""
        if path is not None:
            where = f"{path}:{lineno}: " if lineno is not None else f"{path}: "
        super().__init__(where + reason)

    def at(self, path: str, lineno: int) -> RecordError:
        return RecordError(self.reason, path, lineno)


def split_fields(text: str) -> list[Field]:
    """Split the field text of a record, keeping order, duplicates and bare names."""
    parts = text.split("|")
    while parts and parts[-1] == "":  # Perl's split drops trailing empty fields
        parts.pop()
    out: list[Field] = []
    for part in parts:
        name, sep, value = part.partition("=")
        out.append((name, value if sep else None))
    return out


def fields_dict(text: str) -> dict[str, str]:
    """The fields a lookup sees: first occurrence wins, bare names (no ``=``) are invisible."""
    result: dict[str, str] = {}
    for name, value in split_fields(text):
        if value is not None and name not in result:
            result[name] = value
    return result


def format_fields(fields: Iterable[Field]) -> str:
    return "|".join(name if value is None else f"{name}={value}" for name, value in fields)


def format_record(name: str, fields: Iterable[Field]) -> str:
    """One line (without newline) as Courier writes it; no fields gives the bare name."""
    text = format_fields(fields)
    return f"{name}\t{text}" if text else name


def check_name(name: str) -> None:
    """An account name usable as the first column of a line and as a GDBM key."""
    if not name:
        raise RecordError("empty account name")
    for ch, what in (("\t", "a TAB"), ("\n", "a newline"), ("\r", "a carriage return"), ("\0", "a NUL")):
        if ch in name:
            raise RecordError(f"account name {name!r} contains {what}")
    if name.startswith("#"):
        raise RecordError(f"account name {name!r} starts with '#', which would make the line a comment")


def check_field(name: str, value: str | None) -> None:
    """A field Courier's ``userdb`` would accept (no ``|`` or newline), with a non-empty name."""
    if not name:
        raise RecordError(f"field {format_fields([(name, value)])!r} has an empty name")
    if "=" in name:
        raise RecordError(f"field name {name!r} contains '='")
    for text, what in ((name, "field name"), (value, "value")):
        if text is None:
            continue
        for ch, desc in (("|", "'|'"), ("\n", "a newline"), ("\r", "a carriage return"), ("\0", "a NUL")):
            if ch in text:
                label = f"value of field {name!r}" if what == "value" else f"field name {name!r}"
                raise RecordError(f"{label} contains {desc}")


def parse_assignment(arg: str) -> Field:
    """``field=value`` or bare ``field`` from a command line, validated."""
    name, sep, value = arg.partition("=")
    field: Field = (name, value if sep else None)
    check_field(*field)
    return field


@dataclass(frozen=True, slots=True)
class Record:
    """One account line of a userdb source file."""

    name: str
    fields: tuple[Field, ...]
    # A name alone on its line (what Courier's ``userdb`` writes once every field is unset).
    bare: bool = False

    @property
    def is_reverse(self) -> bool:
        """``<uid>=<TAB><name>``: maps a numeric uid back to an account."""
        return _REVERSE_NAME.fullmatch(self.name) is not None

    def get(self, field: str) -> str | None:
        for name, value in self.fields:
            if name == field and value is not None:
                return value
        return None

    def as_dict(self) -> dict[str, str]:
        return fields_dict(format_fields(self.fields))

    def line(self) -> str:
        return self.name if self.bare else format_record(self.name, self.fields)


def parse_line(line: str) -> Record | None:
    """A source line without its newline: None for comments and blank lines.

    A name alone (no TAB, no blanks) is an account without fields, as Courier's
    ``userdb`` leaves it when every field was unset.  Raises RecordError for a
    line makeuserdb could not compile sensibly (blanks but no TAB, an empty name).
    """
    if line == "" or line.startswith("#"):
        return None
    name, tab, text = line.partition("\t")
    if not tab:
        if line.strip() == "":
            raise RecordError("line of only white space (not a comment, not an account)")
        if any(ch.isspace() for ch in line):
            raise RecordError(f"no TAB between the account name and its fields in {line[:60]!r}")
        return Record(line, (), bare=True)
    if name == "":
        raise RecordError("empty account name before the TAB")
    if "\r" in line:
        raise RecordError("carriage return in the line (file saved with DOS line endings?)")
    if "\0" in line:
        raise RecordError("NUL character in the line")
    return Record(name, tuple(split_fields(text)))


def parse_lines(lines: Sequence[str], path: str) -> list[tuple[int, Record]]:
    """Every record of a file with its line number; the first bad line raises RecordError."""
    out: list[tuple[int, Record]] = []
    for lineno, raw in enumerate(lines, 1):
        try:
            rec = parse_line(raw.removesuffix("\n"))
        except RecordError as e:
            raise e.at(path, lineno) from None
        if rec is not None:
            out.append((lineno, rec))
    return out
