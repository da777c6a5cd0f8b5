"""BODYSTRUCTURE and BODY (RFC 3501 7.4.2) as Courier prints them, as plain data.

Courier's conventions: type, subtype, parameter names and the charset value
lowercased (other values keep their case); the transfer encoding lowercased
with "8bit" when absent; a message without ``MIME-Version: 1.0`` is plain
text without parameters; Content-Language and Content-Location are never
reported for single parts (NIL), while a multipart's Content-Language is
reported as a plain string.
"""

from __future__ import annotations

from courier.mime.envelope import envelope, header_text
from courier.mime.headers import parse_params
from courier.mime.message import Entity


def _params(params: list[tuple[str, str]], utf8: bool) -> list[str] | None:
    if not params:
        return None
    out: list[str] = []
    for name, value in params:
        out.append(name)
        if name == "charset":
            value = value.lower()
        out.append(value if value.isascii() else header_text(value.encode("latin-1"), utf8, whole=True))
    return out


def _disposition(ent: Entity, utf8: bool) -> list[object] | None:
    raw = ent.header("content-disposition") if ent.mime else None
    if raw is None:
        return None
    kind, params = parse_params(raw)
    if not kind:
        return None
    return [kind, _params(params, utf8)]


def _opt(ent: Entity, name: str, utf8: bool) -> str | None:
    v = ent.header(name)
    return header_text(v, utf8) if v else None


def bodystructure(ent: Entity, extensible: bool = True, utf8: bool = False) -> list[object]:
    """BODYSTRUCTURE (``extensible=True``) or BODY data of a message's root entity."""
    if ent.children:
        out: list[object] = [bodystructure(c, extensible, utf8) for c in ent.children]
        out.append(ent.subtype)
        if extensible:
            out += [_params(ent.params, utf8), _disposition(ent, utf8), _opt(ent, "content-language", utf8)]
        return out
    res: list[object] = [
        ent.type,
        ent.subtype,
        _params(ent.params, utf8),
        _opt(ent, "content-id", utf8),
        _opt(ent, "content-description", utf8),
        ent.encoding,
        ent.size,
    ]
    if ent.message is not None:
        inner = ent.message
        res += [envelope(inner.fields, utf8), bodystructure(inner, extensible, utf8), ent.lines]
    elif ent.type == "text":
        res.append(ent.lines)
    if extensible:
        res += [_opt(ent, "content-md5", utf8), _disposition(ent, utf8), None]
    return res
