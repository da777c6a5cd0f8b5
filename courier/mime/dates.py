"""Date: header values (RFC 5322, with the usual obsolete forms) without the email package."""

from __future__ import annotations

import re

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0,
    "est": -500, "edt": -400, "cst": -600, "cdt": -500,
    "mst": -700, "mdt": -600, "pst": -800, "pdt": -700,
}  # fmt: skip
_DATE = re.compile(
    r"(\d{1,2})\s*[-\s]\s*([A-Za-z]{3})[A-Za-z]*\.?\s*[-\s]\s*(\d{2,4})"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
    r"\s*([+-]\d{4}|[A-Za-z]{1,5})?"
)


def parse_date(value: str) -> tuple[int, int, int, float] | None:
    """``"Tue, 01 Mar 2022 10:00:00 +0100"`` -> (2022, 3, 1, UTC epoch seconds), or None.

    The first three items are the date as written (what SENTON and friends
    compare, disregarding time and zone); the epoch is for SORT DATE.
    """
    m = _DATE.search(value)
    if m is None:
        return None
    day, mon_name, year_s, hh, mm, ss, zone = m.groups()
    mon = _MONTHS.get(mon_name.lower())
    if mon is None:
        return None
    year = int(year_s)
    if len(year_s) == 2:
        year += 2000 if year < 50 else 1900
    elif len(year_s) == 3:
        year += 1900
    d = int(day)
    if not 1 <= d <= 31 or year < 1:
        return None
    offset = 0
    if zone:
        if zone[0] in "+-":
            hours, mins = int(zone[1:3]), int(zone[3:5])
            offset = (hours * 60 + mins) * (1 if zone[0] == "+" else -1)
        else:
            z = _ZONES.get(zone.lower(), 0)
            offset = (abs(z) // 100 * 60 + abs(z) % 100) * (1 if z >= 0 else -1)
    secs = int(hh or 0) * 3600 + int(mm or 0) * 60 + int(ss or 0)
    epoch = _days_from_civil(year, mon, d) * 86400 + secs - offset * 60
    return year, mon, d, float(epoch)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; no calendar import)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
