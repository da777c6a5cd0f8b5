"""IMAP system flags <-> maildir info letters (``:2,DFRST``)."""

from __future__ import annotations

SEEN = "\\Seen"
ANSWERED = "\\Answered"
FLAGGED = "\\Flagged"
DELETED = "\\Deleted"
DRAFT = "\\Draft"
RECENT = "\\Recent"

#: Letter -> IMAP flag, for the letters IMAP knows.  Courier leaves "P" (passed) alone.
LETTER_TO_FLAG: dict[str, str] = {"D": DRAFT, "F": FLAGGED, "R": ANSWERED, "S": SEEN, "T": DELETED}
FLAG_TO_LETTER: dict[str, str] = {v: k for k, v in LETTER_TO_FLAG.items()}
SYSTEM_FLAGS = frozenset(FLAG_TO_LETTER)
_BY_LOWER = {f.lower(): f for f in SYSTEM_FLAGS}

_cache: dict[str, frozenset[str]] = {}


def canonical_system_flag(flag: str) -> str | None:
    """The canonical spelling of a system flag given in any case, or None if ``flag`` is not one."""
    return _BY_LOWER.get(flag.lower()) if flag.startswith("\\") else None


def info_flags(info: str) -> frozenset[str]:
    """System flags of an info suffix (the part after ``:``, e.g. ``2,FS``); foreign suffixes give none."""
    hit = _cache.get(info)
    if hit is not None:
        return hit
    result: frozenset[str] = frozenset()
    if info.startswith("2,"):
        result = frozenset(LETTER_TO_FLAG[c] for c in info[2:] if c in LETTER_TO_FLAG)
    if len(_cache) < 4096:
        _cache[info] = result
    return result


_info_cache: dict[frozenset[str], str] = {}


def make_info(flags: frozenset[str] | set[str], old_info: str = "") -> str:
    """The info suffix for ``flags``, keeping letters IMAP does not know (``P``, lowercase) from ``old_info``.

    Letters are in ASCII order, as the maildir convention and Courier want.
    """
    if not old_info or old_info == "2," or not old_info.startswith("2,"):
        key = frozenset(flags)
        hit = _info_cache.get(key)
        if hit is None:
            hit = "2," + "".join(sorted(FLAG_TO_LETTER[f] for f in key if f in FLAG_TO_LETTER))
            if len(_info_cache) < 4096:
                _info_cache[key] = hit
        if not old_info.startswith("2,") or old_info == "2,":
            return hit
    letters = {FLAG_TO_LETTER[f] for f in flags if f in FLAG_TO_LETTER}
    if old_info.startswith("2,"):
        letters.update(c for c in old_info[2:] if c not in LETTER_TO_FLAG and c.isalpha())
    return "2," + "".join(sorted(letters))


def has_letter(info: str, letter: str) -> bool:
    return info.startswith("2,") and letter in info[2:]
