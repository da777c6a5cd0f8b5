"""Every program in bin/ has an install location and a man page (packages fail otherwise)."""

from __future__ import annotations

from tests.conftest import REPO

DEV_ONLY = {"courier-demo"}


def _layout() -> dict[str, str]:
    out = {}
    for line in (REPO / "packaging/layout.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            prog, directory, _package = line.split()
            out[prog] = directory
    return out


def test_every_program_has_a_place_and_a_man_page() -> None:
    programs = {p.name for p in (REPO / "bin").iterdir()} - DEV_ONLY
    layout = _layout()
    assert programs - set(layout) == set(), "add these to packaging/layout.txt"
    assert set(layout) - programs == set(), "packaging/layout.txt names programs bin/ lacks"
    pages = {p.name.rsplit(".", 1)[0] for p in (REPO / "man").iterdir()}
    assert programs - pages == set(), "write man pages for these"


def test_per_connection_programs_are_in_libexec() -> None:
    layout = _layout()
    assert layout["imapd"] == layout["pop3d"] == "/usr/libexec/courier-imap"
    units = (REPO / "systemd/imapd@.service").read_text() + (REPO / "systemd/pop3d@.service").read_text()
    assert "/usr/libexec/courier-imap/imapd" in units and "/usr/libexec/courier-imap/pop3d" in units
