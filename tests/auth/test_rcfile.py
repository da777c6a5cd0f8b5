"""authlib's ``NAME value`` rc files: not shell syntax, continuations, the marker line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from courier.auth.rcfile import RcWatch, as_flag, as_number, parse_rc, read_rc
from courier.config import ConfigError

SAMPLE = """\
##VERSION: $Id: authmysqlrc,v 1.20 $
#
# a comment with MYSQL_SERVER inside

##NAME: MYSQL_SERVER:0
MYSQL_SERVER\t\tlocalhost
MYSQL_PASSWORD   "quoted" $HOME #not-a-comment
MYSQL_SELECT_CLAUSE\tSELECT id, crypt \\
\t\tFROM passwd \\
\t\tWHERE id = '$(local_part)@$(domain)'
MYSQL_EMPTY
MYSQL_SERVER\t\tsecond-definition-ignored
MYSQL_PORT 0
"""


def test_values_are_literal_not_shell() -> None:
    rc = parse_rc(SAMPLE, Path("authmysqlrc"))
    assert rc.get("MYSQL_SERVER") == "localhost"
    assert rc.get("MYSQL_PASSWORD") == '"quoted" $HOME #not-a-comment'
    assert rc.get("MYSQL_EMPTY") == ""
    assert rc.get("MYSQL_UNSET", "dflt") == "dflt"
    assert rc.lines["MYSQL_PORT"] == 13


def test_backslash_continuation_joins_lines() -> None:
    rc = parse_rc(SAMPLE, Path("authmysqlrc"))
    clause = " ".join(rc.get("MYSQL_SELECT_CLAUSE").split())
    assert clause == "SELECT id, crypt FROM passwd WHERE id = '$(local_part)@$(domain)'"
    assert rc.lines["MYSQL_SELECT_CLAUSE"] == 8


def test_marker_line_is_required(tmp_path: Path) -> None:
    p = tmp_path / "authldaprc"
    p.write_text("LDAP_URI ldap://127.0.0.1/\n")
    with pytest.raises(ConfigError, match="marker line not found"):
        read_rc(p)


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="authpgsqlrc"):
        read_rc(tmp_path / "authpgsqlrc")


def test_bad_line_names_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"authldaprc:3"):
        parse_rc("##NAME: x:0\n\nLDAP-URI=ldap://x/\n", Path("authldaprc"))


def test_runaway_continuation_refused() -> None:
    text = "##NAME: x:0\nA " + "x \\\n" * 40000 + "end\n"
    with pytest.raises(ConfigError, match="continuations"):
        parse_rc(text, Path("rc"))


def test_numbers_and_flags() -> None:
    rc = parse_rc("##NAME: x:0\nP 3306\nF 1\nZ 0\nBAD x\n", Path("rc"))
    assert as_number(rc, "P", 0) == 3306 and as_number(rc, "NONE", 7) == 7
    assert as_flag(rc, "F") and not as_flag(rc, "Z") and as_flag(rc, "NONE", True)
    with pytest.raises(ConfigError, match="rc:5: BAD"):
        as_number(rc, "BAD", 0)
    with pytest.raises(ConfigError):
        as_flag(rc, "BAD")


def test_watch_rereads_only_when_changed(tmp_path: Path) -> None:
    p = tmp_path / "authmysqlrc"
    p.write_text("##NAME: x:0\nA 1\n")
    watch = RcWatch(p)
    rc, changed = watch.current()
    assert changed and rc.get("A") == "1"
    assert watch.current() == (rc, False)
    p.write_text("##NAME: x:0\nA 2\n")
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    rc2, changed = watch.current()
    assert changed and rc2.get("A") == "2"
    p.unlink()
    with pytest.raises(ConfigError):
        watch.current()
