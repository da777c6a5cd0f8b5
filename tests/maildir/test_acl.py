"""courierimapacl / courierimaphieracl files and ACL2=UNION rights, checked against the
behaviour of Courier's own maildir ACL library (its self-test sequence, replayed here)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from courier.maildir import acl
from courier.maildir.acl import AclError, Identity
from courier.maildir.create import make_maildir


def test_rights_strings_collate_and_deduplicate() -> None:
    assert acl.normalize("wrxarw") == "arwx"
    assert acl.expand_d("lrd") == "lrxte"
    assert acl.display("aceilrstwx") == "acdilrsw"
    assert acl.display("aceilrstw") == "aceilrstw"  # not all of e t x: shown as stored
    assert acl.display_rfc2086("aceilrstwx") == "acdilrsw"
    assert acl.display_rfc2086("aceilrstw") == "acilrsw"


def test_list_keeps_insertion_order_and_replaces_in_place() -> None:
    entries: acl.Entries = []
    acl.put(entries, "owner", "xz")
    acl.put(entries, "user1", "xz")
    acl.put(entries, "user2", "wry")
    acl.put(entries, "owner", "yrw")
    acl.remove(entries, "user1")
    acl.remove(entries, "user3")
    assert entries == [("owner", "rwy"), ("user2", "rwy")]
    with pytest.raises(AclError):
        acl.put(entries, "bad id", "r")
    with pytest.raises(AclError):
        acl.put(entries, "", "r")


def test_courier_selftest_sequence(tmp_path: Path) -> None:
    md = tmp_path / "confmdtest"
    make_maildir(str(md))
    make_maildir(str(md / ".foo.bar"), folder=True)
    entries = acl.read_path(str(md), ".")
    assert entries == [("owner", "aceilrstwx"), ("administrators", "aceilrstwx")]
    assert not (md / acl.ACL_FILE).exists()  # INBOX's default is not saved

    acl.put(entries, "anyone", "lr")
    acl.write_path(str(md), ".", entries)
    want = [("owner", "aceilrstwx"), ("administrators", "aceilrstwx"), ("anyone", "lr")]
    assert acl.read_path(str(md), ".") == want
    assert (md / acl.ACL_FILE).read_bytes() == b"owner aceilrstwx\nadministrators aceilrstwx\nanyone lr\n"
    assert (md / acl.ACL_FILE).stat().st_mode & 0o777 == 0o644 & ~_umask()

    # a folder without a file inherits, and the copy is saved in the folder
    assert acl.read_path(str(md), ".foo.bar") == want
    assert (md / ".foo.bar" / acl.ACL_FILE).read_bytes() == (md / acl.ACL_FILE).read_bytes()
    # a placeholder level inherits too; its copy goes to courierimaphieracl/
    assert acl.read_path(str(md), ".foo") == want
    assert (md / acl.HIER_DIR / "foo").read_bytes() == (md / acl.ACL_FILE).read_bytes()
    acl.write_path(str(md), ".foobar", want)
    assert (md / acl.HIER_DIR / "foobar").exists()

    acl.reset(str(md))  # fresh entries survive
    assert (md / acl.HIER_DIR / "foo").exists() and (md / acl.HIER_DIR / "foobar").exists()
    old = time.time() - 2 * 3600
    os.utime(md / acl.HIER_DIR / "foobar", (old, old))
    os.utime(md / acl.HIER_DIR / "foo", (old, old))
    acl.reset(str(md))  # "foo" still has a subfolder, "foobar" has none
    assert (md / acl.HIER_DIR / "foo").exists()
    assert not (md / acl.HIER_DIR / "foobar").exists()
    assert not list((md / "tmp").iterdir())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_union_minus_negative_rights() -> None:
    entries: acl.Entries = [("owner", "eistw"), ("anyone", "lr"), ("-user1", "r")]
    ids = {"owner", "user0"}
    assert acl.compute(entries, ids.__contains__) == "aeilrstw"  # the owner always gets "a"
    assert acl.compute(entries, {"user1"}.__contains__) == "l"


def test_identity_from_authlib_options() -> None:
    who = Identity.from_options("bob", "disableimap=0,group=staff,group=administrators")
    assert who.groups == frozenset({"staff", "administrators"}) and who.administrator
    entries: acl.Entries = [("owner", "lr"), ("group=staff", "i"), ("-user=bob", "l")]
    acl._add_default_admin(entries)
    # administrators hold everything, but a negative entry naming the user still applies
    assert acl.myrights(entries, who, "alice") == "aceirstwx"
    plain = Identity("bob", frozenset({"staff"}))
    assert acl.myrights(entries, plain, "alice") == "i"
    assert acl.myrights(entries, plain, "bob") == "air"  # the owner; "-user=bob" still drops "l"


def test_owner_identifier_only_for_the_owning_account() -> None:
    entries: acl.Entries = [("owner", "aceilrstwx"), ("anyone", "r"), ("user=carol", "lrs")]
    assert acl.rights(entries, Identity("carol"), "alice") == frozenset("lrs")
    assert acl.rights(entries, Identity("dave"), "alice") == frozenset("r")
    assert acl.rights(entries, Identity("alice"), "alice") == frozenset("aceilrstwx")


def test_disabled_acls_give_the_owner_everything_but_administer(tmp_path: Path) -> None:
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    (md / acl.ACL_FILE).write_text("owner l\n")
    entries = acl.read_path(str(md), ".", disabled=True)
    assert acl.myrights(entries, Identity("me"), "me", disabled=True) == "ceilrstwx"


def test_parse_skips_malformed_lines_and_restores_admin_rights() -> None:
    entries = acl.parse(b"owner  lr\n\nbad\x01id x\nanyone\n-administrators r\nadministrators l\nx a\tb\n")
    acl._add_default_admin(entries)
    assert entries == [("owner", "lr"), ("anyone", ""), ("administrators", acl.ALL)]


def test_check_refuses_what_courier_refuses() -> None:
    ok: acl.Entries = [("owner", "al"), ("administrators", acl.ALL)]
    acl.check(ok, "me")
    with pytest.raises(AclError) as e:
        acl.check([("owner", "l"), ("administrators", acl.ALL)])
    assert e.value.failed == "owner"
    with pytest.raises(AclError) as e:
        acl.check([("owner", "al"), ("-user=me", "a"), ("administrators", acl.ALL)], "me")
    assert e.value.failed == "user=me"
    with pytest.raises(AclError) as e:
        acl.check([("owner", "al"), ("administrators", "al")])
    assert e.value.failed is None


def test_modified_follows_setacl_forms() -> None:
    base: acl.Entries = [("owner", "aceilrstwx"), ("administrators", acl.ALL)]
    e = acl.modified(base, "anyone", "+r")
    assert e[-1] == ("anyone", "r")
    e = acl.modified(e, "owner", "-x")
    assert e[0] == ("owner", "aceilrstw")
    e = acl.modified(e, "owner", "-d")
    assert e[0] == ("owner", "acilrsw")
    e = acl.modified(e, "anyone", "-r")
    assert acl.find(e, "anyone") is None
    e = acl.modified(e, "user=x", "lrd")
    assert e[-1] == ("user=x", "elrtx")
    assert acl.find(acl.modified(e, "user=x", ""), "user=x") is None
    assert base == [("owner", "aceilrstwx"), ("administrators", acl.ALL)]  # not changed in place


def test_hier_acl_still_read_once_the_level_is_a_folder(tmp_path: Path) -> None:
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    acl.write_acl(str(md), "INBOX.Deep", [("owner", "al"), ("anyone", "r"), ("administrators", acl.ALL)])
    assert (md / acl.HIER_DIR / "Deep").exists()
    make_maildir(str(md / ".Deep"), folder=True)  # e.g. by maildirmake: Courier leaves the file
    assert acl.read_acl(str(md), "INBOX.Deep")[1] == ("anyone", "r")
    assert not (md / ".Deep" / acl.ACL_FILE).exists()
    acl.write_acl(str(md), "INBOX.Deep", [("owner", "al"), ("administrators", acl.ALL)])
    assert (md / ".Deep" / acl.ACL_FILE).exists()
    acl.delete_acl(str(md), "INBOX.Deep")
    assert not (md / ".Deep" / acl.ACL_FILE).exists() and not (md / acl.HIER_DIR / "Deep").exists()


def test_names_never_leave_the_maildir(tmp_path: Path) -> None:
    md = tmp_path / "Maildir"
    make_maildir(str(md))
    for bad in ("INBOX..x", "INBOX./etc", "INBOX.a.", "Other"):
        with pytest.raises(AclError):
            acl.write_acl(str(md), bad, [("owner", "al"), ("administrators", acl.ALL)])
    with pytest.raises(AclError):
        acl.write_path(str(md), "../x", [("owner", "al"), ("administrators", acl.ALL)])
    assert sorted(os.listdir(md)) == ["cur", "new", "tmp"]


def test_tool_modified_stores_letters_as_given() -> None:
    base: acl.Entries = [("owner", "aceilrstwx"), ("administrators", acl.ALL)]
    e = acl.tool_modified(base, "anyone", "+rd")
    assert e[-1] == ("anyone", "dr")
    e = acl.tool_modified(e, "user=a", "-r")
    assert e[-1] == ("user=a", "")
    assert acl.serialize(e).endswith(b"anyone dr\nuser=a \n")
    with pytest.raises(AclError):
        acl.tool_modified(e, "user=c", "r w")
