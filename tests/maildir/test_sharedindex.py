"""The shared index (#shared.): Courier's file format, groups, sharedgroup files, loops."""

from __future__ import annotations

from pathlib import Path

from courier.maildir.sharedindex import Account, Group, SharedIndex, index_file, munge, parse_line, read


def test_lines_as_courier_reads_them(tmp_path: Path) -> None:
    idx = tmp_path / "index"
    idx.write_text(
        "# comment\n"
        "\n"
        "alice\t1000\t1000\t/home/alice\n"  # maildir defaults to ./Maildir
        "bob\t1000\t1000\t/home/bob\tmail/box   # trailing comment\n"
        "abs\t1000\t1000\t/home/abs\t/srv/mail/abs\n"
        "root\t0\t0\t/root\n"  # uid 0: ignored, as Courier ignores it
        "broken line without tabs\n"
        "team\t*\tteam.idx\n"
    )
    recs = read(str(idx))
    assert recs == [
        Account("alice", 1000, 1000, "/home/alice/Maildir"),
        Account("bob", 1000, 1000, "/home/bob/mail/box   "),
        Account("abs", 1000, 1000, "/srv/mail/abs"),
        Group("team", str(tmp_path / "team.idx")),
    ]
    assert read(str(tmp_path / "missing")) == []
    assert parse_line("x\t*\t\n", str(idx)) is None


def test_names_with_dots_and_slashes() -> None:
    assert munge("alice@example.com") == "alice@example com"
    assert munge("a/b") == "a b"
    assert munge("a.b/c\\d", complex_=True) == "a\\:b\\;c\\\\d"


def test_find_through_groups_and_sharedgroup(tmp_path: Path) -> None:
    (tmp_path / "index").write_text("alice\t1\t1\t/h/alice\n")
    (tmp_path / "index2").write_text("team\t*\tteam.idx\n")
    (tmp_path / "team.idx").write_text("bob@example.com\t1\t1\t/h/bob\n")
    top = SharedIndex(index_file(str(tmp_path / "index"), ""))
    hit = top.find(("alice", "Sent", "2024"))
    assert hit is not None and hit.account is not None
    assert hit.account.maildir == "/h/alice/Maildir" and hit.rest == ("Sent", "2024")
    assert top.find(("team",)) is None
    grouped = SharedIndex(index_file(str(tmp_path / "index"), "2"))
    level = grouped.find(("team",))
    assert level is not None and level.account is None
    hit = grouped.find(("team", "bob@example com"))
    assert hit is not None and hit.prefix == ("team", "bob@example com") and hit.rest == ()
    assert [levels for levels, _ in grouped.accounts()] == [("team", "bob@example com")]
    assert list(grouped.groups()) == [("team",)]


def test_a_loop_between_index_files_ends(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("b\t*\tb\nx\t1\t1\t/h/x\n")
    (tmp_path / "b").write_text("a\t*\ta\n")
    idx = SharedIndex(str(tmp_path / "a"))
    found = list(idx.accounts())
    assert (("x",), Account("x", 1, 1, "/h/x/Maildir")) in found
    assert 1 < len(found) <= 8 and all(levels[-1] == "x" for levels, _ in found)
    assert idx.find(("b", "a", "b", "a", "b", "a", "b", "a", "b", "a")) is None
