"""Remove what crashed writers left in tmp/ (Courier's rule: files untouched for 36 hours)."""

from __future__ import annotations

import os
import time

#: Directories we build in tmp/ (folder creation, deletion) start with this.
SCRATCH_PREFIX = ".courier-"


def clean_tmp(folder: str, max_age: float = 36 * 3600, now: float | None = None) -> int:
    """Remove stale entries of ``folder``/tmp; returns how many were removed."""
    tmpdir = os.path.join(folder, "tmp")
    limit = (time.time() if now is None else now) - max_age
    removed = 0
    try:
        it = os.scandir(tmpdir)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    with it:
        for e in it:
            try:
                st = e.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if e.name.startswith(SCRATCH_PREFIX) and e.is_dir(follow_symlinks=False):
                if st.st_mtime < time.time() - 3600:
                    import shutil  # rarely needed, and it imports zlib, bz2 and lzma

                    shutil.rmtree(e.path, ignore_errors=True)
                    removed += 1
                continue
            if e.name.startswith(".") or st.st_ctime >= limit:
                continue
            try:
                os.unlink(e.path)
                removed += 1
            except (FileNotFoundError, IsADirectoryError, PermissionError):
                pass
    return removed
