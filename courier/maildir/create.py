"""Creating maildirs and folders (shared by the store's CREATE and ``maildirmake``)."""

from __future__ import annotations

import os

FOLDER_MARK = "maildirfolder"


def make_maildir(path: str, mode: int = 0o700, subdir_mode: int = 0o700, folder: bool = False) -> None:
    """Create ``path`` with cur/ new/ tmp/ (tmp last: its presence means the maildir is complete).

    Raises FileExistsError if ``path`` exists.  Modes are applied exactly (not through the umask).
    """
    os.mkdir(path, 0o700)
    try:
        for sub in ("cur", "new", "tmp"):
            p = os.path.join(path, sub)
            os.mkdir(p, 0o700)
            os.chmod(p, subdir_mode)
        if folder:
            mark = os.path.join(path, FOLDER_MARK)
            os.close(os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            os.chmod(mark, 0o600)
        os.chmod(path, mode)
    except BaseException:
        import shutil

        shutil.rmtree(path, ignore_errors=True)
        raise
