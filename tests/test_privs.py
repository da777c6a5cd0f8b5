"""Privilege dropping is for good: the process cannot become root again."""

from __future__ import annotations

import os

import pytest

from courier import privs
from tests.test_login import in_child


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_become_is_irreversible() -> None:
    def go() -> str:
        privs.become(65534, 65534)
        try:
            os.setuid(0)
        except PermissionError:
            return f"{os.getresuid()}|{os.getresgid()}|{os.getgroups()}"
        return "regained root"

    assert in_child(go) == "ok:(65534, 65534, 65534)|(65534, 65534, 65534)|[65534]"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_become_with_initgroups() -> None:
    import grp
    import pwd

    pw = pwd.getpwnam("nobody")
    want = sorted({pw.pw_gid, *(g.gr_gid for g in grp.getgrall() if "nobody" in g.gr_mem)})
    assert in_child(
        lambda: (privs.become(pw.pw_uid, pw.pw_gid, "nobody"), str(sorted(os.getgroups())))[1]
    ) == (f"ok:{want}")


def test_bad_ids_and_directories() -> None:
    with pytest.raises(privs.PrivilegeError):
        privs.become(-1, 0)
    with pytest.raises(privs.PrivilegeError, match="cannot change to /nonexistent"):
        privs.enter_directory("/nonexistent")
