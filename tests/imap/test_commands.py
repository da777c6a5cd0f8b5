"""The command table's map of where each command lives (what a session imports on demand)."""

from __future__ import annotations

from courier.imap import commands
from courier.imap.table import COMMANDS


def test_every_command_is_where_the_map_says() -> None:
    commands.load()
    where = {name: spec.handler.__module__.rsplit(".", 1)[1] for name, spec in COMMANDS.items()}
    # A command missing from WHERE still works (find() then imports every module) but makes
    # the first such command of a session pay for all of them.
    assert where == commands.WHERE, "add new commands to WHERE in courier/imap/commands/__init__.py"
    assert set(where.values()) == set(commands.MODULES)
