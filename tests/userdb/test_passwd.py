"""pw2userdb conversion rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from courier.userdb.passwd import read_passwd, read_shadow, userdb_lines
from courier.userdb.record import RecordError


def test_passwd_and_shadow_to_lines(tmp_path: Path) -> None:
    (tmp_path / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\n#x\nbin:*:2:2:a|b:/bin:\ntoor:x:0:0::/root:/bin/sh\n"
    )
    (tmp_path / "shadow").write_text("root:$6$s$h:1::::::\ntoor:!:1\n")
    entries = read_passwd(str(tmp_path / "passwd"))
    lines, warnings = userdb_lines(entries, read_shadow(str(tmp_path / "shadow")))
    assert lines == [
        "root\tuid=0|gid=0|home=/root|shell=/bin/bash|systempw=$6$s$h|gecos=root",
        "0=\troot",
        "bin\tuid=2|gid=2|home=/bin|systempw=*|gecos=a.b",
        "2=\tbin",
        "toor\tuid=0|gid=0|home=/root|shell=/bin/sh|systempw=!",
    ]
    assert warnings == ["uid 0 of toor already maps back to root; no second 0= record"]


def test_domain_nouid_fixed_ids(tmp_path: Path) -> None:
    (tmp_path / "vpasswd").write_text(
        "john:$1$a$b:1:0:John:/home/vpopmail/domains/x.org/john:NOQUOTA:clear\n"
    )
    entries = read_passwd(str(tmp_path / "vpasswd"), numeric_ids=False)
    lines, _ = userdb_lines(entries, None, domain="x.org", reverse=False, fixed_ids=(89, 89))
    assert lines == [
        "john@x.org\tuid=89|gid=89|home=/home/vpopmail/domains/x.org/john|shell=NOQUOTA|systempw=$1$a$b|gecos=John"
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("short:x:1:1", "not a passwd line"),
        ("", "empty line"),
        ("a:x:one:1::/h:/bin/sh", "not a number"),
        ("a:x:1:1::/h|x:/bin/sh", "home '/h|x' contains '|'"),
    ],
)
def test_malformed_passwd_line_named(tmp_path: Path, line: str, reason: str) -> None:
    (tmp_path / "passwd").write_text(f"ok:x:1:1::/h:\n{line}\n")
    with pytest.raises(RecordError) as info:
        read_passwd(str(tmp_path / "passwd"))
    assert str(info.value).startswith(f"{tmp_path}/passwd:2: ") and reason in str(info.value)
