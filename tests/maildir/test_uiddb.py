from __future__ import annotations

from pathlib import Path

from courier.maildir import uiddb


def test_parse_courier_file() -> None:
    db, old = uiddb.parse(
        b"1 795610759 6\n1 1795610759.M599616P22104V0FE00I17E022_0.vm,S=248\n5 1700000000.M1P1.lab\n"
    )
    assert old is None and db is not None
    assert (db.uidvalidity, db.nextuid) == (795610759, 6)
    assert db.entries == [(1, "1795610759.M599616P22104V0FE00I17E022_0.vm,S=248"), (5, "1700000000.M1P1.lab")]


def test_roundtrip_is_byte_identical(tmp_path: Path) -> None:
    data = b"1 795611205 5\n1 a,S=248\n2 b,S=815\n4 c\n"
    db, _ = uiddb.parse(data)
    assert db is not None and uiddb.dump(db) == data
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    uiddb.write(str(tmp_path), db, fsync=False)
    assert (tmp_path / uiddb.UIDDB).read_bytes() == data
    assert list((tmp_path / "tmp").iterdir()) == []


def test_nextuid_never_below_a_used_uid() -> None:
    db, _ = uiddb.parse(b"1 7 2\n9 x\n")
    assert db is not None and db.nextuid == 10


def test_bad_header_is_a_new_database_with_hint() -> None:
    for data in (b"", b"garbage\n", b"2 7 1\n", b"1 x 1\n", b"1 0 1\n"):
        db, _ = uiddb.parse(data)
        assert db is None


def test_bad_lines_skipped_and_duplicates_resolved() -> None:
    db, _ = uiddb.parse(b"1 7 10\n1 a\nzz b\n3\n2 a\n3 c/../x\n4 d\n4 e\n")
    assert db is not None
    assert db.entries == [(1, "a"), (4, "d")]


def test_new_uidvalidity_moves_past_hint() -> None:
    v = uiddb.new_uidvalidity()
    assert uiddb.new_uidvalidity(previous=v) == v + 1
    assert 0 < v < 1_000_000_000
