"""The ACL files of a maildir, for comparing two servers' or tools' trees."""

from __future__ import annotations

import os
from pathlib import Path


def acl_files(md: Path) -> dict[str, bytes]:
    """Every courierimapacl and courierimaphieracl/ file below ``md``: relative path -> bytes."""
    out = {}
    for dirpath, _, files in os.walk(md):
        for f in files:
            p = Path(dirpath) / f
            if f == "courierimapacl" or p.parent.name == "courierimaphieracl":
                out[str(p.relative_to(md))] = p.read_bytes()
    return out
