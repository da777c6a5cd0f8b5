from __future__ import annotations

import os

from courier.maildir.flags import info_flags, make_info
from courier.maildir.names import UniqueName, size_from_name, sort_key, split_name


def test_split_name() -> None:
    assert split_name("123.M1P2.host,S=40:2,FS") == ("123.M1P2.host,S=40", "2,FS")
    assert split_name("123.M1P2.host") == ("123.M1P2.host", "")


def test_size_from_name() -> None:
    assert size_from_name("1.M1P1V1I1_0.vm,S=248:2,FS") == 248
    assert size_from_name("1.M1P1.vm:2,S") is None
    assert size_from_name("1.M1P1.vm,S=12,W=13") == 12


def test_flags_roundtrip_in_ascii_order() -> None:
    flags = frozenset({"\\Seen", "\\Deleted", "\\Answered", "\\Flagged", "\\Draft"})
    assert make_info(flags) == "2,DFRST"
    assert info_flags("2,DFRST") == flags
    assert info_flags("2,") == frozenset()


def test_foreign_letters_are_kept() -> None:
    # P (passed) and Dovecot's lowercase keyword letters survive a flag change.
    assert make_info(frozenset({"\\Seen"}), "2,Pab") == "2,PSab"
    assert info_flags("1,whatever") == frozenset()


def test_unique_name_has_courier_form() -> None:
    u = UniqueName.new("my/host:x")
    assert u.host == "my\\057host\\072x"
    st = os.stat("/")
    final = u.final(st, 248)
    assert final.startswith(f"{u.secs}.M{u.usecs}P{os.getpid()}V{st.st_dev:016X}I{st.st_ino:016X}_")
    assert final.endswith(",S=248")


def test_sort_key_orders_by_time_then_name() -> None:
    names = ["1700000001.M1P1.h", "999999999.M1P1.h", "1700000000.M2P1.h"]
    assert sorted(names, key=sort_key) == ["999999999.M1P1.h", "1700000000.M2P1.h", "1700000001.M1P1.h"]


def test_sort_key_reads_microseconds_as_a_number() -> None:
    # Two deliveries in one second: M9000 (9 ms) came before M18370 (18 ms), although "M1" < "M9".
    names = ["1700000000.M18370P5.h", "1700000000.M9000P5.h", "1700000000.12_3.h"]
    assert sorted(names, key=sort_key) == [
        "1700000000.12_3.h",
        "1700000000.M9000P5.h",
        "1700000000.M18370P5.h",
    ]
