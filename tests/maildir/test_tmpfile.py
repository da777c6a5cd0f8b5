"""tmp/ files: the APPEND spool turns CRLF into LF across any split and is adopted, not copied."""

from __future__ import annotations

import os
from pathlib import Path

from courier.maildir.create import make_maildir
from courier.maildir.tmpfile import Spool, publish, write_tmp

TEXT = b"Subject: x\r\n\r\nline one\r\nbare\rcr\r\r\nend\r\n"


def test_spool_converts_crlf_at_every_split(tmp_path: Path) -> None:
    make_maildir(str(tmp_path / "md"))
    tmpdir = str(tmp_path / "md" / "tmp")
    for cut in range(len(TEXT) + 1):
        spool = Spool(tmpdir)
        spool.write(TEXT[:cut])
        spool.write(TEXT[cut:])
        spool.close()
        assert b"".join(spool) == TEXT.replace(b"\r\n", b"\n"), cut
        assert spool.size == len(TEXT.replace(b"\r\n", b"\n"))
        spool.discard()
    assert os.listdir(tmpdir) == []


def test_spool_is_linked_into_the_folder_not_copied(tmp_path: Path) -> None:
    md = tmp_path / "md"
    make_maildir(str(md))
    make_maildir(str(md / ".Folder"), folder=True)
    spool = Spool(str(md / "tmp"))
    spool.write(TEXT)
    ino = os.fstat(spool._fd).st_ino
    msg = write_tmp(str(md / ".Folder"), spool, fsync=False, mtime=1_000_000_000)
    name = publish(msg, "cur", "2,S")
    st = os.stat(md / ".Folder" / "cur" / name)
    assert st.st_ino == ino and st.st_mtime == 1_000_000_000
    assert f"I{ino:016X}" in name and name.endswith(f",S={spool.size}:2,S")
    assert os.listdir(md / "tmp") == [] and os.listdir(md / ".Folder" / "tmp") == []
    spool.discard()  # nothing left to remove
