"""FETCH data items, parsed from the tokens of a FETCH command."""

from __future__ import annotations

import re

from courier.frozen import dataclass
from courier.imap.args import Bad
from courier.imap.parser import Atom

_SIMPLE = {
    "FLAGS",
    "UID",
    "INTERNALDATE",
    "RFC822.SIZE",
    "ENVELOPE",
    "BODYSTRUCTURE",
    "BODY",
    "RFC822",
    "RFC822.HEADER",
    "RFC822.TEXT",
}
_MACROS = {
    "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
    "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
    "FULL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"),
}
_BODY = re.compile(r"(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d{1,10})\.(\d{1,10})>)?", re.I)
_PART = re.compile(r"(\d{1,5}(?:\.\d{1,5}){0,31})(?:\.(.*))?", re.S)
_FIELDS = re.compile(r"(HEADER\.FIELDS(?:\.NOT)?) ?\((.*)\)", re.S | re.I)
_FIELD_NAME = re.compile(r'"([^"]*)"|([^\s()"]+)')


@dataclass(frozen=True, slots=True)
class Section:
    part: tuple[int, ...] = ()  # () = the whole message
    kind: str = (
        ""  # "" (the part's body / whole message), HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME
    )
    fields: tuple[str, ...] = ()

    def label(self) -> str:
        parts = [".".join(map(str, self.part))] if self.part else []
        if self.kind:
            kind = self.kind
            if self.fields:
                kind += " (" + " ".join(f'"{f}"' for f in self.fields) + ")"
            parts.append(kind)
        return ".".join(parts)


@dataclass(frozen=True, slots=True)
class Item:
    name: str  # FLAGS, UID, ..., or BODY[] for sections
    section: Section | None = None
    peek: bool = False
    partial: tuple[int, int] | None = None

    @property
    def sets_seen(self) -> bool:
        if self.section is not None:
            return not self.peek
        return self.name in ("RFC822", "RFC822.TEXT")

    def response_name(self) -> str:
        if self.section is None:
            return self.name
        out = f"BODY[{self.section.label()}]"
        if self.partial is not None:
            out += f"<{self.partial[0]}>"
        return out


def parse_items(tok: object) -> list[Item]:
    if isinstance(tok, list):
        if not tok:
            raise Bad("empty FETCH list")
        toks = tok
    else:
        toks = [tok]
    items: list[Item] = []
    for t in toks:
        if not isinstance(t, Atom):
            raise Bad("FETCH items are atoms")
        items += _parse_one(str(t))
    if len(items) > 200:
        raise Bad("too many FETCH items")
    return items


def _parse_one(text: str) -> list[Item]:
    upper = text.upper()
    if upper in _MACROS:
        return [Item(n) for n in _MACROS[upper]]
    if upper in _SIMPLE:
        return [Item(upper)]
    m = _BODY.fullmatch(text)
    if m is None:
        raise Bad(f"unknown FETCH item {text[:40]}")
    peek = m.group(1).upper() == "BODY.PEEK"
    section = parse_section(m.group(2))
    partial = None
    if m.group(3) is not None:
        count = int(m.group(4))
        if count == 0 or int(m.group(3)) > 4294967295 or count > 4294967295:
            raise Bad("invalid partial range")
        partial = (int(m.group(3)), count)
    return [Item("BODY[]", section, peek, partial)]


def parse_section(text: str) -> Section:
    if text == "":
        return Section()
    part: tuple[int, ...] = ()
    rest = text
    pm = _PART.fullmatch(text)
    if pm is not None:
        part = tuple(int(p) for p in pm.group(1).split("."))
        if any(p == 0 for p in part):
            raise Bad("section numbers start at 1")
        rest = pm.group(2) or ""
        if rest == "" and text.endswith("."):
            raise Bad("invalid section")
    upper = rest.upper()
    if upper == "":
        return Section(part)
    if upper in ("HEADER", "TEXT"):
        return Section(part, upper)
    if upper == "MIME":
        if not part:
            raise Bad("MIME needs a part number")
        return Section(part, "MIME")
    fm = _FIELDS.fullmatch(rest)
    if fm is not None:
        names = []
        for q, bare in _FIELD_NAME.findall(fm.group(2)):
            name = q or bare
            if not name or any(ord(c) <= 32 or ord(c) > 126 or c == ":" for c in name):
                raise Bad("invalid header field name")
            names.append(name)
        if not names or len(names) > 100:
            raise Bad("HEADER.FIELDS needs field names")
        return Section(part, fm.group(1).upper(), tuple(names))
    raise Bad("invalid section")
